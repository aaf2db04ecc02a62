"""Compile a sweep into PROMINENCE's own job factories, so that the server expands it.

The request then stays small however large the sweep is. It is possible only when the
server and its worker run every instance exactly as jobs mode runs the same point:

* the sweep is one the server can generate (see :mod:`prominence_spec.sweep.factory_plan`);
* sweep parameters are used only where the worker substitutes them: a task's ``cmd`` and
  the names in ``outputFiles`` and ``outputDirs`` (reference section 4.5.5), as plain
  ``{{ name }}`` references, which become ``${name}``;
* output names use at most one parameter, and it can be the factory's last one: the worker
  substitutes only the last factory parameter into output names;
* ``index`` is not used (the server has no such variable).

A lone ``{repeat: N}`` that the command or the outputs need becomes a ``parameterSweep``
over 0..N-1 (a repeat factory passes no parameter, and its instances' outputs overwrite
each other). Literal ``$`` in the substituted fields is escaped for the worker's passes
(:mod:`prominence_spec.render.factory_text`). Otherwise promspec says which field or axis
prevents it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from prominence_spec.diagnostics import Diagnostic, has_errors, parts_of, pointer_of
from prominence_spec.render import points as point_of
from prominence_spec.render.factory_text import (
    JOB_ID_TEXT,
    MARK_RANGE,
    Pass,
    after_job_pass,
    cmd_passes,
    factory_text,
    joins_next,
    parameter_mark,
)
from prominence_spec.render.findings import Findings
from prominence_spec.render.places import Locator, moved
from prominence_spec.render.prepare import Prepared
from prominence_spec.render.rendered import Check, Rendered
from prominence_spec.render.workflow_parts import extra_jobs, workflow_settings
from prominence_spec.spec.settings import SETTINGS_KEY
from prominence_spec.sweep.sweep import (
    FactoryPlan,
    ParameterSweepPlan,
    RangeParameter,
    RepeatPlan,
    ZipPlan,
)
from prominence_spec.template.body import BuildError, Compiled
from prominence_spec.template.environment import Var

_SUBSTITUTED = (
    re.compile(r"tasks/\d+/cmd\Z"),
    re.compile(r"outputFiles/\d+\Z"),
    re.compile(r"outputDirs/\d+\Z"),
)
_OUTPUT_KEYS = ("outputFiles", "outputDirs")
_HINT = "use expand: jobs (one job per point) instead"
Path = tuple[str | int, ...]


def factory_mode(prepared: Prepared, findings: Findings, check: Check) -> Iterator[Rendered]:
    sweep = prepared.sweep
    at_sweep = (SETTINGS_KEY, "sweep")
    problems: list[Diagnostic] = []
    if sweep is None:
        problems.append(_refuse(at_sweep, "expand: factory needs a sweep"))
    elif prepared.spec.kind != "job":
        problems.append(
            _refuse(
                (SETTINGS_KEY, "expand"),
                "expand: factory needs a job body (it becomes the factory's job)",
            )
        )
    places = prepared.places
    if problems or sweep is None:
        findings.problems.extend(places.in_spec(p) for p in problems)
        return
    if prepared.spec.name is not None:
        findings.problems.append(
            places.in_spec(
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
        findings.problems.append(places.in_spec(plan))
        return
    found = [*_slot_problems(prepared.body, set(sweep.parameters)), *_value_problems(plan)]
    uses_index = any("index" in c.variables for _, c in prepared.body.slots)
    job = None if uses_index else _marked_job(prepared, findings, sweep.parameters)
    if job is not None:
        job, plan = _compile_job(job, plan, sweep.parameters, found)
    findings.problems.extend(
        places.in_body(d)
        if d.pointer and not d.pointer.startswith("/" + SETTINGS_KEY)
        else places.in_spec(d)
        for d in found
    )
    if job is not None and not has_errors(found):
        yield from _build(prepared, findings, check, job, plan)


def _refuse(path: Path, message: str, hint: str = _HINT) -> Diagnostic:
    return Diagnostic("PS608", message, pointer=pointer_of(path), hint=hint)


def _where(path: Path) -> str:
    return "/".join(str(p) for p in path)


def _slot_problems(body: Compiled, parameters: set[str]) -> Iterator[Diagnostic]:
    for path, compiled in body.slots:
        used = compiled.variables & parameters
        if "index" in compiled.variables:
            yield _refuse(path, "index is not available in a server-side factory")
        if not used:
            continue
        where = _where(path)
        names = ", ".join(sorted(used))
        if not any(p.match(where) for p in _SUBSTITUTED):
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


def _value_problems(plan: FactoryPlan) -> Iterator[Diagnostic]:
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


def _marked_job(
    prepared: Prepared, findings: Findings, parameters: tuple[str, ...]
) -> dict[str, Any] | None:
    """The job built with each sweep parameter as its marker character."""
    marks = {name: parameter_mark(i) for i, name in enumerate(parameters)}
    try:
        job, _ = prepared.body.build({**prepared.context, **marks})
    except BuildError as exc:
        findings.problems.extend(prepared.places.in_body(d) for d in exc.diagnostics())
        return None
    return dict(job)


# -- the job as the worker will run it --------------------------------------------------


def _substituted_strings(job: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    tasks = job.get("tasks")
    for i, task in enumerate(tasks if isinstance(tasks, list) else []):
        if isinstance(task, dict) and isinstance(task.get("cmd"), str):
            yield ("tasks", i, "cmd"), task["cmd"]
    for key in _OUTPUT_KEYS:
        names = job.get(key)
        for i, name in enumerate(names if isinstance(names, list) else []):
            if isinstance(name, str):
                yield (key, i), name


def _has_outputs(job: dict[str, Any]) -> bool:
    return any(isinstance(job.get(k), list) and job[k] for k in _OUTPUT_KEYS)


def _compile_job(
    job: dict[str, Any], plan: FactoryPlan, parameters: tuple[str, ...], found: list[Diagnostic]
) -> tuple[dict[str, Any], FactoryPlan]:
    """The factory's job and plan: parameters ordered for the worker, substituted fields
    escaped. Refusals go to ``found``."""
    name_of = {parameter_mark(i): name for i, name in enumerate(parameters)}
    strings = list(_substituted_strings(job))
    used: dict[Path, list[str]] = {}
    for path, text in strings:
        present = MARK_RANGE.findall(text)
        stray = [m for m in present if m not in name_of]
        if stray:
            found.append(
                _refuse(
                    path,
                    f"{_where(path)} holds the private-use character "
                    f"U+{ord(stray[0]):04X}, which promspec reserves",
                )
            )
        used[path] = list(dict.fromkeys(name_of[m] for m in present if m in name_of))
    output = _output_parameter(used, found)
    in_cmd = any(names for path, names in used.items() if path[0] == "tasks")
    if isinstance(plan, RepeatPlan) and (in_cmd or _has_outputs(job)):
        plan = ParameterSweepPlan((RangeParameter(plan.name, 0, plan.number - 1, 1),))
    if output is not None:
        plan = _last(plan, output, found)
    if has_errors(found):
        return job, plan
    order = _order(plan)
    marks = {name: parameter_mark(i) for i, name in enumerate(parameters)}
    out_pass = [Pass(frozenset(order), marks.get(output or ""), "${" + (output or "") + "}")]
    rewritten: dict[Path, str] = {}
    for path, text in strings:
        if path[0] == "tasks":
            target = _jobs_mode_command(path, text, found)
            rewritten[path] = factory_text(target, cmd_passes(order, marks), JOB_ID_TEXT)
        elif order:
            rewritten[path] = factory_text(text, out_pass, {})
    return _with_strings(job, rewritten), plan


def _output_parameter(used: dict[Path, list[str]], found: list[Diagnostic]) -> str | None:
    """The one parameter that output names use, if any (more is refused)."""
    seen: list[str] = []
    for path, names in used.items():
        if path[0] not in _OUTPUT_KEYS:
            continue
        for name in names:
            if name in seen:
                continue
            seen.append(name)
            if len(seen) == 2:
                found.append(
                    _refuse(
                        path,
                        f"output names use {seen[0]} and {seen[1]}, but the worker "
                        "substitutes only the last factory parameter into output names",
                        hint="name outputs after one parameter (each instance's outputs are "
                        "stored apart), or use expand: jobs",
                    )
                )
                return None
    return seen[0] if seen else None


def _last(plan: FactoryPlan, name: str, found: list[Diagnostic]) -> FactoryPlan:
    """The plan with ``name`` as its last parameter, where that keeps the instances' order."""
    if isinstance(plan, ZipPlan):
        rest = tuple(p for p in plan.parameters if p.name != name)
        mine = tuple(p for p in plan.parameters if p.name == name)
        return ZipPlan(rest + mine)
    if not isinstance(plan, ParameterSweepPlan):
        return plan
    params = plan.parameters
    k = next(i for i, p in enumerate(params) if p.name == name)
    after = params[k + 1 :]
    if all(_single(p) for p in after):
        return ParameterSweepPlan((*params[:k], *after, params[k]))
    found.append(
        _refuse(
            (SETTINGS_KEY, "sweep"),
            f"output names use {name}, but the worker substitutes only the last factory "
            f"parameter into output names, and {after[-1].name} comes after {name} in the "
            "sweep",
            hint=f"make {name} the last axis of the sweep (this changes the order of the "
            "jobs), name outputs after the last axis, or use expand: jobs",
        )
    )
    return plan


