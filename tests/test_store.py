"""The saved-scenario store: one contract, run on DuckDB and on PostgreSQL.

PostgreSQL is the server scripts/with-postgres.sh starts (`make test`, `make pg`), named by
CHOKEPOINT_TEST_DATABASE_URL; each test gets its own schema (tests/conftest.py). Without it the PostgreSQL tests
fail, unless CHOKEPOINT_SKIP_POSTGRES=1 says to skip them. Multi-process tests run tests/store_worker.py.
"""
from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import pytest

from chokepoint import store as store_module
from chokepoint.store import duckdb_store
from chokepoint.store import (
    DECK_STEPS_MAX, ID_PATTERN, NAME_MAX, NOTE_MAX, DeckStep, DuckDBStore, InvalidInput, PostgresStore, SavedDeck,
    SavedScenario, Store, StoreError, canonical_settings, clean_name, clean_note, deck_id, open_store, scenario_id,
)

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "tests" / "store_worker.py"
MODEL = "test-model-1"  # same as store_worker.MODEL_VERSION
DATA = "test-data"
HEADLINE = {"2028": {"nvidia_share": 0.1234567890123456789, "us_at_risk": 12.5, "huawei_units": 1_250_000}}


def settings_for(i: int) -> dict[str, float]:  # same as store_worker.settings_for
    return {"export_controls": float(i), "self_reliance": 60.0}


def deck_for(i: int) -> tuple[str, list[dict]]:  # same as store_worker.deck_for
    return f"Deck {i}", [{"ref": "preset:Baseline", "title": f"Opening {i}", "notes": f"notes {i}"}]


@dataclass
class Backend:
    kind: str
    target: str  # DuckDB file path or PostgreSQL URL (with this test's search_path)

    def open(self) -> Store:
        return DuckDBStore(self.target) if self.kind == "duckdb" else PostgresStore(self.target)

    def sql(self, query: str) -> list[tuple]:
        """A raw query straight through the driver (to look at the tables behind the store's back)."""
        if self.kind == "duckdb":
            import duckdb
            connection = duckdb.connect(self.target)
            try:
                return connection.execute(query).fetchall()
            finally:
                connection.close()
        import psycopg
        with psycopg.connect(self.target, autocommit=True) as connection:
            return connection.execute(query).fetchall()


@pytest.fixture(params=["duckdb", "postgres"])
def backend(request, tmp_path):
    """Each contract test runs on both backends. PostgreSQL: a schema of the test's own on the server
    scripts/with-postgres.sh starts; without one the test fails unless CHOKEPOINT_SKIP_POSTGRES=1 (conftest.py)."""
    if request.param == "duckdb":
        return Backend("duckdb", str(tmp_path / "store" / "scenarios.duckdb"))
    return Backend("postgres", request.getfixturevalue("postgres_schema_url"))


@pytest.fixture
def store(backend):
    opened = backend.open()
    yield opened
    opened.close()


def save(store: Store, i: int, name: str | None = None, note: str = "", model: str = MODEL):
    return store.save(settings_for(i), name or f"scenario {i}", note, model, DATA, {"i": i})


def count(backend: Backend, table: str = "scenarios") -> int:
    return backend.sql(f"SELECT COUNT(*) FROM {table}")[0][0]


# --- pure functions ------------------------------------------------------------------------------------------

def test_canonical_settings_sorts_and_normalises():
    result = canonical_settings({"self_reliance": 60, "export_controls": -0.0, "budget_growth": 0.1 + 0.2})
    assert list(result) == ["budget_growth", "export_controls", "self_reliance"]
    assert result == {"budget_growth": 0.30000000000000004, "export_controls": 0.0, "self_reliance": 60.0}
    assert all(type(v) is float for v in result.values())
    assert math.copysign(1.0, result["export_controls"]) == 1.0
    import numpy as np
    assert canonical_settings({"a": np.float64(2.5), "b": np.int64(3)}) == {"a": 2.5, "b": 3.0}


@pytest.mark.parametrize("bad", [{"a": float("nan")}, {"a": float("inf")}, {"a": -float("inf")}, {"a": "80"},
                                 {"a": True}, {"a": None}, {1: 2.0}, {"": 1.0}, [("a", 1.0)]])
def test_canonical_settings_rejects(bad):
    with pytest.raises(InvalidInput):
        canonical_settings(bad)


def test_scenario_id_is_canonical_and_well_formed():
    first = scenario_id({"export_controls": 80, "self_reliance": 60, "enforcement": -0.0}, MODEL)
    same = scenario_id({"enforcement": 0.0, "self_reliance": 60.0, "export_controls": 80.0}, MODEL)
    assert first == same
    assert ID_PATTERN.fullmatch(first)
    assert scenario_id({"export_controls": 80.0}, MODEL) != scenario_id({"export_controls": 80.5}, MODEL)
    assert scenario_id({"export_controls": 80.0}, MODEL) != scenario_id({"export_controls": 80.0}, "other")
    # the documented recipe, spelled out
    import base64
    import hashlib
    payload = json.dumps({"model_version": "m", "settings": {"x": 1.0}}, sort_keys=True, separators=(",", ":"))
    expected = base64.b32encode(hashlib.sha256(payload.encode()).digest()).decode().lower()[:10]
    assert scenario_id({"x": 1}, "m") == expected


