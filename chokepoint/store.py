"""Saved scenarios: an immutable record per (settings, model version), in DuckDB or PostgreSQL.

A scenario's id is a hash of its canonical settings and the model version, so saving the same inputs twice
gives the same id (and the same link). Records never change once stored, except that they can be archived
(hidden from the library; the link keeps working).

Backends:
- `DuckDBStore` (default): one file. A DuckDB file can be open read-write in only one process at a time, so
  every operation opens the file, does its work, and closes it (retrying for up to ~10 s while another
  process holds the lock, once: see `_busy`); threads of one process take turns (one lock per file). A save is
  committed and on disk when it returns. A file that cannot be written (a read-only disk, a restored backup)
  opens read-only: everything reads, saves and archiving raise `ReadOnlyStore`.
- `PostgresStore` (CHOKEPOINT_DATABASE_URL set): psycopg 3, autocommit, a few idle connections reused.

Every value reaches the database as a bound parameter. Driver errors become `StoreError` with a short
message that is safe to show to a user (no address, no credentials). A row that does not hold what the app
wrote (edited by hand, half-restored) is never fatal: lists skip it and name it (`Listing.skipped`); opening it
raises `DamagedRecord`.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import numbers
import os
import random
import re
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from chokepoint.safetext import BIDI_CONTROLS, has_visible, unsafe_kind

SCHEMA_VERSION = 1
ID_PATTERN = re.compile(r"^[a-z2-7]{10}$")
NAME_MAX, NOTE_MAX = 120, 2000
VERSION_MAX = 200  # model_version / data_version
LIST_MAX = 10_000
LOCK_WAIT_SECONDS = 10.0

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STORE_DIR = ROOT / "store"
STORE_FILE = "scenarios.duckdb"


class StoreError(Exception):
    """Saved scenarios could not be read or written. The message is safe to show to a user."""


class InvalidInput(StoreError):
    """A bad name, note, id or setting. The message names the field and the limit."""


class ReadOnlyStore(StoreError):
    """The store can be read but not written (a read-only disk or database account): nothing was saved."""


class DamagedRecord(StoreError):
    """A stored row does not hold what the app writes; it cannot be opened (lists leave it out)."""


class Listing(list):
    """A list of records, and the ids of the rows left out because they are damaged (`skipped`)."""

    def __init__(self, items=(), skipped=()):
        super().__init__(items)
        self.skipped: tuple[str, ...] = tuple(skipped)


@dataclass(frozen=True)
class SavedScenario:
    id: str
    name: str
    note: str
    settings: dict[str, float]
    model_version: str
    data_version: str
    headline: dict
    created_at: str  # ISO-8601 UTC to the second, e.g. "2026-11-28T19:40:00Z"
    archived: bool = False


# --- pure helpers -------------------------------------------------------------------------------------------

def canonical_settings(settings: Mapping[str, float]) -> dict[str, float]:
    """Sorted keys, float values (80 -> 80.0, -0.0 -> 0.0). Rejects non-string keys, non-numbers and
    non-finite values with InvalidInput."""
    if not isinstance(settings, Mapping):
        raise InvalidInput("settings must be a mapping of parameter names to numbers")
    for key in settings:
        if not isinstance(key, str) or not SETTING_NAME.fullmatch(key):
            raise InvalidInput(f"setting names must be parameter names (letters, digits, _), got {key!r:.40}")
    result: dict[str, float] = {}
    for key in sorted(settings):
        value = settings[key]
        if isinstance(value, bool) or not isinstance(value, numbers.Real):  # numpy numbers are Real too
            raise InvalidInput(f"setting {key} must be a number, got {type(value).__name__}")
        number = float(value)
        if not math.isfinite(number):
            raise InvalidInput(f"setting {key} must be a finite number, got {number!r}")
        result[key] = number + 0.0  # -0.0 + 0.0 == 0.0
    return result


SETTING_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def scenario_id(settings: Mapping[str, float], model_version: str) -> str:
    """sha256 of the canonical JSON {"model_version", "settings"}, base32 lowercase, first 10 characters."""
    payload = _canonical_json({"model_version": model_version, "settings": canonical_settings(settings)})
    digest = hashlib.sha256(payload.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:10]


# Removed from names, notes and titles besides control characters and lone surrogates: Unicode noncharacters
# (U+FDD0-U+FDEF, U+xFFFE/U+xFFFF in every plane; XML and so every chart export and briefing pack cannot hold
# U+FFFE/U+FFFF) and the bidirectional-text controls (BIDI_CONTROLS), which reorder how the rest of a line is
# displayed. The rule is chokepoint/safetext.py's, which also escapes such text where it is shown.
_unsafe_kind = unsafe_kind


def _normalise(text: str, keep_newlines: bool) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return text if keep_newlines else text.replace("\n", " ")


def _clean(text: Any, field: str, keep_newlines: bool) -> str:
    if not isinstance(text, str):
        raise InvalidInput(f"{field} must be text")
    text = _normalise(text, keep_newlines)
    kept = (ch for ch in text if ch == "\n" or _unsafe_kind(ch) is None)
    return "".join(kept).strip()


def removed_characters(text: Any, keep_newlines: bool = False) -> list[str]:
    """The characters cleaning takes out of `text` (each once, in order of appearance), e.g.
    ["U+FFFF (noncharacter)", "U+202E (text-direction control)"]; tabs and line breaks are not counted."""
    if not isinstance(text, str):
        return []
    found: dict[str, str] = {}
    for ch in _normalise(text, keep_newlines):
        kind = None if ch == "\n" else _unsafe_kind(ch)
        if kind is not None and ch not in found:
            found[ch] = f"U+{ord(ch):04X} ({kind})"
    return list(found.values())


def removal_message(field: str, text: Any, keep_newlines: bool = False) -> str:
    """A sentence for the user about what cleaning removed from `text` ("" when nothing was)."""
    removed = removed_characters(text, keep_newlines)
    if not removed:
        return ""
    return (f"Removed from the {field}: {', '.join(removed)}; such characters cannot be displayed or exported "
            "safely.")


def clean_name(name: Any) -> str:
    """Stripped, without control characters (tabs and line breaks become spaces), noncharacters or
    text-direction controls, 1..NAME_MAX characters. Not HTML-escaped: the text is stored as given and escaped
    where it is displayed."""
    cleaned = _clean(name, "name", keep_newlines=False)
    if not cleaned and removed_characters(name):
        raise InvalidInput(f"name has nothing left once {', '.join(removed_characters(name))} are removed (they "
                           f"cannot be displayed or exported safely); a name must be 1-{NAME_MAX} characters")
    if not 1 <= len(cleaned) <= NAME_MAX:
        raise InvalidInput(f"name must be 1-{NAME_MAX} characters (this one has {len(cleaned)})")
    if not has_visible(cleaned):
        raise InvalidInput("name has no visible character (only spaces or invisible characters such as U+200B); "
                           "type a name that can be read")
    return cleaned


def clean_note(note: Any) -> str:
    """Stripped, without control characters except line breaks, noncharacters or text-direction controls,
    0..NOTE_MAX characters."""
    cleaned = _clean("" if note is None else note, "note", keep_newlines=True)
    if len(cleaned) > NOTE_MAX:
        raise InvalidInput(f"note must be 0-{NOTE_MAX} characters (this one has {len(cleaned)})")
    return cleaned


def _clean_version(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > VERSION_MAX:
        raise InvalidInput(f"{field} must be 1-{VERSION_MAX} characters")
    return value


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


def like_pattern(search: str) -> str:
    """A LIKE pattern matching `search` as a literal substring (escape character: backslash)."""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_clock_lock = threading.Lock()
_last_stamp: datetime | None = None


def _timestamp() -> str:
    """Now in UTC with microseconds, fixed width (text order = time order), strictly increasing per process."""
    global _last_stamp
    with _clock_lock:
        now = datetime.now(timezone.utc)
        if _last_stamp is not None and now <= _last_stamp:
            now = _last_stamp + timedelta(microseconds=1)
        _last_stamp = now
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _public_time(stored: str) -> str:
    """The stored timestamp to the second, "2026-11-28T19:40:00Z" (the column keeps microseconds for order)."""
    return stored[:19] + "Z" if len(stored) >= 19 else stored


# --- SQL (same on both backends; {p} is the driver's placeholder) ---------------------------------------------

DDL = (
    """CREATE TABLE IF NOT EXISTS scenarios (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        note TEXT NOT NULL,
        settings TEXT NOT NULL,
        model_version TEXT NOT NULL,
        data_version TEXT NOT NULL,
        headline TEXT NOT NULL,
        created_at TEXT NOT NULL,
        archived BOOLEAN NOT NULL DEFAULT FALSE
    )""",
    "CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT)",
    """CREATE TABLE IF NOT EXISTS decks (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        steps TEXT NOT NULL,
        model_version TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
)
COLUMNS = "id, name, note, settings, model_version, data_version, headline, created_at, archived"
SQL = {
    "meta_init": "INSERT INTO store_meta (key, value) VALUES ({p}, {p}) ON CONFLICT (key) DO NOTHING",
    "meta_get": "SELECT value FROM store_meta WHERE key = {p}",
    "insert": f"INSERT INTO scenarios ({COLUMNS}) VALUES ({{p}}, {{p}}, {{p}}, {{p}}, {{p}}, {{p}}, {{p}}, {{p}}, FALSE) "
              "ON CONFLICT (id) DO NOTHING RETURNING id",
    "get": f"SELECT {COLUMNS} FROM scenarios WHERE id = {{p}}",
    "list": f"SELECT {COLUMNS} FROM scenarios WHERE ({{p}} OR NOT archived) "
            "AND LOWER(name) LIKE LOWER({p}) ESCAPE '\\' ORDER BY created_at DESC, id DESC LIMIT {p}",
    "archive": "UPDATE scenarios SET archived = TRUE WHERE id = {p} RETURNING id",
    "deck_insert": "INSERT INTO decks (id, title, steps, model_version, created_at) VALUES ({p}, {p}, {p}, {p}, {p}) "
                   "ON CONFLICT (id) DO NOTHING RETURNING id",
    "deck_get": "SELECT id, title, steps, model_version, created_at FROM decks WHERE id = {p}",
    "deck_list": "SELECT id, title, steps, model_version, created_at FROM decks ORDER BY created_at DESC, id DESC "
                 "LIMIT {p}",
}

