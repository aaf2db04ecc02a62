"""Where the points of a download come from: job ids, workflow ids (their jobs), or the
points of a spec (index, parameters, record) with a folder each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prominence_spec.client.api import Client
from prominence_spec.client.download.model import Point
from prominence_spec.client.download.names import default_folder, layout_folder
from prominence_spec.client.errors import ConfigError
from prominence_spec.client.ops import job_row

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
            "status": record.get("status"), "exit_code": job_row(record)["exit_code"]}  # fmt: skip


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
    client: Client, ids: Iterable[int], *, workflows: bool = False, include_all: bool = False
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


def from_spec(
    client: Client,
    spec: Path,
    *,
    state: str | Path | None = None,
    layout: str | None = None,
    include_all: bool = False,
) -> Selection:
    """The points of the spec's latest run: a jobs-mode point in ``<index>-<name>/`` (or
    ``layout`` filled in with its parameters) with its own values in ``params.json``; a
    workflow's jobs in ``<job id>-<name>/`` with the parameters the server reports."""
    from prominence_spec.client.ops import spec_targets

    targets = spec_targets(client, spec, state=state)
    keyed = _journal_keys(client, spec, state)
    values = _point_values(spec) if keyed else {}
    selection = Selection()
    job_ids = [t.id for t in targets if not t.workflow]
    records = client.statuses(job_ids, detail=True) if job_ids else {}
    for target in targets:
        if target.workflow:
            workflow = from_ids(client, [target.id], workflows=True, include_all=include_all)
            selection.points += workflow.points
            selection.left_out += workflow.left_out
            continue
        record = records.get(target.id)
        if record is None:
            selection.missing.append(target.id)
            continue
        index = keyed.get(target.id)
        params = values.get(index, {}) if index is not None else {}
        folder = _folder(layout, params, index, record)
        if folder is None:
            names = ", ".join(params) or "none"
            raise ConfigError(f"--layout {layout!r} names a parameter that point {index} does "
                              f"not have, or leaves DIR (its parameters: {names})")  # fmt: skip
        add(selection, record, folder, index=index, params=params, include_all=include_all)
    return selection


def _folder(
    layout: str | None, params: dict[str, Any], index: int | None, record: Mapping[str, Any]
) -> str | None:
    if layout is None:
        return default_folder(index, record.get("name"), int(record["id"]))
    return layout_folder(layout, params, index)


def _journal_keys(client: Client, spec: Path, state: str | Path | None) -> dict[int, int]:
    """Job id -> point index, from the journal of the spec's latest run."""
    from prominence_spec.client.journal import Journal, state_dir_for

    journal = Journal.read(state_dir_for(spec, state))
    if journal is None:
        return {}
    with journal:
        record = journal.latest_for_spec(client.url, str(spec.resolve()))
        if record is None:
            return {}
        points = journal.points(client.url, record.run)
    return {p.job_id: key for key, p in points.items() if p.job_id is not None}


def _point_values(spec: Path) -> dict[int, dict[str, Any]]:
    """Each point's own values (as ``render --points`` gives them), by index."""
    from prominence_spec.client.source import SpecSource

    return {p.key: dict(p.params or {}) for p in SpecSource(spec).points()}
