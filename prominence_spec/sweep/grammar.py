"""The sweep grammar: plain parsed data -> a tree of lazy spaces, every problem collected.

See ``docs/sweeps.md`` for the grammar. Definition problems are ``PS604``, row files
``PS605``, a sweep without points ``PS606``; each at the JSON pointer of the offending
node (``base_pointer`` is where the sweep sits in the spec document).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import Diagnostic, closest
from prominence_spec.sweep.rows import read_rows, table_from_records, value_problem
from prominence_spec.sweep.space import (
    ListAxis,
    ProductSpace,
    RangeAxis,
    RangeStallError,
    RepeatAxis,
    Space,
    TableSpace,
    ZipSpace,
    is_number,
    match_key,
    name_problem,
    range_value,
    whole_to_int,
)

NODE_KEYS = ("product", "zip", "rows")
MODIFIER_KEYS = ("include", "exclude", "where")
AXIS_KEYS = ("repeat", "values", "start", "end", "step")
#: Exclude values are checked against axes up to this size while parsing.
_EARLY_CHECK_LIMIT = 100_000
_AXIS_HINT = "an axis is a list, {values: [...]}, {repeat: N} or {start: A, end: B, step: C}"


@dataclass(frozen=True)
class Entry:
    """One ``include`` point or ``exclude`` pattern, with its pointer."""

    pointer: str
    values: dict[str, Any]


@dataclass(frozen=True)
class ParsedSweep:
    space: Space | None
    parameters: tuple[str, ...]
    include: tuple[Entry, ...]
    exclude: tuple[Entry, ...]
    where: str | None


def child(pointer: str, key: str | int) -> str:
    return f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"


def describe(value: object) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if value is None:
        return "null"
    kinds = {
        str: "a string",
        dict: "a mapping",
        list: "a list",
        int: "an integer",
        float: "a number",
    }
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{kinds.get(type(value), type(value).__name__)} ({shown})"


def parse_tree(
    data: object, *, base_dir: Path, root: Path, pointer: str, has_where_fn: bool
) -> tuple[ParsedSweep | None, list[Diagnostic]]:
    parser = _Parser(base_dir, root, has_where_fn)
    parsed = parser.top(data, pointer)
    return (None if parser.failed else parsed), parser.diagnostics


class _Parser:
    def __init__(self, base_dir: Path, root: Path, has_where_fn: bool) -> None:
        self.base_dir, self.root, self.has_where_fn = base_dir, root, has_where_fn
        self.diagnostics: list[Diagnostic] = []
        self.value_sets: dict[str, set[tuple[bool, object]] | None] = {}

    @property
    def failed(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    def error(
        self, pointer: str, message: str, hint: str | None = None, code: str = "PS604"
    ) -> None:
        self.diagnostics.append(Diagnostic(code, message, pointer=pointer, hint=hint))

    # -- the top level -------------------------------------------------------------------

    def top(self, data: object, pointer: str) -> ParsedSweep | None:
        if not isinstance(data, dict):
            self.error(
                pointer,
                f"the sweep must be a mapping, not {describe(data)}",
                hint="map parameter names to values, e.g. `frame: [1, 2, 3]`",
            )
            return None
        body = {k: v for k, v in data.items() if k not in MODIFIER_KEYS}
        space = self.node(body, pointer) if body else None
        include = self.entries(data, "include", pointer)
        exclude = self.entries(data, "exclude", pointer)
        names = space.names if space is not None else self.include_names(include)
        known = space is not None or not body  # else the names are unknown: skip key checks
        included = tuple(self.include_entry(e, names) for e in include) if known else ()
        excluded = tuple(self.exclude_entry(e, names, space) for e in exclude) if known else ()
        where = self.where(data, pointer)
        if space is not None and space.size == 0:
            self.no_points(space)
        elif not body and not include:
            self.error(
                pointer,
                "the sweep defines no points",
                code="PS606",
                hint="give parameters (`name: [values]`), product, zip, rows or include",
            )
        return ParsedSweep(space, names, included, excluded, where)

    def entries(self, data: dict[Any, Any], key: str, pointer: str) -> list[Entry]:
        if key not in data:
            return []
        value, here = data[key], child(pointer, key)
        if not isinstance(value, list):
            self.error(here, f"{key} must be a list of mappings, not {describe(value)}")
            return []
        found = []
        for k, item in enumerate(value):
            if isinstance(item, dict) and item:
                found.append(Entry(child(here, k), item))
            else:
                what = "an empty mapping" if item == {} else describe(item)
                self.error(
                    child(here, k),
                    f"{key} entry {k} must be a mapping of parameter names to values, not {what}",
                )
        return found

    def include_names(self, include: list[Entry]) -> tuple[str, ...]:
        if not include:
            return ()
        for name in include[0].values:
            problem = name_problem(name)
            if problem:
                self.error(child(include[0].pointer, str(name)), problem)
        return tuple(str(n) for n in include[0].values)

    def include_entry(self, entry: Entry, names: Sequence[str]) -> Entry:
        missing = [n for n in names if n not in entry.values]
        if missing:
            self.error(
                entry.pointer,
                f"include entry {entry.pointer.rsplit('/', 1)[1]} lacks "
                f"{', '.join(missing)}; an included point gives every "
                "parameter",
            )
        self.unknown_keys(entry, names, "include")
        for key, value in entry.values.items():
            problem = value_problem(value)
            if problem:
                self.error(child(entry.pointer, str(key)), problem)
        return Entry(entry.pointer, {n: entry.values[n] for n in names if n in entry.values})

    def exclude_entry(self, entry: Entry, names: Sequence[str], space: Space | None) -> Entry:
        self.unknown_keys(entry, names, "exclude")
        if space is not None:
            for name, value in entry.values.items():
                if name in names and self.never_has(space, name, value):
                    k = entry.pointer.rsplit("/", 1)[1]
                    self.error(
                        child(entry.pointer, name),
                        f"exclude entry {k} matches no point: {name!r} never has the "
                        f"value {value!r}",
                        hint=_float_hint(value),
                    )
        return entry

    def never_has(self, space: Space, name: str, value: object) -> bool:
        """True when ``name``'s axis is small enough to check and has no such value."""
        if name not in self.value_sets:
            self.value_sets[name] = _value_set(space, name)
        known = self.value_sets[name]
        try:
            return known is not None and match_key(value) not in known
        except TypeError:  # an unhashable value: left to the check while iterating
            return False

    def unknown_keys(self, entry: Entry, names: Sequence[str], key: str) -> None:
        for name in entry.values:
            if name not in names:
                near = closest(str(name), names)
                hint = f"did you mean {near!r}?" if near else None
                self.error(
                    child(entry.pointer, str(name)),
                    f"{key} names {name!r}, which is not a parameter of this sweep "
                    f"({', '.join(names) or 'none'})",
                    hint=hint,
                )

    def where(self, data: dict[Any, Any], pointer: str) -> str | None:
        if "where" not in data:
            return None
        value, here = data["where"], child(pointer, "where")
        if not isinstance(value, str) or not value.strip():
            self.error(
                here,
                f"where must be an expression string, not {describe(value)}",
                hint='for example `where: "a < b"`',
            )
            return None
        if not self.has_where_fn:
            self.error(
                here, "where filters need an expression evaluator, and none was given", code="PS901"
            )
        return value

    def no_points(self, space: Space) -> None:
        for leaf in space.leaves():
            if leaf.size == 0:
                self.error(
                    leaf.pointer, _empty_reason(leaf) + ", so the sweep has no points", code="PS606"
                )

    # -- nodes -----------------------------------------------------------------------------

    def node(self, data: object, pointer: str) -> Space | None:
        if not isinstance(data, dict) or not data:
            what = "an empty mapping" if data == {} else describe(data)
            self.error(
                pointer,
                f"a sweep node must map parameter names to axes, or be "
                f"product, zip or rows; found {what}",
            )
            return None
        structural = [k for k in data if k in NODE_KEYS]
        if structural:
            return self.structural(structural[0], data, pointer)
        for key in data:
            if key in MODIFIER_KEYS:
                self.error(child(pointer, key), f"{key} is only allowed at the top of the sweep")
            elif key in AXIS_KEYS:
                self.error(
                    child(pointer, key),
                    f"{key!r} describes an axis; give it a "
                    f"parameter name, e.g. `seed: {{{key}: ...}}`",
                )
        axes = [
            self.axis(k, v, child(pointer, str(k)))
            for k, v in data.items()
            if k not in MODIFIER_KEYS and k not in AXIS_KEYS
        ]
        return self.combine("product", axes, pointer)

    def structural(self, key: str, data: dict[Any, Any], pointer: str) -> Space | None:
        others = [str(k) for k in data if k != key]
        if others:
            self.error(
                pointer,
                f"{key!r} must be the only key of its mapping; found also {', '.join(others)}",
                hint="nest them: product/zip take a list of nodes",
            )
            return None
        here = child(pointer, key)
        if key == "rows":
            return self.rows(data[key], here)
        items = data[key]
        if isinstance(items, dict) and items:
            parts = [self.axis(k, v, child(here, str(k))) for k, v in items.items()]
        elif isinstance(items, list) and items:
            parts = [self.node(item, child(here, k)) for k, item in enumerate(items)]
        else:
            self.error(
                here,
                f"{key} takes a non-empty list of nodes (or a mapping of "
                f"parameter names to axes), not {describe(items)}",
            )
            return None
        return self.combine(key, parts, here)

    def combine(self, key: str, parts: Sequence[Space | None], pointer: str) -> Space | None:
        built = [p for p in parts if p is not None]
        if not built or len(built) != len(parts):
            return None
        self.unique_names(built)
        if key == "product":
            return built[0] if len(built) == 1 else ProductSpace(built, pointer)
        lengths = {p.size for p in built}
        if len(lengths) > 1:
            sizes = "; ".join(
                f"item {k} ({', '.join(p.names)}) has {p.size}" for k, p in enumerate(built)
            )
            self.error(pointer, f"zip items must have the same number of points: {sizes}")
        return ZipSpace(built, pointer)

    def unique_names(self, parts: Sequence[Space]) -> None:
        seen: dict[str, str] = {}
        for part in parts:
            for name in part.names:
                if name in seen:
                    self.error(
                        part.pointer_of(name),
                        f"parameter {name!r} is defined twice (also at {seen[name]})",
                    )
                seen.setdefault(name, part.pointer_of(name))

    def rows(self, value: object, pointer: str) -> Space | None:
        if isinstance(value, str):
            table, diags = read_rows(value, base_dir=self.base_dir, root=self.root, pointer=pointer)
            source: str | None = value
        elif isinstance(value, list):

            def locate(row: int, key: str | None) -> tuple[str, str]:
                here = pointer if row < 0 else child(pointer, row)
                return (here if key is None else child(here, key)), ""

            table, diags = table_from_records(value, code="PS604", pointer=pointer, locate=locate)
            source = None
        else:
            self.error(
                pointer, f"rows takes a file name or a list of mappings, not {describe(value)}"
            )
            return None
        self.diagnostics.extend(diags)
        return None if table is None else TableSpace(table.names, table.rows, pointer, source)

    # -- axes ------------------------------------------------------------------------------

    def axis(self, name: object, value: object, pointer: str) -> Space | None:
        problem = name_problem(name)
        if problem:
            self.error(pointer, problem)
            return None
        assert isinstance(name, str)
        if isinstance(value, list):
            return self.values(name, value, pointer)
        if not isinstance(value, dict) or not value:
            self.error(
                pointer,
                f"{name!r} must be an axis, not {describe(value)}",
                hint=_AXIS_HINT + "; for a single value write [value]",
            )
            return None
        unknown = [k for k in value if k not in AXIS_KEYS]
        for key in unknown:
            self.error(child(pointer, str(key)), _unknown_axis_key(name, key), hint=_AXIS_HINT)
        if unknown:
            return None
        for key in ("values", "repeat"):
            if key in value:
                if len(value) > 1:
                    self.error(
                        pointer,
                        f"{key!r} cannot be combined with "
                        f"{', '.join(k for k in value if k != key)}",
                    )
                    return None
                if key == "values":
                    return self.values(name, value[key], child(pointer, key), pointer)
                return self.repeat(name, value[key], pointer)
        return self.range(name, value, pointer)

    def values(self, name: str, values: object, here: str, pointer: str = "") -> Space | None:
        if not isinstance(values, list):
            self.error(here, f"values must be a list, not {describe(values)}")
            return None
        bad = [(k, p) for k, v in enumerate(values) if (p := value_problem(v))]
        for k, problem in bad[:10]:
            self.error(child(here, k), problem)
        return None if bad else ListAxis(name, values, pointer or here)

    def repeat(self, name: str, number: object, pointer: str) -> Space | None:
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            self.error(
                child(pointer, "repeat"),
                f"repeat must be a whole number of at least 1, not {describe(number)}",
            )
            return None
        return RepeatAxis(name, number, pointer)

    def range(self, name: str, spec: dict[Any, Any], pointer: str) -> Space | None:
        missing = [k for k in ("start", "end", "step") if k not in spec]
        if missing:
            self.error(
                pointer,
                f"the range {name!r} lacks {', '.join(missing)}; a range needs start, end and step",
                hint=_AXIS_HINT,
            )
        ok = all([self.number(spec[k], child(pointer, k), k) for k in spec])
        if missing or not ok:
            return None
        start, end, step = spec["start"], spec["end"], spec["step"]
        if step <= 0:
            self.error(
                child(pointer, "step"),
                f"step must be greater than 0, not {step}: the "
                "PROMINENCE server would never finish counting",
                hint="ranges count up from start to end; swap them to count down",
            )
            return None
        try:
            axis = RangeAxis(name, start, end, step, pointer)
        except (RangeStallError, OverflowError) as exc:
            self.error(
                child(pointer, "step"),
                f"the range {name!r} cannot be counted: {exc} "
                "(the PROMINENCE server would never finish)",
            )
            return None
        self.short_of_end(axis)
        return axis

    def short_of_end(self, axis: RangeAxis) -> None:
        """A float range whose ``end`` lies on its grid (``start + k*step``) but is not its
        last value: the server counts in floating point, so ``{start: 0, end: 0.3, step:
        0.1}`` stops at 0.2, and ``{start: 0, end: 0.9, step: 0.3}`` ends at
        0.8999999999999999. An ``end`` between two values is not warned about (as for
        integer ranges)."""
        last = axis.last
        if axis.integral or not axis.exact or last is None or last == axis.end:
            return
        steps = (axis.end - axis.start) / axis.step
        on_grid = math.isclose(steps, round(steps), rel_tol=1e-9, abs_tol=1e-9)
        if not on_grid or round(steps) not in (axis.size, axis.size - 1):
            return
        message = f"the range {axis.name!r} stops at {last}, not at its end {axis.end}"
        following = range_value(axis.start, axis.step, axis.size)
        if round(steps) == axis.size:
            if following > axis.end:
                message += f": the next value, {following}, is greater than {axis.end}"
            hint = (
                f"to include {axis.end}, set end a little past it "
                f"(end: {_past(axis.end, axis.step)}), or list the values"
            )
        else:
            message += ": values are start + i*step, computed in floating point"
            hint = "list the values you mean, or use an integer range and divide in the template"
        self.diagnostics.append(
            Diagnostic(
                "PS613", message, severity="warning", pointer=child(axis.pointer, "end"), hint=hint
            )
        )

    def number(self, value: object, pointer: str, key: str) -> bool:
        if not is_number(value):
            hint = "remove the quotes" if isinstance(value, str) and _numeric(value) else None
            self.error(pointer, f"{key} must be a number, not {describe(value)}", hint=hint)
            return False
        if isinstance(value, float) and not math.isfinite(value):
            self.error(pointer, f"{key} must be a finite number, not {value}")
            return False
        return True