def test_clean_name_and_note():
    assert clean_name("  Hawkish\ttools \n") == "Hawkish tools"
    assert clean_name("a\x00b\x1bc\x7f") == "abc"
    assert clean_name("<b>bold</b> & co") == "<b>bold</b> & co"  # never escaped here
    assert clean_note(" line one\r\nline two\x07 ") == "line one\nline two"
    assert clean_note("") == "" and clean_note(None) == ""
    assert clean_name("x" * NAME_MAX) == "x" * NAME_MAX
    assert clean_note("y" * NOTE_MAX) == "y" * NOTE_MAX
    for bad in ("", "   ", "\x00\x01", "x" * (NAME_MAX + 1), None, 5):
        with pytest.raises(InvalidInput, match="name"):
            clean_name(bad)
    with pytest.raises(InvalidInput, match="note must be 0-2000 characters"):
        clean_note("y" * (NOTE_MAX + 1))
    with pytest.raises(InvalidInput, match="name must be 1-120 characters"):
        clean_name("x" * 121)


def test_noncharacters_and_text_direction_controls_are_removed_and_named():
    """Issue 14: U+FFFF in a name took the server down at export; bidi controls reorder what is displayed."""
    hostile = "bad\uffffchar\ufffe"
    assert clean_name(hostile) == "badchar"
    assert clean_name("a\ufdd0b\ufdefc\U0001fffed\U0010ffffe") == "abcde"
    assert clean_name("\u202eevil\u202c \u2066x\u2069\u200e\u200f\u061c") == "evil x"
    assert clean_note("line\uffff one\n\u202eline two") == "line one\nline two"
    assert clean_name("Détente 中国 \ufffd") == "Détente 中国 \ufffd"  # ordinary text untouched
    assert store_module.removed_characters(hostile) == ["U+FFFF (noncharacter)", "U+FFFE (noncharacter)"]
    assert store_module.removed_characters("a\u202eb\x00c\u202e\t\n") == [
        "U+202E (text-direction control)", "U+0000 (control character)"]
    assert store_module.removed_characters("plain\ttext\n") == [] and store_module.removal_message("name", "ok") == ""
    message = store_module.removal_message("name", hostile)
    assert message.startswith("Removed from the name: U+FFFF (noncharacter), U+FFFE (noncharacter)")
    # nothing left after removal: refused, and the message says why
    with pytest.raises(InvalidInput, match=r"name has nothing left once U\+FFFF \(noncharacter\), U\+202E"):
        clean_name("\uffff \u202e")


def test_saving_strips_unsafe_characters_and_old_rows_stay_readable(store, backend):
    record, created = store.save(settings_for(1), "bad\uffffchar\ufffe", "n\u202eote\ufdd0", MODEL, DATA, HEADLINE)
    assert created and record.name == "badchar" and record.note == "note"
    assert store.get(record.id).name == "badchar"
    with pytest.raises(InvalidInput, match="name has nothing left"):
        store.save(settings_for(2), "\ufffe\uffff", "", MODEL, DATA, HEADLINE)
    deck, _ = store.save_deck("Deck\uffff", [{"ref": record.id, "title": "Step\u202e one", "notes": "x\ufffe"}], MODEL)
    assert deck.title == "Deck" and deck.steps[0].title == "Step one" and deck.steps[0].notes == "x"
    # A row written before this cleaning (straight into the table) still reads back as stored.
    backend.sql("INSERT INTO scenarios (id, name, note, settings, model_version, data_version, headline, created_at,"
                " archived) VALUES ('oldrow2345', 'old\uffffname\u202e', '', '{\"export_controls\": 3.0}', "
                f"'{MODEL}', '{DATA}', '{{}}', '2020-01-01T00:00:00.000000Z', FALSE) RETURNING id")
    old = store.get("oldrow2345")
    assert old is not None and old.name == "old\uffffname\u202e"
    assert "oldrow2345" in [r.id for r in store.list()]


# --- the contract, on each backend ------------------------------------------------------------------------------

def test_save_get_round_trip(store):
    settings = {"export_controls": 80, "self_reliance": 60.5, "budget_growth": 0.1 + 0.2, "reaction": 1e-300}
    record, created = store.save(settings, "Hawkish tools", "A note\nover two lines", MODEL, DATA, HEADLINE)
    assert created is True
    assert isinstance(record, SavedScenario)
    assert record.id == scenario_id(settings, MODEL)
    assert record.name == "Hawkish tools" and record.note == "A note\nover two lines"
    assert record.settings == canonical_settings(settings)
    assert record.settings["budget_growth"] == 0.30000000000000004 and record.settings["reaction"] == 1e-300
    assert list(record.settings) == sorted(record.settings)
    assert (record.model_version, record.data_version) == (MODEL, DATA)
    assert record.headline == HEADLINE
    assert record.headline["2028"]["nvidia_share"] == 0.1234567890123456789
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record.created_at)
    assert record.archived is False
    assert store.get(record.id) == record