DECK_STEPS_MAX = 12
STEP_REF = re.compile(r"^(preset:.{1,80}|[a-z2-7]{10})$")


@dataclass(frozen=True)
class DeckStep:
    ref: str        # "preset:<name>" or a saved scenario id
    title: str
    notes: str = ""


@dataclass(frozen=True)
class SavedDeck:
    id: str
    title: str
    steps: tuple[DeckStep, ...]
    model_version: str
    created_at: str


def clean_steps(steps) -> list[DeckStep]:
    """Validate a deck's steps: 1-12, each a preset or saved-scenario reference, a title and notes."""
    if not isinstance(steps, (list, tuple)) or not 1 <= len(steps) <= DECK_STEPS_MAX:
        raise InvalidInput(f"a deck needs 1-{DECK_STEPS_MAX} steps")
    cleaned = []
    for number, step in enumerate(steps, 1):
        ref = step.ref if isinstance(step, DeckStep) else (step or {}).get("ref")
        title = step.title if isinstance(step, DeckStep) else (step or {}).get("title", "")
        notes = step.notes if isinstance(step, DeckStep) else (step or {}).get("notes", "")
        if not isinstance(ref, str) or not STEP_REF.fullmatch(ref):
            raise InvalidInput(f"step {number} must name a preset or a saved scenario")
        try:
            title = clean_name(title)
        except InvalidInput:
            raise InvalidInput(f"step {number}: title must be 1-{NAME_MAX} characters") from None
        cleaned.append(DeckStep(ref, title, clean_note(notes or "")))
    return cleaned


