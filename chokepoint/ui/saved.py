"""Saved scenarios in the UI: open a ?scenario=<id> link, save the current scenario, show its status."""
from __future__ import annotations

import os
import time
from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urlencode, urlsplit

import streamlit as st
from streamlit.errors import StreamlitAPIException

from chokepoint import MODEL_VERSION, safetext, views
from chokepoint.migrations import migrate
from chokepoint.params import (ADVANCED_LEVERS, ADVANCED_PARAMETERS, HEADLINE_LEVERS, ModelInputs, Scenario,
                              preset_scenario, scenario_from_settings)
from chokepoint.store import (ID_PATTERN, NAME_MAX, NOTE_MAX, DamagedRecord, InvalidInput, SavedScenario,
                              StoreError, canonical_settings, removal_message)
from chokepoint.ui import resources
from chokepoint.formatting import FIRST_LEVER_YEAR, YEARS, number


def plain(text: object) -> str:
    """THE rule for user and link text on screen: Markdown source that shows `text` exactly as typed
    (chokepoint/safetext.py). Every name, note, title and address-bar value goes through it where it is put
    into an st.* call."""
    return safetext.markdown(text)


quoted = safetext.quoted


def link_for(scenario_id: str) -> str:
    return f"{_base()}/?scenario={scenario_id}"


_link_base: ContextVar[str | None] = ContextVar("chokepoint_link_base", default=None)


def base_url() -> str:
    """Scheme and host of this app, for absolute links: the address the visitor reached it at (st.context.url);
    outside a script run (a download is built in a worker thread, after the run) the one `links_from` set;
    else $CHOKEPOINT_PUBLIC_URL, else this server's configured address. Never empty: a link in a file must
    work outside the app."""
    given = _link_base.get()
    if given:
        return given
    try:
        parts = urlsplit(st.context.url or "")
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    except Exception:  # no script run here (a worker thread): st.context is not available
        pass
    public = os.environ.get("CHOKEPOINT_PUBLIC_URL", "").strip().rstrip("/")
    if public:
        return public
    from streamlit import config
    host = config.get_option("browser.serverAddress") or "localhost"
    port = config.get_option("browser.serverPort") or config.get_option("server.port") or 8501
    return f"http://{host}:{port}"


_base = base_url


@contextmanager
def links_from(base: str):
    """Links built inside the block start with `base` (taken during the script run, for work done after it)."""
    token = _link_base.set(base)
    try:
        yield
    finally:
        _link_base.reset(token)


def settings_query(settings: dict[str, float]) -> str:
    return urlencode({k: f"{v:g}" for k, v in sorted(settings.items())})


def link_for_settings(settings: dict[str, float]) -> str:
    return f"{_base()}/?{settings_query(settings)}"


def link_for_deck(deck_id: str) -> str:
    return f"{_base()}/present?deck={deck_id}&step=1"


def current_link(context) -> str:
    """The shareable link of what is on screen: the saved scenario's permanent link, else its parameters."""
    return link_for(context.saved.id) if context.saved is not None else link_for_settings(context.scenario.settings())


def scenario_of(record: SavedScenario, inputs: ModelInputs) -> tuple[Scenario, list[str]]:
    """A saved scenario under today's model: its settings migrated from the model it was saved with (notes say
    what changed) and checked. Raises ScenarioError (a ValueError) if they no longer make a scenario."""
    settings, notes = migrate(record.settings, record.model_version, inputs)
    return scenario_from_settings(settings, inputs, name=record.name), notes


def forget_loaded() -> None:
    """The view no longer starts from a saved scenario (e.g. a Library duplicate opens unsaved). This module
    owns the session's "loaded" state; other modules change it only through here."""
    st.session_state.pop("loaded", None)
    st.session_state.pop("loaded_id", None)
    _stop_retrying()


