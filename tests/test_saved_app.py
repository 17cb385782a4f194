"""Saved scenarios through the app (AppTest): save, open a link, modify, library, compare, bad ids. Every run a
test makes goes through apptests.assert_page_healthy (no exception, no st.error, no chart drawn from empty or NaN
data); a test that is refused a save on purpose allows only the refusal it asserts."""
import json
from pathlib import Path

import pytest
from apptests import assert_page_healthy, run_app, shown

from chokepoint import MODEL_VERSION
from chokepoint.migrations import RELEASED_VERSIONS
from chokepoint.params import HEADLINE_LEVERS
from chokepoint.store import scenario_id
from chokepoint.ui import resources
from chokepoint.ui.saved import plain

FIXTURES = Path(__file__).resolve().parent / "fixtures"


pytestmark = pytest.mark.usefixtures("isolated_store")


def app(page=None, **query):
    """The app at a link (apptests.run_app), checked whole: warnings and notices are fine, errors are not."""
    return assert_page_healthy(run_app(page, **query))


def save(at, name, note="", allow_errors=()):
    at.text_input(key="save_name").input(name)
    at.text_area(key="save_note").input(note)
    at.button(key="save_submit").click()
    at.run()
    return assert_page_healthy(at, allow_errors)


def banner_source(at) -> str:
    """The saved-scenario banner's Markdown source."""
    return next(s.value for s in at.success if s.value.startswith("**Saved scenario"))


def banner_text(at) -> str:
    """The saved-scenario banner as shown (see apptests.shown)."""
    return shown(banner_source(at))


def test_save_puts_a_permanent_id_in_the_address_and_the_same_inputs_give_the_same_id(isolated_store):
    at = app(export_controls="80", self_reliance="40")
    save(at, "Hawkish chips", "for the Tuesday brief")
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
    assert at.slider(key="export_controls").value == 65 and at.slider(key="self_reliance").value == 75
    assert at.number_input(key="hbm_controls").value == 90
    banner = banner_text(at)
    assert "Tools first" in banner and "HBM tight" in banner and record.created_at[:10] in banner
    assert f"model {MODEL_VERSION}" in banner
    assert_page_healthy(at.slider(key="export_controls").set_value(66).run())
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
    assert any(message in w.value for w in at.warning)
    assert at.slider(key="export_controls").value == HEADLINE_LEVERS["export_controls"].default
    assert [r.id for r in isolated_store.list(include_archived=True)] == [kept.id]


def test_hostile_names_and_notes_are_shown_as_text(isolated_store):
    name = "<script>alert(1)</script> **bold** [x](javascript:alert(1))"
    record, _ = isolated_store.save({"export_controls": 33, "self_reliance": 44}, name, "<img src=x onerror=alert(1)>",
                                    MODEL_VERSION, "d", {})
    at = app(scenario=record.id)
    banner = banner_source(at)
    assert "<script>" not in banner and r"\<script\>" in banner and r"\*\*bold\*\*" in banner
    assert r"\<img" in banner and "<img" not in banner.replace(r"\<", "")


def test_a_blank_name_is_refused_and_a_long_one_is_refused_with_its_length(isolated_store):
    at = app()
    name_input = next(w for w in at.text_input if w.label == "Name")
    # No max_chars: a browser silently emptied a paste over the limit (issue 14). The store says what is wrong.
    assert not name_input.max_chars
    save(at, "   ", allow_errors="name must be 1-120 characters (this one has 0)")
    assert any("name must be 1-120 characters (this one has 0)" in e.value for e in at.error)
    save(at, "x" * 150, allow_errors="name must be 1-120 characters (this one has 150)")
    assert any("name must be 1-120 characters (this one has 150)" in e.value for e in at.error)
    save(at, "\u200b\u2060", allow_errors="name has no visible character")
    assert any("name has no visible character" in e.value for e in at.error)
    assert isolated_store.list(include_archived=True) == []


