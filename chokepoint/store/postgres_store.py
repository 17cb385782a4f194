"""The shared store for replicas: PostgreSQL via psycopg 3 (CHOKEPOINT_DATABASE_URL), autocommit, a few idle
connections reused. A standby or an account that may only read opens read-only. Driver messages never reach the
user: they can repeat the address, password included.
"""
from __future__ import annotations

import threading
from typing import Any

from chokepoint.store.base import Store
from chokepoint.store.errors import ReadOnlyStore, StoreError
from chokepoint.store.sql import POSTGRES, Cursor, Operation


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

    def _schema_operation(self, cur: Cursor):
        import psycopg

        # Concurrent CREATE TABLE IF NOT EXISTS can collide in PostgreSQL: take a transaction-level lock.
        cur.execute("begin")
        try:
            cur.execute("schema_lock")
            self._create_schema(cur)
        except (psycopg.errors.ReadOnlySqlTransaction, psycopg.errors.InsufficientPrivilege) as exc:
            # A standby, or an account that may only read: open read-only if the tables are there.
            cur.execute("rollback")
            self.read_only = True
            self.read_only_reason = ("the database is a read-only replica"
                                     if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction)
                                     else "this server's database account may only read")
            self._create_schema(cur)
            return
        except BaseException:
            cur.execute("rollback")
            raise
        cur.execute("commit")

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
                    result = operation(Cursor(cursor, POSTGRES))
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
