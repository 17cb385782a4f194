"""Briefing decks in the app: what a deck step resolves to, the deck builder's draft and save, the presenter's
step, the "check and warm" report. pages/present.py lays these out; the deck records themselves live in the
store (chokepoint/store)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from chokepoint import MODEL_VERSION, views
from chokepoint.params import ModelInputs, Scenario, preset_scenario
from chokepoint.store import InvalidInput, StoreError
from chokepoint.ui import resources, saved

PRESENT_CSS = f"<style>\n{(Path(__file__).with_name('present.css')).read_text()}</style>"
WARM_CHARTS = ("headline_shares", "risk_usd")  # what a step shows and its pack slide draws


def resolve(ref: str, inputs: ModelInputs) -> tuple[Scenario, str, list[str]]:
    """A deck step's scenario, its link and any notes on inputs mapped to today's model. Raises LookupError
    (gone), ValueError (no longer a scenario) or StoreError (unreadable)."""
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


def choices(inputs: ModelInputs) -> tuple[dict[str, str], str | None]:
    """What a deck step can be: presets and saved scenarios (ref -> label), and a problem reading the store."""
    found = {f"preset:{name}": f"{name} (preset)" for name in inputs.presets}
    try:
        for record in saved.store().list():
            found[record.id] = f"{record.name} (saved {record.created_at[:10]})"
    except StoreError as exc:
        return found, f"Saved scenarios cannot be read right now: {saved.plain(exc)}"
    return found, None


def check_and_warm(deck, context) -> pd.DataFrame:
    """Open and compute every step (filling the caches), and report each one."""
    rows = []
    for number, step in enumerate(deck.steps, 1):
        start = time.perf_counter()
        try:
            scenario, _, notes = resolve(step.ref, context.inputs)
            run = resources.results(scenario.key())
            for kind in WARM_CHARTS:
                resources.chart_spec(kind, scenario.key(), context.reference_key, context.year)
            views.headlines(run, run, context.year)
            status, message = "ok", "; ".join(notes) or "opens and computes"
        except (LookupError, ValueError, StoreError) as exc:
            status, message = "FAILED", str(exc)
        rows.append({"step": number, "title": step.title, "status": status, "message": message,
                     "ms": round((time.perf_counter() - start) * 1000)})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------- presenting

@dataclass(frozen=True)
class Slide:
    """The step on screen: which one of how many, and what it shows (or why it cannot)."""
    deck_title: str
    number: int
    count: int
    title: str
    speaker_notes: str
    scenario: Scenario | None
    link: str
    notes: list[str]
    problem: Exception | None = None


def open_deck(deck_id: str):
    """(deck or None, what to say when it is None)."""
    try:
        deck = saved.store().get_deck(deck_id)
        return deck, f"No deck has the id {saved.quoted(deck_id)}"
    except StoreError as exc:
        return None, f"Decks cannot be read right now ({saved.plain(exc)})"


def slide(deck, context) -> Slide:
    """The slide the address asks for (?step=N, clamped to the deck; a bad number is step 1). `deck` None:
    the current scenario on its own."""
    steps = list(deck.steps) if deck else []
    try:
        number = min(max(1, int(st.query_params.get("step", "1"))), max(1, len(steps)))
    except ValueError:
        number = 1
    if deck is None:
        title = context.scenario.name or "Current scenario"
        return Slide(title, 1, 1, title, "", context.scenario, saved.current_link(context), [])
    step = steps[number - 1]
    try:
        scenario, link, notes = resolve(step.ref, context.inputs)
    except (LookupError, ValueError, StoreError) as exc:  # gone, damaged or unreadable: say so, keep going
        return Slide(deck.title, number, len(steps), step.title, step.notes, None, saved.link_for_deck(deck.id),
                     [], exc)
    return Slide(deck.title, number, len(steps), step.title, step.notes, scenario, link, notes)


def go_to(step: int) -> None:
    st.query_params["step"] = str(step)


# ---------------------------------------------------------------------------------------------- building

def new_draft(options: dict[str, str]) -> None:
    """"Next": a new draft of the chosen steps. Its table gets an editor of its own (a new key), so the row
    edits made to an earlier draft do not carry over to rows that now hold other steps."""
    refs = list(st.session_state.get("deck_steps", []))
    number = st.session_state.get("deck_draft_number", 0) + 1
    st.session_state["deck_draft_number"] = number
    st.session_state["deck_draft"] = {
        "number": number, "steps": refs,
        "table": pd.DataFrame({"scenario": [options.get(ref, ref) for ref in refs],
                               "title": [options.get(ref, ref).rsplit(" (", 1)[0] for ref in refs],
                               "speaker notes": ["" for _ in refs]})}
    st.session_state.pop("deck_error", None)
    st.session_state.pop("deck_saved", None)


def draft():
    return st.session_state.get("deck_draft")


def save_draft() -> None:
    current = st.session_state["deck_draft"]
    table = current["table"].copy()
    edits = st.session_state.get(f"deck_editor::{current['number']}", {})
    for row, changes in edits.get("edited_rows", {}).items():
        for column, value in changes.items():
            table.loc[int(row), column] = value
    try:
        # The title as it is now: it sits outside the form, so an edit made after "Next" counts.
        deck, _ = saved.store().save_deck(st.session_state.get("deck_title", ""), [
            {"ref": ref, "title": str(row["title"] or ""), "notes": str(row["speaker notes"] or "")}
            for ref, (_, row) in zip(current["steps"], table.iterrows())], MODEL_VERSION)
    except InvalidInput as exc:
        st.session_state["deck_error"] = str(exc)
    except StoreError as exc:
        st.session_state["deck_error"] = f"Not saved: {exc}"
    else:
        st.session_state.pop("deck_draft", None)
        st.session_state["deck_saved"] = deck.id


def save_outcome() -> tuple[str | None, str | None]:
    """(the store's words on a failed save, the id of the deck just saved)."""
    return st.session_state.get("deck_error"), st.session_state.get("deck_saved")


def warm(deck, context) -> None:
    st.session_state["warm_report"] = (deck.id, check_and_warm(deck, context))


def warm_report(deck) -> pd.DataFrame | None:
    report = st.session_state.get("warm_report")
    return report[1] if report and report[0] == deck.id else None