def test_same_inputs_keep_the_original(store, backend):
    first, created = save(store, 1, name="original", note="first note")
    again, created_again = store.save({"self_reliance": 60, "export_controls": 1}, "second name", "other",
                                      MODEL, "newer-data", {"changed": True})
    assert created and not created_again
    assert again == first  # name, note, data version, headline and time all the original's
    assert count(backend) == 1


def test_different_inputs_or_model_give_different_ids(store):
    base, _ = save(store, 1)
    other_value, created1 = save(store, 2)
    other_model, created2 = save(store, 1, model="test-model-2")
    extra_key, created3 = store.save({**settings_for(1), "reaction": 0.0}, "extra", "", MODEL, DATA, {})
    assert created1 and created2 and created3
    assert len({base.id, other_value.id, other_model.id, extra_key.id}) == 4
    # the data version is not part of the id: the same inputs under newer data keep their link
    assert store.save(settings_for(1), "x", "", MODEL, "newer-data", {})[0].id == base.id


def test_canonical_settings_give_the_same_record(store):
    record, _ = store.save({"a": 80, "b": -0.0}, "first", "", MODEL, DATA, {})
    again, created = store.save({"b": 0.0, "a": 80.0}, "second", "", MODEL, DATA, {})
    assert not created and again.id == record.id and again.name == "first"


def test_list_newest_first_and_search(store):
    a, _ = save(store, 1, name="Hawkish tools")
    b, _ = save(store, 2, name="Soft chips")
    c, _ = save(store, 3, name="HAWKISH again")
    assert [r.id for r in store.list()] == [c.id, b.id, a.id]
    assert [r.id for r in store.list("hawkish")] == [c.id, a.id]
    assert [r.id for r in store.list("ISH T")] == [a.id]
    assert [r.id for r in store.list("  chips ")] == [b.id]
    assert store.list("nothing like it") == []
    assert [r.id for r in store.list(limit=2)] == [c.id, b.id]
    with pytest.raises(InvalidInput):
        store.list(limit=0)


def test_search_wildcards_are_literal(store):
    names = ["100% controls", "1000 units", "a_b", "axb", "back\\slash", "plain"]
    ids = {name: save(store, i, name=name)[0].id for i, name in enumerate(names)}
    assert [r.name for r in store.list("100%")] == ["100% controls"]
    assert [r.name for r in store.list("%")] == ["100% controls"]
    assert [r.name for r in store.list("a_b")] == ["a_b"]
    assert [r.name for r in store.list("_")] == ["a_b"]
    assert [r.name for r in store.list("\\")] == ["back\\slash"]
    assert [r.name for r in store.list("k\\s")] == ["back\\slash"]
    assert len(store.list("")) == len(ids)


def test_archive_hides_but_keeps(store):
    a, _ = save(store, 1, name="keep")
    b, _ = save(store, 2, name="hide")
    assert store.archive(b.id) is True
    assert [r.id for r in store.list()] == [a.id]
    assert store.list("hide") == []
    listed = store.list(include_archived=True)
    assert [(r.id, r.archived) for r in listed] == [(b.id, True), (a.id, False)]
    kept = store.get(b.id)
    assert kept is not None and kept.archived and kept.name == "hide"
    assert store.archive(b.id) is True  # still exists
    resaved, created = save(store, 2, name="new name")
    assert not created and resaved.archived and resaved.name == "hide"
    assert store.archive("aaaaaaaaaa") is False
    assert store.archive("not an id") is False


@pytest.mark.parametrize("bad_id", ["", "../x", "'; DROP TABLE scenarios;--", "abcdefghijk", "ABCDEFGHIJ",
                                    "abcdefghi", "abcdefgh18", "abcdefghij\n", " abcdefghij", None, 12345])
def test_malformed_ids_are_not_found(store, backend, bad_id):
    record, _ = save(store, 1)
    assert store.get(bad_id) is None
    assert store.archive(bad_id) is False
    assert count(backend) == 1
    assert store.get(record.id) == record
    assert store.get("aaaaaaaaaa") is None  # well formed, unknown


def test_oversized_or_empty_text_stores_nothing(store, backend):
    for name, note, field in [("x" * (NAME_MAX + 1), "", "name"), ("", "", "name"), ("  \t ", "", "name"),
                              ("ok", "n" * (NOTE_MAX + 1), "note")]:
        with pytest.raises(InvalidInput, match=field):
            store.save(settings_for(1), name, note, MODEL, DATA, {})
    with pytest.raises(InvalidInput, match="headline"):
        store.save(settings_for(1), "ok", "", MODEL, DATA, {"x": float("nan")})
    with pytest.raises(InvalidInput, match="setting"):
        store.save({"export_controls": float("nan")}, "ok", "", MODEL, DATA, {})
    with pytest.raises(InvalidInput, match="model_version"):
        store.save(settings_for(1), "ok", "", "", DATA, {})
    assert count(backend) == 0 and store.list() == []
    limit, _ = store.save(settings_for(1), "x" * NAME_MAX, "n" * NOTE_MAX, MODEL, DATA, {})
    assert store.get(limit.id).note == "n" * NOTE_MAX


HOSTILE = [
    "<script>alert('x')</script>",
    "Robert'); DROP TABLE scenarios;--",
    "\" OR 1=1 --",
    "<img src=x onerror=alert(1)> & &amp; \\x00",
    "Zhōngguó 中国 — 🚀 ‮rtl",
    "{{template}} ${var} %s %(name)s ?",
]


