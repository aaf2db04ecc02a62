"""SQLite storage of the sandbox: one database file in the data folder, in WAL mode.

Every change goes through :meth:`Store.write`, the one writer path: a lock held around a
``BEGIN IMMEDIATE`` transaction on the one writer connection. Reads use a connection per
thread and see the last committed state. Nothing the sandbox needs to carry on after a
restart or a crash is kept only in memory.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
#: Written beside the database once it holds its schema: a later start that finds the
#: database missing or empty while this remains refuses to begin again from nothing.
CREATED_MARKER = "sandbox.db.created"


class StoreError(Exception):
    """The database cannot be used as it is; ``message`` names the file and what to do."""


def _check_existing(path: Path) -> None:
    """Refuse a database that is missing, empty or damaged where one existed."""
    marker = path.with_name(CREATED_MARKER)
    wal = path.with_name(path.name + "-wal")
    empty = not path.exists() or path.stat().st_size == 0
    if empty and (marker.exists() or (wal.exists() and wal.stat().st_size > 0)):
        state = "missing" if not path.exists() else "empty"
        raise StoreError(
            f"{path} is {state}, but this data folder had a database: restore the file "
            "from a backup, or move the data folder aside to start a new sandbox "
            "(starting afresh here would hand out job ids again)"
        )


def _integrity(conn: sqlite3.Connection, path: Path) -> None:
    try:
        result = [str(row[0]) for row in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        result = [str(exc)]
    if result != ["ok"]:
        raise StoreError(
            f"{path} is damaged ({'; '.join(result[:3])}): restore it from a backup, or "
            "move the data folder aside to start a new sandbox"
        )


def _check_tables(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a database without its tables where one was created (a lost WAL)."""
    tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'meta'").fetchone()
    if tables[0] == 0 and path.with_name(CREATED_MARKER).exists():
        raise StoreError(
            f"{path} is missing its tables, but this data folder had a database (was its "
            "write-ahead log lost?): restore the file from a backup, or move the data "
            "folder aside to start a new sandbox"
        )


def _id_floor() -> int:
    """The least next id at a start: the time in milliseconds. A database that is new
    (or lost its last writes) so never hands out an id an earlier one did, unless that
    one gave out more than a thousand ids a second over its life."""
    return int(time.time() * 1000)


SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    workflow_id INTEGER,
    node TEXT,
    params TEXT,
    description TEXT NOT NULL,
    tasks TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    in_queue INTEGER NOT NULL DEFAULT 1,
    leave_in_queue INTEGER NOT NULL DEFAULT 0,
    create_time INTEGER NOT NULL,
    start_time INTEGER,
    end_time INTEGER,
    retries INTEGER NOT NULL DEFAULT 0,
    execution TEXT,
    outputs TEXT,
    pgids TEXT
);
CREATE INDEX IF NOT EXISTS jobs_owner_queue ON jobs (owner, in_queue, id);
CREATE INDEX IF NOT EXISTS jobs_pending ON jobs (status, id);
CREATE INDEX IF NOT EXISTS jobs_workflow ON jobs (workflow_id, status);
CREATE TABLE IF NOT EXISTS workflows (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    in_queue INTEGER NOT NULL DEFAULT 1,
    leave_in_queue INTEGER NOT NULL DEFAULT 0,
    max_retries INTEGER NOT NULL DEFAULT 0,
    create_time INTEGER NOT NULL,
    start_time INTEGER,
    end_time INTEGER,
    rerun_of INTEGER
);
CREATE INDEX IF NOT EXISTS workflows_owner_queue ON workflows (owner, in_queue, id);
CREATE TABLE IF NOT EXISTS nodes (
    workflow_id INTEGER NOT NULL,
    node TEXT NOT NULL,
    seq INTEGER NOT NULL,
    job_name TEXT NOT NULL,
    idx INTEGER,
    params TEXT,
    parents TEXT NOT NULL,
    children TEXT NOT NULL,
    pending_parents INTEGER NOT NULL,
    state TEXT NOT NULL,
    job_id INTEGER,
    tries INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (workflow_id, node)
);
CREATE INDEX IF NOT EXISTS nodes_ready ON nodes (workflow_id, state, pending_parents, seq);
CREATE TABLE IF NOT EXISTS labels (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    obj INTEGER NOT NULL,
    PRIMARY KEY (kind, key, value, obj)
);
"""


class Store:
    """The database of one data folder."""

    def __init__(self, path: Path, *, id_floor: bool = True) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        _check_existing(path)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        try:
            self._writer = self._connect()
            self._open_schema(id_floor)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path} is not a usable sandbox database ({exc}): restore it from a "
                "backup, or move the data folder aside to start a new sandbox"
            ) from None
        marker = path.with_name(CREATED_MARKER)
        if not marker.exists():
            marker.write_text("this data folder's database has been created\n")

    def _open_schema(self, id_floor: bool) -> None:
        _integrity(self._writer, self.path)
        _check_tables(self._writer, self.path)
        self._writer.execute("PRAGMA journal_mode=WAL")
        self._writer.executescript(SCHEMA)
        with self.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)",
                (str(SCHEMA_VERSION),),
            )
            conn.execute(
                "INSERT INTO counters (name, value) VALUES ('id', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                (_id_floor() - 1 if id_floor else 0,),
            )

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """The one writer path: a locked ``BEGIN IMMEDIATE`` ... ``COMMIT``."""
        with self._lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self.reader().execute(sql, args).fetchall()

    def row(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Row | None:
        found: sqlite3.Row | None = self.reader().execute(sql, args).fetchone()
        return found

    def close(self) -> None:
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._lock:
            self._writer.close()


def next_id(conn: sqlite3.Connection) -> int:
    """The next job or workflow id (one sequence for both, as HTCondor cluster ids);
    never reused, kept across restarts."""
    conn.execute(
        "INSERT INTO counters (name, value) VALUES ('id', 1) "
        "ON CONFLICT (name) DO UPDATE SET value = value + 1"
    )
    row = conn.execute("SELECT value FROM counters WHERE name = 'id'").fetchone()
    return int(row[0])


def dumps(value: Any) -> str:
    """Compact JSON for storage (ASCII, so lone surrogates a client sent are kept)."""
    return json.dumps(value, separators=(",", ":"))


def loads(text: str | None, default: Any = None) -> Any:
    return default if text is None else json.loads(text)


def put_labels(conn: sqlite3.Connection, kind: str, obj: int, labels: Any) -> None:
    """Index a job's or workflow's labels for ``?constraint=key=value``."""
    if not isinstance(labels, dict):
        return
    conn.executemany(
        "INSERT OR IGNORE INTO labels (kind, key, value, obj) VALUES (?, ?, ?, ?)",
        [(kind, str(k), str(v), obj) for k, v in labels.items()],
    )


__all__ = [
    "CREATED_MARKER",
    "SCHEMA_VERSION",
    "Store",
    "StoreError",
    "dumps",
    "loads",
    "next_id",
    "put_labels",
]
