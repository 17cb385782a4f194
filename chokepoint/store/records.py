"""What a saved scenario or deck is, going in and coming out: the record types, their ids, the cleaning of names,
notes, settings and steps before a save, and the reading of a stored row back (DamagedRecord when it does not hold
what a save writes). No database here.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import numbers
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, Sequence

from chokepoint.safetext import has_visible, unsafe_kind
from chokepoint.store.errors import DamagedRecord, InvalidInput

ID_PATTERN = re.compile(r"^[a-z2-7]{10}$")
NAME_MAX, NOTE_MAX = 120, 2000
VERSION_MAX = 200  # model_version / data_version
SETTING_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
DECK_STEPS_MAX = 12
STEP_REF = re.compile(r"^(preset:.{1,80}|[a-z2-7]{10})$")


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


# --- ids ------------------------------------------------------------------------------------------------------

def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


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


def _short_hash(payload: Any) -> str:
    digest = hashlib.sha256(canonical_json(payload).encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:10]


def scenario_id(settings: Mapping[str, float], model_version: str) -> str:
    """sha256 of the canonical JSON {"model_version", "settings"}, base32 lowercase, first 10 characters."""
    return _short_hash({"model_version": model_version, "settings": canonical_settings(settings)})


def deck_id(title: str, steps: Sequence[DeckStep], model_version: str) -> str:
    """Like scenario_id, over the deck's kind, model version, title and steps."""
    return _short_hash({"kind": "deck", "model_version": model_version, "title": title,
                        "steps": [[s.ref, s.title, s.notes] for s in steps]})


def valid_id(value: Any) -> bool:
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


# --- cleaning what is saved -------------------------------------------------------------------------------------

# Removed from names, notes and titles besides control characters and lone surrogates: Unicode noncharacters
# (U+FDD0-U+FDEF, U+xFFFE/U+xFFFF in every plane; XML and so every chart export and briefing pack cannot hold
# U+FFFE/U+FFFF) and the bidirectional-text controls (safetext.BIDI_CONTROLS), which reorder how the rest of a
# line is displayed. The rule is chokepoint/safetext.py's, which also escapes such text where it is shown.
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


def clean_version(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > VERSION_MAX:
        raise InvalidInput(f"{field} must be 1-{VERSION_MAX} characters")
    return value


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


def steps_json(steps: Sequence[DeckStep]) -> str:
    """How a deck's (cleaned) steps are stored: a JSON list of {"ref", "title", "notes"}."""
    return canonical_json([{"ref": s.ref, "title": s.title, "notes": s.notes} for s in steps])


_clock_lock = threading.Lock()
_last_stamp: datetime | None = None


def timestamp() -> str:
    """Now in UTC with microseconds, fixed width (text order = time order), strictly increasing per process."""
    global _last_stamp
    with _clock_lock:
        now = datetime.now(timezone.utc)
        if _last_stamp is not None and now <= _last_stamp:
            now = _last_stamp + timedelta(microseconds=1)
        _last_stamp = now
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- reading a stored row back ----------------------------------------------------------------------------------

def _public_time(stored: str) -> str:
    """The stored timestamp to the second, "2026-11-28T19:40:00Z" (the column keeps microseconds for order)."""
    return stored[:19] + "Z" if len(stored) >= 19 else stored


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


def row_to_deck(row: Sequence[Any]) -> SavedDeck:
    """A deck as stored; DamagedRecord if the row does not hold what save_deck writes."""
    try:
        id_, title, steps, model_version, created_at = row
        if not valid_id(id_):
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


def row_to_record(row: Sequence[Any]) -> SavedScenario:
    """A saved scenario as stored; DamagedRecord if the row does not hold what save writes (settings: names and
    finite numbers; headline: a JSON object; text where text belongs)."""
    try:
        id_, name, note, settings, model_version, data_version, headline, created_at, archived = row
        if not valid_id(id_):
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


def listing(rows: Sequence[Sequence[Any]], parse: Callable[[Sequence[Any]], Any]) -> Listing:
    """Rows parsed; the damaged ones left out and named in `skipped`."""
    items, skipped = [], []
    for row in rows:
        try:
            items.append(parse(row))
        except DamagedRecord:
            skipped.append(row[0] if row and isinstance(row[0], str) and ID_PATTERN.fullmatch(row[0])
                           else "(malformed id)")
    return Listing(items, skipped)
