"""Saved scenarios through the app (AppTest): save, open a link, modify, library, compare, bad ids."""
import json
from pathlib import Path

import pytest
from apptests import run_app

from chokepoint import MODEL_VERSION
from chokepoint.migrations import RELEASED_VERSIONS
from chokepoint.params import HEADLINE_LEVERS
from chokepoint.store import scenario_id
from chokepoint.ui import resources
from chokepoint.ui.saved import plain

FIXTURES = Path(__file__).resolve().parent / "fixtures"


pytestmark = pytest.mark.usefixtures("isolated_store")
app = run_app


def save(at, name, note=""):
    at.text_input(key="save_name").input(name)
    at.text_area(key="save_note").input(note)
    at.button(key="save_submit").click()
    at.run()
    return at


def banner_text(at) -> str:
    return next(s.value for s in at.success if s.value.startswith("**Saved scenario"))


def test_save_puts_a_permanent_id_in_the_address_and_the_same_inputs_give_the_same_id(isolated_store):
    at = app(export_controls="80", self_reliance="40")
    save(at, "Hawkish chips", "for the Tuesday brief")
    assert not at.exception
    scenario = at.query_params["scenario"]
    assert scenario == scenario_id({"export_controls": 80, "self_reliance": 40}, MODEL_VERSION)
    assert any(scenario in c.value for c in at.code)  # the copy-link control
    record = isolated_store.get(scenario)
    assert (record.name, record.note, record.settings) == ("Hawkish chips", "for the Tuesday brief",
                                                           {"export_controls": 80.0, "self_reliance": 40.0})
    shown = next(m.value for m in at.metric if m.label == "Nvidia share")  # what the saved link shows
    assert f"{100 * record.headline['2028']['nvidia_share']:.1f}%" == shown
    again = app(export_controls="80", self_reliance="40")
    save(again, "Another name")
    assert again.query_params["scenario"] == scenario
    assert any("already saved as" in s.value for s in again.success)
    assert isolated_store.get(scenario).name == "Hawkish chips"


def test_opening_a_link_restores_inputs_and_shows_name_note_date_versions(isolated_store):
    record, _ = isolated_store.save({"export_controls": 65, "self_reliance": 75, "hbm_controls": 90},
                                    "Tools first", "HBM tight", MODEL_VERSION, resources.model_inputs().data_version, {})
    at = app(scenario=record.id)
    assert not at.exception
    assert at.slider(key="export_controls").value == 65 and at.slider(key="self_reliance").value == 75
    assert at.number_input(key="hbm_controls").value == 90
    banner = banner_text(at)
    assert "Tools first" in banner and "HBM tight" in banner and record.created_at[:10] in banner
    assert f"model {MODEL_VERSION}" in banner
    at.slider(key="export_controls").set_value(66).run()
    assert "scenario" not in at.query_params
    assert any("Modified from" in i.value and "Tools first" in i.value for i in at.info)


@pytest.mark.parametrize("bad_id,message", [
    ("zzzzzzzzzz", "no saved scenario has the id"),
    ("'; DROP TABLE scenarios;--", "is not a scenario id"),
    ("../../etc/passwd", "is not a scenario id"),
    ("A" * 5000, "is not a scenario id"),
])
def test_unknown_or_malformed_ids_give_a_message_and_the_default(isolated_store, bad_id, message):
    kept, _ = isolated_store.save({"export_controls": 10, "self_reliance": 10}, "Keep me", "", MODEL_VERSION, "d", {})
    at = app(scenario=bad_id)
    assert not at.exception
    assert any(message in w.value for w in at.warning)
    assert at.slider(key="export_controls").value == HEADLINE_LEVERS["export_controls"].default
    assert [r.id for r in isolated_store.list(include_archived=True)] == [kept.id]


def test_hostile_names_and_notes_are_shown_as_text(isolated_store):
    name = "<script>alert(1)</script> **bold** [x](javascript:alert(1))"
    record, _ = isolated_store.save({"export_controls": 33, "self_reliance": 44}, name, "<img src=x onerror=alert(1)>",
                                    MODEL_VERSION, "d", {})
    at = app(scenario=record.id)
    banner = banner_text(at)
    assert "<script>" not in banner and r"\<script\>" in banner and r"\*\*bold\*\*" in banner
    assert r"\<img" in banner and "<img" not in banner.replace(r"\<", "")


def test_a_blank_name_is_refused_and_a_long_one_cannot_be_typed(isolated_store):
    at = app()
    name_input = next(w for w in at.text_input if w.label == "Name")
    assert name_input.max_chars == 120  # the widget itself stops longer names
    save(at, "   ")
    assert any("name" in e.value.lower() for e in at.error)
    assert isolated_store.list(include_archived=True) == []


