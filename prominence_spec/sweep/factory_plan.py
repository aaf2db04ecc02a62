"""Which sweeps the PROMINENCE server can generate itself, as a workflow factory.

* a product of 1-4 numeric ranges (``{repeat: N}`` counts as the range 0..N-1 step 1)
  -> ``parameterSweep``;
* a zip of lists, rows and ranges, a single list axis or a rows node -> ``zip``;
* a single ``{repeat: N}`` axis -> ``repeat`` (the server then passes no parameter);
* anything else (a product involving lists or rows, a zip inside a product,
  include/exclude/where) -> a ``PS608`` diagnostic at the blocking node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.sweep.space import (
    FLOAT_EXACT_INT,
    ListAxis,
    Number,
    ProductSpace,
    RangeAxis,
    RangeStallError,
    RepeatAxis,
    Space,
    TableSpace,
    ZipSpace,
    range_count,
    server_format,
)

#: The server refuses parameter sweeps of more dimensions.
MAX_SWEEP_DIMENSIONS = 4
#: A zip factory lists every value in the request; ranges are expanded up to this size.
MAX_ZIP_VALUES = 1_000_000
_JOBS_MODE = "use jobs mode (one job per point) instead"


class RangeParameter(NamedTuple):
    name: str
    start: Number
    end: Number
    step: Number


class ZipParameter(NamedTuple):
    name: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class ParameterSweepPlan:
    parameters: tuple[RangeParameter, ...]
    kind: Literal["parameterSweep"] = "parameterSweep"

    def as_dict(self) -> dict[str, Any]:
        """The factory's ``type`` and ``parameters`` (add ``name`` and ``jobs``)."""
        return {"type": self.kind, "parameters": [p._asdict() for p in self.parameters]}


@dataclass(frozen=True)
class ZipPlan:
    parameters: tuple[ZipParameter, ...]
    kind: Literal["zip"] = "zip"

    def as_dict(self) -> dict[str, Any]:
        params = [{"name": p.name, "values": list(p.values)} for p in self.parameters]
        return {"type": self.kind, "parameters": params}


@dataclass(frozen=True)
class RepeatPlan:
    """``number`` instances. The server passes no parameter: ``name`` is not substituted."""

    name: str
    number: int
    kind: Literal["repeat"] = "repeat"

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "number": self.number}


FactoryPlan = ParameterSweepPlan | ZipPlan | RepeatPlan


def _refuse(pointer: str, message: str, hint: str = _JOBS_MODE) -> Diagnostic:
    return Diagnostic("PS608", message, pointer=pointer, hint=hint)


def factory_plan(space: Space, *, modifier_pointer: str | None = None) -> FactoryPlan | Diagnostic:
    """The server factory that generates exactly ``space``'s points, in the same order."""
    if modifier_pointer is not None:
        return _refuse(
            modifier_pointer, "include/exclude/where cannot be expressed as a server-side factory"
        )
    axes = _flatten(space, ProductSpace)
    if len(axes) == 1 and isinstance(axes[0], RepeatAxis):
        return RepeatPlan(axes[0].name, axes[0].number)
    if len(axes) == 1 and not isinstance(axes[0], RangeAxis):
        return _zip_plan(axes[0])
    return _sweep_plan(axes)


def _flatten(space: Space, kind: type[Space]) -> list[Space]:
    if isinstance(space, kind):
        return [leaf for part in space.children() for leaf in _flatten(part, kind)]
    return [space]


