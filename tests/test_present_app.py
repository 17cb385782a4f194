"""Briefing mode (AppTest): decks present step by step, warm-up reports failures, bad deck ids are safe. Every run
a test makes goes through apptests.assert_page_healthy (no exception, no st.error, no chart drawn from empty or NaN
data); a test that shows a broken step on purpose allows only that step's error, and asserts it."""

import pytest
from apptests import assert_page_healthy, run_app, shown
from streamlit.testing.v1 import AppTest

from chokepoint import MODEL_VERSION
from chokepoint.ui.saved import plain



@pytest.fixture
def store(isolated_store):
    return isolated_store


def present(**query) -> AppTest:
    return run_app("pages/present.py", **query)

def test_a_deck_presents_step_by_step_with_its_notes(store):
    hawks, _ = store.save({"export_controls": 85, "self_reliance": 50}, "Hawks", "", MODEL_VERSION, "d", {})
    deck, _ = store.save_deck("Three futures", [
        {"ref": "preset:Détente", "title": "A thaw", "notes": "Say it softly"},
        {"ref": hawks.id, "title": "Hawks win", "notes": ""},
        {"ref": "preset:Both sides hawkish", "title": "Worst case", "notes": ""}], MODEL_VERSION)
    at = assert_page_healthy(present(deck=deck.id, step="1"))
    assert at.title[0].value == "A thaw"
    assert len(at.metric) == 5 and len(at.get("vega_lite_chart")) == 1
    assert any("Say it softly" in m.value for m in at.markdown)
    assert at.button(key="present_prev").disabled
    assert_page_healthy(at.button(key="present_next").click().run())
    assert at.title[0].value == "Hawks win" and at.query_params["step"] == "2"
    assert_page_healthy(at.button(key="present_next").click().run())
    assert at.title[0].value == "Worst case" and at.button(key="present_next").disabled
    assert_page_healthy(at.button(key="present_prev").click().run())
    assert at.title[0].value == "Hawks win"


def test_check_and_warm_reports_a_step_that_fails(store):
    deck, _ = store.save_deck("Broken", [{"ref": "preset:Détente", "title": "Fine"},
                                         {"ref": "zzzzzzzzzz", "title": "Gone"}], MODEL_VERSION)
    at = assert_page_healthy(present())
    assert_page_healthy(at.button(key=f"warm::{deck.id}").click().run(),
                        allow_errors="1 of 2 steps open and compute")
    assert any("1 of 2 steps open and compute" in e.value for e in at.error)
    report = at.dataframe[-1].value
    assert list(report.status) == ["ok", "FAILED"]
    opened = assert_page_healthy(present(deck=deck.id, step="2"), allow_errors="Step 2 cannot be shown")
    assert any("Step 2 cannot be shown" in e.value for e in opened.error)


@pytest.mark.parametrize("deck_id", ["nosuchdeck", "'; drop table decks; --"])
def test_unknown_deck_ids_are_reported(store, deck_id):
    at = assert_page_healthy(present(deck=deck_id))
    assert any("No deck has the id" in w.value and "deck builder instead" in w.value for w in at.warning)
    assert at.title[0].value == "Briefing mode"  # the builder, as the notice says, not a blank page
    assert "deck" not in at.query_params


def test_a_deck_link_while_the_store_is_down_gives_the_builder_not_a_traceback(store, monkeypatch):
    from chokepoint.store import StoreError

    def down(*args, **kwargs):
        raise StoreError("the database is not answering")
    monkeypatch.setattr(type(store), "get_deck", down)
    monkeypatch.setattr(type(store), "list_decks", down)
    at = assert_page_healthy(present(deck="abcdefghij"), allow_errors="Decks cannot be read right now")
    assert any("Decks cannot be read right now (the database is not answering)" in w.value for w in at.warning)
    assert at.title[0].value == "Briefing mode"


