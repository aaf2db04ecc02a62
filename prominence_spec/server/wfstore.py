"""Workflows in the database: their DAG nodes, how they advance as jobs end, deletion and
re-run. Node states follow DAGMan: ``waiting`` (not ready), ``queued`` (its job was
submitted), ``done``, ``failed``. A node's job is created only when all its parents are
done, so the descendants of a failed node never run, as under DAGMan."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from prominence_spec.server.config import WORKFLOW_MAX_IDLE
from prominence_spec.server.dag import Node, build_nodes, display_name, job_document
from prominence_spec.server.jobstore import (
    DELETED_WITH_WORKFLOW,
    NewJob,
    delete_jobs,
    insert_job,
    stored_description,
)
from prominence_spec.server.store import Store, dumps, loads, next_id, put_labels

WORKFLOW_DELETED = "Workflow deleted by user"
PROGRESS_KEYS = ("total", "done", "failed", "queued", "waiting")
_FINISHED = ("completed", "failed", "deleted")


def _max_retries(doc: dict[str, Any]) -> int:
    pol = doc.get("policies")
    value = pol.get("maximumRetries", 0) if isinstance(pol, dict) else 0
    return int(value) if isinstance(value, int) else 0


def _leave(doc: dict[str, Any]) -> int:
    pol = doc.get("policies")
    return int(isinstance(pol, dict) and pol.get("leaveInQueue") is True)


def _insert_nodes(conn: sqlite3.Connection, wf_id: int, nodes: Iterable[Node]) -> None:
    conn.executemany(
        "INSERT INTO nodes (workflow_id, node, seq, job_name, idx, params, parents, state) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting')",
        [
            (
                wf_id,
                n.node,
                seq,
                n.job_name,
                n.index,
                None if n.params is None else dumps([list(p) for p in n.params]),
                dumps(n.parents),
            )
            for seq, n in enumerate(nodes)
        ],
    )


def insert_workflow(
    conn: sqlite3.Connection, owner: str, doc: dict[str, Any], now: int, *, rerun_of: int = 0
) -> int:
    """Insert a workflow and its nodes; its ready jobs are created at once."""
    wf_id = next_id(conn)
    conn.execute(
        "INSERT INTO workflows (id, owner, name, description, status, leave_in_queue, "
        "max_retries, create_time, rerun_of) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
        (
            wf_id,
            owner,
            str(doc.get("name", "")),
            dumps(doc),
            _leave(doc),
            _max_retries(doc),
            now,
            rerun_of or None,
        ),
    )
    put_labels(conn, "workflow", wf_id, doc.get("labels"))
    if not rerun_of:
        _insert_nodes(conn, wf_id, build_nodes(doc))
    return wf_id


def _create_node_job(
    conn: sqlite3.Connection, wf: sqlite3.Row, doc: dict[str, Any], node: sqlite3.Row, now: int
) -> int:
    params = loads(node["params"])
    job = NewJob(
        owner=wf["owner"],
        description=stored_description(job_document(doc, node["job_name"])),
        name=node["job_name"],
        display_name=display_name(wf["name"], node["job_name"], node["idx"]),
        workflow_id=int(wf["id"]),
        node=node["node"],
        params=None if params is None else [(str(a), str(b)) for a, b in params],
    )
    job_id = insert_job(conn, job, now)
    conn.execute(
        "UPDATE nodes SET state = 'queued', job_id = ?, tries = tries + 1 "
        "WHERE workflow_id = ? AND node = ?",
        (job_id, wf["id"], node["node"]),
    )
    return job_id


def advance(conn: sqlite3.Connection, wf_id: int, now: int) -> list[int]:
    """Submit the jobs of nodes whose parents are all done (at most
    ``WORKFLOW_MAX_IDLE`` idle at once); end the workflow when nothing is left to run.
    Returns the ids of the jobs created."""
    wf = conn.execute("SELECT * FROM workflows WHERE id = ?", (wf_id,)).fetchone()
    if wf is None or wf["status"] in _FINISHED:
        return []
    nodes = conn.execute(
        "SELECT * FROM nodes WHERE workflow_id = ? ORDER BY seq", (wf_id,)
    ).fetchall()
    state = {n["node"]: n["state"] for n in nodes}
    idle = conn.execute(
        "SELECT count(*) FROM jobs WHERE workflow_id = ? AND status = 'pending'", (wf_id,)
    ).fetchone()[0]
    budget = WORKFLOW_MAX_IDLE - int(idle)
    doc = loads(wf["description"])
    created: list[int] = []
    for node in nodes:
        if budget <= 0:
            break
        if node["state"] == "waiting" and all(
            state.get(p) == "done" for p in loads(node["parents"])
        ):
            created.append(_create_node_job(conn, wf, doc, node, now))
            state[node["node"]] = "queued"
            budget -= 1
    if "queued" not in state.values():
        _end_workflow(conn, wf, all(s == "done" for s in state.values()), now)
    elif wf["start_time"] is None:
        conn.execute(
            "UPDATE workflows SET start_time = ?, status = 'running' WHERE id = ?", (now, wf_id)
        )
    return created


def _end_workflow(conn: sqlite3.Connection, wf: sqlite3.Row, ok: bool, now: int) -> None:
    conn.execute(
        "UPDATE workflows SET status = ?, end_time = ?, in_queue = leave_in_queue, "
        "start_time = COALESCE(start_time, ?) WHERE id = ?",
        ("completed" if ok else "failed", now, now, wf["id"]),
    )


def node_finished(conn: sqlite3.Connection, job: sqlite3.Row, status: str, now: int) -> list[int]:
    """A workflow job ended with ``status``: its node is done, retried (a new job, while
    the workflow's ``maximumRetries`` allow) or failed. Returns the jobs created."""
    wf_id, node_id = job["workflow_id"], job["node"]
    node = conn.execute(
        "SELECT * FROM nodes WHERE workflow_id = ? AND node = ? AND job_id = ?",
        (wf_id, node_id, job["id"]),
    ).fetchone()
    wf = conn.execute("SELECT * FROM workflows WHERE id = ?", (wf_id,)).fetchone()
    if node is None or wf is None or wf["status"] in _FINISHED:
        return []
    if status == "completed":
        conn.execute(
            "UPDATE nodes SET state = 'done' WHERE workflow_id = ? AND node = ?", (wf_id, node_id)
        )
    elif status != "deleted" and node["tries"] <= wf["max_retries"]:
        doc = loads(wf["description"])
        return [_create_node_job(conn, wf, doc, node, now), *advance(conn, wf_id, now)]
    else:
        conn.execute(
            "UPDATE nodes SET state = 'failed' WHERE workflow_id = ? AND node = ?", (wf_id, node_id)
        )
    return advance(conn, wf_id, now)


def delete_workflows(
    conn: sqlite3.Connection, owner: str, ids: Sequence[int], now: int
) -> tuple[list[int], list[int]]:
    """Delete the owner's queued workflows among ``ids`` and their active jobs.
    Returns (workflows removed, jobs deleted)."""
    found = conn.execute(
        "SELECT id, status FROM workflows WHERE owner = ? AND in_queue = 1 "
        "AND id IN (SELECT value FROM json_each(?))",
        (owner, dumps(list(ids))),
    ).fetchall()
    jobs: list[int] = []
    for row in found:
        if row["status"] in _FINISHED:
            conn.execute("UPDATE workflows SET in_queue = 0 WHERE id = ?", (row["id"],))
            continue
        conn.execute(
            "UPDATE workflows SET status = 'deleted', reason = ?, end_time = ?, in_queue = 0 "
            "WHERE id = ?",
            (WORKFLOW_DELETED, now, row["id"]),
        )
        active = conn.execute(
            "SELECT id FROM jobs WHERE workflow_id = ? AND in_queue = 1", (row["id"],)
        ).fetchall()
        jobs += delete_jobs(conn, owner, [r["id"] for r in active], now, DELETED_WITH_WORKFLOW)
    return [row["id"] for row in found], jobs


def rerun(conn: sqlite3.Connection, owner: str, wf_id: int, now: int) -> int | None:
    """``PUT /workflows/<id>``: a new workflow whose done nodes stay done and whose failed
    and unrun nodes run again. None if the original is not a finished workflow of
    ``owner``."""
    old = conn.execute(
        "SELECT * FROM workflows WHERE id = ? AND owner = ?", (wf_id, owner)
    ).fetchone()
    if old is None or old["status"] not in _FINISHED:
        return None
    new_id = insert_workflow(conn, owner, loads(old["description"]), now, rerun_of=wf_id)
    conn.execute(
        "INSERT INTO nodes (workflow_id, node, seq, job_name, idx, params, parents, state, "
        "job_id, tries) SELECT ?, node, seq, job_name, idx, params, parents, "
        "CASE WHEN state = 'done' THEN 'done' ELSE 'waiting' END, "
        "CASE WHEN state = 'done' THEN job_id ELSE NULL END, 0 "
        "FROM nodes WHERE workflow_id = ?",
        (new_id, wf_id),
    )
    advance(conn, new_id, now)
    return new_id


def progress(store: Store, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Node counts per workflow: total, done, failed, queued, waiting."""
    out = {i: dict.fromkeys(PROGRESS_KEYS, 0) for i in ids}
    rows = store.rows(
        "SELECT workflow_id, state, count(*) AS n FROM nodes "
        "WHERE workflow_id IN (SELECT value FROM json_each(?)) GROUP BY workflow_id, state",
        (dumps(list(ids)),),
    )
    for row in rows:
        counts = out[int(row["workflow_id"])]
        counts[row["state"]] += int(row["n"])
        counts["total"] += int(row["n"])
    return out


__all__ = [
    "PROGRESS_KEYS",
    "WORKFLOW_DELETED",
    "advance",
    "delete_workflows",
    "insert_workflow",
    "node_finished",
    "progress",
    "rerun",
]
