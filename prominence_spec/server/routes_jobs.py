"""The ``/jobs`` routes, as production's ``prominence/jobs.py`` serves them
(github.com/prominence-eosc/prominence); what they answer is in docs/openapi.json and
docs/sandbox.md."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, request

from prominence_spec.server import jobstore, wfstore
from prominence_spec.server.errors import error
from prominence_spec.server.jobstore import NewJob, stored_description
from prominence_spec.server.listing import fetch, parse_list_args
from prominence_spec.server.outputs import output_url
from prominence_spec.server.shapes import job_detail, job_summary
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

bp = Blueprint("jobs", __name__)


def create_job(owner: str, doc: dict[str, Any]) -> int:
    """Store a new job and let the scheduler know."""
    now = int(time.time())
    job = NewJob(owner=owner, description=stored_description(doc),
                 name=str(doc.get("name", "")), display_name=str(doc.get("name", "")))  # fmt: skip
    with sandbox().store.write() as conn:
        job_id = jobstore.insert_job(conn, job, now)
    sandbox().wake()
    return job_id


@bp.post("/jobs")
@authenticated
def post_job() -> Response:
    doc = request_json()
    check_submission(doc, "job")
    return respond({"id": create_job(user(), doc)}, 201)


@bp.get("/jobs")
@authenticated
def list_jobs() -> Response:
    query = parse_list_args(request.args, jobs=True)
    rows = fetch(sandbox().store, "jobs", user(), query)
    if query.detail:
        return respond([job_detail(r, output_url) for r in rows])
    return respond([job_summary(r) for r in rows])


@bp.get("/jobs/<int:job_id>")
@authenticated
def describe_job(job_id: int) -> Response:
    rows = (
        sandbox().store.rows("SELECT * FROM jobs WHERE id = ? AND owner = ?", (job_id, user()))
        if id_fits(job_id)
        else []
    )
    return respond([job_detail(r, output_url) for r in rows])


def delete_ids(ids: list[int]) -> Response:
    store, now = sandbox().store, int(time.time())
    with store.write() as conn:
        removed = jobstore.delete_jobs(conn, user(), ids, now)
        for row in conn.execute(
            "SELECT * FROM jobs WHERE id IN (SELECT value FROM json_each(?)) "
            "AND workflow_id IS NOT NULL AND status = 'deleted'",
            (str(removed),),
        ).fetchall():
            wfstore.node_finished(conn, row, "deleted", now)
    if not removed:
        raise error(400, "No such job(s)")
    sandbox().cancel(removed)
    sandbox().wake()
    return respond({})


@bp.delete("/jobs/<int:job_id>")
@authenticated
def delete_job(job_id: int) -> Response:
    return delete_ids([job_id] if id_fits(job_id) else [])


@bp.delete("/jobs")
@authenticated
def delete_jobs() -> Response:
    if "id" not in request.args:
        raise error(400, "a job id or list of job ids must be provided")
    return delete_ids([i for i in id_list(request.args["id"]) if id_fits(i)])


@bp.put("/jobs/<int:job_id>/remove")
@authenticated
def remove_job(job_id: int) -> Response:
    owned("jobs", job_id, "job")
    with sandbox().store.write() as conn:
        removed = jobstore.remove_from_queue(conn, "jobs", job_id)
    if not removed:
        raise error(400, "Job is no longer in the queue")
    return respond({})


@bp.put("/jobs/<int:job_id>/clone")
@authenticated
def clone_job(job_id: int) -> Response:
    row = owned("jobs", job_id, "job")
    return respond({"id": create_job(user(), loads(row["description"]))}, 201)


@bp.get("/jobs/<int:job_id>/stdout")
@authenticated
def job_stdout(job_id: int) -> Response:
    return std_stream(owned("jobs", job_id, "job"), "stdout")


@bp.get("/jobs/<int:job_id>/stderr")
@authenticated
def job_stderr(job_id: int) -> Response:
    return std_stream(owned("jobs", job_id, "job"), "stderr")


__all__ = ["bp", "create_job"]
