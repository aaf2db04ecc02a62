"""The three expansion modes: one document per point, one workflow, or a server factory."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any, NamedTuple

from prominence_spec.diagnostics import Diagnostic, has_errors, parts_of, pointer_of
from prominence_spec.render.renderer import Locator, Rendered, Renderer
from prominence_spec.spec.settings import SETTINGS_KEY
from prominence_spec.template.body import BuildError, compile_tree, plain_value

WORKFLOW_ORDER = (
    "name",
    "labels",
    "jobs",
    "dependencies",
    "factories",
    "policies",
    "notifications",
)


def expand(renderer: Renderer, only: int | None = None) -> Iterator[Rendered]:
    """Every valid document of the spec, in order; problems go to ``renderer``."""
    if not renderer.ok:
        return
    if renderer.mode == "workflow":
        yield from _workflow_mode(renderer, only)
    elif renderer.mode == "factory":
        from prominence_spec.render.factory import factory_mode

        yield from factory_mode(renderer)
    else:
        yield from _jobs_mode(renderer, only)


def _jobs_mode(renderer: Renderer, only: int | None) -> Iterator[Rendered]:
    kind = renderer.spec.kind
    for point in _checked_points(renderer, only, kind):
        if point is not None and not has_errors(point.found):
            params = point.params if point.number is not None else None
            yield Rendered(point.document, kind, point.number, params)


class _Point(NamedTuple):
    number: int | None
    params: dict[str, Any]
    document: dict[str, Any]
    found: list[Diagnostic]


def _checked_points(
    renderer: Renderer,
    only: int | None,
    kind: str,
    *,
    width: int = 0,
    unnamed_index: int | None = None,
) -> Iterator[_Point | None]:
    """Each point's document, named and validated (problems recorded); None where it could
    not be built."""
    locator = body_locator(renderer)
    for index, params in renderer.points(only):
        named = index if index is not None else unnamed_index
        try:
            document, plain = renderer.build(index, params)
            document = renderer.job_name(document, named, params, width)
        except BuildError as exc:
            renderer.record([exc.diagnostic()], locator, index, params)
            yield None
            continue
        plain = plain and plain_value(document.get("name"))
        found = renderer.check(document, kind, plain)
        if found:
            renderer.record(found, locator, index, params)
        yield _Point(index, params, document, found)


def body_locator(renderer: Renderer, strip: int = 0) -> Locator:
    """Locate a diagnostic about a rendered document in the spec's body (or template)."""

    def locate_in_body(diag: Diagnostic) -> Diagnostic:
        parts = parts_of(diag.pointer)[strip:]
        if renderer.name_template is not None and parts[:1] == ("name",):
            return renderer.in_spec(moved(diag, (SETTINGS_KEY, "name")))
        return renderer.in_body(moved(diag, tuple(parts)))

    return locate_in_body


def settings_locator(renderer: Renderer, *at: str, keep: bool = False) -> Locator:
    """Locate in the spec's settings at ``at`` (and, with ``keep``, the diagnostic's own
    pointer below it)."""

    def locate_in_settings(diag: Diagnostic) -> Diagnostic:
        rest = parts_of(diag.pointer) if keep else ()
        return renderer.in_spec(moved(diag, (SETTINGS_KEY, *at, *rest)))

    return locate_in_settings


def moved(diag: Diagnostic, parts: tuple[str | int, ...]) -> Diagnostic:
    """The same diagnostic about another place (``parts``), not yet located."""
    return Diagnostic(
        diag.code,
        diag.message,
        diag.severity,
        pointer_of(parts),
        hint=diag.hint,
        context=diag.context,
    )


