"""Start-up after a crash: jobs the database says are running were left by a sandbox that
died (the data folder is locked, so no other sandbox runs them). Their processes are
killed first, found by recorded process group and by the marker in their environment;
then each job is re-queued if its ``maximumRetries`` allow, else failed."""

from __future__ import annotations

import time
from dataclasses import dataclass

from prominence_spec.server import jobstore, wfstore
from prominence_spec.server.procs import kill_leftovers, kill_marked, marked_processes
from prominence_spec.server.store import Store, loads

#: The server's reason for a job whose worker went away under it.
EVICTED = "Job was evicted"


@dataclass(frozen=True)
class Recovered:
    """What start-up found: jobs re-queued, jobs failed, processes killed."""

    requeued: int = 0
    failed: int = 0
    killed: int = 0


def _allowed(description: str) -> int:
    pol = loads(description).get("policies")
    value = pol.get("maximumRetries", 0) if isinstance(pol, dict) else 0
    return value if isinstance(value, int) else 0


def recover(store: Store, marker: str) -> Recovered:
    """End what a crashed sandbox left running, then settle its jobs."""
    rows = store.rows("SELECT * FROM jobs WHERE status = 'running' ORDER BY id")
    killed = 0
    for row in rows:
        for pgid, ticks in loads(row["pgids"], []):
            killed += kill_leftovers(int(pgid), ticks, f"{marker}/{row['id']}")
    # A task started just before the crash may not have had its group recorded yet; its
    # processes still carry this folder's marker, and nothing else of ours runs yet.
    for pids in marked_processes(marker).values():
        killed += kill_marked(pids)
    requeued = failed = 0
    now = int(time.time())
    with store.write() as conn:
        for row in rows:
            retries = int(row["retries"])
            if retries < _allowed(row["description"]):
                jobstore.requeue(conn, int(row["id"]), retries=retries + 1)
                requeued += 1
                continue
            jobstore.finish(
                conn, int(row["id"]), status="failed", reason=EVICTED,
                execution=loads(row["execution"]), outputs=loads(row["outputs"]),
                retries=retries, now=now,
            )  # fmt: skip
            failed += 1
            if row["workflow_id"] is not None:
                wfstore.node_finished(conn, row, "failed", now)
    return Recovered(requeued, failed, killed)


__all__ = ["EVICTED", "Recovered", "recover"]
