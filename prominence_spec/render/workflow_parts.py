"""The parts of a workflow that a spec's settings give: its own keys (name, labels,
policies, notifications) and the optional setup and gather jobs around the points."""

from __future__ import annotations

from typing import Any

from prominence_spec.diagnostics import Diagnostic, parts_of, pointer_of
from prominence_spec.render.findings import Findings
from prominence_spec.render.places import moved, under
from prominence_spec.render.prepare import Prepared
from prominence_spec.spec.settings import SETTINGS_KEY
from prominence_spec.template.body import BuildError, compile_tree

Job = dict[str, Any]


def workflow_settings(prepared: Prepared, findings: Findings) -> dict[str, Any]:
    """The workflow's own keys (name, labels, policies, notifications), rendered."""
    data = {k: v for k, v in prepared.spec.workflow.items() if k not in ("setup", "gather")}
    compiled, found = compile_tree(data, prepared.templater)
    at = (SETTINGS_KEY, "workflow")
    findings.problems.extend(prepared.places.in_spec(under(d, at)) for d in found)
    try:
        built, _ = compiled.build(prepared.context)
    except BuildError as exc:
        findings.problems.extend(prepared.places.in_spec(d) for d in exc.diagnostics(at))
        return {}
    return dict(built) if isinstance(built, dict) else {}


def extra_jobs(prepared: Prepared, findings: Findings) -> tuple[Job | None, Job | None] | None:
    """The setup and gather jobs (each None when not set); None when one cannot be built."""
    built: dict[str, Job | None] = {"setup": None, "gather": None}
    places = prepared.places
    for role in built:
        data = prepared.spec.workflow.get(role)
        if data is None:
            continue
        compiled, found = compile_tree(data, prepared.templater)
        at = (SETTINGS_KEY, "workflow", role)
        findings.problems.extend(
            places.in_spec(moved(d, (*at, *parts_of(d.pointer)))) for d in found
        )
        if found:
            return None
        try:
            document, _ = compiled.build(prepared.context)
        except BuildError as exc:
            findings.problems.extend(places.in_spec(d) for d in exc.diagnostics(at))
            return None
        if not isinstance(document, dict):
            message = f"workflow.{role} must be a job"
            findings.problems.append(
                places.in_spec(Diagnostic("PS607", message, pointer=pointer_of(at)))
            )
            return None
        document.setdefault("name", role)
        built[role] = document
    return built["setup"], built["gather"]


__all__ = ["Job", "extra_jobs", "workflow_settings"]
