"""Workflow factories as the production PROMINENCE server and its worker run them.

Two halves, each written from the job-spec reference (sections 4.5.1-4.5.5):

* the **backend** (``create_workflow.py``) expands a factory into instances: the values of
  each parameter, the Cartesian product (first parameter slowest) or the zip, the text it
  writes for each value, and the ``--param name=value`` arguments it gives the worker;
* the **worker** (``promlet.py``) substitutes those values into what the job runs: the task
  ``cmd`` cumulatively, one ``string.Template.safe_substitute`` pass after another (job id,
  workflow id, then each parameter in order), and the local names of ``outputFiles`` and
  ``outputDirs`` from the *original* name for every parameter, so that only the last
  parameter is substituted in them.

The sandbox runs factory instances through these functions, and promspec's tests compare
factory mode with jobs mode through them, so both follow one model of the server.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from prominence_spec.counting import server_count

#: The counting loop of a ``parameterSweep`` is not simulated beyond this many values.
MAX_SWEEP_VALUES = 10**6

Parameters = tuple[tuple[str, str], ...]


class FactoryError(ValueError):
    """The backend cannot expand this factory (it would fail or never finish)."""


@dataclass(frozen=True)
class Instance:
    """One instance of a factory's job: its index and the ``--param`` pairs, in order."""

    index: int
    parameters: Parameters

    def arguments(self) -> list[str]:
        """The worker's command-line arguments for the instance's parameters."""
        return [arg for name, value in self.parameters for arg in ("--param", f"{name}={value}")]


# ------------------------------------------------------------------------------ backend


def value_text(value: Any) -> str:
    """The text the backend writes for a value (``write_parameter_value``, then ``%s``):
    integers, booleans and whole-number floats as integer text, other floats in Python's
    form, ``None`` as ``None``, strings unchanged."""
    try:
        if isinstance(value, int) or int(value) == value:
            return "%d" % value  # noqa: UP031 - the backend's own formatting
    except (TypeError, ValueError, OverflowError):
        pass
    return str(value)


def sweep_count(start: float, end: float, step: float) -> int:
    """How many values the backend's loop counts by adding ``step`` while ``<= end``."""
    count = server_count(start, end, step, MAX_SWEEP_VALUES)
    if count is None:
        raise FactoryError(f"step {step!r} never reaches end {end!r}: the request would hang")
    if count > MAX_SWEEP_VALUES:
        raise FactoryError(f"more than {MAX_SWEEP_VALUES:,} values from {start!r} to {end!r}")
    return count


def sweep_values(start: Any, end: Any, step: Any) -> list[str]:
    """The texts of one ``parameterSweep`` parameter: ``start + i*step`` for each counted i,
    whole numbers as integers."""
    try:
        s, e, st = float(start), float(end), float(step)
    except (TypeError, ValueError) as exc:
        raise FactoryError(f"non-numeric start, end or step: {exc}") from None
    return [value_text(s + i * st) for i in range(sweep_count(s, e, st))]


def expand(factory: Mapping[str, Any]) -> list[Instance]:
    """The instances the backend creates for a validated factory, in index order."""
    kind = factory.get("type")
    if kind == "repeat":
        return [Instance(i, ()) for i in range(int(factory["number"]))]
    params: Sequence[Mapping[str, Any]] = factory.get("parameters", [])
    names = [str(p["name"]) for p in params]
    if kind == "parameterSweep":
        if any("step" not in p for p in params):
            raise FactoryError("a parameterSweep parameter without step (number is not used)")
        if len(params) > 4:
            raise FactoryError("Currently only parameter sweeps up to 4D are supported")
        axes = [sweep_values(p["start"], p["end"], p["step"]) for p in params]
        combos: Iterator[tuple[str, ...]] = product(*axes) if axes else iter(())
    elif kind == "zip":
        if not params:
            raise FactoryError("a zip factory with no parameters")
        columns = [[value_text(v) for v in p["values"]] for p in params]
        combos = zip(*columns, strict=False)
    else:
        raise FactoryError(f"invalid factory type {kind!r}")
    return [Instance(i, tuple(zip(names, combo, strict=True))) for i, combo in enumerate(combos)]


