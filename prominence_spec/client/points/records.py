"""The server's records of a run's points: one listing per kind by the run label.

A record counts as a point's only if it carries that point's ``promspecid`` label (jobs
mode) or belongs to a workflow that does (workflow and factory modes), so a job the server
lost shows as ``missing`` and a stranger's job under a reused id is never shown. The
journal, when there is one, says which job is a point's latest attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prominence_spec.client.api import Client
from prominence_spec.client.identity import RUN_LABEL, point_key
from prominence_spec.client.journal import PointRecord


@dataclass(frozen=True)
class History:
    """What the journal knows of one point key: its attempts' ids, oldest first."""

    ids: tuple[int, ...] = ()
    latest: int | None = None  # the id the journal has as the point's current one


@dataclass
class Found:
    """The records of one run, grouped as the points need them."""

    #: jobs mode: point key -> its labelled records (several after retries), by id
    jobs: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    #: workflow modes: the run's workflows (attempts), oldest first
    workflows: list[dict[str, Any]] = field(default_factory=list)
    #: workflow modes: workflow id -> the jobs it made
    workflow_jobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


def histories(points: dict[int, PointRecord], known: dict[int, list[int]]) -> dict[int, History]:
    """Each journal point's attempts and current id."""
    found = {}
    for key, record in points.items():
        latest = record.job_id if record.state == "submitted" else None
        found[key] = History(tuple(known.get(key, ())), latest)
    return found


def fetch(client: Client, run: str, *, workflows: bool, history: History | None) -> Found:
    """The run's records: jobs by the run label; or its workflows by the run label and,
    for each of the point's attempts, the jobs that workflow made."""
    found = Found()
    items = client.find(RUN_LABEL, run, workflows=workflows, detail=True)
    if not workflows:
        for item in items:
            key = point_key(item, run)
            if key is not None and type(item.get("id")) is int:
                found.jobs.setdefault(key, {})[item["id"]] = item
        return found
    labelled = {
        item["id"]: item
        for item in items
        if type(item.get("id")) is int and point_key(item, run) == 0
    }
    found.workflows = [labelled[i] for i in _attempts(labelled, history)]
    for workflow in found.workflows:
        found.workflow_jobs[workflow["id"]] = client.list_jobs(
            workflow=workflow["id"], all=True, detail=True
        )
    return found


def _attempts(labelled: dict[int, dict[str, Any]], history: History | None) -> list[int]:
    """The workflow ids that are the point's attempts, oldest first: the journal's that the
    server still has under the label, then labelled ones newer than all of them (re-runs
    made with ``prominence rerun``, which copy the labels); without a journal, every
    labelled one."""
    if history is None or not history.ids:
        return sorted(labelled)
    newest = max(history.ids)
    later = sorted(i for i in labelled if i > newest)
    return [i for i in history.ids if i in labelled] + later


def latest(records: dict[int, dict[str, Any]], history: History | None) -> dict[str, Any] | None:
    """A jobs-mode point's current record: the journal's id when it has one (absent from
    the labelled records: the server lost it), else the newest labelled one."""
    if history is not None and history.latest is not None:
        return records.get(history.latest)
    return records[max(records)] if records else None


def attempts(records: dict[int, dict[str, Any]], history: History | None) -> int:
    if history is not None and history.ids:
        return len(history.ids)
    return len(records)


__all__ = ["Found", "History", "attempts", "fetch", "histories", "latest"]
