"""The Store interface and what both backends share: saving, opening and listing scenarios and decks, archiving,
the read-only state, and creating (or checking) the schema. A backend supplies `_run` (one operation on one
connection, committed when it returns, driver errors turned into StoreError) and `close`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Mapping

from chokepoint.store.errors import InvalidInput, ReadOnlyStore, StoreError
from chokepoint.store.records import (
    Listing, SavedDeck, SavedScenario, canonical_json, canonical_settings, clean_name, clean_note, clean_steps,
    clean_version, deck_id, listing, row_to_deck, row_to_record, scenario_id, steps_json, timestamp, valid_id,
)
from chokepoint.store.sql import SCHEMA, SCHEMA_VERSION, Cursor, Operation, like_pattern

LIST_MAX = 10_000
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

    # --- scenarios ----------------------------------------------------------------------------------------------

    def save(self, settings: Mapping[str, float], name: str, note: str, model_version: str, data_version: str,
             headline: dict) -> tuple[SavedScenario, bool]:
        """Store a scenario under its id unless that id exists. Returns (the stored record, created): when
        the id already existed, the original record unchanged and False. Returns once committed and durable.
        ReadOnlyStore if the store cannot be written."""
        self._check_writable()
        canonical = canonical_settings(settings)
        model_version = clean_version(model_version, "model_version")
        data_version = clean_version(data_version, "data_version")
        name, note = clean_name(name), clean_note(note)
        try:
            headline_json = canonical_json(headline)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"headline must be JSON-serialisable with finite numbers ({exc})") from None
        new_id = scenario_id(canonical, model_version)
        row = (new_id, name, note, canonical_json(canonical), model_version, data_version, headline_json,
               timestamp())

        def operation(cur: Cursor):
            inserted = cur.execute("insert", row).fetchall()  # a row only if this call inserted it
            return bool(inserted), cur.execute("get", (new_id,)).fetchone()

        created, stored = self._run(operation)
        if stored is None:  # cannot happen short of a DELETE, which nothing does
            raise StoreError("the scenario was not stored; please try again")
        return row_to_record(stored), created

    def get(self, scenario_id: str) -> SavedScenario | None:
        """The record with this id, archived or not; None if there is none or the id is malformed;
        DamagedRecord if its row is damaged."""
        if not valid_id(scenario_id):
            return None
        row = self._run(lambda cur: cur.execute("get", (scenario_id,)).fetchone())
        return None if row is None else row_to_record(row)

    def list(self, search: str = "", include_archived: bool = False, limit: int = 500) -> Listing:
        """Newest first. `search`: case-insensitive substring of the name, taken literally (% and _ too).
        Damaged rows are left out and named in the result's `skipped`."""
        if not isinstance(search, str):
            raise InvalidInput("search must be text")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= LIST_MAX:
            raise InvalidInput(f"limit must be 1-{LIST_MAX}")
        params = (bool(include_archived), like_pattern(search.strip()), limit)
        rows = self._run(lambda cur: cur.execute("list", params).fetchall())
        return listing(rows, row_to_record)

    def archive(self, scenario_id: str) -> bool:
        """Hide a scenario from the library (its link keeps working). Returns whether it exists."""
        self._check_writable()
        if not valid_id(scenario_id):
            return False
        rows = self._run(lambda cur: cur.execute("archive", (scenario_id,)).fetchall())
        return bool(rows)

    # --- decks --------------------------------------------------------------------------------------------------

    def save_deck(self, title: str, steps, model_version: str) -> tuple[SavedDeck, bool]:
        """Store a briefing deck (immutable, id from its content, like a scenario). Returns (deck, created)."""
        self._check_writable()
        title = clean_name(title)
        cleaned = clean_steps(steps)
        model_version = clean_version(model_version, "model_version")
        new_id = deck_id(title, cleaned, model_version)
        row = (new_id, title, steps_json(cleaned), model_version, timestamp())

        def operation(cur: Cursor):
            inserted = cur.execute("deck_insert", row).fetchall()
            return bool(inserted), cur.execute("deck_get", (new_id,)).fetchone()

        created, stored = self._run(operation)
        if stored is None:
            raise StoreError("the deck was not stored; please try again")
        return row_to_deck(stored), created

    def get_deck(self, deck_id_: str) -> SavedDeck | None:
        if not valid_id(deck_id_):
            return None
        row = self._run(lambda cur: cur.execute("deck_get", (deck_id_,)).fetchone())
        return None if row is None else row_to_deck(row)

    def list_decks(self, limit: int = 200) -> Listing:
        """Newest first; damaged rows are left out and named in `skipped`."""
        rows = self._run(lambda cur: cur.execute("deck_list", (int(limit),)).fetchall())
        return listing(rows, row_to_deck)

    # --- what a backend supplies ----------------------------------------------------------------------------------

    @abstractmethod
    def close(self) -> None:
        """Release connections. Safe to call twice."""

    @abstractmethod
    def _run(self, operation: Operation) -> Any:
        """Run one operation on a connection, committed when it returns; driver errors -> StoreError."""

    def _create_schema(self, cur: Cursor) -> None:
        if not self.read_only:  # a read-only store is only checked: it must already hold the tables
            for statement in SCHEMA:
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
