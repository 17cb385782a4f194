"""Saved scenarios and briefing decks: an immutable record per (content, model version), in DuckDB or PostgreSQL.

A scenario's id is a hash of its canonical settings and the model version, so saving the same inputs twice
gives the same id (and the same link); a deck's id is a hash of its title, steps and model version. Records never
change once stored, except that scenarios can be archived (hidden from the library; the link keeps working).

One job per module:
- `records`: the record types and ids; cleaning names, notes, settings and steps before a save; reading a
  stored row back (a row that does not hold what the app wrote is never fatal: lists skip it and name it in
  `Listing.skipped`; opening it raises `DamagedRecord`).
- `errors`: StoreError and its kinds. Driver errors become StoreError with a short message that is safe to show
  to a user (no address, no credentials).
- `sql`: every statement, by name, rendered for each backend; every value is a bound parameter.
- `base`: the Store interface and what both backends share (scenarios, decks, read-only state, schema).
- `duckdb_store`: `DuckDBStore`, the default, one file (its lock waits: LOCK_WAIT_SECONDS, BUSY_RETRY_SECONDS).
- `postgres_store`: `PostgresStore` (CHOKEPOINT_DATABASE_URL set), the shared store for replicas.

`open_store` picks the backend from the environment. Import everything from `chokepoint.store`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from chokepoint.store.base import LIST_MAX, READ_ONLY_MESSAGE, Store
from chokepoint.store.duckdb_store import DuckDBStore
from chokepoint.store.errors import DamagedRecord, InvalidInput, ReadOnlyStore, StoreError
from chokepoint.store.postgres_store import PostgresStore
from chokepoint.store.records import (
    DECK_STEPS_MAX, ID_PATTERN, NAME_MAX, NOTE_MAX, SETTING_NAME, STEP_REF, VERSION_MAX, DeckStep, Listing,
    SavedDeck, SavedScenario, canonical_settings, clean_name, clean_note, clean_steps, deck_id, removal_message,
    removed_characters, scenario_id,
)
from chokepoint.store.sql import SCHEMA_VERSION, like_pattern

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_STORE_DIR = ROOT / "store"
STORE_FILE = "scenarios.duckdb"

__all__ = [
    "DECK_STEPS_MAX", "DEFAULT_STORE_DIR", "ID_PATTERN", "LIST_MAX", "NAME_MAX", "NOTE_MAX", "READ_ONLY_MESSAGE",
    "ROOT", "SCHEMA_VERSION", "SETTING_NAME", "STEP_REF", "STORE_FILE", "VERSION_MAX",
    "DamagedRecord", "DeckStep", "DuckDBStore", "InvalidInput", "Listing", "PostgresStore", "ReadOnlyStore",
    "SavedDeck", "SavedScenario", "Store", "StoreError",
    "canonical_settings", "clean_name", "clean_note", "clean_steps", "deck_id", "like_pattern", "open_store",
    "removal_message", "removed_characters", "scenario_id",
]


def open_store(environ: Mapping[str, str] = os.environ) -> Store:
    """PostgreSQL if CHOKEPOINT_DATABASE_URL is set, else the DuckDB file scenarios.duckdb in
    CHOKEPOINT_STORE_DIR (default: store/ at the repository root)."""
    url = (environ.get("CHOKEPOINT_DATABASE_URL") or "").strip()
    if url:
        return PostgresStore(url)
    folder = Path(environ.get("CHOKEPOINT_STORE_DIR") or DEFAULT_STORE_DIR)
    return DuckDBStore(folder / STORE_FILE)