def test_hostile_text_is_stored_verbatim(store, backend):
    saved = {}
    for i, name in enumerate(HOSTILE):
        note = f"note for {name}\n<b>second</b> line; DELETE FROM scenarios;"
        record, created = store.save(settings_for(i), name, note, MODEL, DATA, {"label": name})
        assert created
        # verbatim except the right-to-left override in HOSTILE[4]: text-direction controls are removed
        saved[record.id] = (name.replace("\u202e", ""), note.replace("\u202e", ""), name)
    for scenario, (name, note, label) in saved.items():
        record = store.get(scenario)
        assert (record.name, record.note, record.headline) == (name, note, {"label": label})
    assert {r.id: r.name for r in store.list()} == {k: v[0] for k, v in saved.items()}
    assert [r.name for r in store.list("drop table")] == [HOSTILE[1]]
    assert [r.name for r in store.list("%(name)s")] == [HOSTILE[5]]
    assert count(backend) == len(HOSTILE)


def test_schema_version_is_recorded(store, backend):
    assert backend.sql("SELECT value FROM store_meta WHERE key = 'schema_version'") == [("1",)]
    record, _ = save(store, 1)
    again = backend.open()  # opening an existing store again (a restart) keeps what it holds
    try:
        assert again.get(record.id) == record
    finally:
        again.close()
    assert count(backend) == 1
    assert backend.sql("SELECT value FROM store_meta WHERE key = 'schema_version'") == [("1",)]


def test_threads_saving_overlapping_scenarios(store, backend):
    jobs = [(k % 40, k) for k in range(200)]

    def one(job):
        i, k = job
        return i, k, store.save(settings_for(i), f"scenario {i} try {k}", "", MODEL, DATA, {"k": k})

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, jobs))
    assert len(results) == 200
    creators = {}
    for i, k, (record, created) in results:
        assert record.id == scenario_id(settings_for(i), MODEL)
        assert record.settings == settings_for(i)
        if created:
            assert record.id not in creators
            creators[record.id] = record
    assert len(creators) == 40
    for i, k, (record, created) in results:
        assert record == creators[record.id]  # everyone sees the first save's record
    assert count(backend) == 40
    assert {r.id: r for r in store.list(limit=1000)} == creators


def _start_worker(backend: Backend, *args: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, str(WORKER), backend.kind, backend.target, *args], cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    line = process.stdout.readline().strip()
    if line != "ready":
        process.kill()
        raise AssertionError(f"worker did not start: {line!r} {process.stderr.read()}")
    return process


def _assert_all_stored(backend: Backend, table: str, results: list[dict]) -> None:
    """Every save a worker acknowledged is in the table; if not, say which (seen once on DuckDB under heavy load:
    20 decks acknowledged as created, 19 rows)."""
    stored = {row[0] for row in backend.sql(f"SELECT id FROM {table}")}
    lost = sorted({(r["i"], r["id"], r["created"]) for r in results if r["id"] not in stored})
    assert not lost, f"acknowledged saves missing from {table} (i, id, created): {lost}; {len(stored)} rows"


def test_two_processes_saving_overlapping_sets(store, backend):
    workers = [_start_worker(backend, "save", "0", "30"), _start_worker(backend, "save", "10", "40")]
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        results.extend(json.loads(line) for line in out.splitlines())
    assert len(results) == 60
    created = {}
    for result in results:
        assert result["id"] == scenario_id(settings_for(result["i"]), MODEL)
        if result["created"]:
            assert result["id"] not in created, "two processes both created the same id"
            created[result["id"]] = result["i"]
    assert len(created) == 40
    _assert_all_stored(backend, "scenarios", results)
    assert count(backend) == 40
    assert backend.sql("SELECT COUNT(DISTINCT id) FROM scenarios")[0][0] == 40
    fresh = backend.open()
    for i in range(40):
        record = fresh.get(scenario_id(settings_for(i), MODEL))
        assert record is not None and record.settings == settings_for(i) and record.headline == {"i": i}
    fresh.close()


def test_acknowledged_saves_survive_kill_9(store, backend):
    worker = _start_worker(backend, "loop")
    worker.stdin.write("go\n")
    worker.stdin.flush()
    acknowledged = []
    deadline = time.monotonic() + 30
    while len(acknowledged) < 5 and time.monotonic() < deadline:
        line = worker.stdout.readline()
        if not line:
            break
        acknowledged.append(json.loads(line))
    os.kill(worker.pid, signal.SIGKILL)  # mid-way through the next save
    worker.wait(timeout=10)
    assert worker.returncode == -signal.SIGKILL
    assert len(acknowledged) == 5, worker.stderr.read()
    fresh = backend.open()
    for ack in acknowledged:
        record = fresh.get(ack["id"])
        assert record is not None, f"acknowledged save {ack} lost"
        assert record.settings == settings_for(ack["i"])
    record, created = fresh.save(settings_for(1000), "after the crash", "", MODEL, DATA, {})
    assert created and fresh.get(record.id) == record
    fresh.close()


