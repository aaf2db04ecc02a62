"""The submit journal: what was sent, what came back, crash-safe (SQLite, WAL, FULL sync).

It lives in ``.promspec/`` next to the spec (or ``--state DIR``), a folder promspec creates
(mode 0700) with a ``.gitignore`` of ``*`` so that it never lands in the spec repository.

States of a point (a row per server URL, run and point key):

``sending``    recorded durably *before* its POST: the job may exist; check by label.
``submitted``  the server gave its id (or the label check found it).
``ambiguous``  the POST failed in a way that may have created the job; check by label.
``rejected``   the server certainly made no job (400, 413, ...): the next run sends it again.

``attempts`` keeps every job id a point ever had: ``--retry-failed`` makes a new attempt
of a point whose job failed, and the old job must not count as the new one.
Only one ``submit`` may write a state folder at a time (an advisory ``flock``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

from prominence_spec.client.errors import JournalError

STATE_DIR = ".promspec"
DB_NAME = "journal.sqlite"
LOCK_NAME = "lock"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    url TEXT NOT NULL, run TEXT NOT NULL, base TEXT NOT NULL, nonce TEXT,
    spec TEXT NOT NULL, mode TEXT, points INTEGER, created REAL NOT NULL,
    PRIMARY KEY (url, run)
);
CREATE TABLE IF NOT EXISTS points (
    url TEXT NOT NULL, run TEXT NOT NULL, key INTEGER NOT NULL, name TEXT, kind TEXT,
    digest TEXT NOT NULL, state TEXT NOT NULL, job_id INTEGER, attempt INTEGER NOT NULL,
    error TEXT, updated REAL NOT NULL, deadline REAL,
    PRIMARY KEY (url, run, key)
);
CREATE TABLE IF NOT EXISTS attempts (
    url TEXT NOT NULL, run TEXT NOT NULL, key INTEGER NOT NULL, attempt INTEGER NOT NULL,
    job_id INTEGER NOT NULL, found INTEGER NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (url, run, key, attempt)
);
"""


@dataclass(frozen=True)
class RunRecord:
    url: str
    run: str
    base: str
    nonce: str | None
    spec: str
    mode: str | None
    points: int | None
    created: float


@dataclass(frozen=True)
class PointRecord:
    key: int
    name: str | None
    kind: str | None
    digest: str
    state: str
    job_id: int | None
    attempt: int
    error: str | None
    deadline: float | None = None  # a POST in flight cannot reach the server after this


def state_dir_for(spec: Path, override: str | Path | None = None) -> Path:
    return Path(override) if override else spec.resolve().parent / STATE_DIR


