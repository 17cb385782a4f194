"""Saved scenarios through the app (AppTest): save, open a link, modify, library, compare, bad ids. Every run a
test makes goes through apptests.assert_page_healthy (no exception, no st.error, no chart drawn from empty or NaN
data); a test that is refused a save on purpose allows only the refusal it asserts."""
import json
from pathlib import Path

import pytest
from apptests import APP, assert_page_healthy, run_app, shown
from streamlit.testing.v1 import AppTest

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


def test_opening_the_link_again_after_changing_the_levers_restores_the_saved_scenario(isolated_store):
    """The Library's Open on the saved scenario the view was modified from: the levers go back to the record.
    (It did nothing: the session still took the link for the one already on screen.)"""
    record, _ = isolated_store.save({"export_controls": 65, "self_reliance": 75}, "Again", "", MODEL_VERSION,
                                    resources.model_inputs().data_version, {})
    at = app(scenario=record.id)
    assert_page_healthy(at.slider(key="export_controls").set_value(80).run())
    assert "scenario" not in at.query_params and at.slider(key="export_controls").value == 80
    at.query_params["scenario"] = record.id
    assert_page_healthy(at.run())
    assert at.slider(key="export_controls").value == 65 and at.slider(key="self_reliance").value == 75
    assert at.query_params["scenario"] == record.id
    assert "Again" in banner_text(at) and not any("Modified from" in i.value for i in at.info)


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


def test_a_new_session_that_starts_with_the_browsers_levers_keeps_them(isolated_store):
    """Failover (tests/e2e/test_deployment.py in a browser): the replica holding the session dies, the frontend
    reconnects to another one without reloading, and that server's first run of the new session arrives with
    the browser's widget values and ?scenario=<id>. The record is known from then on, but the levers stay as the
    browser sent them: a lever just moved does not jump back to the saved value."""
    record, _ = isolated_store.save({"export_controls": 70, "self_reliance": 45}, "Failover", "", MODEL_VERSION,
                                    resources.model_inputs().data_version, {})
    dead = app(scenario=record.id)  # the session on the replica that dies
    assert dead.slider(key="export_controls").value == 70
    dead.slider(key="export_controls").set_value(71)
    sent = dead._tree.get_widget_states()  # what the browser sends with its move (AppTest.run does the same)

    survivor = AppTest.from_file(APP, default_timeout=120)
    survivor.query_params.update(scenario=record.id, export_controls="71", self_reliance="45")
    assert_page_healthy(survivor._run(sent))
    assert survivor.slider(key="export_controls").value == 71
    assert survivor.slider(key="self_reliance").value == 45
    assert "scenario" not in survivor.query_params
    assert any("Modified from" in i.value and "Failover" in i.value for i in survivor.info)
    assert_page_healthy(survivor.run())  # the next run (a page change, say; in a browser: test_deployment.py)
    assert survivor.slider(key="export_controls").value == 71 and survivor.slider(key="self_reliance").value == 45
    assert "scenario" not in survivor.query_params

    # A browser that moved nothing (its first rerun on the survivor is, say, a page change): the saved scenario.
    unmoved = app(scenario=record.id)
    same = AppTest.from_file(APP, default_timeout=120)
    same.query_params.update(scenario=record.id)
    assert_page_healthy(same._run(unmoved._tree.get_widget_states()))
    assert same.slider(key="export_controls").value == 70 and same.query_params["scenario"] == record.id
    assert "Saved scenario: Failover" in banner_text(same)

    # Within one session a link opened from the app (the Library's Open) still loads its record over the levers.
    other, _ = isolated_store.save({"export_controls": 20, "self_reliance": 30}, "Other", "", MODEL_VERSION,
                                   resources.model_inputs().data_version, {})
    unmoved.query_params["scenario"] = other.id
    assert_page_healthy(unmoved.run())
    assert unmoved.slider(key="export_controls").value == 20 and unmoved.query_params["scenario"] == other.id
    assert "Saved scenario: Other" in banner_text(unmoved)


