"""Where the points of a download come from: job ids, or workflow ids (their jobs), each
with a folder (``<id>-<name>``) and what ``params.json`` holds. A spec's points are in
:mod:`.spec_points`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prominence_spec.client.download.model import Api, Point
from prominence_spec.client.download.names import default_folder
from prominence_spec.client.records import record_exit_code

FINISHED_OTHERWISE = ("failed", "killed", "deleted")


@dataclass
class Selection:
    """The points to fetch, and what was left out."""

    points: list[Point] = field(default_factory=list)
    left_out: int = 0  # not completed (without ``include_all``), or not finished
    missing: list[int] = field(default_factory=list)  # ids the server does not know


def wanted(record: Mapping[str, Any], include_all: bool) -> bool:
    """Completed jobs; with ``include_all`` failed, killed and deleted ones too."""
    status = record.get("status")
    return status == "completed" or (include_all and status in FINISHED_OTHERWISE)


def params_json(
    record: Mapping[str, Any], index: int | None, params: Mapping[str, Any]
) -> dict[str, Any]:
    """What ``params.json`` holds."""
    return {"index": index, "params": dict(params), "id": record.get("id"),
            "status": record.get("status"), "exit_code": record_exit_code(record)}  # fmt: skip


def add(
    selection: Selection,
    record: Mapping[str, Any],
    folder: str,
    *,
    index: int | None,
    params: Mapping[str, Any],
    include_all: bool,
) -> None:
    """One job's record into ``selection``, or counted as left out."""
    if type(record.get("id")) is not int:
        return
    if not wanted(record, include_all):
        selection.left_out += 1
        return
    body = params_json(record, index, params)
    selection.points.append(Point(folder, int(record["id"]), record, body))


def from_ids(
    client: Api, ids: Iterable[int], *, workflows: bool = False, include_all: bool = False
) -> Selection:
    """Jobs by id (each in ``<id>-<name>/``), or every job of the workflows by id."""
    wanted_ids = [int(i) for i in ids]
    selection = Selection()
    found = client.statuses(wanted_ids, workflows=workflows, detail=not workflows)
    selection.missing = [i for i in wanted_ids if i not in found]
    jobs: list[dict[str, Any]] = []
    for ident in wanted_ids:
        if ident not in found:
            continue
        if workflows:
            jobs += client.list_jobs(workflow=ident, all=True, detail=True)
        else:
            jobs.append(found[ident])
    seen: set[int] = set()
    for record in sorted(jobs, key=lambda r: int(r.get("id") or 0)):
        if record.get("id") in seen:
            continue
        seen.add(record["id"])
        folder = default_folder(None, record.get("name"), record["id"])
        given = record.get("parameters")
        params: dict[str, Any] = given if isinstance(given, dict) else {}
        add(selection, record, folder, index=None, params=params, include_all=include_all)
    return selection