class Journal:
    """One SQLite database, shared by the submit threads under a lock."""

    def __init__(self, folder: Path, *, write: bool) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._lock_file: IO[str] | None = None
        if write:
            _make_folder(folder)
            self._lock_file = _take_lock(folder / LOCK_NAME)
        path = folder / DB_NAME
        if write and not path.exists():
            _touch_private(path)
        uri = f"file:{path}?mode={'rwc' if write else 'ro'}"
        import sqlite3  # here: a dry run without a journal never needs it

        try:
            self._db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 10000")
            if write:
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = FULL")
                self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            self.close()
            raise JournalError(f"cannot use the journal {path}: {exc}") from None

    @classmethod
    def open(cls, folder: Path) -> Journal:
        """For writing: creates the folder, takes the lock (``JournalError`` if taken)."""
        return cls(folder, write=True)

    @classmethod
    def read(cls, folder: Path) -> Journal | None:
        """Read-only, no lock; None when there is no journal yet."""
        if not (folder / DB_NAME).exists():
            return None
        return cls(folder, write=False)

    def close(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs ------------------------------------------------------------------------------
    def latest_run(self, url: str, base: str) -> RunRecord | None:
        row = self._one(
            "SELECT * FROM runs WHERE url = ? AND base = ? ORDER BY created DESC LIMIT 1",
            (url, base),
        )
        return RunRecord(*row) if row else None

    def latest_for_spec(self, url: str, spec: str) -> RunRecord | None:
        row = self._one(
            "SELECT * FROM runs WHERE url = ? AND spec = ? ORDER BY created DESC LIMIT 1",
            (url, spec),
        )
        return RunRecord(*row) if row else None

    def add_run(self, record: RunRecord) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url, run) "
                "DO UPDATE SET points = excluded.points, spec = excluded.spec",
                (
                    record.url,
                    record.run,
                    record.base,
                    record.nonce,
                    record.spec,
                    record.mode,
                    record.points,
                    record.created,
                ),
            )

    # -- points ----------------------------------------------------------------------------
    def points(self, url: str, run: str) -> dict[int, PointRecord]:
        rows = self._all(
            "SELECT key, name, kind, digest, state, job_id, attempt, error, deadline FROM points "
            "WHERE url = ? AND run = ?",
            (url, run),
        )
        return {row[0]: PointRecord(*row) for row in rows}

    def known_ids(self, url: str, run: str) -> dict[int, list[int]]:
        rows = self._all(
            "SELECT key, job_id FROM attempts WHERE url = ? AND run = ? ORDER BY attempt",
            (url, run),
        )
        found: dict[int, list[int]] = {}
        for key, job_id in rows:
            found.setdefault(key, []).append(job_id)
        return found

    def mark_sending(
        self,
        url: str,
        run: str,
        key: int,
        name: str | None,
        kind: str,
        digest: str,
        attempt: int,
        deadline: float,
    ) -> None:
        """Durable before the POST leaves: a crash after this line is checked by label.

        ``deadline``: the time after which this POST can no longer reach the server (its
        connect and read timeouts spent); a later run checks by label only then.
        """
        with self._write() as db:
            db.execute(
                "INSERT INTO points VALUES (?, ?, ?, ?, ?, ?, 'sending', NULL, ?, NULL, ?, ?) "
                "ON CONFLICT (url, run, key) DO UPDATE SET state = 'sending', "
                "digest = excluded.digest, attempt = excluded.attempt, error = NULL, "
                "job_id = NULL, updated = excluded.updated, deadline = excluded.deadline",
                (url, run, key, name, kind, digest, attempt, time.time(), deadline),
            )

    def extend_deadline(self, url: str, run: str, key: int, deadline: float) -> None:
        """Before a POST is sent again: its new attempt may arrive until ``deadline``."""
        with self._write() as db:
            db.execute(
                "UPDATE points SET deadline = MAX(COALESCE(deadline, 0), ?) "
                "WHERE url = ? AND run = ? AND key = ?",
                (deadline, url, run, key),
            )

    def mark_submitted(
        self,
        url: str,
        run: str,
        key: int,
        job_id: int,
        *,
        found: bool = False,
        name: str | None = None,
        kind: str | None = None,
        digest: str | None = None,
        attempt: int | None = None,
    ) -> None:
        now = time.time()
        with self._write() as db:
            if digest is not None:
                db.execute(
                    "INSERT INTO points VALUES "
                    "(?, ?, ?, ?, ?, ?, 'submitted', ?, ?, NULL, ?, NULL) "
                    "ON CONFLICT (url, run, key) DO NOTHING",
                    (url, run, key, name, kind, digest, job_id, attempt or 1, now),
                )
            db.execute(
                "UPDATE points SET state = 'submitted', job_id = ?, error = NULL, updated = ? "
                "WHERE url = ? AND run = ? AND key = ?",
                (job_id, now, url, run, key),
            )
            db.execute(
                "INSERT OR REPLACE INTO attempts SELECT url, run, key, attempt, ?, ?, ? "
                "FROM points WHERE url = ? AND run = ? AND key = ?",
                (job_id, int(found), now, url, run, key),
            )

    def mark_failed(self, url: str, run: str, key: int, error: str, *, ambiguous: bool) -> None:
        state = "ambiguous" if ambiguous else "rejected"
        with self._write() as db:
            db.execute(
                "UPDATE points SET state = ?, error = ?, updated = ? "
                "WHERE url = ? AND run = ? AND key = ?",
                (state, error, time.time(), url, run, key),
            )

    def restore(self, url: str, run: str, key: int, job_id: int, attempt: int) -> None:
        """A new attempt certainly made nothing (a refused re-run): the point is back to
        its job ``job_id`` of attempt ``attempt``."""
        with self._write() as db:
            db.execute(
                "UPDATE points SET state = 'submitted', job_id = ?, attempt = ?, error = NULL, "
                "updated = ?, deadline = NULL WHERE url = ? AND run = ? AND key = ?",
                (job_id, attempt, time.time(), url, run, key),
            )

    def forget_sending(self, url: str, run: str, key: int) -> None:
        """The POST certainly never left (stopped before sending): back to 'rejected'."""
        self.mark_failed(url, run, key, "not sent", ambiguous=False)

    # -- plumbing ----------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _one(self, sql: str, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        import sqlite3  # loaded by __init__ already

        with self._lock:
            try:
                row = self._db.execute(sql, args).fetchone()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return None
                raise
        return tuple(row) if row else None

    def _all(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        import sqlite3  # loaded by __init__ already

        with self._lock:
            try:
                return [tuple(r) for r in self._db.execute(sql, args).fetchall()]
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return []
                raise


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
    except OSError as exc:
        raise JournalError(f"cannot create the state folder {folder}: {exc.strerror}") from None


def _touch_private(path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise JournalError(f"cannot create {path}: {exc.strerror}") from None


def _take_lock(path: Path) -> IO[str]:
    import fcntl

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise JournalError(f"cannot create the lock {path}: {exc.strerror}") from None
    handle = os.fdopen(fd, "r+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise JournalError(
            f"run locked: another `promspec submit` is using {path.parent}; wait for it "
            "to finish, then run this one again: it sends only what is still missing (a "
            "second submit of the same spec at the same time, with any --state, could send "
            "points twice)"
        ) from None
    return handle
