"""Compile a sweep into PROMINENCE's own job factories, so that the server expands it.

The request then stays small however large the sweep is. It is possible only when:

* the sweep is one the server can generate (see :mod:`prominence_spec.sweep_factory`);
* sweep parameters are used only where the server substitutes them: a task's ``cmd`` and
  the names in ``outputFiles`` and ``outputDirs`` (reference section 4.5.5), as plain
  ``{{ name }}`` references, which become ``${name}``;
* ``index`` is not used (the server has no such variable), and strings that use sweep
  parameters hold no other ``$`` (the server would read it as a placeholder too);
* zip values are written the same way by Jinja and by the server (no booleans, no
  whole-number floats such as ``2.0``).

Otherwise promspec says which field or axis prevents it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from prominence_spec.compiled import BuildError, Compiled
from prominence_spec.diagnostics import Diagnostic, has_errors, parts_of, pointer_of
from prominence_spec.expand import body_locator, extra_jobs, moved, settings_locator
from prominence_spec.render import Locator, Rendered, Renderer
from prominence_spec.spec import SETTINGS_KEY
from prominence_spec.sweep import RepeatPlan, ZipPlan
from prominence_spec.templating import Var

_SUBSTITUTED = (
    re.compile(r"tasks/\d+/cmd\Z"),
    re.compile(r"outputFiles/\d+\Z"),
    re.compile(r"outputDirs/\d+\Z"),
)
_HINT = "use expand: jobs (one job per point) instead"


class Placeholder(str):
    """The text ``${name}``: what the server substitutes with the parameter's value."""

    __slots__ = ()

    def __new__(cls, name: str) -> Placeholder:
        return super().__new__(cls, "${" + name + "}")


def factory_mode(renderer: Renderer) -> Iterator[Rendered]:
    sweep = renderer.sweep
    at_sweep = (SETTINGS_KEY, "sweep")
    problems: list[Diagnostic] = []
    if sweep is None:
        problems.append(_refuse(at_sweep, "expand: factory needs a sweep"))
    elif renderer.spec.kind != "job":
        problems.append(
            _refuse(
                (SETTINGS_KEY, "expand"),
                "expand: factory needs a job body (it becomes the factory's job)",
            )
        )
    if problems or sweep is None:
        renderer.problems.extend(renderer.in_spec(p) for p in problems)
        return
    if renderer.spec.name is not None:
        renderer.problems.append(
            renderer.in_spec(
                Diagnostic(
                    "PS608",
                    "the name template is not used in factory mode: the server names the "
                    "instances <workflow>/<job>/<index>",
                    severity="warning",
                    pointer=pointer_of((SETTINGS_KEY, "name")),
                )
            )
        )
    plan = sweep.as_factory_plan()
    if isinstance(plan, Diagnostic):
        renderer.problems.append(renderer.in_spec(plan))
        return
    found = [*_slot_problems(renderer.body, set(sweep.parameters), plan), *_value_problems(plan)]
    renderer.problems.extend(
        renderer.in_body(d)
        if d.pointer and not d.pointer.startswith("/" + SETTINGS_KEY)
        else renderer.in_spec(d)
        for d in found
    )
    if found:
        return
    yield from _build(renderer, plan, sweep.parameters)


def _refuse(path: tuple[str | int, ...], message: str, hint: str = _HINT) -> Diagnostic:
    return Diagnostic("PS608", message, pointer=pointer_of(path), hint=hint)


def _slot_problems(body: Compiled, parameters: set[str], plan: Any) -> Iterator[Diagnostic]:
    for path, compiled in body.slots:
        used = compiled.variables & parameters
        if "index" in compiled.variables:
            yield _refuse(path, "index is not available in a server-side factory")
        if not used:
            continue
        where = "/".join(str(p) for p in path)
        names = ", ".join(sorted(used))
        if isinstance(plan, RepeatPlan):
            yield _refuse(path, f"a repeat factory passes no parameter, but {where} uses {names}")
        elif not any(p.match(where) for p in _SUBSTITUTED):
            yield _refuse(
                path,
                f"{where} uses {names}, but the server substitutes parameters "
                "only in task cmd, outputFiles and outputDirs",
                hint="in other fields use the environment variable "
                f"PROMINENCE_PARAMETER_{sorted(used)[0]} from the task's cmd, "
                "or use expand: jobs",
            )
        elif not compiled.simple:
            yield _refuse(
                path,
                f"{where}: only plain {{{{ name }}}} references can become "
                "server-side ${name} placeholders (no filters or expressions)",
            )
        elif any(isinstance(part, str) and "$" in part for part in compiled.parts):
            yield _refuse(
                path,
                f"{where} holds a '$' of its own, which the server would also "
                "treat as a placeholder",
            )


