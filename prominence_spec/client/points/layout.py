"""Where each point of a spec lives on the server, decided without the network.

A point is one sweep index with its own values (what ``render --points`` gives). Where its
job is depends on the mode the spec renders in:

* ``jobs``: the point is a job of its own, labelled ``promspecid=<run>-<index>``;
* ``workflow``: one workflow (labelled ``promspecid=<run>-0``) has a job per point, found
  by the job's name inside the workflow;
* ``factory``: one workflow with one factory job; the point is its instance ``index``
  (the backend numbers instances in sweep order, first parameter slowest).

A file of several documents numbers its points in order, as ``submit`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prominence_spec.client.source import SpecSource
from prominence_spec.validation.templated import TemplatedRun

MODES = ("jobs", "workflow", "factory")


@dataclass(frozen=True)
class Slot:
    """One point: its index, its values, and how its job is named on the server."""

    index: int
    params: dict[str, Any]
    key: int  # the journal's and the promspecid label's point key
    name: str | None  # the job's own name (inside its workflow, for a workflow's job)
    instance: int | None = None  # the factory instance


@dataclass(frozen=True)
class Layout:
    """Every point of a spec, in index order, and the mode that places them."""

    mode: str
    slots: list[Slot]
    workflow_name: str | None = None  # workflow and factory modes

    @property
    def workflows(self) -> bool:
        return self.mode != "jobs"


def spec_layout(source: SpecSource) -> Layout:
    """The points of ``source``; afterwards ``source.diagnostics`` has what rendering found."""
    run = source.open()
    if len(run.items) != 1:
        slots = [Slot(p.key, {}, p.key, _name(p.document)) for p in source.points()]
        return Layout("jobs", slots)
    item = run.items[0]
    mode = item.mode if isinstance(item, TemplatedRun) else "jobs"
    params = {row.index: row.params for row in run.points()}
    documents = list(run.documents())
    source.diagnostics = list(run.diagnostics)
    if mode == "jobs" or not documents:
        names = {(d.index or 0): _name(d.document) for d in documents}
        slots = [Slot(i, p, i, names.get(i)) for i, p in sorted(params.items())]
        return Layout("jobs" if mode == "jobs" else mode, slots)
    workflow = documents[0].document
    setup = isinstance(item, TemplatedRun) and item.prepared.spec.workflow.get("setup") is not None
    jobs = [j for j in workflow.get("jobs", []) if isinstance(j, dict)]
    point_jobs = jobs[int(setup) :]
    wf_name = _name(workflow)
    if mode == "factory":
        job = _name(point_jobs[0]) if point_jobs else None
        slots = [Slot(i, p, 0, job, i) for i, p in sorted(params.items())]
    else:
        in_order = [_name(j) for j in point_jobs]
        slots = [
            Slot(i, p, 0, in_order[n] if n < len(in_order) else None)
            for n, (i, p) in enumerate(sorted(params.items()))
        ]
    return Layout(mode, slots, wf_name)


def _name(document: Any) -> str | None:
    name = document.get("name") if isinstance(document, dict) else None
    return name if isinstance(name, str) else None


__all__ = ["MODES", "Layout", "Slot", "spec_layout"]
