"""Jobs in the database: creation and the status transitions, each one transaction.

Statuses: ``pending`` (waiting for a slot), ``running``, then one of the terminal ones.
``in_queue`` is what the server calls the active queue: pending and running jobs, plus
finished ``leaveInQueue`` jobs until ``PUT /jobs/<id>/remove``.
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prominence_spec.server.store import dumps, next_id, put_labels

TERMINAL = ("completed", "failed", "deleted", "killed")
ACTIVE = ("pending", "running")
DELETED_BY_USER = "Job deleted by user"
DELETED_WITH_WORKFLOW = "Job part of a workflow which was deleted by user"


@dataclass(frozen=True)
class NewJob:
    """What a job row is made from."""

    owner: str
    description: dict[str, Any]
    name: str
    display_name: str
    workflow_id: int | None = None
    node: str | None = None
    #: The backend's ``(name, value)`` pairs of a factory instance.
    params: Sequence[tuple[str, str]] | None = None


def stored_description(doc: dict[str, Any]) -> dict[str, Any]:
    """The job as the server stores it: ``resources.nodes`` defaulted to 1 unless
    ``totalCpusRange`` is given."""
    out = copy.deepcopy(doc)
    res = out.get("resources")
    if isinstance(res, dict) and "nodes" not in res and "totalCpusRange" not in res:
        res["nodes"] = 1
    return out


def _leave_in_queue(doc: dict[str, Any], in_workflow: bool) -> bool:
    pol = doc.get("policies")
    return not in_workflow and isinstance(pol, dict) and pol.get("leaveInQueue") is True


def insert_job(conn: sqlite3.Connection, job: NewJob, now: int) -> int:
    """Insert a pending job; returns its new id."""
    job_id = next_id(conn)
    doc = job.description
    conn.execute(
        "INSERT INTO jobs (id, owner, name, display_name, workflow_id, node, params, "
        "description, tasks, status, leave_in_queue, create_time) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
        (
            job_id,
            job.owner,
            job.name,
            job.display_name,
            job.workflow_id,
            job.node,
            None if job.params is None else dumps([list(p) for p in job.params]),
            dumps(doc),
            dumps(doc.get("tasks", [])),
            int(_leave_in_queue(doc, job.workflow_id is not None)),
            now,
        ),
    )
    put_labels(conn, "job", job_id, doc.get("labels"))
    return job_id


def claim_pending(conn: sqlite3.Connection, limit: int, now: int) -> list[sqlite3.Row]:
    """Mark up to ``limit`` pending jobs running (oldest first) and return them."""
    rows = conn.execute(
        "SELECT id FROM jobs WHERE status = 'pending' ORDER BY id LIMIT ?", (limit,)
    ).fetchall()
    ids = [r["id"] for r in rows]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    conn.execute(
        f"UPDATE jobs SET status = 'running', start_time = ?, end_time = NULL "
        f"WHERE status = 'pending' AND id IN ({marks})",
        (now, *ids),
    )
    return conn.execute(f"SELECT * FROM jobs WHERE id IN ({marks}) ORDER BY id", ids).fetchall()


def set_pgids(conn: sqlite3.Connection, job_id: int, pgids: Sequence[Sequence[Any]]) -> None:
    """Record the process groups a running job has, for recovery after a crash."""
    conn.execute(
        "UPDATE jobs SET pgids = ? WHERE id = ?",
        (dumps([list(p) for p in pgids]) if pgids else None, job_id),
    )


def finish(
    conn: sqlite3.Connection,
    job_id: int,
    *,
    status: str,
    reason: str | None,
    execution: dict[str, Any] | None,
    outputs: dict[str, Any] | None,
    retries: int,
    now: int,
) -> bool:
    """End a running job. A job deleted meanwhile keeps its status (only what it ran is
    recorded). Returns True if this call set the status."""
    conn.execute(
        "UPDATE jobs SET execution = ?, outputs = ?, retries = ?, pgids = NULL WHERE id = ?",
        (None if execution is None else dumps(execution), dumps(outputs), retries, job_id),
    )
    cur = conn.execute(
        "UPDATE jobs SET status = ?, reason = ?, end_time = ?, in_queue = leave_in_queue "
        "WHERE id = ? AND status = 'running'",
        (status, reason, now, job_id),
    )
    return cur.rowcount == 1


def requeue(conn: sqlite3.Connection, job_id: int, *, retries: int | None = None) -> None:
    """A running job goes back to pending (the sandbox stopped under it)."""
    conn.execute(
        "UPDATE jobs SET status = 'pending', start_time = NULL, pgids = NULL, "
        "retries = COALESCE(?, retries) WHERE id = ? AND status = 'running'",
        (retries, job_id),
    )


def delete_jobs(
    conn: sqlite3.Connection,
    owner: str,
    ids: Sequence[int],
    now: int,
    reason: str = DELETED_BY_USER,
) -> list[int]:
    """Remove the owner's jobs among ``ids`` from the queue; active ones become
    ``deleted``. Returns the ids removed."""
    found = conn.execute(
        "SELECT id, status FROM jobs WHERE owner = ? AND in_queue = 1 "
        "AND id IN (SELECT value FROM json_each(?))",
        (owner, dumps(list(ids))),
    ).fetchall()
    for row in found:
        if row["status"] in ACTIVE:
            conn.execute(
                "UPDATE jobs SET status = 'deleted', reason = ?, end_time = ?, in_queue = 0 "
                "WHERE id = ?",
                (reason, now, row["id"]),
            )
        else:
            conn.execute("UPDATE jobs SET in_queue = 0 WHERE id = ?", (row["id"],))
    return [row["id"] for row in found]


def remove_from_queue(conn: sqlite3.Connection, table: str, obj_id: int) -> bool:
    """``PUT /jobs|workflows/<id>/remove``: the job (workflow) no longer stays in the queue
    when it ends; a finished one leaves at once. False if it is not in the queue."""
    cur = conn.execute(
        f"UPDATE {table} SET leave_in_queue = 0, "
        f"in_queue = CASE WHEN status IN ({_TERMINAL_SQL}) THEN 0 ELSE in_queue END "
        "WHERE id = ? AND in_queue = 1",
        (obj_id,),
    )
    return cur.rowcount == 1


_TERMINAL_SQL = ", ".join(f"'{s}'" for s in TERMINAL)


__all__ = [
    "ACTIVE",
    "DELETED_BY_USER",
    "DELETED_WITH_WORKFLOW",
    "TERMINAL",
    "NewJob",
    "claim_pending",
    "delete_jobs",
    "finish",
    "insert_job",
    "remove_from_queue",
    "requeue",
    "set_pgids",
    "stored_description",
]