# A link whose record could not be read because the store was down is tried again at most this often (seconds,
# from the end of the failed try) in a session: a store that is down can make each try wait (PostgreSQL's
# connect timeout, DuckDB's lock wait), and that wait must not be paid on every rerun.
STORE_RETRY_SECONDS = 5.0
_PENDING = "linked_pending"  # session state: the link waiting for the store (see open_linked)
_RAN = "linked_ran"          # session state: open_linked has run in this session before


def open_linked(inputs: ModelInputs) -> tuple[list[str], dict[str, float] | None]:
    """If the address names a saved scenario not yet loaded in this session, load it: returns (problems to
    show, the settings the levers should take, or None). An unknown or malformed id leaves the default
    scenario and the store untouched.

    The levers keep the values the browser sent when a session's first run arrives with them: that is a browser
    whose server went away (a replica killed behind the proxy) reconnected to another one without reloading, and
    the levers on its screen, perhaps just moved, are the user's. The record is remembered all the same, so
    `status` says whether the view is the saved scenario or modified from it.

    While the store cannot be read, the notice says so and the link is tried again at most every
    STORE_RETRY_SECONDS, on a rerun; once it opens, the notice goes. If the user moves the levers away from what
    the notice showed in the meantime, the view is theirs: no more tries, no notice, no ?scenario= in the
    address."""
    first_run = _RAN not in st.session_state
    st.session_state[_RAN] = True
    values = st.query_params.get_all("scenario")
    if not values:
        _stop_retrying()  # the address no longer names it (a page opened without it, history navigation)
        return [], None
    scenario_id = values[0].strip()
    if st.session_state.get("loaded_id") == scenario_id:
        _stop_retrying()  # e.g. saved meanwhile: the address names the new record, the old link is done
        return [], None
    keep_levers = first_run and _browser_sent_levers()
    pending = st.session_state.get(_PENDING)
    baseline = None
    if pending is not None and pending["id"] == scenario_id:
        levers = _levers_now()
        if pending["baseline"] is not None and levers is not None and levers != pending["baseline"]:
            _stop_retrying()
            del st.query_params["scenario"]
            return [], None
        if time.monotonic() < pending["next_try"]:
            return [], None  # its notice is still in the session's address notices
        keep_levers, baseline = pending["keep_levers"], pending["baseline"]
    forget_loaded()  # also withdraws an earlier store-down notice: a new one replaces it if the store is still down
    if not ID_PATTERN.fullmatch(scenario_id):
        del st.query_params["scenario"]
        return [f"{quoted('scenario=' + scenario_id, 49)} is not a scenario id"], None
    try:
        record = store().get(scenario_id)
    except DamagedRecord as exc:
        del st.query_params["scenario"]
        return [f"{plain(exc)}; showing the default scenario"], None
    except StoreError as exc:
        # A browser that reconnected (its replica gone) keeps the levers on its screen: not the default scenario.
        shown = "keeping the levers as they were on your screen" if keep_levers else "showing the default scenario"
        notice = f"saved scenarios cannot be read right now ({plain(exc)}); {shown}"
        st.session_state[_PENDING] = {"id": scenario_id, "next_try": time.monotonic() + STORE_RETRY_SECONDS,
                                      "notice": notice, "baseline": baseline, "keep_levers": keep_levers}
        return [notice], None
    if record is None:
        del st.query_params["scenario"]
        return [f"no saved scenario has the id {quoted(scenario_id)}; showing the default scenario"], None
    settings, notes = migrate(record.settings, record.model_version, inputs)
    st.session_state["loaded_id"] = scenario_id
    st.session_state["loaded"] = (record, settings, notes)
    if keep_levers:
        return [], None
    _put_in_address(settings)
    return [], settings


def lever_query(settings: dict[str, float]) -> dict[str, str]:
    """The address parameters that hold `settings`, as the lever widgets bound to the address write them: each
    lever away from its default (an advanced lever whenever it is set)."""
    return {key: f"{value:g}" for key, value in sorted(settings.items())
            if key not in HEADLINE_LEVERS or float(value) != float(HEADLINE_LEVERS[key].default)}


