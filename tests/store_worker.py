"""A second process for the store tests (tests/test_store.py), sharing one store with the test process.

    python tests/store_worker.py duckdb|postgres PATH_OR_URL MODE [ARGS...]

Prints "ready" once the store is open, waits for a line "go" on stdin, then:
  save START STOP   saves scenarios START..STOP-1 (in that order), one JSON line per acknowledged save
  decks START STOP  saves decks START..STOP-1 (deck_for(i)) the same way
  loop              saves scenarios 0, 1, 2, ... until killed, one JSON line per acknowledged save
  hold              (duckdb only) holds the file open until stdin closes
Each JSON line is {"i": i, "id": id, "created": bool}, printed only after save() has returned.
"""
from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chokepoint.store import DuckDBStore, PostgresStore  # noqa: E402

MODEL_VERSION = "test-model-1"


def settings_for(i: int) -> dict[str, float]:
    return {"export_controls": float(i), "self_reliance": 60.0}


def deck_for(i: int) -> tuple[str, list[dict]]:  # same as test_store.deck_for
    return f"Deck {i}", [{"ref": "preset:Baseline", "title": f"Opening {i}", "notes": f"notes {i}"}]


def main(argv: list[str]) -> int:
    kind, target, mode, *rest = argv
    if mode == "hold":
        import duckdb
        connection = duckdb.connect(target)
        print("ready", flush=True)
        sys.stdin.read()
        connection.close()
        return 0
    store = DuckDBStore(target) if kind == "duckdb" else PostgresStore(target)
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1
    numbers = range(int(rest[0]), int(rest[1])) if mode in ("save", "decks") else itertools.count()
    for i in numbers:
        if mode == "decks":
            record, created = store.save_deck(*deck_for(i), MODEL_VERSION)
        else:
            record, created = store.save(settings_for(i), f"worker scenario {i}", "", MODEL_VERSION, "test-data",
                                         {"i": i})
        print(json.dumps({"i": i, "id": record.id, "created": created}), flush=True)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