def _sweep_plan(axes: list[Space]) -> FactoryPlan | Diagnostic:
    params: list[RangeParameter] = []
    for axis in axes:
        if isinstance(axis, RepeatAxis):
            params.append(RangeParameter(axis.name, 0, axis.number - 1, 1))
            continue
        if not isinstance(axis, RangeAxis):
            return _refuse(
                axis.pointer,
                f"{_what(axis)} in a product cannot be a server-side "
                "factory: parameterSweep takes only numeric ranges "
                "(start, end, step), and zip pairs values one to one",
                hint=f"write every axis of the product as a range, or {_JOBS_MODE}",
            )
        problem = _range_problem(axis)
        if problem:
            return _refuse(axis.pointer, problem)
        params.append(RangeParameter(axis.name, axis.start, axis.end, axis.step))
    if len(params) > MAX_SWEEP_DIMENSIONS:
        return _refuse(
            axes[MAX_SWEEP_DIMENSIONS].pointer,
            f"the server generates at most {MAX_SWEEP_DIMENSIONS} parameterSweep "
            f"parameters; this product has {len(params)}",
        )
    return ParameterSweepPlan(tuple(params))


def _range_problem(axis: RangeAxis) -> str | None:
    """Why the server would not produce exactly ``axis``'s values, or None."""
    if not axis.exact:
        return (
            f"{axis.name!r} has about {axis.size} values; promspec cannot check that the "
            "server's floating-point count agrees"
        )
    last = axis.start + (axis.size - 1) * axis.step
    int_values = isinstance(axis.start, int) and isinstance(axis.step, int)
    if int_values and max(abs(axis.start), abs(last)) > FLOAT_EXACT_INT:
        return (
            f"{axis.name!r} has integers beyond 2**53, which the server's floating-point "
            "arithmetic cannot represent exactly"
        )
    try:
        count, _ = range_count(float(axis.start), float(axis.end), float(axis.step))
    except (RangeStallError, OverflowError):
        return f"the server's floating-point count of {axis.name!r} would never finish"
    if count != axis.size:
        return f"the server would generate {count} values of {axis.name!r}, not {axis.size}"
    return None


def _zip_plan(node: Space) -> FactoryPlan | Diagnostic:
    if node.size > MAX_ZIP_VALUES:
        return _refuse(
            node.pointer,
            f"a zip factory lists every value; {node.size} points are "
            f"more than the {MAX_ZIP_VALUES} promspec will list",
        )
    params: list[ZipParameter] = []
    for leaf in _flatten(node, ZipSpace):
        if isinstance(leaf, ProductSpace) and len(leaf.children()) > 1:
            return _refuse(
                leaf.pointer,
                "a product inside a zip cannot be a server-side "
                "factory: zip pairs values one to one",
            )
        for name in leaf.names:
            values = _column(leaf, name)
            problem = _zip_value_problem(name, values)
            if problem:
                return _refuse(leaf.pointer, problem, hint=f"change the value, or {_JOBS_MODE}")
            params.append(ZipParameter(name, values))
    return ZipPlan(tuple(params))


def _column(leaf: Space, name: str) -> tuple[Any, ...]:
    if isinstance(leaf, ListAxis):
        return leaf.values
    if isinstance(leaf, TableSpace):
        return leaf.column(name)
    return tuple(point[name] for point in leaf)


def _zip_value_problem(name: str, values: tuple[Any, ...]) -> str | None:
    for k, value in enumerate(values):
        if isinstance(value, (list, dict)):
            return f"value {k} of {name!r} is a {type(value).__name__}; zip values are scalars"
        text = server_format(value)
        if "$" in text:
            return (
                f"value {k} of {name!r} ({text!r}) contains '$': the worker substitutes the "
                "command again after inserting a value, so the '$' would be read as a "
                "placeholder"
            )
        bad = [c for c in text if c.isspace() or c in '"=']
        if bad:
            return (
                f"value {k} of {name!r} ({text!r}) contains {bad[0]!r}: the server writes "
                "zip values unquoted into the DAG VARS line and the executor's "
                "--param name=value arguments"
            )
    return None


def _what(axis: Space) -> str:
    if isinstance(axis, ListAxis):
        return f"the list {axis.name!r}"
    if isinstance(axis, TableSpace):
        return "a rows node"
    if isinstance(axis, ZipSpace):
        return "a zip"
    return f"the node {axis.pointer!r}"