def _put_in_address(settings: dict[str, float]) -> None:
    """Write a linked scenario's levers into the address next to ?scenario=. The widgets take the settings from
    their state, but a bound widget writes its value into the address only when the value changes on screen;
    a page opened at /?scenario=<id> showed 70/45 with neither in the address, so moving one slider left an
    address without the other (a reload, or the link copied, gave its default). Possible in a session's first
    run only: once a widget is bound, Streamlit refuses to set its parameter; later in a session (the Library's
    Open) the bound widgets keep their parameters in the address themselves (tests/e2e/test_saved.py)."""
    wanted = lever_query(settings)
    for key in _lever_names():
        try:
            if key in wanted:
                if st.query_params.get(key) != wanted[key]:
                    st.query_params[key] = wanted[key]
            elif key in st.query_params:
                del st.query_params[key]
        except StreamlitAPIException:
            return


def _lever_names() -> tuple[str, ...]:
    return (*HEADLINE_LEVERS, *ADVANCED_LEVERS, *ADVANCED_PARAMETERS)


def _levers_now() -> dict[str, object] | None:
    """Every lever's widget value as this run has it (before the widgets are created: as the browser sent it);
    None if a lever has none yet (no run of this session has created the widgets)."""
    try:
        return {name: st.session_state[name] for name in _lever_names()}
    except KeyError:
        return None