def test_link_saved_under_an_older_model_shows_saved_and_current_numbers(isolated_store):
    record, _ = isolated_store.save({"export_controls": 50, "self_reliance": 40}, "Old one", "", "0.9", "olddata",
                                    {"2028": {"nvidia_share": 0.123, "us_at_risk": 1.0}})
    at = app(scenario=record.id)
    assert any("Saved with model 0.9" in shown(w.value) for w in at.warning)
    table = at.dataframe[0].value
    assert {"saved", "current", "changed"} <= set(table.columns)
    assert "12.3%" in set(table.saved)


def test_library_lists_searches_archives_and_archived_links_still_open(isolated_store):
    a, _ = isolated_store.save({"export_controls": 90, "self_reliance": 90}, "Hawks", "", MODEL_VERSION, "d",
                               {"2028": {"nvidia_share": 0.02, "domestic_share": 0.5, "us_at_risk": 120.0}})
    b, _ = isolated_store.save({"export_controls": 10, "self_reliance": 20}, "Doves", "", MODEL_VERSION, "d", {})
    at = app("pages/library.py")
    text = " ".join(m.value for m in at.markdown)
    assert "Hawks" in text and "Doves" in text and "2.0%" in text
    assert_page_healthy(at.text_input(key="library_search").input("haw").run())
    text = " ".join(m.value for m in at.markdown)
    assert "Hawks" in text and "Doves" not in text
    assert_page_healthy(at.text_input(key="library_search").input("").run())
    assert_page_healthy(next(btn for btn in at.button if btn.key == f"archive::{b.id}").click().run())
    assert isolated_store.get(b.id).archived
    assert "Doves" not in " ".join(m.value for m in at.markdown)
    opened = app(scenario=b.id)
    assert "Archived" in banner_text(opened)
    assert opened.slider(key="export_controls").value == 10


def test_compare_page_from_a_shared_address(isolated_store):
    record, _ = isolated_store.save({"export_controls": 70, "self_reliance": 30}, "Mid", "", MODEL_VERSION, "d", {})
    at = app("pages/compare.py", compare=f"preset:Détente,{record.id},nope")
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
            assert at.slider(key="export_controls").value == round(item["settings"]["export_controls"])
            assert item["name"] in banner_text(at)
            if version != MODEL_VERSION:  # then against now, for every year the link saved
                assert any(f"Saved with model {version}" in shown(w.value) for w in at.warning), version
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
    assert_page_healthy(at.slider(key="export_controls").set_value(60).run())
    assert_page_healthy(at.slider(key="export_controls").set_value(61).run())
    notices = [w.value for w in at.warning if "cannot be read right now" in w.value]
    assert len(notices) == 1 and notices[0].count("cannot be read right now") == 1
    assert calls == ["abcdefghij"]



# --- issue 14: hostile names where they were not escaped, duplicate labels, damaged rows, read-only store ------

HOSTILE_NAME = "![x](http://evil.example/x.png) [Sign in again](http://evil.example) $x$ :smile: ==="


def _raw_sql(store, sql: str) -> None:
    import duckdb
    connection = duckdb.connect(str(store.path))
    try:
        connection.execute(sql)
    finally:
        connection.close()


def test_already_saved_as_and_compare_takeaways_escape_the_name(isolated_store):
    record, _ = isolated_store.save({"export_controls": 80, "self_reliance": 40}, HOSTILE_NAME, "", MODEL_VERSION,
                                    resources.model_inputs().data_version, {})
    again = app(export_controls="80", self_reliance="40")
    save(again, "Another name")
    message = next(s.value for s in again.success if "already saved as" in s.value)
    assert plain(HOSTILE_NAME) in message and "](" not in message.replace(r"\]\(", "")
    compare = app("pages/compare.py", compare=f"preset:Détente,{record.id}")
    takeaways = [m.value for m in compare.markdown if m.value.startswith("**Takeaway:**")]
    assert len(takeaways) == 2 and all(plain(HOSTILE_NAME) in t for t in takeaways)
    assert all("](http" not in t for t in takeaways)