class Clock:
    """Stands in for the time module in chokepoint.ui.saved (only its monotonic clock is used there)."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    from chokepoint.ui import saved as saved_ui
    fake = Clock()
    monkeypatch.setattr(saved_ui, "time", fake)
    return fake


def down_notices(at) -> list[str]:
    """The warnings that say saved scenarios cannot be read (each notice is in the one address warning)."""
    return [w.value for w in at.warning if "cannot be read right now" in w.value]


def test_a_link_while_the_store_is_down_is_retried_every_few_seconds_and_reported_once(isolated_store,
                                                                                        monkeypatch, clock):
    """Tried on the first run, then at most every STORE_RETRY_SECONDS (not a store wait on every rerun); one
    notice, replaced on each failed try; the levers moved away from the default: no more tries, no notice and
    no ?scenario= (the view is the user's)."""
    from chokepoint.store import StoreError
    from chokepoint.ui.saved import STORE_RETRY_SECONDS
    calls = []

    def down(self, scenario_id):
        calls.append(scenario_id)
        raise StoreError("the database is not answering")
    monkeypatch.setattr(type(isolated_store), "get", down)
    at = app(scenario="abcdefghij")
    assert_page_healthy(at.run())
    assert_page_healthy(at.run())
    assert calls == ["abcdefghij"]
    notices = down_notices(at)
    assert len(notices) == 1 and notices[0].count("cannot be read right now") == 1
    assert at.query_params["scenario"] == "abcdefghij"
    clock.now += STORE_RETRY_SECONDS
    assert_page_healthy(at.run())
    assert calls == ["abcdefghij"] * 2
    notices = down_notices(at)
    assert len(notices) == 1 and notices[0].count("cannot be read right now") == 1
    assert_page_healthy(at.slider(key="export_controls").set_value(60).run())
    assert down_notices(at) == [] and "scenario" not in at.query_params
    clock.now += STORE_RETRY_SECONDS
    assert_page_healthy(at.slider(key="export_controls").set_value(61).run())
    assert calls == ["abcdefghij"] * 2 and down_notices(at) == []
    assert at.slider(key="export_controls").value == 61


def test_a_reconnected_browser_while_the_store_is_down_is_told_its_levers_are_kept(isolated_store, monkeypatch):
    """Failover while the store is down: the survivor keeps the levers the browser sent (above), so its notice
    must not say "showing the default scenario" (it did: the screen showed 71/45 under that text)."""
    from chokepoint.store import StoreError
    record, _ = isolated_store.save({"export_controls": 70, "self_reliance": 45}, "Failover", "", MODEL_VERSION,
                                    resources.model_inputs().data_version, {})
    dead = app(scenario=record.id)
    dead.slider(key="export_controls").set_value(71)
    sent = dead._tree.get_widget_states()

    def down(self, scenario_id):
        raise StoreError("the database is not answering")
    monkeypatch.setattr(type(isolated_store), "get", down)
    survivor = AppTest.from_file(APP, default_timeout=120)
    survivor.query_params.update(scenario=record.id, export_controls="71", self_reliance="45")
    assert_page_healthy(survivor._run(sent), allow_errors="cannot be read right now")
    assert survivor.slider(key="export_controls").value == 71 and survivor.slider(key="self_reliance").value == 45
    notices = down_notices(survivor)
    assert len(notices) == 1 and "keeping the levers as they were on your screen" in notices[0]
    assert "default scenario" not in notices[0]
    fresh = app(scenario=record.id)  # a new page load with the store down: nothing on screen to keep
    assert "showing the default scenario" in down_notices(fresh)[0]


class Gate:
    """A TCP relay on 127.0.0.1 to the test PostgreSQL server that can be shut: shut, it drops every relayed
    connection and answers each new one by closing it (as a server that is going down or restarting), counted in
    `turned_away`; reopened, it relays again."""

    def __init__(self, host: str, port: int):
        import socket
        import threading
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.is_open = True
        self.turned_away = 0
        self._links: set = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            if not self.is_open:
                self.turned_away += 1
                client.close()
                continue
            try:
                server = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._links |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(source, sink)

    def _drop(self, *sockets) -> None:
        import socket
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a pump blocked in recv on it
            except OSError:
                pass
            sock.close()
            with self._lock:
                self._links.discard(sock)

    def shut(self) -> None:
        self.is_open = False
        with self._lock:
            links = list(self._links)
        self._drop(*links)

    def reopen(self) -> None:
        self.is_open = True

    def close(self) -> None:
        self._listener.close()
        self.shut()


@pytest.fixture
def postgres_gate(postgres_schema_url, monkeypatch):
    """The app's store on the test PostgreSQL server (this test's schema) through a Gate; yields (gate, a store
    on the server directly)."""
    from urllib.parse import urlsplit

    from chokepoint.store import PostgresStore
    parts = urlsplit(postgres_schema_url)
    gate = Gate(parts.hostname, parts.port or 5432)
    monkeypatch.setenv("CHOKEPOINT_DATABASE_URL",
                       parts._replace(netloc=parts.netloc.replace(f":{parts.port}", f":{gate.port}")).geturl())
    resources.store.clear()
    direct = PostgresStore(postgres_schema_url)
    yield gate, direct
    resources.store.clear()
    direct.close()
    gate.close()


def test_a_link_opened_while_postgresql_is_down_opens_once_it_is_back(postgres_gate, clock):
    """Issue: the notice stayed for the whole session and the link never opened until a reload."""
    from chokepoint.ui.saved import STORE_RETRY_SECONDS
    gate, direct = postgres_gate
    record, _ = direct.save({"export_controls": 65, "self_reliance": 35}, "Back again", "", MODEL_VERSION,
                            resources.model_inputs().data_version, {})
    gate.shut()
    at = app(scenario=record.id)
    notices = down_notices(at)
    assert len(notices) == 1 and "showing the default scenario" in notices[0]
    assert at.slider(key="export_controls").value == HEADLINE_LEVERS["export_controls"].default
    assert at.query_params["scenario"] == record.id
    tries = gate.turned_away
    assert tries >= 1
    assert_page_healthy(at.run())  # within STORE_RETRY_SECONDS: not tried again
    assert gate.turned_away == tries and len(down_notices(at)) == 1
    clock.now += STORE_RETRY_SECONDS
    assert_page_healthy(at.run())  # tried again, still down: still one notice
    assert gate.turned_away > tries
    notices = down_notices(at)
    assert len(notices) == 1 and notices[0].count("cannot be read right now") == 1

    gate.reopen()
    assert_page_healthy(at.run())  # back, but the last try was just now
    assert at.slider(key="export_controls").value == HEADLINE_LEVERS["export_controls"].default
    clock.now += STORE_RETRY_SECONDS
    assert_page_healthy(at.run())
    assert at.slider(key="export_controls").value == 65 and at.slider(key="self_reliance").value == 35
    assert "Saved scenario: Back again" in banner_text(at)
    assert down_notices(at) == [] and at.query_params["scenario"] == record.id
    assert_page_healthy(at.run())
    assert down_notices(at) == [] and at.slider(key="export_controls").value == 65
    assert "Saved scenario: Back again" in banner_text(at)


def test_levers_moved_while_postgresql_is_down_stay_when_it_is_back(postgres_gate, clock):
    """The store was open (its idle connection goes stale when the server goes); the user moves on with their
    own levers while it is down: once it is back their levers stay, and the link is neither tried nor shown."""
    from chokepoint.ui.saved import STORE_RETRY_SECONDS
    gate, direct = postgres_gate
    record, _ = direct.save({"export_controls": 65, "self_reliance": 35}, "Never mind", "", MODEL_VERSION,
                            resources.model_inputs().data_version, {})
    assert resources.store().get(record.id) is not None  # the app's store open, a connection kept for reuse
    gate.shut()
    at = app(scenario=record.id)
    assert len(down_notices(at)) == 1
    assert_page_healthy(at.slider(key="self_reliance").set_value(70).run())
    assert down_notices(at) == [] and "scenario" not in at.query_params
    tries = gate.turned_away
    gate.reopen()
    clock.now += STORE_RETRY_SECONDS
    assert_page_healthy(at.run())
    assert at.slider(key="self_reliance").value == 70
    assert at.slider(key="export_controls").value == HEADLINE_LEVERS["export_controls"].default
    assert down_notices(at) == [] and "scenario" not in at.query_params
    assert not [s for s in at.success if s.value.startswith("**Saved scenario")]
    assert gate.turned_away == tries


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