def test_open_store_chooses_the_backend(backend, tmp_path, monkeypatch):
    if backend.kind == "postgres":
        opened = open_store({"CHOKEPOINT_DATABASE_URL": backend.target, "CHOKEPOINT_STORE_DIR": str(tmp_path)})
        assert isinstance(opened, PostgresStore)
        assert not (tmp_path / "scenarios.duckdb").exists()
    else:
        folder = tmp_path / "nested" / "store"
        opened = open_store({"CHOKEPOINT_STORE_DIR": str(folder), "CHOKEPOINT_DATABASE_URL": ""})
        assert isinstance(opened, DuckDBStore) and (folder / "scenarios.duckdb").exists()
        monkeypatch.setattr(store_module, "DEFAULT_STORE_DIR", tmp_path / "default")
        default = open_store({})
        assert isinstance(default, DuckDBStore) and default.path == tmp_path / "default" / "scenarios.duckdb"
        default.close()
    record, _ = save(opened, 7)
    assert opened.get(record.id) == record
    opened.close()


# --- briefing decks, on each backend ----------------------------------------------------------------------------

def test_deck_save_get_round_trip(store, backend):
    scenario, _ = save(store, 1)
    steps = [{"ref": "preset:Baseline", "title": "Where we are", "notes": "Say it slowly\nthen pause"},
             DeckStep(scenario.id, "Hawkish tools")]
    deck, created = store.save_deck("  Board briefing ", steps, MODEL)
    assert created is True and isinstance(deck, SavedDeck)
    assert deck.title == "Board briefing" and deck.model_version == MODEL
    assert deck.steps == (DeckStep("preset:Baseline", "Where we are", "Say it slowly\nthen pause"),
                          DeckStep(scenario.id, "Hawkish tools", ""))
    assert deck.id == deck_id("Board briefing", list(deck.steps), MODEL) and ID_PATTERN.fullmatch(deck.id)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", deck.created_at)
    assert store.get_deck(deck.id) == deck
    again = backend.open()  # a restart reads it back
    try:
        assert again.get_deck(deck.id) == deck and [d.id for d in again.list_decks()] == [deck.id]
    finally:
        again.close()
    assert count(backend, "decks") == 1 and count(backend) == 1  # a deck is not a scenario


def test_the_same_deck_keeps_the_original(store, backend):
    first, created = store.save_deck(*deck_for(1), MODEL)
    again, created_again = store.save_deck(*deck_for(1), MODEL)
    assert created and not created_again
    assert again == first  # the original's time too
    assert count(backend, "decks") == 1
    # title, a step's title, notes or reference, the order of steps and the model version are all in the id
    title, steps = deck_for(1)
    variants = [("Other title", steps), (title, [{**steps[0], "title": "Other"}]),
                (title, [{**steps[0], "notes": "other"}]), (title, [{**steps[0], "ref": "preset:Other"}]),
                (title, steps + [{"ref": "preset:x", "title": "Two"}]),
                (title, [{"ref": "preset:x", "title": "Two"}] + steps)]
    ids = {first.id}
    for variant_title, variant_steps in variants:
        deck, created = store.save_deck(variant_title, variant_steps, MODEL)
        assert created and deck.id not in ids
        ids.add(deck.id)
    other_model, created = store.save_deck(*deck_for(1), "test-model-2")
    assert created and other_model.id not in ids
    assert count(backend, "decks") == len(variants) + 2


def test_list_decks_newest_first(store):
    decks = [store.save_deck(*deck_for(i), MODEL)[0] for i in range(3)]
    listed = store.list_decks()
    assert [d.id for d in listed] == [d.id for d in reversed(decks)] and listed.skipped == ()
    assert listed == list(reversed(decks))
    assert [d.id for d in store.list_decks(limit=2)] == [decks[2].id, decks[1].id]
    assert store.list_decks(limit=1)[0] == decks[2]


def test_a_bad_deck_stores_nothing(store, backend):
    one = [{"ref": "preset:Baseline", "title": "One"}]
    for title, steps, model, match in [
        ("", one, MODEL, "name"),
        ("\u200b", one, MODEL, "no visible character"),
        ("x" * (NAME_MAX + 1), one, MODEL, "name must be 1-120"),
        ("Deck", [], MODEL, "a deck needs 1-12 steps"),
        ("Deck", one * (DECK_STEPS_MAX + 1), MODEL, "a deck needs 1-12 steps"),
        ("Deck", "preset:Baseline", MODEL, "a deck needs 1-12 steps"),
        ("Deck", [{"ref": "not a ref", "title": "One"}], MODEL, "step 1 must name a preset or a saved scenario"),
        ("Deck", one + [{"ref": "ABCDEFGHIJ", "title": "Two"}], MODEL, "step 2 must name"),
        ("Deck", [{"ref": "preset:" + "p" * 81, "title": "One"}], MODEL, "step 1 must name"),
        ("Deck", [{"ref": "preset:x", "title": "  "}], MODEL, "step 1: title must be"),
        ("Deck", [{"ref": "preset:x", "title": "One", "notes": "n" * (NOTE_MAX + 1)}], MODEL, "note must be"),
        ("Deck", one, "", "model_version"),
    ]:
        with pytest.raises(InvalidInput, match=match):
            store.save_deck(title, steps, model)
    assert count(backend, "decks") == 0 and store.list_decks() == []
    full, created = store.save_deck("x" * NAME_MAX, [{"ref": "preset:x", "title": f"Step {k}", "notes": "n" * NOTE_MAX}
                                                      for k in range(DECK_STEPS_MAX)], MODEL)
    assert created and len(store.get_deck(full.id).steps) == DECK_STEPS_MAX