def _value_problems(plan: Any) -> Iterator[Diagnostic]:
    if not isinstance(plan, ZipPlan):
        return
    at = (SETTINGS_KEY, "sweep")
    for parameter in plan.parameters:
        for value in parameter.values:
            if isinstance(value, bool) or (isinstance(value, float) and value.is_integer()):
                yield _refuse(
                    at,
                    f"zip value {value!r} of {parameter.name} would be written "
                    "differently by the server than by promspec's jobs mode",
                    hint="write it as a string or an integer",
                )
                break


def _build(renderer: Renderer, plan: Any, parameters: tuple[str, ...]) -> Iterator[Rendered]:
    ctx = {**renderer.context, **{name: Placeholder(name) for name in parameters}}
    locator = _factory_locator(renderer, bool(renderer.spec.workflow.get("setup")))
    try:
        job, _ = renderer.body.build(ctx)
    except BuildError as exc:
        renderer.record([exc.diagnostic()], locator, None, None)
        return
    job = dict(job)
    if job.get("name") in (None, ""):
        job["name"] = renderer.default_name()
    job_name = job["name"] if isinstance(job["name"], str) else ""  # else reported as PS408
    extra = extra_jobs(renderer)
    if extra is None:
        return
    setup, gather = extra
    settings = renderer.workflow_settings()
    workflow: dict[str, Any] = {"name": settings.pop("name", None) or f"{job_name}-sweep"}
    if "labels" in settings:
        workflow["labels"] = settings.pop("labels")
    factory = {"name": f"{job_name}-factory", **_typed(plan), "jobs": [job_name]}
    jobs = [*([setup] if setup else []), job, *([gather] if gather else [])]
    workflow["jobs"] = jobs
    dependencies = _dependencies(setup, job_name, gather)
    if dependencies:
        workflow["dependencies"] = dependencies
    workflow.update({"factories": [factory], **settings})
    found = renderer.check(workflow, "workflow", plain=False)
    renderer.record(found, locator, None, None)
    if not has_errors(found):
        yield Rendered(workflow, "workflow")


def _dependencies(
    setup: dict[str, Any] | None, job_name: str, gather: dict[str, Any] | None
) -> dict[str, list[str]]:
    """Setup before the factory's job, gather after it: the server applies a dependency on
    a factory job to every one of its instances."""
    dependencies: dict[str, list[str]] = {}
    if setup:
        dependencies[str(setup["name"])] = [job_name]
    if gather:
        dependencies[job_name] = [str(gather["name"])]
    return dependencies


def _typed(plan: Any) -> dict[str, Any]:
    described: dict[str, Any] = plan.as_dict()
    return {"type": described.pop("type"), **described}


def _role_locator(renderer: Renderer, role: str) -> Locator:
    at = settings_locator(renderer, "workflow", role, keep=True)
    return lambda diag: at(_strip_job(diag))


def _strip_job(diag: Diagnostic) -> Diagnostic:
    return moved(diag, parts_of(diag.pointer)[2:])


def _factory_locator(renderer: Renderer, has_setup: bool) -> Locator:
    body = body_locator(renderer, strip=2)
    jobs = [
        *([_role_locator(renderer, "setup")] if has_setup else []),
        body,
        _role_locator(renderer, "gather"),
    ]
    sweep = settings_locator(renderer, "sweep")
    workflow = settings_locator(renderer, "workflow", keep=True)

    def locate_in_factory(diag: Diagnostic) -> Diagnostic:
        parts = parts_of(diag.pointer)
        if parts[:1] == ("jobs",) and len(parts) > 1 and parts[1].isdigit():
            return jobs[int(parts[1])](diag)
        if parts[:1] == ("factories",):
            return sweep(diag)
        return workflow(diag)

    return locate_in_factory


__all__ = ["Placeholder", "Var", "factory_mode"]