def test_link_saved_under_an_older_model_shows_saved_and_current_numbers(isolated_store):
    record, _ = isolated_store.save({"export_controls": 50, "self_reliance": 40}, "Old one", "", "0.9", "olddata",
                                    {"2028": {"nvidia_share": 0.123, "us_at_risk": 1.0}})
    at = app(scenario=record.id)
    assert not at.exception
    assert any("Saved with model 0.9" in w.value for w in at.warning)
    table = at.dataframe[0].value
    assert {"saved", "current", "changed"} <= set(table.columns)
    assert "12.3%" in set(table.saved)


def test_library_lists_searches_archives_and_archived_links_still_open(isolated_store):
    a, _ = isolated_store.save({"export_controls": 90, "self_reliance": 90}, "Hawks", "", MODEL_VERSION, "d",
                               {"2028": {"nvidia_share": 0.02, "domestic_share": 0.5, "us_at_risk": 120.0}})
    b, _ = isolated_store.save({"export_controls": 10, "self_reliance": 20}, "Doves", "", MODEL_VERSION, "d", {})
    at = app("pages/library.py")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Hawks" in text and "Doves" in text and "2.0%" in text
    at.text_input(key="library_search").input("haw").run()
    text = " ".join(m.value for m in at.markdown)
    assert "Hawks" in text and "Doves" not in text
    at.text_input(key="library_search").input("").run()
    next(btn for btn in at.button if btn.key == f"archive::{b.id}").click().run()
    assert isolated_store.get(b.id).archived
    assert "Doves" not in " ".join(m.value for m in at.markdown)
    opened = app(scenario=b.id)
    assert "Archived" in banner_text(opened)
    assert opened.slider(key="export_controls").value == 10


def test_compare_page_from_a_shared_address(isolated_store):
    record, _ = isolated_store.save({"export_controls": 70, "self_reliance": 30}, "Mid", "", MODEL_VERSION, "d", {})
    at = app("pages/compare.py", compare=f"preset:Détente,{record.id},nope")
    assert not at.exception
    assert at.multiselect(key="compare_pick").value == ["preset:Détente", record.id]
    assert any("nope" in w.value for w in at.warning)
    differ = at.dataframe[0].value
    assert "export_controls" in differ.index
    assert len(at.get("vega_lite_chart")) == 2


def test_links_saved_by_every_released_version_keep_opening(isolated_store):
    for version in RELEASED_VERSIONS:
        fixture = json.loads((FIXTURES / f"saved_scenarios_v{version}.json").read_text())
        for item in fixture:
            record, _ = isolated_store.save(item["settings"], item["name"], item["note"], item["model_version"],
                                            item["data_version"], item["headline"])
            assert record.id == item["id"], "ids must stay stable for the same inputs and model version"
            at = app(scenario=item["id"])
            assert not at.exception
            assert at.slider(key="export_controls").value == round(item["settings"]["export_controls"])
            assert plain(item["name"]) in banner_text(at)
            if version != MODEL_VERSION:  # then against now, for every year the link saved
                assert any(f"Saved with model {version}" in w.value for w in at.warning), version
                table = at.dataframe[0].value
                assert sorted(set(table.year)) == sorted(int(y) for y in item["headline"])
                assert "n/a" not in set(table.current), (version, item["id"])
                assert (table.changed == "yes").any()  # a new model: the numbers moved
                if "2026" in item["headline"]:
                    assert any("2026 is now replayed as it happened" in w.value for w in at.warning)


def test_compare_opens_a_scenario_saved_under_an_older_model(isolated_store):
    """A 1.0 scenario that set an exchange rate (no longer an input) is migrated, as when opened on its own:
    a shared comparison link keeps working."""
    record, _ = isolated_store.save({"export_controls": 70, "self_reliance": 50, "eur_usd": 1.15}, "Old euro case",
                                    "", "1.0", "old-data", {})
    at = app("pages/compare.py", compare=f"preset:Détente,{record.id}")
    assert not at.exception
    assert at.multiselect(key="compare_pick").value == ["preset:Détente", record.id]
    assert not any("Not found" in w.value for w in at.warning)


def test_a_link_while_the_store_is_down_is_tried_once_and_reported_once(isolated_store, monkeypatch):
    from chokepoint.store import StoreError
    calls = []

    def down(self, scenario_id):
        calls.append(scenario_id)
        raise StoreError("the database is not answering")
    monkeypatch.setattr(type(isolated_store), "get", down)
    at = app(scenario="abcdefghij")
    at.slider(key="export_controls").set_value(60).run()
    at.slider(key="export_controls").set_value(61).run()
    assert not at.exception
    notices = [w.value for w in at.warning if "cannot be read right now" in w.value]
    assert len(notices) == 1 and notices[0].count("cannot be read right now") == 1
    assert calls == ["abcdefghij"]