def instance_count(factory: Mapping[str, Any]) -> int:
    """How many instances :func:`expand` would create, counted without creating them
    (0 for a factory it would refuse: that answer comes from expanding it)."""
    kind = factory.get("type")
    params = factory.get("parameters") or []
    try:
        if kind == "repeat":
            return max(int(factory["number"]), 0)
        if kind == "parameterSweep":
            counts = [
                sweep_count(float(p["start"]), float(p["end"]), float(p["step"])) for p in params
            ]
            return math.prod(counts) if counts else 0
        if kind == "zip":
            return min((len(p["values"]) for p in params), default=0)
    except (FactoryError, KeyError, TypeError, ValueError, OverflowError):
        return 0
    return 0


def workflow_size(workflow: Mapping[str, Any]) -> int:
    """How many jobs a workflow creates: one per plain job, each factory instance else."""
    total = 0
    for job in workflow.get("jobs") or []:
        name = job.get("name") if isinstance(job, Mapping) else None
        factory = factory_of(workflow, str(name))
        total += 1 if factory is None else instance_count(factory)
    return total


def factory_of(workflow: Mapping[str, Any], job_name: str) -> Mapping[str, Any] | None:
    """The factory the backend uses for a job: the last one that lists it."""
    used = None
    for factory in workflow.get("factories", []):
        if job_name in factory.get("jobs", []):
            used = factory
    return used


def instance_name(workflow_name: str, job_name: str, index: int) -> str:
    """The name GET shows for a factory instance."""
    return f"{workflow_name}/{job_name}/{index}"


def node_name(job_name: str, index: int) -> str:
    """The instance's DAG node name."""
    return f"{job_name}_{index}"


_REPORTED_NAME = re.compile(r"\w+\Z")
_REPORTED_VALUE = re.compile(r"[\w./]+")


def reported_parameters(parameters: Parameters) -> dict[str, int | float | str]:
    """The ``parameters`` object GET shows for an instance: parsed back from its arguments,
    names matching ``\\w+`` only, each value cut at its first character outside
    ``[\\w./]`` (left out if it starts with one), numbers converted."""
    out: dict[str, int | float | str] = {}
    for name, value in parameters:
        match = _REPORTED_VALUE.match(value)
        if not _REPORTED_NAME.match(name) or match is None:
            continue
        text = match.group(0)
        out[name] = _number(text)
    return out


def _number(text: str) -> int | float | str:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


# ------------------------------------------------------------------------------- worker


def worker_parameters(arguments: Sequence[str]) -> Parameters:
    """How the worker reads ``--param name=value``: split on ``=``, so a name or value is
    cut at its first ``=``."""
    out: list[tuple[str, str]] = []
    it = iter(arguments)
    for arg in it:
        if arg == "--param":
            parts = next(it, "").split("=")
            out.append((parts[0], parts[1] if len(parts) > 1 else ""))
    return tuple(out)


def _substitute(text: str, mapping: Mapping[str, str]) -> str:
    return string.Template(text).safe_substitute(mapping)


def worker_command(
    cmd: str,
    *,
    job_id: int | str,
    workflow_id: int | str | None = None,
    parameters: Parameters = (),
) -> str:
    """The command a task runs: the job-id pass, the workflow-id pass (workflow jobs only),
    then one pass per parameter, each on the result of the one before."""
    cmd = _substitute(cmd, {"PROMINENCE_JOB_ID": str(job_id)})
    if workflow_id is not None:
        cmd = _substitute(cmd, {"PROMINENCE_WORKFLOW_ID": str(workflow_id)})
    for name, value in parameters:
        cmd = _substitute(cmd, {name: value})
    return cmd


def worker_output_name(name: str, parameters: Parameters = ()) -> str:
    """The local name the worker uploads for an output file or directory: recomputed from
    the original name for each parameter, so only the last one counts."""
    revname = name
    for key, value in parameters:
        revname = _substitute(name, {key: value})
    return revname


def worker_environment(parameters: Parameters) -> dict[str, str]:
    """The variables the worker sets for a factory instance's parameters."""
    return {f"PROMINENCE_PARAMETER_{name}": value for name, value in parameters}


__all__ = [
    "MAX_SWEEP_VALUES",
    "FactoryError",
    "instance_count",
    "workflow_size",
    "Instance",
    "expand",
    "factory_of",
    "instance_name",
    "node_name",
    "reported_parameters",
    "sweep_count",
    "sweep_values",
    "value_text",
    "worker_command",
    "worker_environment",
    "worker_output_name",
    "worker_parameters",
]
