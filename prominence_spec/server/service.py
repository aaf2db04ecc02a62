"""The sandbox as one object: its data folder (locked while it runs), secret, database,
executor and scheduler. The HTTP side reaches it through the Flask app."""

from __future__ import annotations

import fcntl
import os
import secrets
import sqlite3
import time
from pathlib import Path
from typing import IO

from prominence_spec.server.auth import TokenCheck, ensure_token_file, load_or_create_secret
from prominence_spec.server.config import SandboxConfig, SandboxConfigError, ensure_private_dir
from prominence_spec.server.executors import Executor, make_executor, runtime_usable
from prominence_spec.server.recovery import Recovered, recover
from prominence_spec.server.runner import RunEnv
from prominence_spec.server.scheduler import Scheduler
from prominence_spec.server.store import Store, StoreError

#: Seconds the runners have, on top of the kill grace, to record their end at a stop.
RUNNERS_SECONDS = 30.0


def _lock(data_dir: Path) -> IO[str]:
    handle = open(data_dir / "lock", "a+")  # noqa: SIM115 - held for the sandbox's life
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise SandboxConfigError(
            f"another sandbox is using {data_dir}: stop it first, or give another --data"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _marker(store: Store) -> str:
    row = store.row("SELECT value FROM meta WHERE key = 'marker'")
    if row is not None:
        return str(row["value"])
    marker = secrets.token_hex(8)
    with store.write() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('marker', ?)", (marker,))
    return marker


def choose_executor(name: str) -> Executor:
    """The executor to run with; an explicit container runtime must be usable."""
    if name in ("docker", "podman", "apptainer") and not runtime_usable(name):
        raise SandboxConfigError(
            f"--executor {name}: {name} is not installed or its engine is not running"
        )
    return make_executor(name)


class Sandbox:
    """Everything behind the API, for one data folder.

    Made in an order that holds nothing when it fails: the executor is chosen first, then
    the folder is locked, and whatever fails after the lock releases it. The token file is
    written only by :meth:`write_token_file` (``serve`` calls it once the port is bound).
    """

    def __init__(self, config: SandboxConfig) -> None:
        config.check()
        self.config = config
        self.executor = choose_executor(config.executor)
        config.check_executor(self.executor.name)
        ensure_private_dir(config.data_dir)
        ensure_private_dir(config.data_dir / "jobs")
        self._lock = _lock(config.data_dir)
        try:
            self.secret = load_or_create_secret(config.resolved_secret_file, config.data_dir)
            self.tokens = TokenCheck(self.secret)
            self.store, self.marker = _open_store(
                config.data_dir / "sandbox.db", id_floor=config.id_floor
            )
        except BaseException:
            self._lock.close()
            raise
        self.started = time.time()
        self.base_url = ""
        self.origin = ""
        self.scheduler: Scheduler | None = None
        self._closed = False

    def write_token_file(self) -> None:
        """Write the default user's token file (unless a valid one is there)."""
        ensure_token_file(self.config.resolved_token_file, self.secret)

    def recover(self) -> Recovered:
        """Settle what a crashed sandbox left (before anything new runs)."""
        return recover(self.store, self.marker)

    def start(self, origin: str) -> None:
        """Start running jobs; ``origin`` is ``http://host:port`` as clients reach it."""
        self.origin = origin
        self.base_url = origin + "/api/v1"
        env = RunEnv(
            store=self.store, config=self.config, executor=self.executor, secret=self.secret,
            base_url=self.base_url, marker=self.marker, on_finished=lambda r, c: None,
        )  # fmt: skip
        self.scheduler = Scheduler(env)
        self.scheduler.start()

    def wake(self) -> None:
        if self.scheduler is not None:
            self.scheduler.wake()

    def cancel(self, job_ids: list[int]) -> None:
        if self.scheduler is not None:
            self.scheduler.cancel(job_ids)

    def stop_scheduling(self) -> None:
        """Start no more jobs; what is pending stays pending for the next start."""
        if self.scheduler is not None:
            self.scheduler.stop_scheduling()

    def close(self, runner_timeout: float | None = None) -> list[int]:
        """Stop running jobs (they go back to pending), wait for their runners to record
        it, then close the database and release the folder. A job whose runner has not
        ended within ``runner_timeout`` seconds (default: 30 plus the kill grace) is
        returned, and the database and the lock stay open under it: the runner records
        its end if it can, and the next start settles the job if it cannot."""
        if self._closed:
            return []
        if runner_timeout is None:
            runner_timeout = RUNNERS_SECONDS + self.config.kill_grace
        if self.scheduler is not None:
            left = self.scheduler.stop_runners(runner_timeout)
            if left:
                return left
        self._closed = True
        self.store.close()
        self._lock.close()
        return []


def _open_store(path: Path, *, id_floor: bool = True) -> tuple[Store, str]:
    """The database and this folder's marker (closed again if the marker cannot be read)."""
    try:
        store = Store(path, id_floor=id_floor)
    except StoreError as exc:
        raise SandboxConfigError(str(exc)) from None
    except sqlite3.Error as exc:
        raise SandboxConfigError(f"cannot open the database {path}: {exc}") from None
    try:
        return store, _marker(store)
    except BaseException:
        store.close()
        raise


__all__ = ["Sandbox", "choose_executor"]
