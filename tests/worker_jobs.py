"""Jobs for the export worker tests (tests/test_workers.py) that stdlib functions cannot stand in for."""
import os


def abort_the_first_time(marker: str) -> str:
    """Abort the worker (SIGABRT, as a Rust panic does) unless `marker` exists; create it first: a crash that a
    second try does not repeat."""
    if os.path.exists(marker):
        return "made"
    open(marker, "w").close()
    os.abort()