def _workflow_mode(renderer: Renderer, only: int | None) -> Iterator[Rendered]:
    spec = renderer.spec
    if spec.kind != "job":
        renderer.problems.append(
            renderer.in_spec(
                Diagnostic(
                    "PS607",
                    "expand: workflow needs a job body (the workflow is built around it)",
                    pointer=pointer_of((SETTINGS_KEY, "expand")),
                )
            )
        )
        return
    extra = extra_jobs(renderer)
    if extra is None:
        return
    setup, gather = extra
    total = renderer.count()
    width = len(str(max(total - 1, 0)))
    jobs, names = _point_jobs(renderer, only, width)
    if jobs is None:
        return
    workflow = _assemble(renderer, setup, jobs, gather, names)
    locator = _workflow_locator(renderer, setup is not None, len(jobs))
    found = renderer.check(workflow, "workflow", plain=False)
    renderer.problems.extend(_once_per_place([locator(d) for d in found]))
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
    renderer: Renderer, only: int | None, width: int
) -> tuple[list[dict[str, Any]] | None, list[str]]:
    jobs: list[dict[str, Any]] = []
    failed = False
    for point in _checked_points(renderer, only, "job", width=width, unnamed_index=0):
        if point is None or has_errors(point.found):
            failed = True
            continue
        jobs.append(point.document)
    names = [str(job.get("name")) for job in jobs]
    return (None if failed else jobs), names


def extra_jobs(renderer: Renderer) -> tuple[dict[str, Any] | None, dict[str, Any] | None] | None:
    built: dict[str, dict[str, Any] | None] = {"setup": None, "gather": None}
    for role in built:
        data = renderer.spec.workflow.get(role)
        if data is None:
            continue
        compiled, found = compile_tree(data, renderer.templater)
        at = (SETTINGS_KEY, "workflow", role)
        renderer.problems.extend(
            renderer.in_spec(moved(d, (*at, *parts_of(d.pointer)))) for d in found
        )
        if found:
            return None
        try:
            document, _ = compiled.build(renderer.context)
        except BuildError as exc:
            renderer.problems.append(renderer.in_spec(exc.diagnostic(at)))
            return None
        if not isinstance(document, dict):
            renderer.problems.append(
                renderer.in_spec(
                    Diagnostic("PS607", f"workflow.{role} must be a job", pointer=pointer_of(at))
                )
            )
            return None
        document.setdefault("name", role)
        built[role] = document
    return built["setup"], built["gather"]


def _assemble(
    renderer: Renderer,
    setup: dict[str, Any] | None,
    jobs: list[dict[str, Any]],
    gather: dict[str, Any] | None,
    names: list[str],
) -> dict[str, Any]:
    settings = renderer.workflow_settings()
    workflow: dict[str, Any] = {"name": settings.pop("name", None) or renderer.default_name()}
    all_jobs = [*([setup] if setup else []), *jobs, *([gather] if gather else [])]
    dependencies: dict[str, list[str]] = {}
    if setup:
        dependencies[str(setup["name"])] = list(names)
    if gather:
        for name in names:
            dependencies[name] = [str(gather["name"])]
    parts = {**settings, "jobs": all_jobs}
    if dependencies:
        parts["dependencies"] = dependencies
    for key in WORKFLOW_ORDER:
        if key in parts:
            workflow[key] = parts[key]
    return workflow


def _workflow_locator(renderer: Renderer, has_setup: bool, points: int) -> Locator:
    body = body_locator(renderer, strip=2)

    def locate_in_workflow(diag: Diagnostic) -> Diagnostic:
        parts = parts_of(diag.pointer)
        if parts[:1] == ("jobs",) and len(parts) > 1 and parts[1].isdigit():
            k = int(parts[1])
            if has_setup and k == 0:
                return renderer.in_spec(
                    moved(diag, (SETTINGS_KEY, "workflow", "setup", *parts[2:]))
                )
            if k >= points + (1 if has_setup else 0):
                return renderer.in_spec(
                    moved(diag, (SETTINGS_KEY, "workflow", "gather", *parts[2:]))
                )
            return body(diag)
        return renderer.in_spec(moved(diag, (SETTINGS_KEY, "workflow", *parts)))

    return locate_in_workflow
