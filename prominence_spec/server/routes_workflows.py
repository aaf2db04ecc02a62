"""The ``/workflows`` routes, as production's ``prominence/workflows.py`` serves them
(github.com/prominence-eosc/prominence); what they answer is in docs/openapi.json and
docs/sandbox.md."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from flask import Blueprint, Response, request

from prominence_spec.server import wfstore
from prominence_spec.server.errors import error
from prominence_spec.server.jobstore import remove_from_queue
from prominence_spec.server.listing import fetch, parse_list_args
from prominence_spec.server.shapes import workflow_detail, workflow_summary
from prominence_spec.server.store import loads
from prominence_spec.server.streams import std_stream
from prominence_spec.server.submit import check_submission
from prominence_spec.server.web import (
    authenticated,
    id_fits,
    id_list,
    owned,
    request_json,
    respond,
    sandbox,
    user,
)

bp = Blueprint("workflows", __name__)
RERUN_REFUSED = "Unable to find re-run workflow as the original workflow is not in a suitable state"


def create_workflow(owner: str, doc: dict[str, Any]) -> int:
    now = int(time.time())
    with sandbox().store.write() as conn:
        wf_id = wfstore.insert_workflow(conn, owner, doc, now)
        wfstore.advance(conn, wf_id, now)
    sandbox().wake()
    return wf_id


def _shown(rows: list[sqlite3.Row], detail: bool) -> list[dict[str, Any]]:
    progress = wfstore.progress(sandbox().store, [int(r["id"]) for r in rows])
    shape = workflow_detail if detail else workflow_summary
    return [shape(r, progress[int(r["id"])]) for r in rows]


@bp.post("/workflows")
@authenticated
def post_workflow() -> Response:
    doc = request_json()
    check_submission(doc, "workflow")
    return respond({"id": create_workflow(user(), doc)}, 201)


@bp.get("/workflows")
@authenticated
def list_workflows() -> Response:
    query = parse_list_args(request.args, jobs=False)
    rows = fetch(sandbox().store, "workflows", user(), query)
    return respond(_shown(rows, query.detail))


@bp.get("/workflows/<int:wf_id>")
@authenticated
def describe_workflow(wf_id: int) -> Response:
    rows = (
        sandbox().store.rows("SELECT * FROM workflows WHERE id = ? AND owner = ?", (wf_id, user()))
        if id_fits(wf_id)
        else []
    )
    return respond(_shown(rows, True))


def _delete(ids: list[int]) -> Response:
    with sandbox().store.write() as conn:
        removed, jobs = wfstore.delete_workflows(conn, user(), ids, int(time.time()))
    if not removed:
        raise error(400, "No such workflow(s)")
    sandbox().cancel(jobs)
    return respond({})


@bp.delete("/workflows/<int:wf_id>")
@authenticated
def delete_workflow(wf_id: int) -> Response:
    return _delete([wf_id] if id_fits(wf_id) else [])


@bp.delete("/workflows")
@authenticated
def delete_workflows() -> Response:
    if "id" not in request.args:
        raise error(400, "a workflow id or list of workflow ids must be provided")
    return _delete([i for i in id_list(request.args["id"]) if id_fits(i)])


@bp.put("/workflows/<int:wf_id>")
@authenticated
def rerun_workflow(wf_id: int) -> Response:
    new_id = None
    if id_fits(wf_id):
        with sandbox().store.write() as conn:
            new_id = wfstore.rerun(conn, user(), wf_id, int(time.time()))
    if new_id is None:
        raise error(400, RERUN_REFUSED)
    sandbox().wake()
    return respond({"id": new_id})


@bp.put("/workflows/<int:wf_id>/remove")
@authenticated
def remove_workflow(wf_id: int) -> Response:
    owned("workflows", wf_id, "workflow")
    with sandbox().store.write() as conn:
        removed = remove_from_queue(conn, "workflows", wf_id)
    if not removed:
        raise error(400, "Workflow is no longer in the queue")
    return respond({})


@bp.put("/workflows/<int:wf_id>/clone")
@authenticated
def clone_workflow(wf_id: int) -> Response:
    row = owned("workflows", wf_id, "workflow")
    return respond({"id": create_workflow(user(), loads(row["description"]))}, 201)


def _node_job(wf_id: int, node: str) -> sqlite3.Row | None:
    owned("workflows", wf_id, "workflow")
    return sandbox().store.row(
        "SELECT jobs.* FROM nodes JOIN jobs ON jobs.id = nodes.job_id "
        "WHERE nodes.workflow_id = ? AND nodes.node = ?",
        (wf_id, node),
    )


@bp.get("/workflows/<int:wf_id>/<job>/stdout")
@authenticated
def workflow_job_stdout(wf_id: int, job: str) -> Response:
    return std_stream(_node_job(wf_id, job), "stdout", use_node=False)


@bp.get("/workflows/<int:wf_id>/<job>/stderr")
@authenticated
def workflow_job_stderr(wf_id: int, job: str) -> Response:
    return std_stream(_node_job(wf_id, job), "stderr", use_node=False)


@bp.get("/workflows/<int:wf_id>/<job>/<int:instance>/stdout")
@authenticated
def instance_stdout(wf_id: int, job: str, instance: int) -> Response:
    return std_stream(_node_job(wf_id, f"{job}_{instance}"), "stdout", use_node=False)


@bp.get("/workflows/<int:wf_id>/<job>/<int:instance>/stderr")
@authenticated
def instance_stderr(wf_id: int, job: str, instance: int) -> Response:
    return std_stream(_node_job(wf_id, f"{job}_{instance}"), "stderr", use_node=False)


__all__ = ["bp", "create_workflow"]