@pytest.mark.parametrize("bad_id", ["", "../x", "'; DROP TABLE decks;--", "abcdefghijk", "ABCDEFGHIJ",
                                    "abcdefgh18", "abcdefghij\n", None, 12345])
def test_malformed_deck_ids_are_not_found(store, backend, bad_id):
    deck, _ = store.save_deck(*deck_for(1), MODEL)
    assert store.get_deck(bad_id) is None
    assert store.get_deck("aaaaaaaaaa") is None  # well formed, unknown
    assert store.get_deck(deck.id) == deck and count(backend, "decks") == 1


def test_hostile_deck_text_is_stored_verbatim(store, backend):
    saved = {}
    for i, text in enumerate(HOSTILE):
        steps = [{"ref": "preset:" + text[:80], "title": text, "notes": f"{text}\n<b>second</b>; DELETE FROM decks;"}]
        deck, created = store.save_deck(text, steps, MODEL)
        assert created
        saved[deck.id] = text.replace("\u202e", "")  # text-direction controls are removed, nothing else
    for ident, text in saved.items():
        deck = store.get_deck(ident)
        assert deck.title == text and deck.steps[0].title == text
        assert deck.steps[0].notes == f"{text}\n<b>second</b>; DELETE FROM decks;"
    assert {d.id: d.title for d in store.list_decks()} == saved
    assert count(backend, "decks") == len(HOSTILE)


def test_threads_saving_the_same_decks(store, backend):
    def one(k):
        return k % 8, store.save_deck(*deck_for(k % 8), MODEL)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, range(80)))
    creators = {}
    for i, (deck, created) in results:
        assert deck.title == f"Deck {i}"
        if created:
            assert deck.id not in creators, "two threads both created the same deck"
            creators[deck.id] = deck
    assert len(creators) == 8
    assert all(deck == creators[deck.id] for _, (deck, _) in results)  # everyone sees the first save's deck
    assert count(backend, "decks") == 8 and {d.id: d for d in store.list_decks()} == creators


def test_two_processes_saving_overlapping_decks(store, backend):
    workers = [_start_worker(backend, "decks", "0", "15"), _start_worker(backend, "decks", "5", "20")]
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        results.extend(json.loads(line) for line in out.splitlines())
    assert len(results) == 30
    created = [r["id"] for r in results if r["created"]]
    assert len(created) == len(set(created)) == 20, "a deck was created twice, or not at all"
    _assert_all_stored(backend, "decks", results)
    assert count(backend, "decks") == 20
    for result in results:
        deck = store.get_deck(result["id"])
        title, steps = deck_for(result["i"])
        assert deck.title == title and deck.steps == (DeckStep(**steps[0]),)


# --- failures become StoreError ---------------------------------------------------------------------------------

def test_unreachable_postgres_is_a_store_error_without_credentials():
    with pytest.raises(StoreError) as caught:
        PostgresStore("postgresql://someone:s3cret-pw@127.0.0.1:1/nothing?connect_timeout=2")
    assert "s3cret" not in str(caught.value) and "someone" not in str(caught.value)
    with pytest.raises(StoreError, match="malformed") as caught:
        PostgresStore("postgresql://someone:s3cret-pw@[broken")
    assert "s3cret" not in str(caught.value) and caught.value.__cause__ is None


def test_unusable_duckdb_path_is_a_store_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError):
        DuckDBStore(blocker / "scenarios.duckdb")
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"this is not a duckdb file" * 200)
    with pytest.raises(StoreError):
        DuckDBStore(garbage)


def test_duckdb_waits_for_another_process_then_gives_up(tmp_path, monkeypatch):
    path = tmp_path / "scenarios.duckdb"
    store = DuckDBStore(path)
    holder = _start_worker(Backend("duckdb", str(path)), "hold")
    try:
        # while the lock is held past the wait, a clear StoreError
        monkeypatch.setattr(duckdb_store, "LOCK_WAIT_SECONDS", 0.5)
        started = time.monotonic()
        with pytest.raises(StoreError, match="busy"):
            save(store, 1)
        assert time.monotonic() - started < 5
        # released within the wait: the save goes through
        duckdb_store._busy.clear()  # (a wait that ran out is remembered; see the next test)
        monkeypatch.setattr(duckdb_store, "LOCK_WAIT_SECONDS", 10.0)
        threading.Timer(0.5, holder.stdin.close).start()
        record, created = save(store, 1)
        assert created and store.get(record.id) == record
    finally:
        holder.kill()
        holder.wait()
    store.close()