def test_compare_keeps_two_scenarios_saved_under_one_name_on_one_day_apart(isolated_store):
    """Issue 14: same name, same day gave one label; a column vanished and the changes were wrong."""
    a, _ = isolated_store.save({"export_controls": 90, "self_reliance": 90}, "Twin", "", MODEL_VERSION, "d", {})
    b, _ = isolated_store.save({"export_controls": 10, "self_reliance": 10}, "Twin", "", MODEL_VERSION, "d", {})
    at = app("pages/compare.py", compare=f"{a.id},{b.id}")
    headline = at.dataframe[1].value
    first, second = (c for c in headline.columns if c.startswith("Twin") and "first" not in c)
    assert first != second and a.id in first and b.id in second
    assert f"{second} − first" in headline.columns
    assert headline[first].tolist() != headline[second].tolist()


def test_damaged_rows_are_left_out_and_named_and_never_crash_a_page(isolated_store):
    """Issue 14: one malformed row crashed Library, Compare and Briefing mode with a traceback."""
    good, _ = isolated_store.save({"export_controls": 70, "self_reliance": 30}, "Good", "", MODEL_VERSION, "d", {})
    _raw_sql(isolated_store, "INSERT INTO scenarios VALUES ('brokenrow2', 'Broken', '', 'not json', '2.0', 'd', "
                             "'{}', '2030-01-01T00:00:00.000000Z', FALSE)")
    _raw_sql(isolated_store, "INSERT INTO scenarios VALUES ('brokenrow3', 'Broken too', '', "
                             "'{\"export_controls\": \"high\"}', '2.0', 'd', '[]', '2030-01-01T00:00:00.000000Z', FALSE)")
    _raw_sql(isolated_store, "INSERT INTO decks VALUES ('brokendeck', 'Deck', 'not json', '2.0', "
                             "'2030-01-01T00:00:00.000000Z')")
    library = app("pages/library.py")
    assert any("2 saved scenarios are damaged" in shown(w.value) and "brokenrow2" in shown(w.value)
               for w in library.warning)
    assert "Good" in " ".join(m.value for m in library.markdown)
    compare = app("pages/compare.py", compare=f"preset:Détente,{good.id},brokenrow2")
    assert compare.multiselect(key="compare_pick").value == ["preset:Détente", good.id]
    briefing = app("pages/present.py")
    assert any("1 saved deck is damaged" in shown(w.value) for w in briefing.warning)
    opened = app(scenario="brokenrow2")
    assert any("brokenrow2 is damaged" in shown(w.value) for w in opened.warning)
    deck = app("pages/present.py", deck="brokendeck")
    assert deck.title[0].value == "Briefing mode"


@pytest.fixture
def read_only_store(isolated_store, monkeypatch):
    """The app's store, opened read-only as on a read-only disk (tests/test_store.py mounts a real one)."""
    record, _ = isolated_store.save({"export_controls": 65, "self_reliance": 35}, "Kept", "", MODEL_VERSION, "d", {})
    from chokepoint.store import DuckDBStore
    original = DuckDBStore.__init__

    def read_only_init(self, path):
        original(self, path)
        self.read_only, self.read_only_reason = True, "its file is on a read-only disk"

    monkeypatch.setattr(DuckDBStore, "__init__", read_only_init)
    resources.store.clear()
    yield record
    resources.store.clear()


def test_a_read_only_store_opens_links_and_says_saving_is_off(read_only_store):
    at = app(scenario=read_only_store.id)
    assert "Saved scenario: Kept" in banner_text(at)
    assert at.button(key="save_submit").disabled
    assert any("Saving is off" in shown(i.value) and "read-only disk" in shown(i.value) for i in at.info)
    library = app("pages/library.py")
    assert any("Archiving is off" in shown(i.value) for i in library.info)
    assert not [b for b in library.button if b.key and b.key.startswith("archive::")]
    assert "Kept" in " ".join(m.value for m in library.markdown)