def deck_id(title: str, steps: Sequence[DeckStep], model_version: str) -> str:
    payload = {"kind": "deck", "model_version": model_version, "title": title,
               "steps": [[s.ref, s.title, s.notes] for s in steps]}
    digest = hashlib.sha256(_canonical_json(payload).encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:10]


def _damaged(kind: str, row: Sequence[Any], why: str) -> DamagedRecord:
    ident = row[0] if row and isinstance(row[0], str) and ID_PATTERN.fullmatch(row[0]) else "with a malformed id"
    return DamagedRecord(f"the saved {kind} {ident} is damaged ({why}) and cannot be opened")


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{field} is not text")
    return value


def _json_object(value: Any, field: str) -> dict:
    try:
        parsed = json.loads(_text(value, field))
    except json.JSONDecodeError:
        raise ValueError(f"{field} is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"{field} is not a JSON object")
    return parsed


def _row_to_deck(row: Sequence[Any]) -> SavedDeck:
    """A deck as stored; DamagedRecord if the row does not hold what save_deck writes."""
    try:
        id_, title, steps, model_version, created_at = row
        if not _valid_id(id_):
            raise ValueError("malformed id")
        try:
            parsed = json.loads(_text(steps, "steps"))
        except json.JSONDecodeError:
            raise ValueError("steps are not valid JSON") from None
        if not isinstance(parsed, list) or not all(isinstance(step, dict) for step in parsed):
            raise ValueError("steps are not a list of steps")
        built = []
        for step in parsed:
            if set(step) - {"ref", "title", "notes"} or not all(isinstance(step.get(k, ""), str)
                                                                 for k in ("ref", "title", "notes")):
                raise ValueError("a step is malformed")
            built.append(DeckStep(step.get("ref", ""), step.get("title", ""), step.get("notes", "")))
        return SavedDeck(id_, _text(title, "title"), tuple(built), _text(model_version, "model version"),
                         _public_time(_text(created_at, "date")))
    except (ValueError, TypeError) as exc:
        raise _damaged("deck", row, str(exc)) from None


def _row_to_record(row: Sequence[Any]) -> SavedScenario:
    """A saved scenario as stored; DamagedRecord if the row does not hold what save writes (settings: names and
    finite numbers; headline: a JSON object; text where text belongs)."""
    try:
        id_, name, note, settings, model_version, data_version, headline, created_at, archived = row
        if not _valid_id(id_):
            raise ValueError("malformed id")
        try:
            settings = canonical_settings(_json_object(settings, "settings"))
        except InvalidInput as exc:
            raise ValueError(f"settings: {exc}") from None
        return SavedScenario(
            id=id_, name=_text(name, "name"), note=_text(note, "note"), settings=settings,
            model_version=_text(model_version, "model version"), data_version=_text(data_version, "data version"),
            headline=_json_object(headline, "headline"), created_at=_public_time(_text(created_at, "date")),
            archived=bool(archived),
        )
    except (ValueError, TypeError) as exc:
        raise _damaged("scenario", row, str(exc)) from None


def _listing(rows: Sequence[Sequence[Any]], parse: Callable[[Sequence[Any]], Any]) -> Listing:
    """Rows parsed; the damaged ones left out and named in `skipped`."""
    items, skipped = [], []
    for row in rows:
        try:
            items.append(parse(row))
        except DamagedRecord:
            skipped.append(row[0] if row and isinstance(row[0], str) and ID_PATTERN.fullmatch(row[0])
                           else "(malformed id)")
    return Listing(items, skipped)


# --- the store ----------------------------------------------------------------------------------------------

# One operation: a function of (execute, fetchone, fetchall) over one connection.
Operation = Callable[["_Cursor"], Any]


class _Cursor:
    """The three things an operation needs, over one driver cursor, with the driver's placeholder."""

    def __init__(self, cursor, placeholder: str):
        self._cursor = cursor
        self._p = placeholder

    def execute(self, name_or_sql: str, params: Sequence[Any] = ()) -> "_Cursor":
        sql = SQL.get(name_or_sql, name_or_sql).replace("{p}", self._p)
        self._cursor.execute(sql, list(params))
        return self

    def fetchone(self):
        return self._cursor.fetchone()

    def fetchall(self):
        return self._cursor.fetchall()


READ_ONLY_MESSAGE = ("the saved-scenario store is read-only ({why}): saved scenarios and decks open, but nothing "
                     "can be saved or archived")


class Store(ABC):
    """Saved scenarios. Every method raises StoreError (InvalidInput for bad input) rather than a driver error."""

    read_only: bool = False
    read_only_reason: str = ""

    @property
    def read_only_message(self) -> str:
        """What to tell a user when the store is read-only ("" when it is not)."""
        return READ_ONLY_MESSAGE.format(why=self.read_only_reason) if self.read_only else ""

    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnlyStore(self.read_only_message)

    def save(self, settings: Mapping[str, float], name: str, note: str, model_version: str, data_version: str,
             headline: dict) -> tuple[SavedScenario, bool]:
        """Store a scenario under its id unless that id exists. Returns (the stored record, created): when
        the id already existed, the original record unchanged and False. Returns once committed and durable.
        ReadOnlyStore if the store cannot be written."""
        self._check_writable()
        canonical = canonical_settings(settings)
        model_version = _clean_version(model_version, "model_version")
        data_version = _clean_version(data_version, "data_version")
        name, note = clean_name(name), clean_note(note)
        try:
            headline_json = _canonical_json(headline)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"headline must be JSON-serialisable with finite numbers ({exc})") from None
        new_id = scenario_id(canonical, model_version)
        row = (new_id, name, note, _canonical_json(canonical), model_version, data_version, headline_json,
               _timestamp())

        def operation(cur: _Cursor):
            inserted = cur.execute("insert", row).fetchall()  # a row only if this call inserted it
            return bool(inserted), cur.execute("get", (new_id,)).fetchone()

        created, stored = self._run(operation)
        if stored is None:  # cannot happen short of a DELETE, which nothing does
            raise StoreError("the scenario was not stored; please try again")
        return _row_to_record(stored), created

    def get(self, scenario_id: str) -> SavedScenario | None:
        """The record with this id, archived or not; None if there is none or the id is malformed;
        DamagedRecord if its row is damaged."""
        if not _valid_id(scenario_id):
            return None
        row = self._run(lambda cur: cur.execute("get", (scenario_id,)).fetchone())
        return None if row is None else _row_to_record(row)

    def list(self, search: str = "", include_archived: bool = False, limit: int = 500) -> Listing:
        """Newest first. `search`: case-insensitive substring of the name, taken literally (% and _ too).
        Damaged rows are left out and named in the result's `skipped`."""
        if not isinstance(search, str):
            raise InvalidInput("search must be text")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= LIST_MAX:
            raise InvalidInput(f"limit must be 1-{LIST_MAX}")
        params = (bool(include_archived), like_pattern(search.strip()), limit)
        rows = self._run(lambda cur: cur.execute("list", params).fetchall())
        return _listing(rows, _row_to_record)

    def archive(self, scenario_id: str) -> bool:
        """Hide a scenario from the library (its link keeps working). Returns whether it exists."""
        self._check_writable()
        if not _valid_id(scenario_id):
            return False
        rows = self._run(lambda cur: cur.execute("archive", (scenario_id,)).fetchall())
        return bool(rows)

    def save_deck(self, title: str, steps, model_version: str) -> tuple[SavedDeck, bool]:
        """Store a briefing deck (immutable, id from its content, like a scenario). Returns (deck, created)."""
        self._check_writable()
        title = clean_name(title)
        cleaned = clean_steps(steps)
        model_version = _clean_version(model_version, "model_version")
        new_id = deck_id(title, cleaned, model_version)
        row = (new_id, title, _canonical_json([{"ref": s.ref, "title": s.title, "notes": s.notes} for s in cleaned]),
               model_version, _timestamp())

        def operation(cur: _Cursor):
            inserted = cur.execute("deck_insert", row).fetchall()
            return bool(inserted), cur.execute("deck_get", (new_id,)).fetchone()

        created, stored = self._run(operation)
        if stored is None:
            raise StoreError("the deck was not stored; please try again")
        return _row_to_deck(stored), created

    def get_deck(self, deck_id_: str) -> SavedDeck | None:
        if not _valid_id(deck_id_):
            return None
        row = self._run(lambda cur: cur.execute("deck_get", (deck_id_,)).fetchone())
        return None if row is None else _row_to_deck(row)

    def list_decks(self, limit: int = 200) -> Listing:
        """Newest first; damaged rows are left out and named in `skipped`."""
        rows = self._run(lambda cur: cur.execute("deck_list", (int(limit),)).fetchall())
        return _listing(rows, _row_to_deck)

    @abstractmethod
    def close(self) -> None:
        """Release connections. Safe to call twice."""

    @abstractmethod
    def _run(self, operation: Operation) -> Any:
        """Run one operation on a connection, committed when it returns; driver errors -> StoreError."""

    def _create_schema(self, cur: _Cursor) -> None:
        if not self.read_only:  # a read-only store is only checked: it must already hold the tables
            for statement in DDL:
                cur.execute(statement)
            cur.execute("meta_init", ("schema_version", str(SCHEMA_VERSION)))
        row = cur.execute("meta_get", ("schema_version",)).fetchone()
        try:
            found = int(row[0]) if row and row[0] is not None else SCHEMA_VERSION
        except ValueError:
            found = -1
        if found != SCHEMA_VERSION:
            raise StoreError(f"the saved-scenario store has schema version {row[0]}, this app expects "
                             f"{SCHEMA_VERSION}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_file_locks: dict[str, threading.Lock] = {}
_file_locks_guard = threading.Lock()
# When a wait for another process's lock on a file last ran out (time.monotonic(), per file, per process). Until
# an operation on the file gets through again, operations wait only BUSY_RETRY_SECONDS (enough for another
# process's save, which takes milliseconds): a page that reads the store three times, and the sessions queued
# behind it, pay for one long wait, not one each (issue 14: /present?deck=... took 33 s).
_busy: dict[str, float] = {}
BUSY_RETRY_SECONDS = 0.2
# How DuckDB says a file cannot be opened for writing (the file itself is fine, the disk or its mode is not).
_NOT_WRITABLE = ("read-only file system", "permission denied", "access is denied")


def _file_lock(path: Path) -> threading.Lock:
    """One lock per file per process, shared by every DuckDBStore on that file."""
    key = os.path.abspath(path)
    with _file_locks_guard:
        return _file_locks.setdefault(key, threading.Lock())


class DuckDBStore(Store):
    """One DuckDB file shared by any number of threads and processes (one operation at a time)."""

    def __init__(self, path: str | Path):
        import duckdb  # noqa: F401  (fail here, not on first use, if it is missing)

        self.path = Path(path)
        self._key = os.path.abspath(self.path)
        self._lock = _file_lock(self.path)
        self._closed = False
        self.read_only = False
        self.read_only_reason = ""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder ({exc.strerror or type(exc).__name__})") from exc
        self._run(lambda cur: self._create_schema(cur))

    def _connect(self):
        import duckdb

        started = time.monotonic()
        last_timeout = _busy.get(self._key)
        patient = last_timeout is None
        deadline = started + (LOCK_WAIT_SECONDS if patient else BUSY_RETRY_SECONDS)
        delay = 0.005
        while True:
            try:
                connection = duckdb.connect(str(self.path), read_only=self.read_only, config={"threads": 1})
            except duckdb.IOException as exc:
                message = str(exc).lower()
                if "lock" in message:
                    if time.monotonic() < deadline:
                        time.sleep(min(delay, max(0.0, deadline - time.monotonic())) * random.uniform(0.5, 1.0))
                        delay = min(delay * 2, 0.2)
                        continue
                    if patient:
                        _busy[self._key] = time.monotonic()
                        raise StoreError("the saved-scenario store is busy: another program has held it for "
                                         f"{LOCK_WAIT_SECONDS:.0f} s; please try again shortly") from exc
                    raise StoreError("the saved-scenario store is still busy (another program has held it for "
                                     f"{time.monotonic() - last_timeout + LOCK_WAIT_SECONDS:.0f} s or more); "
                                     "please try again shortly") from exc
                if not self.read_only and any(m in message for m in _NOT_WRITABLE) and self.path.is_file():
                    # A valid file that cannot be written (a read-only disk, a restored backup): read it.
                    self.read_only = True
                    self.read_only_reason = ("its file is on a read-only disk" if "read-only" in message
                                             else "its file cannot be written by this server")
                    continue
                raise StoreError("cannot open the saved-scenario store file") from exc
            except duckdb.Error as exc:
                raise StoreError(f"cannot open the saved-scenario store file ({type(exc).__name__})") from exc
            _busy.pop(self._key, None)
            return connection

    def _run(self, operation: Operation) -> Any:
        import duckdb

        with self._lock:
            if self._closed:
                raise StoreError("the saved-scenario store is closed")
            connection = self._connect()
            try:
                try:
                    return operation(_Cursor(connection, "?"))
                except duckdb.Error as exc:
                    if self.read_only and "read-only" in str(exc).lower():
                        raise ReadOnlyStore(self.read_only_message) from exc
                    raise StoreError(f"saved-scenario store error ({type(exc).__name__})") from exc
            finally:
                try:
                    # Closing the last connection checkpoints the WAL into the file; the commit itself
                    # was already durable (DuckDB syncs the WAL on commit).
                    connection.close()
                except duckdb.Error as exc:
                    raise StoreError(f"saved-scenario store error on close ({type(exc).__name__})") from exc

    def close(self) -> None:
        self._closed = True  # nothing stays open between operations

    def __repr__(self) -> str:
        return f"DuckDBStore({str(self.path)!r})"


class PostgresStore(Store):
    """PostgreSQL via psycopg 3: autocommit, at most a few idle connections kept for reuse."""

    IDLE_MAX = 4
    CONNECT_TIMEOUT = 10

    def __init__(self, url: str):
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        if not isinstance(url, str) or not url.strip():
            raise StoreError("no database address given")
        self._url = url.strip()
        try:
            given = conninfo_to_dict(self._url)
        except psycopg.Error:  # the driver's message repeats the address, password included: not chained
            raise StoreError("the database address (CHOKEPOINT_DATABASE_URL) is malformed") from None
        self._connect_options = {} if "connect_timeout" in given else {"connect_timeout": self.CONNECT_TIMEOUT}
        self._idle: list = []
        self._lock = threading.Lock()
        self._closed = False
        self._run(self._schema_operation)

    def _schema_operation(self, cur: _Cursor):
        import psycopg

        # Concurrent CREATE TABLE IF NOT EXISTS can collide in PostgreSQL: take a transaction-level lock.
        cur.execute("BEGIN")
        try:
            cur.execute("SELECT pg_advisory_xact_lock(7419303316021)")
            self._create_schema(cur)
        except (psycopg.errors.ReadOnlySqlTransaction, psycopg.errors.InsufficientPrivilege) as exc:
            # A standby, or an account that may only read: open read-only if the tables are there.
            cur.execute("ROLLBACK")
            self.read_only = True
            self.read_only_reason = ("the database is a read-only replica"
                                     if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction)
                                     else "this server's database account may only read")
            self._create_schema(cur)
            return
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def _take(self):
        import psycopg

        with self._lock:
            if self._closed:
                raise StoreError("the saved-scenario store is closed")
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed and not connection.broken:
                    return connection, True
        try:
            return psycopg.connect(self._url, autocommit=True, **self._connect_options), False
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to the scenario database ({type(exc).__name__})") from exc

    def _give_back(self, connection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < self.IDLE_MAX and not connection.closed \
                    and not connection.broken:
                self._idle.append(connection)
                return
        connection.close()

    def _run(self, operation: Operation) -> Any:
        import psycopg

        for attempt in (1, 2):
            connection, reused = self._take()
            try:
                with connection.cursor() as cursor:
                    result = operation(_Cursor(cursor, "%s"))
            except psycopg.OperationalError as exc:
                connection.close()
                # A reused connection may have gone stale (server restart): every operation is idempotent
                # (insert-if-absent, select, set archived), so try once more on a fresh connection.
                if reused and attempt == 1:
                    continue
                raise StoreError(f"the scenario database is unavailable ({type(exc).__name__})") from exc
            except psycopg.errors.ReadOnlySqlTransaction as exc:  # e.g. the server became a standby
                connection.close()
                self.read_only, self.read_only_reason = True, "the database is a read-only replica"
                raise ReadOnlyStore(self.read_only_message) from exc
            except psycopg.Error as exc:
                connection.close()
                raise StoreError(f"scenario database error ({type(exc).__name__})") from exc
            except BaseException:
                connection.close()
                raise
            self._give_back(connection)
            return result
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def __repr__(self) -> str:
        return "PostgresStore(<url>)"


def open_store(environ: Mapping[str, str] = os.environ) -> Store:
    """PostgreSQL if CHOKEPOINT_DATABASE_URL is set, else the DuckDB file scenarios.duckdb in
    CHOKEPOINT_STORE_DIR (default: store/ at the repository root)."""
    url = (environ.get("CHOKEPOINT_DATABASE_URL") or "").strip()
    if url:
        return PostgresStore(url)
    folder = Path(environ.get("CHOKEPOINT_STORE_DIR") or DEFAULT_STORE_DIR)
    return DuckDBStore(folder / STORE_FILE)
