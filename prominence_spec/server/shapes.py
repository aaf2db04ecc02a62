"""What GET returns, field for field as the production server (job-spec reference 9.3-9.4)."""

from __future__ import annotations

import copy
import sqlite3
import string
from collections.abc import Callable, Mapping
from typing import Any

from prominence_spec.server.factories import reported_parameters
from prominence_spec.server.store import loads

#: Keys copied from the stored job description into the detail object.
DETAIL_KEYS = ("resources", "policies", "notifications", "artifacts", "inputs", "labels")
WORKFLOW_TERMINAL = ("completed", "failed", "deleted")

#: Builds an output's presigned URL from (job id, object name).
UrlMaker = Callable[[int, str], str]


def events(row: sqlite3.Row) -> dict[str, int]:
    out = {"createTime": int(row["create_time"])}
    if row["start_time"] is not None:
        out["startTime"] = int(row["start_time"])
    if row["end_time"] is not None:
        out["endTime"] = int(row["end_time"])
    return out


def params_of(row: sqlite3.Row) -> tuple[tuple[str, str], ...] | None:
    raw = loads(row["params"])
    return None if raw is None else tuple((str(n), str(v)) for n, v in raw)


def job_summary(row: sqlite3.Row) -> dict[str, Any]:
    """A job as ``GET /jobs`` lists it."""
    out: dict[str, Any] = {
        "id": int(row["id"]),
        "status": row["status"],
        "name": row["display_name"],
        "tasks": loads(row["tasks"]),
        "events": events(row),
    }
    if row["reason"] is not None:
        out["statusReason"] = row["reason"]
    params = params_of(row)
    if params is not None:
        out["parameters"] = reported_parameters(params)
    return out


def redact_storage(storage: Any) -> Any:
    """Storage with the OneData token shown as ``***``."""
    out = copy.deepcopy(storage)
    onedata = out.get("onedata") if isinstance(out, dict) else None
    if isinstance(onedata, dict) and "token" in onedata:
        onedata["token"] = "***"
    return out


def output_name(name: Any, params: tuple[tuple[str, str], ...] | None) -> Any:
    """The name GET shows: a factory instance's placeholders substituted fully."""
    if not params or not isinstance(name, str):
        return name
    return string.Template(name).safe_substitute(dict(params))


def _outputs(
    row: sqlite3.Row, doc: Mapping[str, Any], key: str, kind: str, url: UrlMaker
) -> list[dict[str, Any]]:
    params = params_of(row)
    staged = (loads(row["outputs"]) or {}).get(kind, [])
    out = []
    for i, name in enumerate(doc.get(key) or []):
        item: dict[str, Any] = {"name": output_name(name, params), "url": ""}
        record = staged[i] if i < len(staged) else None
        if record and record.get("object"):
            item["url"] = url(int(row["id"]), record["object"])
            item["size"] = record["size"]
        out.append(item)
    return out


def execution(row: sqlite3.Row) -> dict[str, Any]:
    out: dict[str, Any] = loads(row["execution"]) or {"runtimeVersion": {}}
    if row["retries"]:
        out["retries"] = int(row["retries"])
    return out


def job_detail(row: sqlite3.Row, url: UrlMaker) -> dict[str, Any]:
    """A job as ``GET /jobs/<id>`` (or ``?detail``) shows it."""
    doc = loads(row["description"])
    out = job_summary(row)
    for key in DETAIL_KEYS:
        if key in doc:
            out[key] = doc[key]
    if "storage" in doc:
        out["storage"] = redact_storage(doc["storage"])
    if "outputFiles" in doc:
        out["outputFiles"] = _outputs(row, doc, "outputFiles", "files", url)
    if "outputDirs" in doc:
        out["outputDirs"] = _outputs(row, doc, "outputDirs", "dirs", url)
    out["execution"] = execution(row)
    return out


def workflow_status(row: sqlite3.Row, progress: Mapping[str, int]) -> str:
    """Finished workflows keep their status; a live one is running while it has nodes
    queued, else pending (the server's idle)."""
    if row["status"] in WORKFLOW_TERMINAL:
        return str(row["status"])
    return "running" if progress.get("queued", 0) > 0 else "pending"


def _workflow_fields(row: sqlite3.Row, progress: Mapping[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": int(row["id"]), "status": workflow_status(row, progress)}
    if row["reason"] is not None:
        out["statusReason"] = row["reason"]
    out["events"] = events(row)
    out["progress"] = dict(progress)
    return out


def workflow_summary(row: sqlite3.Row, progress: Mapping[str, int]) -> dict[str, Any]:
    return {"name": row["name"], **_workflow_fields(row, progress)}


def workflow_detail(row: sqlite3.Row, progress: Mapping[str, int]) -> dict[str, Any]:
    """The stored workflow as submitted (storage credentials redacted) plus its state."""
    doc = loads(row["description"])
    if isinstance(doc.get("jobs"), list):
        for job in doc["jobs"]:
            if isinstance(job, dict) and "storage" in job:
                job["storage"] = redact_storage(job["storage"])
    return {**doc, **_workflow_fields(row, progress)}


__all__ = [
    "UrlMaker",
    "events",
    "execution",
    "job_detail",
    "job_summary",
    "output_name",
    "params_of",
    "redact_storage",
    "workflow_detail",
    "workflow_status",
    "workflow_summary",
]