def test_building_a_deck_in_the_page(store):
    at = assert_page_healthy(present())
    at.text_input(key="deck_title").input("Quick deck")
    at.multiselect(key="deck_steps").set_value(["preset:Détente", "preset:Both sides hawkish"])
    assert_page_healthy(next(b for b in at.button if b.label == "Next: titles and notes").click().run())
    assert_page_healthy(at.button(key="deck_save").click().run())
    decks = store.list_decks()
    assert len(decks) == 1 and [s.title for s in decks[0].steps] == ["Détente", "Both sides hawkish"]
    assert any(decks[0].id in c.value for c in at.code)


def test_present_the_current_scenario_alone(store):
    at = assert_page_healthy(present(present="1", export_controls="60", self_reliance="70"))
    assert len(at.metric) == 5 and len(at.get("vega_lite_chart")) == 1


# --- issue 14: dead ends, the builder's lost edits, titles as typed --------------------------------------------

def test_a_step_that_is_gone_says_so_and_keeps_the_presenter_moving(store):
    deck, _ = store.save_deck("Gaps", [{"ref": "preset:Détente", "title": "Fine"},
                                       {"ref": "zzzzzzzzzz", "title": "Gone"},
                                       {"ref": "preset:No such preset", "title": "Renamed"}], MODEL_VERSION)
    at = assert_page_healthy(present(deck=deck.id, step="2"), allow_errors="Step 2 cannot be shown")
    assert at.title[0].value == "Gone"
    assert any("Step 2 cannot be shown" in e.value and "no saved scenario has the id" in e.value for e in at.error)
    assert not at.button(key="present_prev").disabled and not at.button(key="present_next").disabled
    assert_page_healthy(at.button(key="present_next").click().run(), allow_errors="Step 3 cannot be shown")
    assert at.title[0].value == "Renamed" and any("no longer exists" in e.value for e in at.error)
    assert_page_healthy(at.button(key="present_prev").click().run(), allow_errors="Step 2 cannot be shown")
    assert_page_healthy(at.button(key="present_prev").click().run())
    assert at.title[0].value == "Fine" and len(at.metric) == 5


def test_slide_titles_show_as_typed(store):
    title = "[Sign in again](http://evil.example) ![x](http://evil.example/x.png)"
    deck, _ = store.save_deck("Deck :smile:", [{"ref": "preset:Détente", "title": title}], MODEL_VERSION)
    at = assert_page_healthy(present(deck=deck.id, step="1"))
    assert at.title[0].value == plain(title)
    assert shown(at.title[0].value) == title


def test_the_builder_keeps_a_title_edited_after_next_and_forgets_an_old_drafts_edits(store):
    at = assert_page_healthy(present())
    at.text_input(key="deck_title").input("First title")
    at.multiselect(key="deck_steps").set_value(["preset:Détente", "preset:Both sides hawkish"])
    assert_page_healthy(next(b for b in at.button if b.label == "Next: titles and notes").click().run())
    first_editor = f"deck_editor::{at.session_state['deck_draft_number']}"
    at.multiselect(key="deck_steps").set_value(["preset:2024 regime frozen", "preset:Détente"])
    assert_page_healthy(next(b for b in at.button if b.label == "Next: titles and notes").click().run())
    # The new draft has an editor of its own: what was typed into the first draft's rows (still in the session,
    # as a browser keeps it) is not applied to rows that now hold other steps.
    assert f"deck_editor::{at.session_state['deck_draft_number']}" != first_editor
    at.session_state[first_editor] = {"edited_rows": {0: {"title": "Edited thaw"}}, "added_rows": [],
                                      "deleted_rows": []}
    assert_page_healthy(at.text_input(key="deck_title").input("Title changed after Next").run())
    assert_page_healthy(at.button(key="deck_save").click().run())
    decks = store.list_decks()
    assert len(decks) == 1 and decks[0].title == "Title changed after Next"
    assert [s.title for s in decks[0].steps] == ["2024 regime frozen", "Détente"]  # no "Edited thaw"