def test_duckdb_operations_take_turns_through_the_lock_file(tmp_path, monkeypatch):
    """DuckDB reads its file's header before taking its own lock: two processes of the app saving at once lost an
    acknowledged save (or read past the end of the file) unless they take turns through scenarios.duckdb.lock,
    from before DuckDB opens the file until after it has closed it."""
    import fcntl
    path = tmp_path / "scenarios.duckdb"
    store = DuckDBStore(path)
    record, _ = save(store, 1)
    with open(f"{path}.lock", "rb") as other:  # as another process of the app would hold it
        fcntl.flock(other, fcntl.LOCK_EX)
        monkeypatch.setattr(duckdb_store, "LOCK_WAIT_SECONDS", 0.6)
        for operation in (lambda: store.get(record.id), lambda: save(store, 2), lambda: DuckDBStore(path)):
            duckdb_store._busy.clear()
            with pytest.raises(StoreError, match="busy: another program has held it for 1 s"):
                operation()
        # let go within the wait: the save waits for it, then goes through
        duckdb_store._busy.clear()
        monkeypatch.setattr(duckdb_store, "LOCK_WAIT_SECONDS", 10.0)
        threading.Timer(0.3, fcntl.flock, (other, fcntl.LOCK_UN)).start()
        started = time.monotonic()
        saved, created = save(store, 3)
        assert created and 0.25 <= time.monotonic() - started < 10
    assert store.get(saved.id) == saved and store.get(record.id) == record
    # while an operation runs, the lock is held: nobody else can take it
    free_during_an_operation = store._run(lambda cur: _try_flock(f"{path}.lock"))
    assert free_during_an_operation is False and _try_flock(f"{path}.lock") is True
    store.close()


def _try_flock(lock_path: str) -> bool:
    import fcntl
    with open(lock_path, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def test_two_duckdb_stores_on_one_file_in_one_process(tmp_path):
    path = tmp_path / "scenarios.duckdb"
    first, second = DuckDBStore(path), DuckDBStore(path)

    def one(k):
        return (first if k % 2 else second).save(settings_for(k % 10), f"s{k}", "", MODEL, DATA, {})[0].id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(one, range(40)))
    assert ids == {scenario_id(settings_for(i), MODEL) for i in range(10)}
    assert len(first.list()) == len(second.list()) == 10


def test_a_held_lock_is_waited_for_once_not_once_per_operation(tmp_path, monkeypatch):
    """Issue 14: a page that reads the store three times waited three times (33 s for /present?deck=...), and
    the sessions queued behind it waited again. After one wait runs out, operations on the file wait only
    BUSY_RETRY_SECONDS until one gets through."""
    path = tmp_path / "scenarios.duckdb"
    store = DuckDBStore(path)
    record, _ = save(store, 1)
    holder = _start_worker(Backend("duckdb", str(path)), "hold")
    monkeypatch.setattr(duckdb_store, "LOCK_WAIT_SECONDS", 2.0)
    try:
        started = time.monotonic()
        with pytest.raises(StoreError, match="busy: another program has held it for 2 s"):
            store.get(record.id)
        first = time.monotonic() - started
        assert 1.9 <= first < 4
        # every later operation, from any thread or a new store on the file, fails at once and says so
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            errors = list(pool.map(lambda op: _error_of(op), [lambda: store.get(record.id), store.list,
                                                               lambda: save(store, 2), lambda: DuckDBStore(path)]))
        assert all("still busy" in e for e in errors), errors
        assert time.monotonic() - started < 2.0  # four tries of BUSY_RETRY_SECONDS, not four waits of 2 s
    finally:
        holder.kill()
        holder.wait()
    # released: the next operation works (one try is all it takes), and the memory is cleared
    assert store.get(record.id) == record
    assert duckdb_store._busy.get(os.path.abspath(path)) is None
    store.close()


def _error_of(operation) -> str:
    try:
        operation()
    except StoreError as exc:
        return str(exc)
    return "no error"


@pytest.mark.parametrize("column,value,why", [
    ("settings", "'not json'", "settings is not valid JSON"),
    ("settings", "'[1, 2]'", "settings is not a JSON object"),
    ("settings", "'{\"export_controls\": \"abc\"}'", "must be a number"),
    ("settings", "'{\"![x](http://evil.example)\": 1}'", "setting names must be parameter names"),
    ("headline", "'{'", "headline is not valid JSON"),
    ("headline", "'null'", "headline is not a JSON object"),
])
def test_damaged_rows_are_skipped_and_named_in_lists_and_refused_when_opened(store, backend, column, value, why):
    """Issue 14: one malformed row crashed Library, Compare and Briefing mode."""
    good, _ = save(store, 1)
    row = {"id": "'damaged234'", "name": "'Damaged'", "note": "''", "settings": "'{\"export_controls\": 1.0}'",
           "model_version": f"'{MODEL}'", "data_version": f"'{DATA}'", "headline": "'{}'",
           "created_at": "'2030-01-01T00:00:00.000000Z'", "archived": "FALSE"}
    row[column] = value
    backend.sql(f"INSERT INTO scenarios ({', '.join(row)}) VALUES ({', '.join(row.values())}) RETURNING id")
    listed = store.list(include_archived=True)
    assert [r.id for r in listed] == [good.id] and listed.skipped == ("damaged234",)
    with pytest.raises(store_module.DamagedRecord, match=f"damaged234 is damaged .*{re.escape(why)}"):
        store.get("damaged234")
    assert store.get(good.id) == good


