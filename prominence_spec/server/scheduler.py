"""The scheduler: one thread that starts pending jobs (oldest first) while fewer than
``--max-jobs`` run, and stops running jobs when they are deleted or the sandbox stops.
The database says what is pending; the scheduler only keeps the live runners."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from prominence_spec.server import jobstore, wfstore
from prominence_spec.server.runner import JobRunner, RunEnv, noop_outcome
from prominence_spec.server.store import loads

log = logging.getLogger("promspec.sandbox")

IDLE_WAIT = 0.5
NOOP_BATCH = 500


class Scheduler:
    """Starts, tracks and stops job runners."""

    def __init__(self, env: RunEnv) -> None:
        self.env = env
        env.on_finished = self._finished
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._running: dict[int, JobRunner] = {}
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Something may have become pending."""
        self._wake.set()

    def cancel(self, job_ids: Iterable[int]) -> None:
        """Stop the runners of jobs that were deleted (the database already says so)."""
        with self._lock:
            runners = [self._running[i] for i in job_ids if i in self._running]
        for runner in runners:
            runner.stop("deleted")

    def running_count(self) -> int:
        with self._lock:
            return len(self._running)

    def stop_scheduling(self, timeout: float = 30.0) -> None:
        """Start no more jobs (what is pending stays pending); running jobs carry on."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def stop_runners(self, timeout: float) -> list[int]:
        """Stop the running jobs (they go back to pending) and wait ``timeout`` seconds at
        most for their runners to record it; returns the jobs whose runner has not."""
        self.stop_scheduling(timeout)
        with self._lock:
            runners = list(self._running.values())
        for runner in runners:
            runner.stop("shutdown")
        deadline = time.monotonic() + timeout
        for runner in runners:
            runner.thread.join(max(0.0, deadline - time.monotonic()))
        return [runner.job_id for runner in runners if runner.thread.is_alive()]

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self._schedule()
            except Exception:  # keep scheduling whatever one job does
                log.exception("scheduler: a scheduling pass failed")
                busy = False
            if not busy:
                self._wake.wait(IDLE_WAIT)
                self._wake.clear()

    def _schedule(self) -> bool:
        """One pass; True if there may be more to do at once."""
        if not self.env.executor.runs_processes:
            return self._complete_noop()
        free = self.env.config.max_jobs - self.running_count()
        if free <= 0:
            return False
        now = int(time.time())
        with self.env.store.write() as conn:
            rows = jobstore.claim_pending(conn, free, now)
        for row in rows:
            runner = JobRunner(self.env, row)
            with self._lock:
                self._running[runner.job_id] = runner
            runner.thread.start()
        return False

    def _complete_noop(self) -> bool:
        """The noop executor: claim and complete a batch of jobs in one transaction."""
        now = int(time.time())
        created: list[int] = []
        with self.env.store.write() as conn:
            rows = jobstore.claim_pending(conn, NOOP_BATCH, now)
            for row in rows:
                outcome = noop_outcome(loads(row["description"]))
                jobstore.finish(
                    conn, int(row["id"]), status="completed", reason=None,
                    execution=outcome.execution, outputs=outcome.outputs, retries=0, now=now,
                )  # fmt: skip
                if row["workflow_id"] is not None:
                    created += wfstore.node_finished(conn, row, "completed", now)
        return bool(rows)

    def _finished(self, runner: JobRunner, created: list[int]) -> None:
        with self._lock:
            self._running.pop(runner.job_id, None)
        self._wake.set()


__all__ = ["Scheduler"]