def _browser_sent_levers() -> bool:
    """Whether this run arrived with a lever's widget value from the browser. A session's first run after a page
    load arrives with none; one whose browser reconnected from a server that went away arrives with all the
    widgets it shows. Streamlit keeps such values by widget id (user key last: "$$ID-<hash>-export_controls")
    and, until this run creates the widget, st.session_state does not see them under the key, so they are read
    from the run's session state."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        states = get_script_run_ctx().session_state.get_widget_states()
    except Exception:  # no script run, or Streamlit changed: load the record over the levers, as before
        return False
    return any(state.id.endswith(f"-{name}") for state in states for name in HEADLINE_LEVERS)


def link_waiting() -> bool:
    """Whether a link is waiting for the store (open_linked tries it again on a full run of the app)."""
    return _PENDING in st.session_state


def _stop_retrying() -> None:
    """Forget a link waiting for the store, and take its notice out of the session's address notices (kept by
    controls.render under "address_notice" for the whole session: it would outlive the outage)."""
    pending = st.session_state.pop(_PENDING, None)
    notices = st.session_state.get("address_notice")
    if pending is not None and notices and pending["notice"] in notices:
        st.session_state["address_notice"] = [notice for notice in notices if notice != pending["notice"]]


def status(scenario: Scenario) -> tuple[SavedScenario | None, SavedScenario | None, list[str]]:
    """(saved scenario shown as is, saved scenario it was modified from, migration notes); keeps the
    address in step: ?scenario=<id> while the view is the saved one, plain parameters once modified."""
    pending = st.session_state.get(_PENDING)
    if pending is not None and pending["baseline"] is None:
        pending["baseline"] = _levers_now()  # what the store-down notice shows: moving away from it ends the link
    loaded = st.session_state.get("loaded")
    if not loaded:
        return None, None, []
    record, settings, notes = loaded
    if canonical_settings(scenario.settings()) == canonical_settings(_with_defaults(settings)):
        if st.query_params.get("scenario") != record.id:
            st.query_params["scenario"] = record.id
        st.session_state["loaded_id"] = record.id
        return record, None, notes
    if "scenario" in st.query_params:
        del st.query_params["scenario"]
    # The view is no longer the saved one: opening its link again (the Library's Open) must load it again, not
    # be taken for the link already on screen.
    st.session_state.pop("loaded_id", None)
    return None, record, notes


def _with_defaults(settings: dict[str, float]) -> dict[str, float]:
    full = {"export_controls": float(HEADLINE_LEVERS["export_controls"].default),
            "self_reliance": float(HEADLINE_LEVERS["self_reliance"].default)}
    full.update({k: float(v) for k, v in settings.items()})
    return full


def _save(current_settings, data_version: str) -> None:
    """Save button callback: runs before the page, so the page already shows the result. `current_settings()`
    reads the levers' values now: the form is drawn by the full run, and slider moves since then reran only the
    part of the page that depends on the levers."""
    settings = current_settings()
    st.session_state.pop("save_error", None)
    name, note = st.session_state.get("save_name", ""), st.session_state.get("save_note", "")
    # The store strips control characters, noncharacters and text-direction controls; say what went.
    removed = " ".join(filter(None, (removal_message("name", name), removal_message("note", note, keep_newlines=True))))
    try:
        run = resources.results(tuple(sorted(settings.items())))
        record, created = store().save(settings, name, note, MODEL_VERSION, data_version,
                                                 views.headline_values(run))
    except InvalidInput as exc:
        st.session_state["save_error"] = str(exc)
    except StoreError as exc:
        st.session_state["save_error"] = f"Not saved: {exc}. Nothing stored was changed."
    else:
        st.session_state["loaded_id"] = record.id
        st.session_state["loaded"] = (record, dict(record.settings), [])
        st.session_state["save_message"] = (
            "Saved." if created else f"These inputs were already saved as “{plain(record.name)}”: same link.")
        if removed and created:
            st.session_state["save_message"] += " " + removed
        st.query_params["scenario"] = record.id


_read_only_seen = {"message": ""}  # per process, like the store itself


def store():
    """The saved-scenario store (resources.store()), noting whether it is read-only for `read_only_message`."""
    opened = resources.store()
    _read_only_seen["message"] = opened.read_only_message
    return opened


def read_only_message() -> str:
    """Why nothing can be saved, if the store was found read-only ("" otherwise). It does not open the store:
    the Save form is on every page, and opening a store that another process holds would make every page wait.
    A save tried before anything opened the store says why it failed."""
    return _read_only_seen["message"]


def save_form(current_settings, inputs: ModelInputs):
    """The Save action (sidebar, every page): name and optional note. No max_chars on the fields: a paste over
    the limit was silently emptied by the browser; the store says what is too long. `current_settings()` gives
    the levers' settings when Save is pressed. Returns the sidebar container for `saved_link`, right under it."""
    with st.sidebar.popover("Save this scenario", icon=":material/bookmark_add:", width="stretch"):
        read_only = read_only_message()
        if read_only:
            st.info(f"Saving is off: {plain(read_only)}.", icon=":material/lock:")
        st.text_input("Name", key="save_name", placeholder="e.g. Hawkish tools, soft chips",
                      help=f"1–{NAME_MAX} characters")
        st.text_area("Note (optional)", height=90, key="save_note", help=f"Up to {NOTE_MAX} characters")
        st.button("Save", type="primary", key="save_submit", on_click=_save,
                  args=(current_settings, inputs.data_version), disabled=bool(read_only))
        if st.session_state.get("save_error"):
            st.error(st.session_state["save_error"])
    return st.sidebar.container()


def saved_link(container) -> None:
    """The saved message and the permanent link, while the view is the saved scenario (after `status`, which
    keeps ?scenario= in step with the levers)."""
    message = st.session_state.get("save_message")
    if message and st.session_state.get("loaded_id") == st.query_params.get("scenario"):
        container.success(message)
    if st.query_params.get("scenario"):
        container.caption("Permanent link (copy button on the right):")
        container.code(link_for(st.query_params["scenario"]), language=None)


def headline_numbers(record: SavedScenario) -> dict[str, dict[str, float]]:
    """The headline numbers a record stored, by year: only year -> {number: value} entries with real numbers
    (a record's headline is any JSON object; one edited by hand must not break a page)."""
    numbers = {}
    for year, values in record.headline.items():
        if str(year).isdigit() and isinstance(values, dict):
            kept = {k: float(v) for k, v in values.items()
                    if isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)}
            if kept:
                numbers[str(year)] = kept
    return numbers


