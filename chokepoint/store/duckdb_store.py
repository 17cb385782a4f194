"""The embedded default: one DuckDB file shared by any number of threads and processes.

A DuckDB file can be open read-write in only one process at a time, so every operation opens the file, does its
work and closes it, retrying for up to LOCK_WAIT_SECONDS while another process holds the lock (once: see
`_busy`); threads of one process take turns (one lock per file), and processes of the app take turns through
the lock file beside the store (`_lock_process`) before DuckDB opens it. A save is committed and on disk when it
returns.
A file that cannot be written (a read-only disk, a restored backup) opens read-only: everything reads, saves and
archiving raise ReadOnlyStore.
"""
from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not POSIX: DuckDB's own lock only
    fcntl = None

from chokepoint.store.base import Store
from chokepoint.store.errors import ReadOnlyStore, StoreError
from chokepoint.store.sql import DUCKDB, Cursor, Operation

LOCK_WAIT_SECONDS = 10.0
# When a wait for another process's lock on a file last ran out (time.monotonic(), per file, per process). Until
# an operation on the file gets through again, operations wait only BUSY_RETRY_SECONDS (enough for another
# process's save, which takes milliseconds): a page that reads the store three times, and the sessions queued
# behind it, pay for one long wait, not one each (issue 14: /present?deck=... took 33 s).
_busy: dict[str, float] = {}
BUSY_RETRY_SECONDS = 0.2
# How DuckDB says a file cannot be opened for writing (the file itself is fine, the disk or its mode is not).
_NOT_WRITABLE = ("read-only file system", "permission denied", "access is denied")

_file_locks: dict[str, threading.Lock] = {}
_file_locks_guard = threading.Lock()


def _file_lock(path: Path) -> threading.Lock:
    """One lock per file per process, shared by every DuckDBStore on that file."""
    key = os.path.abspath(path)
    with _file_locks_guard:
        return _file_locks.setdefault(key, threading.Lock())


def _lock_process(path: str) -> int | None:
    """Take the exclusive lock on PATH.lock (created if missing) for one operation; the file descriptor to give to
    `_unlock_process`, or None when there is no lock file to be had (a read-only disk without one). Raises
    BlockingIOError while another process holds it.

    Why: DuckDB reads the store file's header before it takes its own lock and does not read it again once it has
    it. A process whose read falls just before another process's closing checkpoint, and whose lock comes just
    after, works from the old header: its own checkpoint then drops the other's last save (an acknowledged save
    lost), or it reads past the end of the file ("Could not read enough bytes"). Holding this lock from before
    DuckDB opens the file until after it has closed it means the header is read only when no other process of the
    app has the file open."""
    if fcntl is None:
        return None
    lock_path = path + ".lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError:
        try:  # a read-only disk or a file of another account: a lock can be taken on a read-only descriptor
            fd = os.open(lock_path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _unlock_process(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)  # closing the descriptor lets go of its lock


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
        """(a DuckDB connection, the process lock to let go of after closing it)."""
        import duckdb

        started = time.monotonic()
        last_timeout = _busy.get(self._key)
        patient = last_timeout is None
        deadline = started + (LOCK_WAIT_SECONDS if patient else BUSY_RETRY_SECONDS)
        delay = 0.005

        def wait_or_give_up(cause: BaseException | None) -> None:
            nonlocal delay
            if time.monotonic() < deadline:
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())) * random.uniform(0.5, 1.0))
                delay = min(delay * 2, 0.2)
                return
            if patient:
                _busy[self._key] = time.monotonic()
                raise StoreError("the saved-scenario store is busy: another program has held it for "
                                 f"{LOCK_WAIT_SECONDS:.0f} s; please try again shortly") from cause
            raise StoreError("the saved-scenario store is still busy (another program has held it for "
                             f"{time.monotonic() - last_timeout + LOCK_WAIT_SECONDS:.0f} s or more); "
                             "please try again shortly") from cause

        process_lock, locked = None, False
        try:
            while True:
                if not locked:
                    try:
                        process_lock, locked = _lock_process(self._key), True
                    except BlockingIOError:  # another process of the app is using the file
                        wait_or_give_up(None)
                        continue
                try:
                    connection = duckdb.connect(str(self.path), read_only=self.read_only, config={"threads": 1})
                except duckdb.IOException as exc:
                    message = str(exc).lower()
                    if "lock" in message:  # another program holds the file (one that does not take our lock)
                        wait_or_give_up(exc)
                        continue
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
                return connection, process_lock
        except BaseException:
            _unlock_process(process_lock)
            raise

    def _run(self, operation: Operation) -> Any:
        import duckdb

        with self._lock:
            if self._closed:
                raise StoreError("the saved-scenario store is closed")
            connection, process_lock = self._connect()
            try:
                try:
                    return operation(Cursor(connection, DUCKDB))
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
                finally:
                    _unlock_process(process_lock)  # only once DuckDB has let go of the file

    def close(self) -> None:
        self._closed = True  # nothing stays open between operations

    def __repr__(self) -> str:
        return f"DuckDBStore({str(self.path)!r})"