def _single(parameter: RangeParameter) -> bool:
    return float(parameter.start) + float(parameter.step) > float(parameter.end)


def _order(plan: FactoryPlan) -> tuple[str, ...]:
    if isinstance(plan, RepeatPlan):
        return ()
    return tuple(p.name for p in plan.parameters)


def _jobs_mode_command(path: Path, text: str, found: list[Diagnostic]) -> str:
    """What the worker runs in jobs mode (after its job-id pass), values as markers."""
    pieces = MARK_RANGE.split(text)
    marks = MARK_RANGE.findall(text)
    for piece in pieces[: len(marks)]:
        if joins_next(piece):
            found.append(
                _refuse(
                    path,
                    f"{_where(path)}: the '$' right before a parameter would make the "
                    "worker read a different placeholder than jobs mode",
                    hint="separate the '$' from the parameter, or write $$ for a literal $",
                )
            )
            break
    out = [after_job_pass(piece) + mark for piece, mark in zip(pieces, marks, strict=False)]
    return "".join(out) + after_job_pass(pieces[-1])


def _with_strings(job: dict[str, Any], rewritten: dict[Path, str]) -> dict[str, Any]:
    """A copy of ``job`` with new values at the given paths (shared parts stay shared)."""
    job = dict(job)
    for path, text in rewritten.items():
        if path[0] == "tasks":
            tasks = job["tasks"] = list(job["tasks"])
            index = int(path[1])
            tasks[index] = {**tasks[index], "cmd": text}
        else:
            key, index = str(path[0]), int(path[1])
            names = job[key] = list(job[key])
            names[index] = text
    return job


