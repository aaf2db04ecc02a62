"""Workflow mode: one workflow with one job per point, plus the optional setup job before
them and gather job after them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from prominence_spec.diagnostics import Diagnostic, has_errors, parts_of, pointer_of
from prominence_spec.render import points as point_of
from prominence_spec.render.findings import Findings
from prominence_spec.render.jobs import checked_points
from prominence_spec.render.places import Locator, moved
from prominence_spec.render.prepare import Prepared
from prominence_spec.render.rendered import Check, Rendered
from prominence_spec.render.workflow_parts import Job, extra_jobs, workflow_settings
from prominence_spec.spec.settings import SETTINGS_KEY

WORKFLOW_ORDER = (
    "name",
    "labels",
    "jobs",
    "dependencies",
    "factories",
    "policies",
    "notifications",
)


def workflow_mode(
    prepared: Prepared, findings: Findings, check: Check, only: int | None
) -> Iterator[Rendered]:
    if prepared.spec.kind != "job":
        findings.problems.append(
            prepared.places.in_spec(
                Diagnostic(
                    "PS607",
                    "expand: workflow needs a job body (the workflow is built around it)",
                    pointer=pointer_of((SETTINGS_KEY, "expand")),
                )
            )
        )
        return
    extra = extra_jobs(prepared, findings)
    if extra is None:
        workflow_settings(prepared, findings)  # checked too, so that all is reported at once
        return
    setup, gather = extra
    total = point_of.count(prepared, findings)
    width = len(str(max(total - 1, 0)))
    jobs, names = _point_jobs(prepared, findings, check, only, width)
    if jobs is None:
        return
    workflow = _assemble(prepared, findings, setup, jobs, gather, names)
    locator = _workflow_locator(prepared, setup is not None, len(jobs))
    found = check(workflow, "workflow", False)
    findings.problems.extend(_once_per_place([locator(d) for d in found]))
    if not has_errors(found):
        yield Rendered(workflow, "workflow")


def _once_per_place(found: list[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per code and place: the point jobs of a workflow share their lines."""
    places: dict[tuple[str, str | None, int | None, int | None], list[Diagnostic]] = {}
    for diag in found:
        places.setdefault((diag.code, diag.path, diag.line, diag.column), []).append(diag)
    result = []
    for same in places.values():
        first = same[0]
        if len(same) > 1:
            first = dataclasses.replace(first, message=f"{first.message} ({len(same)} jobs)")
        result.append(first)
    return result


def _point_jobs(
    prepared: Prepared, findings: Findings, check: Check, only: int | None, width: int
) -> tuple[list[Job] | None, list[str]]:
    jobs: list[Job] = []
    failed = False
    points = checked_points(prepared, findings, check, only, "job", width=width, unnamed_index=0)
    for point in points:
        if point is None or has_errors(point.found):
            failed = True
            continue
        jobs.append(point.document)
    names = [str(job.get("name")) for job in jobs]
    return (None if failed else jobs), names


def _assemble(
    prepared: Prepared,
    findings: Findings,
    setup: Job | None,
    jobs: list[Job],
    gather: Job | None,
    names: list[str],
) -> dict[str, Any]:
    settings = workflow_settings(prepared, findings)
    name = settings.pop("name", None) or point_of.default_name(prepared)
    workflow: dict[str, Any] = {"name": name}
    all_jobs = [*([setup] if setup else []), *jobs, *([gather] if gather else [])]
    dependencies: dict[str, list[str]] = {}
    if setup:
        dependencies[str(setup["name"])] = list(names)
    if gather:
        for job_name in names:
            dependencies[job_name] = [str(gather["name"])]
    parts = {**settings, "jobs": all_jobs}
    if dependencies:
        parts["dependencies"] = dependencies
    for key in WORKFLOW_ORDER:
        if key in parts:
            workflow[key] = parts[key]
    return workflow


def _workflow_locator(prepared: Prepared, has_setup: bool, points: int) -> Locator:
    places = prepared.places
    body = places.body(strip=2)

    def locate_in_workflow(diag: Diagnostic) -> Diagnostic:
        parts = parts_of(diag.pointer)
        if parts[:1] == ("jobs",) and len(parts) > 1 and parts[1].isdigit():
            k = int(parts[1])
            if has_setup and k == 0:
                return in_settings(diag, ("setup", *parts[2:]))
            if k >= points + (1 if has_setup else 0):
                return in_settings(diag, ("gather", *parts[2:]))
            return body(diag)
        return in_settings(diag, parts)

    def in_settings(diag: Diagnostic, parts: tuple[str, ...]) -> Diagnostic:
        return places.in_spec(places.noted(moved(diag, (SETTINGS_KEY, "workflow", *parts))))

    return locate_in_workflow


__all__ = ["WORKFLOW_ORDER", "workflow_mode"]
