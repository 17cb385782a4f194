"""Every SQL statement the store runs, by name, and the one way an operation runs them (`Cursor`).

The tables are the same on both backends and have not changed since the store began (saved data stays
readable): scenarios, decks, and store_meta holding the schema version. The statements are written once with
{p} for the driver's placeholder and rendered per backend (`DUCKDB`: ?, `POSTGRES`: %s); PostgreSQL adds the
statements it alone needs (an explicit transaction and an advisory lock around creating the tables). Every value
reaches the database as a bound parameter.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

SCHEMA_VERSION = 1

COLUMNS = "id, name, note, settings, model_version, data_version, headline, created_at, archived"
DECK_COLUMNS = "id, title, steps, model_version, created_at"

SQL = {
    # the schema, created when a store opens (CREATE ... IF NOT EXISTS: opening again keeps what is there)
    "create_scenarios": """CREATE TABLE IF NOT EXISTS scenarios (
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
    "create_meta": "CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT)",
    "create_decks": """CREATE TABLE IF NOT EXISTS decks (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        steps TEXT NOT NULL,
        model_version TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "meta_init": "INSERT INTO store_meta (key, value) VALUES ({p}, {p}) ON CONFLICT (key) DO NOTHING",
    "meta_get": "SELECT value FROM store_meta WHERE key = {p}",
    # scenarios
    "insert": f"INSERT INTO scenarios ({COLUMNS}) VALUES ({{p}}, {{p}}, {{p}}, {{p}}, {{p}}, {{p}}, {{p}}, {{p}}, FALSE) "
              "ON CONFLICT (id) DO NOTHING RETURNING id",
    "get": f"SELECT {COLUMNS} FROM scenarios WHERE id = {{p}}",
    "list": f"SELECT {COLUMNS} FROM scenarios WHERE ({{p}} OR NOT archived) "
            "AND LOWER(name) LIKE LOWER({p}) ESCAPE '\\' ORDER BY created_at DESC, id DESC LIMIT {p}",
    "archive": "UPDATE scenarios SET archived = TRUE WHERE id = {p} RETURNING id",
    # decks
    "deck_insert": f"INSERT INTO decks ({DECK_COLUMNS}) VALUES ({{p}}, {{p}}, {{p}}, {{p}}, {{p}}) "
                   "ON CONFLICT (id) DO NOTHING RETURNING id",
    "deck_get": f"SELECT {DECK_COLUMNS} FROM decks WHERE id = {{p}}",
    "deck_list": f"SELECT {DECK_COLUMNS} FROM decks ORDER BY created_at DESC, id DESC LIMIT {{p}}",
}
SCHEMA = ("create_scenarios", "create_meta", "create_decks")

POSTGRES_ONLY = {
    # Concurrent CREATE TABLE IF NOT EXISTS can collide in PostgreSQL: the schema is created in a transaction
    # holding this lock (the store's connections are otherwise autocommit).
    "begin": "BEGIN",
    "commit": "COMMIT",
    "rollback": "ROLLBACK",
    "schema_lock": "SELECT pg_advisory_xact_lock(7419303316021)",
}


def render(placeholder: str, extra: Mapping[str, str] = {}) -> dict[str, str]:
    return {name: text.replace("{p}", placeholder) for name, text in {**SQL, **extra}.items()}


DUCKDB = render("?")
POSTGRES = render("%s", POSTGRES_ONLY)


def like_pattern(search: str) -> str:
    """A LIKE pattern matching `search` as a literal substring (escape character: backslash)."""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Cursor:
    """What an operation needs, over one driver cursor: run a statement of this backend by name."""

    def __init__(self, cursor, statements: Mapping[str, str]):
        self._cursor = cursor
        self._statements = statements

    def execute(self, name: str, params: Sequence[Any] = ()) -> "Cursor":
        self._cursor.execute(self._statements[name], list(params))
        return self

    def fetchone(self):
        return self._cursor.fetchone()

    def fetchall(self):
        return self._cursor.fetchall()


# One operation: a function of a Cursor over one connection, run by a store's _run.
Operation = Callable[[Cursor], Any]