def test_damaged_decks_are_skipped_and_named(store, backend):
    good, _ = store.save_deck("Good", [{"ref": "preset:x", "title": "One"}], MODEL)
    for ident, steps in (("damagedda2", "'nope'"), ("damageddb2", "'[{\"ref\": 1}]'"),
                         ("damageddc2", "'[{\"ref\": \"preset:x\", \"evil\": \"y\"}]'"), ("damageddd2", "'{}'")):
        backend.sql("INSERT INTO decks (id, title, steps, model_version, created_at) VALUES "
                    f"('{ident}', 'T', {steps}, '{MODEL}', '2030-01-01T00:00:00.000000Z') RETURNING id")
    listed = store.list_decks()
    assert [d.id for d in listed] == [good.id]
    assert sorted(listed.skipped) == ["damagedda2", "damageddb2", "damageddc2", "damageddd2"]
    with pytest.raises(store_module.DamagedRecord, match="damageddb2 is damaged"):
        store.get_deck("damageddb2")


def test_names_with_nothing_visible_are_refused():
    for invisible in ("\u200b", "\u200b\u200d\u2060", " \u3164 ", "\u2800\u115f", "\u0301"):
        with pytest.raises(InvalidInput, match="no visible character"):
            clean_name(invisible)
    assert clean_name("a\u200db") == "a\u200db"  # a joiner inside a visible name stays
    with pytest.raises(InvalidInput, match=r"name must be 1-120 characters \(this one has 150\)"):
        clean_name("x" * 150)


@pytest.fixture
def read_only_disk(tmp_path):
    """A folder on a tmpfs that can be remounted read-only (root and mount rights; skipped otherwise)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root and the right to mount a tmpfs, to make a read-only disk")

    def remount(mode: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=True)

    try:
        yield folder, remount
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_a_store_on_a_read_only_disk_opens_read_only_and_refuses_only_writes(read_only_disk):
    """Issue 14: a valid store file on a read-only disk (a restored backup) was treated as unreadable."""
    folder, remount = read_only_disk
    path = folder / "scenarios.duckdb"
    writer = DuckDBStore(path)
    record, _ = save(writer, 1)
    deck, _ = writer.save_deck("Deck", [{"ref": record.id, "title": "One"}], MODEL)
    remount("ro")
    store = DuckDBStore(path)  # opens
    assert store.read_only and "read-only disk" in store.read_only_message
    assert store.get(record.id) == record and [r.id for r in store.list()] == [record.id]
    assert store.get_deck(deck.id) == deck and [d.id for d in store.list_decks()] == [deck.id]
    for write in (lambda: save(store, 2), lambda: store.archive(record.id),
                  lambda: store.save_deck("D2", [{"ref": record.id, "title": "x"}], MODEL)):
        with pytest.raises(store_module.ReadOnlyStore, match="read-only .*nothing can be saved"):
            write()
    # a store opened before the disk became read-only finds out at its next write, and says so
    with pytest.raises(store_module.ReadOnlyStore):
        save(writer, 3)
    assert writer.read_only and writer.get(record.id) == record
    remount("rw")
    assert DuckDBStore(path).read_only is False


def test_an_empty_read_only_disk_is_a_clear_error(read_only_disk):
    folder, remount = read_only_disk
    remount("ro")
    with pytest.raises(StoreError, match="cannot open the saved-scenario store file"):
        DuckDBStore(folder / "scenarios.duckdb")


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # the DuckDB side mounts a read-only disk
def test_a_postgres_account_that_may_only_read_opens_read_only(backend):
    """The PostgreSQL side of a read-only store: an account with SELECT only (or a standby) reads, saves refuse."""
    import psycopg
    writer = backend.open()
    record, _ = save(writer, 1)
    deck, _ = writer.save_deck("Deck", [{"ref": record.id, "title": "One"}], MODEL)
    writer.close()
    role = f"reader_{uuid.uuid4().hex[:8]}"
    schema = dict(parse_qsl(urlsplit(backend.target).query))["options"].split("=", 1)[1]
    with psycopg.connect(backend.target, autocommit=True) as connection:
        connection.execute(f'CREATE ROLE "{role}" LOGIN')  # generated names (trust authentication)
        connection.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        connection.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
    parts = urlsplit(backend.target)
    reader_url = urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))
    try:
        reader = PostgresStore(reader_url)
        assert reader.read_only and "may only read" in reader.read_only_message
        assert reader.get(record.id) == record and [r.id for r in reader.list()] == [record.id]
        assert reader.get_deck(deck.id) == deck and [d.id for d in reader.list_decks()] == [deck.id]
        for write in (lambda: save(reader, 2), lambda: reader.archive(record.id),
                      lambda: reader.save_deck("D2", [{"ref": record.id, "title": "x"}], MODEL)):
            with pytest.raises(store_module.ReadOnlyStore, match="read-only .*may only read"):
                write()
        reader.close()
    finally:
        with psycopg.connect(backend.target, autocommit=True) as connection:
            connection.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"')
            connection.execute(f'REVOKE ALL ON SCHEMA "{schema}" FROM "{role}"')
            connection.execute(f'DROP ROLE "{role}"')