def banner(saved: SavedScenario | None, modified_from: SavedScenario | None, notes: list[str],
           inputs: ModelInputs, current_run: views.Results) -> None:
    """What a colleague opening a link needs to know: which saved scenario, and whether it changed."""
    if modified_from is not None:
        st.info(f"Modified from **{plain(modified_from.name)}** — this view is unsaved; the address now holds its "
                "parameters.", icon=":material/edit:")
        return
    if saved is None:
        return
    date = saved.created_at.replace("T", " ").replace("Z", " UTC")
    lines = [f"**Saved scenario: {plain(saved.name)}** · saved {plain(date)} · model {plain(saved.model_version)}, "
             f"data {plain(saved.data_version)}"]
    if saved.note:
        lines.append(plain(saved.note))
    if saved.archived:
        lines.append("*Archived: hidden from the library, the link still works.*")
    st.success("  \n".join(lines), icon=":material/bookmark:")
    if notes:
        st.warning("Inputs mapped to today's model: " + "; ".join(notes) + ".")
    if saved.model_version != MODEL_VERSION or saved.data_version != inputs.data_version:
        rows = []
        # Every year the record holds that today's model runs (its years, not today's headline years: a 1.x
        # record holds 2026-2030, and 2026 is now replayed history).
        stored = headline_numbers(saved)
        years = sorted({int(y) for y in stored if int(y) in YEARS})
        current = views.headline_values(current_run, years)
        for year, values in stored.items():
            for key, value in values.items():
                label, unit = views.HEADLINE_LABELS.get(key, (key, ""))
                now = current.get(str(year), {}).get(key, float("nan"))
                changed = now != now or abs(now - value) > 1e-9 * max(1.0, abs(value))
                rows.append({"year": int(year), "number": label, "saved": number(value, unit),
                             "current": number(now, unit), "changed": "yes" if changed else ""})
        replayed = [y for y in years if y < FIRST_LEVER_YEAR]
        note = (f" {', '.join(map(str, replayed))} {'is' if len(replayed) == 1 else 'are'} now replayed as "
                f"{'it' if len(replayed) == 1 else 'they'} happened, not projected." if replayed else "")
        st.warning(f"Saved with model {plain(saved.model_version)} / data {plain(saved.data_version)}; these numbers are "
                   f"recomputed with model {MODEL_VERSION} / data {inputs.data_version}.{note} Saved and current "
                   "headline numbers side by side:", icon=":material/history:")
        st.dataframe(rows, hide_index=True, width="stretch")


def scenario_choices(inputs: ModelInputs) -> tuple[dict[str, tuple[str, Scenario]], int, str | None]:
    """Every scenario that can be compared: presets and saved ones, archived included, each under today's model
    (token -> (label, scenario)); how many damaged records were left out; a problem reading the store."""
    options: dict[str, tuple[str, Scenario]] = {
        f"preset:{name}": (f"{name} (preset)", preset_scenario(name, inputs)) for name in inputs.presets}
    problem = None
    try:
        records = store().list(include_archived=True)
    except StoreError as exc:
        problem, records = f"Saved scenarios cannot be read right now: {plain(exc)}", []
    for record in records:
        try:
            scenario, _ = scenario_of(record, inputs)  # saved under an older model: migrated, as when opened
        except ValueError:
            continue  # inputs no longer valid for this model: it still opens on its own page
        options[record.id] = (f"{record.name} (saved {record.created_at[:10]})", scenario)
    # Two scenarios saved under one name on one day would share a label, and the label names their column and
    # their line: one would vanish and the changes be computed against the wrong one. Such labels carry the id.
    repeated = Counter(label for label, _ in options.values())
    options = {token: (f"{label} · {token}" if repeated[label] > 1 else label, scenario)
               for token, (label, scenario) in options.items()}
    return options, len(getattr(records, "skipped", ())), problem