def _build(
    prepared: Prepared, findings: Findings, check: Check, job: dict[str, Any], plan: FactoryPlan
) -> Iterator[Rendered]:
    locator = _factory_locator(prepared, bool(prepared.spec.workflow.get("setup")))
    if job.get("name") in (None, ""):
        job["name"] = point_of.default_name(prepared)
    job_name = job["name"] if isinstance(job["name"], str) else ""  # else reported as PS408
    extra = extra_jobs(prepared, findings)
    settings = workflow_settings(prepared, findings)
    if extra is None:
        return
    setup, gather = extra
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
    found = check(workflow, "workflow", False)
    findings.record(found, locator, None, None)
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


def _role_locator(prepared: Prepared, role: str) -> Locator:
    at = prepared.places.settings("workflow", role, keep=True)
    return lambda diag: at(_strip_job(diag))


def _strip_job(diag: Diagnostic) -> Diagnostic:
    return moved(diag, parts_of(diag.pointer)[2:])


def _factory_locator(prepared: Prepared, has_setup: bool) -> Locator:
    places = prepared.places
    body = places.body(strip=2)
    jobs = [
        *([_role_locator(prepared, "setup")] if has_setup else []),
        body,
        _role_locator(prepared, "gather"),
    ]
    sweep = places.settings("sweep")
    workflow = places.settings("workflow", keep=True)

    def locate_in_factory(diag: Diagnostic) -> Diagnostic:
        parts = parts_of(diag.pointer)
        if parts[:1] == ("jobs",) and len(parts) > 1 and parts[1].isdigit():
            return jobs[int(parts[1])](diag)
        if parts[:1] == ("factories",):
            return sweep(diag)
        return workflow(diag)

    return locate_in_factory


__all__ = ["Var", "factory_mode"]
