"""The parts of a workflow that a spec's settings give: its own keys (name, labels,
policies, notifications) and the optional setup and gather jobs around the points."""

from __future__ import annotations

from typing import Any

from prominence_spec.diagnostics import Diagnostic, parts_of, pointer_of
from prominence_spec.render.findings import Findings
from prominence_spec.render.places import moved, under
from prominence_spec.render.prepare import RESERVED, Prepared, undefined_variable
from prominence_spec.spec.settings import SETTINGS_KEY
from prominence_spec.template.body import BuildError, Compiled, compile_tree

Job = dict[str, Any]


def workflow_settings(prepared: Prepared, findings: Findings) -> dict[str, Any]:
    """The workflow's own keys (name, labels, policies, notifications), rendered."""
    data = {k: v for k, v in prepared.spec.workflow.items() if k not in ("setup", "gather")}
    compiled, found = compile_tree(data, prepared.templater)
    at = (SETTINGS_KEY, "workflow")
    findings.problems.extend(prepared.places.in_spec(under(d, at)) for d in found)
    unavailable = _unavailable(prepared, compiled, at, "workflow")
    findings.problems.extend(prepared.places.in_spec(d) for d in unavailable)
    if found or unavailable:
        return {}
    try:
        built, _ = compiled.build(prepared.context)
    except BuildError as exc:
        findings.problems.extend(prepared.places.in_spec(d) for d in exc.diagnostics(at))
        return {}
    return dict(built) if isinstance(built, dict) else {}


def extra_jobs(prepared: Prepared, findings: Findings) -> tuple[Job | None, Job | None] | None:
    """The setup and gather jobs (each None when not set); None when one cannot be built.
    Both are checked, so that what is wrong in either is reported."""
    built = {role: _extra_job(prepared, findings, role) for role in ("setup", "gather")}
    if any(job is _FAILED for job in built.values()):
        return None
    return built["setup"], built["gather"]


#: An extra job that could not be built (its problems are in the findings).
_FAILED: Job = {}


def _extra_job(prepared: Prepared, findings: Findings, role: str) -> Job | None:
    data = prepared.spec.workflow.get(role)
    if data is None:
        return None
    places = prepared.places
    compiled, found = compile_tree(data, prepared.templater)
    at = (SETTINGS_KEY, "workflow", role)
    findings.problems.extend(places.in_spec(moved(d, (*at, *parts_of(d.pointer)))) for d in found)
    unavailable = _unavailable(prepared, compiled, at, role)
    findings.problems.extend(places.in_spec(d) for d in unavailable)
    if found or unavailable:
        return _FAILED
    try:
        document, _ = compiled.build(prepared.context)
    except BuildError as exc:
        findings.problems.extend(places.in_spec(d) for d in exc.diagnostics(at))
        return _FAILED
    if not isinstance(document, dict):
        message = f"workflow.{role} must be a job"
        findings.problems.append(
            places.in_spec(Diagnostic("PS607", message, pointer=pointer_of(at)))
        )
        return _FAILED
    document.setdefault("name", role)
    return document


#: When the setup and gather jobs run, for the message that they cannot use a point's value.
_RUNS = {
    "setup": "the setup job runs once, before the point jobs",
    "gather": "the gather job runs once, after the point jobs",
    "workflow": "the workflow's own settings are one for all the points",
}


def _unavailable(
    prepared: Prepared, compiled: Compiled, at: tuple[str | int, ...], role: str
) -> list[Diagnostic]:
    """Variables the setup job, the gather job or the workflow's settings use that they do
    not have: a sweep parameter or ``index`` (a point's values), or a name defined
    nowhere."""
    known = set(prepared.context) | (RESERVED - {"index"})
    per_point = {"index", *(prepared.sweep.parameters if prepared.sweep else ())}
    found: list[Diagnostic] = []
    for path, slot in compiled.slots:
        for name in sorted(slot.variables - known):
            if name in per_point:
                found.append(_per_point(name, pointer_of((*at, *path)), role))
            else:
                found.append(undefined_variable(name, (*at, *path), known))
    return found


def _per_point(name: str, pointer: str, role: str) -> Diagnostic:
    what = "a point's number" if name == "index" else "a sweep parameter"
    user = "workflow's settings" if role == "workflow" else f"{role} job"
    return Diagnostic(
        "PS602",
        f'"{name}" is {what}, which the {user} cannot use: {_RUNS[role]}',
        pointer=pointer,
        hint=f"use {name} in the body, which is rendered once per point; the {user} sees "
        "promspec.params, --values and --set",
    )


__all__ = ["Job", "extra_jobs", "workflow_settings"]
