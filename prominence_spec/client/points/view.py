"""Every point of a spec with its server record: ``promspec status SPEC``'s rows.

:func:`point_statuses` renders the spec's points (their index and values, as ``render
--points`` gives them), finds the run as ``submit`` names it (the journal's run for these
inputs, or the run id they hash to), reads the server's records in one listing per kind
and gives one :class:`PointStatus` per point, in index order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prominence_spec.client.api import TERMINAL, Client
from prominence_spec.client.journal import Journal, state_dir_for
from prominence_spec.client.ops import job_row
from prominence_spec.client.plan import run_identity
from prominence_spec.client.points.layout import Layout, Slot, spec_layout
from prominence_spec.client.points.records import (
    Found,
    History,
    attempts,
    fetch,
    histories,
    latest,
)
from prominence_spec.client.source import SpecSource

#: Statuses of a point that has no server record (besides the server's own statuses).
UNSUBMITTED = "unsubmitted"  # never sent in this run
MISSING = "missing"  # the journal has a job the server no longer lists under the label
WAITING = "waiting"  # its workflow has not made its job yet
NOT_RUN = "not run"  # its workflow ended without making its job (a parent failed)
FINAL = TERMINAL | {UNSUBMITTED, MISSING, NOT_RUN}


@dataclass
class PointStatus:
    """One point and how it stands on the server."""

    index: int
    params: dict[str, Any]
    name: str | None
    id: int | None = None
    status: str = UNSUBMITTED
    reason: str = ""
    exit_code: int | None = None
    attempts: int = 0
    walltime: float | None = None
    workflow: int | None = None  # workflow and factory modes: the workflow of ``id``
    instance: int | None = None  # factory mode
    record: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of ``status -f json`` (the record itself left out)."""
        return {
            "index": self.index,
            "params": self.params,
            "name": self.name,
            "workflow": self.workflow,
            "instance": self.instance,
            "id": self.id,
            "status": self.status,
            "reason": self.reason,
            "exit_code": self.exit_code,
            "attempts": self.attempts,
            "walltime": self.walltime,
        }

    @property
    def final(self) -> bool:
        return self.status in FINAL


@dataclass
class PointView:
    """A spec's points, its run, and (after :meth:`refresh`) their statuses."""

    client: Client
    source: SpecSource
    state: str | Path | None = None
    layout: Layout = field(init=False)
    run: str = field(init=False)
    history: dict[int, History] = field(init=False)

    def __post_init__(self) -> None:
        self.layout = spec_layout(self.source)
        self.run, self.history = self._run()

    def _run(self) -> tuple[str, dict[int, History]]:
        journal = Journal.read(state_dir_for(self.source.path, self.state))
        if journal is None:
            return run_identity(self.source, self.client.url, None, new_run=False).run, {}
        with journal:
            ident = run_identity(self.source, self.client.url, journal, new_run=False)
            points = journal.points(self.client.url, ident.run)
            known = journal.known_ids(self.client.url, ident.run)
        return ident.run, histories(points, known)

    def refresh(self) -> list[PointStatus]:
        """Every point's status now: one listing (and, for workflows, one per attempt)."""
        layout = self.layout
        history = self.history.get(0) if layout.workflows else None
        found = fetch(self.client, self.run, workflows=layout.workflows, history=history)
        if layout.workflows:
            return in_workflows(layout, found, history)
        return [self._job_point(slot, found) for slot in layout.slots]

    def _job_point(self, slot: Slot, found: Found) -> PointStatus:
        records = found.jobs.get(slot.key, {})
        history = self.history.get(slot.key)
        point = PointStatus(slot.index, slot.params, slot.name, attempts=attempts(records, history))
        record = latest(records, history)
        if record is not None:
            _fill(point, record)
        elif history is not None and history.latest is not None:
            point.id, point.status = history.latest, MISSING
        return point


def point_statuses(
    client: Client, source: SpecSource, *, state: str | Path | None = None
) -> list[PointStatus]:
    """Every point of ``source`` and its status on ``client``'s server, in index order."""
    return PointView(client, source, state).refresh()


def in_workflows(layout: Layout, found: Found, history: History | None) -> list[PointStatus]:
    """Workflow and factory modes: each point's job in the newest attempt that made it."""
    made = [
        _jobs_by_slot(layout, wf, found.workflow_jobs.get(wf["id"], [])) for wf in found.workflows
    ]
    newest = found.workflows[-1] if found.workflows else None
    points = []
    for slot in layout.slots:
        point = PointStatus(slot.index, slot.params, slot.name, instance=slot.instance)
        ident = (slot.name, slot.instance)
        point.attempts = sum(len(jobs.get(ident, ())) for jobs in made)
        for workflow, jobs in zip(reversed(found.workflows), reversed(made), strict=True):
            if ident in jobs:
                point.workflow = workflow["id"]
                _fill(point, max(jobs[ident], key=lambda r: int(r["id"])))
                break
        else:
            _unmade(point, newest, history)
        points.append(point)
    return points


def _unmade(point: PointStatus, newest: dict[str, Any] | None, history: History | None) -> None:
    if newest is None:
        missing = history is not None and history.latest is not None
        point.status = MISSING if missing else UNSUBMITTED
        point.workflow = history.latest if missing and history else None
        return
    point.workflow = newest["id"]
    point.status = NOT_RUN if newest.get("status") in TERMINAL else WAITING


def _jobs_by_slot(
    layout: Layout, workflow: dict[str, Any], jobs: Iterable[dict[str, Any]]
) -> dict[tuple[str | None, int | None], list[dict[str, Any]]]:
    """A workflow's jobs by (job name, factory instance), from their ``wf/job[/i]`` names."""
    prefix = f"{workflow.get('name') or layout.workflow_name or ''}/"
    found: dict[tuple[str | None, int | None], list[dict[str, Any]]] = {}
    for job in jobs:
        name = job.get("name")
        if not isinstance(name, str) or type(job.get("id")) is not int:
            continue
        rest = name[len(prefix) :] if name.startswith(prefix) else name
        instance = None
        if layout.mode == "factory":
            head, _, tail = rest.rpartition("/")
            if head and tail.isdigit():
                rest, instance = head, int(tail)
        found.setdefault((rest, instance), []).append(job)
    return found


def _fill(point: PointStatus, record: dict[str, Any]) -> None:
    row = job_row(record)
    point.id, point.status, point.reason = row["id"], row["status"], row["reason"]
    point.exit_code, point.walltime, point.record = row["exit_code"], row["wall_time"], record


def point_of_job(points: Iterable[PointStatus]) -> dict[int, dict[str, Any]]:
    """Job id -> ``{"index", "params"}`` of the point it is (for output keyed by job)."""
    return {p.id: {"index": p.index, "params": p.params} for p in points if p.id is not None}


def summary(points: Iterable[PointStatus]) -> str:
    """``10,000 points: 9,990 completed, 6 failed, 4 running`` (the most common first)."""
    counts: dict[str, int] = {}
    total = 0
    for point in points:
        counts[point.status] = counts.get(point.status, 0) + 1
        total += 1
    parts = [f"{n:,} {s}" for s, n in sorted(counts.items(), key=lambda c: (-c[1], c[0]))]
    noun = "point" if total == 1 else "points"
    return f"{total:,} {noun}" + (": " + ", ".join(parts) if parts else "")


__all__ = [
    "FINAL",
    "MISSING",
    "NOT_RUN",
    "UNSUBMITTED",
    "WAITING",
    "PointStatus",
    "PointView",
    "in_workflows",
    "point_of_job",
    "point_statuses",
    "summary",
]
