"""Briefing mode: decks of saved scenarios and presets, presented full screen, one step at a time."""
import time

import pandas as pd
import streamlit as st

from chokepoint import MODEL_VERSION, specs, views
from chokepoint.params import Scenario, preset_scenario
from chokepoint.store import InvalidInput, StoreError
from chokepoint.ui import exporting, resources, saved, shell

context = shell.page_context()
inputs = context.inputs

PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], footer { display: none !important; }
[data-testid="stMainBlockContainer"] { padding-top: 1.2rem; max-width: 1800px; }
[data-testid="stMarkdownContainer"] p { font-size: 1.45rem; line-height: 1.45; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 3.4rem !important; }
[data-testid="stMetricDelta"] * { font-size: 1.3rem !important; }
[data-testid="stMetricLabel"] p { font-size: 1.3rem !important; }
h1 { font-size: 3.2rem !important; }
</style>
"""


def resolve(ref: str) -> tuple[Scenario, str, list[str]]:
    """A deck step's scenario, its link and any notes on inputs mapped to today's model."""
    if ref.startswith("preset:"):
        name = ref.removeprefix("preset:")
        if name not in inputs.presets:
            raise LookupError(f"preset “{name}” no longer exists")
        scenario = preset_scenario(name, inputs)
        return scenario, saved.link_for_settings(scenario.settings()), []
    record = saved.store().get(ref)
    if record is None:
        raise LookupError(f"no saved scenario has the id {ref}")
    scenario, notes = saved.scenario_of(record, inputs)
    return scenario, saved.link_for(record.id), notes


def options() -> dict[str, str]:
    choices = {f"preset:{name}": f"{name} (preset)" for name in inputs.presets}
    try:
        for record in saved.store().list():
            choices[record.id] = f"{record.name} (saved {record.created_at[:10]})"
    except StoreError as exc:
        st.error(f"Saved scenarios cannot be read right now: {saved.plain(exc)}")
    return choices


def check_and_warm(deck) -> pd.DataFrame:
    """Open and compute every step (filling the caches), and report each one."""
    rows = []
    for number, step in enumerate(deck.steps, 1):
        start = time.perf_counter()
        try:
            scenario, _, notes = resolve(step.ref)
            run = resources.results(scenario.key())
            for kind in ("headline_shares", "risk_usd"):
                resources.chart_spec(kind, scenario.key(), context.reference_settings, context.year)
            views.headlines(run, run, context.year)
            status, message = "ok", "; ".join(notes) or "opens and computes"
        except (LookupError, ValueError, StoreError) as exc:
            status, message = "FAILED", str(exc)
        rows.append({"step": number, "title": step.title, "status": status, "message": message,
                     "ms": round((time.perf_counter() - start) * 1000)})
    return pd.DataFrame(rows)


def go_to(step: int) -> None:
    st.query_params["step"] = str(step)


deck_id = st.query_params.get("deck")
single = st.query_params.get("present") == "1"

deck = None
if deck_id:
    try:
        deck = saved.store().get_deck(deck_id)
        missing = f"No deck has the id {saved.quoted(deck_id)}"
    except StoreError as exc:
        missing = f"Decks cannot be read right now ({saved.plain(exc)})"
    if deck is None:
        st.warning(f"{missing}; showing the deck builder instead.")
        del st.query_params["deck"]
        deck_id = None

if deck_id or single:
    steps = []
    if deck:
        steps = list(deck.steps)
        deck_title = deck.title
    else:
        deck_title = context.scenario.name or "Current scenario"
    try:
        number = min(max(1, int(st.query_params.get("step", "1"))), max(1, len(steps)))
    except ValueError:
        number = 1
    st.html(PRESENT_CSS)
    problem = None
    if single:
        scenario, link, notes, title, speaker = context.scenario, saved.current_link(context), [], deck_title, ""
    else:
        step = steps[number - 1]
        title, speaker = step.title, step.notes
        try:
            scenario, link, notes = resolve(step.ref)
        except (LookupError, ValueError, StoreError) as exc:  # gone, damaged or unreadable: say so, keep going
            problem, link, notes = exc, saved.link_for_deck(deck.id), []
    st.title(saved.plain(title))
    where = f"{saved.plain(deck_title)} · step {number} of {max(1, len(steps))}"
    if problem is not None:
        st.markdown(where)
        st.error(f"Step {number} cannot be shown: {saved.plain(problem)}. The other steps can: ◀ ▶ below (or the "
                 "arrow keys) move on, and Briefing mode can rebuild the deck without this step.")
    else:
        run = resources.results(scenario.key())
        reference = resources.results(context.reference_settings)
        st.markdown(f"{where} · {saved.plain(scenario.label())}")
        columns = st.columns(5)
        for column, headline in zip(columns, views.headlines(run, reference, context.year)):
            column.metric(headline.label, headline.formatted(), headline.formatted_delta(), delta_color="off")
        spec = resources.chart_spec("headline_shares", scenario.key(), context.reference_settings, context.year)
        st.vega_lite_chart(specs.large_type(spec), width="stretch", alt=shell.chart_alt("headline_shares", context.year))
        st.markdown(f"**{views.share_takeaway(run, context.year)}**")
        if notes:
            st.caption("Inputs mapped to today's model: " + "; ".join(notes))
    back, forward, leave, notes_column = st.columns([1, 1, 1.4, 3.6])
    back.button("◀ Previous", key="present_prev", shortcut="Left", disabled=number <= 1,
                on_click=go_to, args=(number - 1,))
    forward.button("Next ▶", key="present_next", shortcut="Right", disabled=number >= len(steps),
                   on_click=go_to, args=(number + 1,))
    leave.page_link("pages/present.py", label="Leave: Briefing mode", icon=":material/logout:", query_params={})
    if speaker:
        with notes_column.expander("Speaker notes"):
            st.markdown(saved.plain(speaker))
    st.caption(f"Link: {link} · model {MODEL_VERSION}, data {inputs.data_version} · reference {context.reference.name}")
    st.stop()

st.title("Briefing mode")
st.markdown("Build a **deck**: an ordered list of saved scenarios and presets, each with a title and speaker notes. "
            "A deck has its own permanent link and is presented full screen, one step at a time (buttons or the "
            "← → keys). Or present the current scenario on its own: "
            f"[present now](/present?present=1&{saved.settings_query(context.scenario.settings())}).")

choices = options()
read_only = saved.read_only_message()


def _draft() -> None:
    """"Next": a new draft of the chosen steps. Its table gets an editor of its own (a new key), so the row
    edits made to an earlier draft do not carry over to rows that now hold other steps."""
    refs = list(st.session_state.get("deck_steps", []))
    number = st.session_state.get("deck_draft_number", 0) + 1
    st.session_state["deck_draft_number"] = number
    st.session_state["deck_draft"] = {
        "number": number, "steps": refs,
        "table": pd.DataFrame({"scenario": [choices.get(ref, ref) for ref in refs],
                               "title": [choices.get(ref, ref).rsplit(" (", 1)[0] for ref in refs],
                               "speaker notes": ["" for _ in refs]})}
    st.session_state.pop("deck_error", None)
    st.session_state.pop("deck_saved", None)


def _save_deck() -> None:
    draft = st.session_state["deck_draft"]
    table = draft["table"].copy()
    edits = st.session_state.get(f"deck_editor::{draft['number']}", {})
    for row, changes in edits.get("edited_rows", {}).items():
        for column, value in changes.items():
            table.loc[int(row), column] = value
    try:
        # The title as it is now: it sits outside the form, so an edit made after "Next" counts.
        deck, _ = saved.store().save_deck(st.session_state.get("deck_title", ""), [
            {"ref": ref, "title": str(row["title"] or ""), "notes": str(row["speaker notes"] or "")}
            for ref, (_, row) in zip(draft["steps"], table.iterrows())], MODEL_VERSION)
    except InvalidInput as exc:
        st.session_state["deck_error"] = str(exc)
    except StoreError as exc:
        st.session_state["deck_error"] = f"Not saved: {exc}"
    else:
        st.session_state.pop("deck_draft", None)
        st.session_state["deck_saved"] = deck.id


st.text_input("Deck title", key="deck_title", placeholder="e.g. Export controls: three futures",
              help="Up to 120 characters")
with st.form("deck-builder"):
    st.multiselect("Steps, in order", list(choices), format_func=lambda ref: choices.get(ref, ref),
                   max_selections=12, key="deck_steps")
    st.form_submit_button("Next: titles and notes", on_click=_draft)

draft = st.session_state.get("deck_draft")
if draft and draft["steps"]:
    st.data_editor(draft["table"], disabled=["scenario"], hide_index=True, width="stretch",
                   key=f"deck_editor::{draft['number']}")
    st.button("Save deck", type="primary", key="deck_save", on_click=_save_deck, disabled=bool(read_only))
    if read_only:
        st.caption(f"Saving is off: {saved.plain(read_only)}.")
if st.session_state.get("deck_error"):
    st.error(st.session_state["deck_error"])  # the store's own words, no user text

if st.session_state.get("deck_saved"):
    st.success("Deck saved. Permanent link:")
    st.code(saved.link_for_deck(st.session_state["deck_saved"]), language=None)

st.subheader("Saved decks")
try:
    decks = saved.store().list_decks()
except StoreError as exc:
    st.error(f"Decks cannot be read right now: {saved.plain(exc)}")
    decks = []
if getattr(decks, "skipped", ()):
    st.warning(f"{len(decks.skipped)} saved deck{'s are' if len(decks.skipped) > 1 else ' is'} damaged in the store "
               f"and left out: {', '.join(saved.quoted(i) for i in decks.skipped[:10])}.")
if not decks:
    st.info("No decks yet.")
for deck in decks:
    with st.container(border=True):
        left, right = st.columns([4, 2])
        left.markdown(f"**{saved.plain(deck.title)}** · {len(deck.steps)} steps · saved {saved.plain(deck.created_at[:10])}"
                      "  \n" + " → ".join(saved.plain(s.title) for s in deck.steps))
        right.page_link("pages/present.py", label="Present", icon=":material/slideshow:",
                        query_params={"deck": deck.id, "step": "1"})
        right.button("Check and warm", key=f"warm::{deck.id}", icon=":material/fact_check:",
                     help="Open and compute every step now, so the room sees no waiting; report any failure",
                     on_click=lambda d=deck: st.session_state.__setitem__("warm_report", (d.id, check_and_warm(d))))
        report = st.session_state.get("warm_report")
        if report and report[0] == deck.id:
            failed = (report[1].status != "ok").sum()
            (st.error if failed else st.success)(f"{len(report[1]) - failed} of {len(report[1])} steps open and compute.")
            st.dataframe(report[1], hide_index=True, width="stretch")
        exporting.pack_buttons(deck.title, [(s.title, s.ref, s.notes) for s in deck.steps], resolve, context,
                               key=f"deck::{deck.id}", container=right, link=saved.link_for_deck(deck.id))