def _past(end: float | int, step: float | int) -> float | int:
    """``end`` plus half a step, rounded to the digits ``end`` and ``step`` are written with."""
    digits = max(_decimals(end), _decimals(step)) + 1
    return whole_to_int(round(end + step / 2, digits))


def _decimals(value: float | int) -> int:
    text = repr(float(value))
    return 0 if "e" in text else len(text.partition(".")[2].rstrip("0"))


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _unknown_axis_key(name: str, key: object) -> str:
    if key == "number":
        return (
            f"{name!r}: promspec ranges take step, not number (a number of steps crashes "
            "the PROMINENCE backend)"
        )
    if key in NODE_KEYS or key in MODIFIER_KEYS:
        return f"{name!r}: {key} belongs in a node or at the top of the sweep, not in an axis"
    return f"{name!r}: unknown axis key {key!r}"


def _empty_reason(leaf: Space) -> str:
    if isinstance(leaf, RangeAxis):
        return f"{leaf.name!r} has no values (start {leaf.start} is greater than end {leaf.end})"
    if isinstance(leaf, TableSpace):
        return f"rows {leaf.source!r} has no rows" if leaf.source else "rows is an empty list"
    return f"{', '.join(map(repr, leaf.names))} has an empty list of values"


def _value_set(space: Space, name: str) -> set[tuple[bool, object]] | None:
    """The values of ``name`` (as :func:`match_key`), if its leaf is small and hashable."""
    for leaf in space.leaves():
        if name in leaf.names and leaf.size <= _EARLY_CHECK_LIMIT:
            try:
                return {match_key(point[name]) for point in leaf}
            except TypeError:
                return None
    return None


def _float_hint(value: object) -> str | None:
    if isinstance(value, float):
        return (
            "range values are computed in floating point (0.1 steps give values such as "
            "0.30000000000000004); exclude with the exact value or use where"
        )
    return None
