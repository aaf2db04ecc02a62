"""The other routes: health, resources, accounting, the OpenAPI document, and the areas a
sandbox has switched off (exec, snapshots, data, key-value store, time series), which
answer as a server with those features disabled: 401 ``Functionality disabled``."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request

from prominence_spec.server.config import SITE_NAME
from prominence_spec.server.errors import ProductionError, error
from prominence_spec.server.jobenv import Resources
from prominence_spec.server.openapi import openapi_document
from prominence_spec.server.store import loads
from prominence_spec.server.web import authenticated, respond, sandbox, user

bp = Blueprint("misc", __name__)
GROUP = "sandbox"


@bp.get("/health")
def health() -> Response:
    return Response(status=204)


@bp.get("/openapi.json")
def openapi() -> Response:
    return respond(openapi_document())


def _memory_gb() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1000 // 1000
    except (OSError, ValueError):
        pass
    return 1


@bp.get("/resources")
@authenticated
def resources() -> Response:
    cpus, memory = os.cpu_count() or 1, _memory_gb()
    used = [Resources.of(loads(r["description"])) for r in sandbox().store.rows(
        "SELECT description FROM jobs WHERE status = 'running'")]  # fmt: skip
    free = {"cpus": max(0, cpus - sum(r.cpus for r in used)),
            "memory": max(0, memory - sum(r.memory_gb for r in used))}  # fmt: skip
    return respond({"existing": [{"capacity": {"cpus": cpus, "memory": memory}, "free": free,
                                  "site": SITE_NAME}]})  # fmt: skip


def _day(text: str, end: bool) -> int:
    try:
        day = dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise ProductionError(f"date {text!r}: the usage query raises") from None
    return int(day.timestamp()) + (86400 if end else 0)


def _usage(rows: list[Any]) -> dict[str, float | int]:
    cpu = wall = 0.0
    for row in rows:
        execution = loads(row["execution"]) or {}
        cpu += sum(t.get("cpuTimeUsage", 0) for t in execution.get("tasks", []))
        cpus = Resources.of(loads(row["description"])).cpus
        wall += (row["end_time"] - (row["start_time"] or row["end_time"])) * cpus
    return {"cpuTime": cpu / 3600, "wallTime": wall / 3600, "numberOfJobs": len(rows)}


@bp.get("/accounting")
@authenticated
def accounting() -> Response:
    start, end = request.args.get("start"), request.args.get("end")
    if not start:
        raise error(400, "Start date must be provided")
    if not end:
        raise error(400, "End date must be provided")
    # Production shows (show_all_users, by_group) the users of the caller's group; a
    # sandbox user is a group of one, so nobody sees another user's usage.
    rows = sandbox().store.rows(
        "SELECT owner, description, execution, start_time, end_time FROM jobs "
        "WHERE owner = ? AND end_time >= ? AND end_time < ?",
        (user(), _day(start, False), _day(end, True)),
    )
    if request.args.get("by_group") == "true":
        return respond({"usage": {"groups": {GROUP: _usage(rows)}}})
    return respond({"usage": {"users": {user(): _usage(rows)}}})


@bp.post("/token")
@authenticated
def token() -> Response:
    return respond({}, 400)  # the sandbox has no HTCondor pool to join


DISABLED_RULES = (
    ("/jobs/<int:job_id>/exec", ("POST",)),
    ("/jobs/<int:job_id>/snapshot", ("GET", "PUT")),
    ("/data", ("GET", "POST")),
    ("/data/upload", ("POST",)),
    ("/data/output", ("POST",)),
    ("/data/<path:name>", ("GET", "DELETE")),
    ("/kv", ("GET",)),
    ("/kv/<path:key>", ("GET", "POST", "DELETE")),
    ("/ts", ("POST",)),
    ("/ts/<int:job_id>", ("GET",)),
)


@authenticated
def disabled(**_: Any) -> Response:
    raise error(401, "Functionality disabled")


for _rule, _methods in DISABLED_RULES:
    bp.add_url_rule(_rule, f"disabled{_rule}", disabled, methods=list(_methods))


__all__ = ["DISABLED_RULES", "bp"]
