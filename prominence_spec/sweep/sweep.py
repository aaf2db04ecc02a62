"""The sweep engine: a parameter study described as plain data, expanded lazily.

A sweep (``promspec: sweep:`` in a spec) turns into an ordered sequence of *points*,
each a fresh ``dict`` of parameter name to value. Nothing is expanded in advance: the
number of points is arithmetic and point ``n`` is computed directly, so a 10**9-point
sweep costs nothing to count or index. The grammar is in ``docs/sweeps.md``.

Order (deterministic):

* a mapping of axes, and ``product``, vary the *first* axis slowest, like nested ``for``
  loops written in key order (and like the server's ``parameterSweep``);
* ``zip`` takes point ``i`` of each of its (equally long) items;
* ``exclude`` and ``where`` then drop generated points, and ``include`` points are
  appended last. Indices count the points that remain, from 0, without gaps.

Worked example::

    sweep:
      a: [1, 2]
      b: {start: 0, end: 1, step: 0.5}      # 0, 0.5, 1
      exclude: [{a: 2, b: 0}]
      include: [{a: 9, b: 9}]

    generated: (1,0) (1,0.5) (1,1) (2,0) (2,0.5) (2,1)   # a slowest
    points:    0:(1,0) 1:(1,0.5) 2:(1,1) 3:(2,0.5) 4:(2,1) 5:(9,9)

Without ``exclude``/``where``, ``point(n)`` is O(depth of the tree). With them, counting
and indexing iterate (the filters are arbitrary), and an exclude entry that matched no
generated point is reported when an iteration reaches the end.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from prominence_spec.diagnostics import Diagnostic, has_errors
from prominence_spec.sweep.factory_plan import (
    FactoryPlan,
    ParameterSweepPlan,
    RangeParameter,
    RepeatPlan,
    ZipParameter,
    ZipPlan,
    factory_plan,
)
from prominence_spec.sweep.grammar import Entry, child, parse_tree
from prominence_spec.sweep.space import (
    EmptySpace,
    ListAxis,
    ProductSpace,
    RangeAxis,
    RepeatAxis,
    Space,
    TableSpace,
    ZipSpace,
    match_key,
    same_value,
    server_format,
    server_parameter_sweep_values,
)

__all__ = [
    "EmptySpace",
    "Entry",
    "FactoryPlan",
    "ListAxis",
    "ParameterSweepPlan",
    "ProductSpace",
    "RangeAxis",
    "RangeParameter",
    "RepeatAxis",
    "RepeatPlan",
    "Space",
    "Sweep",
    "SweepError",
    "TableSpace",
    "WhereFn",
    "ZipParameter",
    "ZipPlan",
    "ZipSpace",
    "parse_sweep",
    "server_format",
    "server_parameter_sweep_values",
]

#: ``where_fn(expression, params, pointer) -> bool``; may raise :class:`SweepError`.
WhereFn = Callable[[str, Mapping[str, Any], str], bool]
#: Distinct ``where`` failures collected per iteration before the rest are ignored.
MAX_WHERE_ERRORS = 10


class SweepError(Exception):
    """A problem found while iterating a sweep, carrying its diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def parse_sweep(
    data: object,
    *,
    base_dir: Path,
    root: Path,
    base_pointer: str = "/promspec/sweep",
    where_fn: WhereFn | None = None,
) -> tuple[Sweep | None, list[Diagnostic]]:
    """Parse a sweep definition; ``(None, diagnostics)`` when it has errors.

    ``base_dir`` is the spec's directory (row files are relative to it); row files must
    resolve inside ``root``. ``where_fn`` evaluates ``where`` expressions.
    """
    parsed, diagnostics = parse_tree(
        data, base_dir=base_dir, root=root, pointer=base_pointer, has_where_fn=where_fn is not None
    )
    if parsed is None or has_errors(diagnostics):
        return None, diagnostics
    space = (
        parsed.space if parsed.space is not None else EmptySpace(parsed.parameters, base_pointer)
    )
    sweep = Sweep(
        space,
        parsed.parameters,
        base_pointer,
        parsed.include,
        parsed.exclude,
        parsed.where,
        where_fn,
    )
    return sweep, diagnostics


@dataclass(frozen=True, eq=False)
class Sweep:
    """A parsed sweep: generated points (``space``), then filters, then ``include``."""

    space: Space
    parameters: tuple[str, ...]
    pointer: str = "/promspec/sweep"
    include: tuple[Entry, ...] = ()
    exclude: tuple[Entry, ...] = ()
    where: str | None = None
    where_fn: WhereFn | None = None

    @property
    def size(self) -> int:
        """Number of points before ``exclude``/``where`` (an upper bound of ``count()``)."""
        return self.space.size + len(self.include)

    @property
    def upper_bound(self) -> int:
        return self.size

    @property
    def filtered(self) -> bool:
        """True when ``exclude`` or ``where`` may drop points (counting then iterates)."""
        return bool(self.exclude) or self.where is not None

    def count(self, *, diagnostics: list[Diagnostic] | None = None) -> int:
        """The exact number of points. Iterates when the sweep is filtered."""
        if not self.filtered:
            return self.size
        total = 0
        for _ in self.points(diagnostics=diagnostics):
            total += 1
        return total

    def point(self, n: int, *, diagnostics: list[Diagnostic] | None = None) -> dict[str, Any]:
        """Point ``n`` (0-based, after filtering); ``IndexError`` when there is none."""
        if n < 0:
            raise IndexError(f"point {n}: indices start at 0")
        if not self.filtered:
            if n < self.space.size:
                return self.space.at(n)
            if n < self.size:
                return copy.deepcopy(self.include[n - self.space.size].values)
        else:
            for index, params in self.points(diagnostics=diagnostics):
                if index == n:
                    return params
        raise IndexError(f"point {n} is out of range")

    def points(
        self,
        *,
        diagnostics: list[Diagnostic] | None = None,
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(index, params)`` for every point, in order; ``params`` are fresh dicts.

        Problems found while iterating are appended to ``diagnostics``: a ``where`` that
        fails (the point is dropped; each distinct message once) and, at the end, exclude
        entries that matched nothing, or no point left. Without a list, the first problem
        is raised as :class:`SweepError`.
        """
        if not self.filtered:  # the iterators themselves: no generator between them
            return enumerate(self._unfiltered() if self.include else iter(self.space))
        return self._filtered(diagnostics)

    def _filtered(self, sink: list[Diagnostic] | None) -> Iterator[tuple[int, dict[str, Any]]]:
        yield from _FilteredRun(self, sink).run()

    def as_factory_plan(self) -> FactoryPlan | Diagnostic:
        """The server-side factory generating exactly these points, or why there is none."""
        present = [
            key
            for key, on in (
                ("include", self.include),
                ("exclude", self.exclude),
                ("where", self.where),
            )
            if on
        ]
        modifier = child(self.pointer, present[0]) if present else None
        return factory_plan(self.space, modifier_pointer=modifier)

    def _unfiltered(self) -> Iterator[dict[str, Any]]:
        yield from self.space
        for entry in self.include:
            yield copy.deepcopy(entry.values)


class _FilteredRun:
    """One iteration of a filtered sweep, collecting what it finds."""

    def __init__(self, sweep: Sweep, sink: list[Diagnostic] | None) -> None:
        self.sweep, self.sink = sweep, sink
        self.used = [False] * len(sweep.exclude)
        self.index = _ExcludeIndex(sweep.exclude)
        self.where_messages: set[str] = set()
        self.where_pointer = child(sweep.pointer, "where")

    def run(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if self.sweep.where is not None and self.sweep.where_fn is None:
            self.report(
                Diagnostic(
                    "PS901",
                    "where needs an expression evaluator, and none was given",
                    pointer=self.where_pointer,
                )
            )
            return
        n = 0
        excluding, filtering = bool(self.sweep.exclude), self.sweep.where is not None
        for params in self.sweep.space:
            if excluding and self.excluded(params):
                continue
            if filtering and not self.kept(params):
                continue
            yield n, params
            n += 1
        for entry in self.sweep.include:
            yield n, copy.deepcopy(entry.values)
            n += 1
        self.finish(n)

    def excluded(self, params: dict[str, Any]) -> bool:
        hits = self.index.matches(params)
        for k in hits:
            self.used[k] = True
        return bool(hits)

    def kept(self, params: dict[str, Any]) -> bool:
        where, where_fn = self.sweep.where, self.sweep.where_fn
        if where is None or where_fn is None:
            return True
        try:
            return bool(where_fn(where, MappingProxyType(params), self.where_pointer))
        except SweepError as exc:
            message = exc.diagnostic.message
            if message not in self.where_messages and len(self.where_messages) < MAX_WHERE_ERRORS:
                self.where_messages.add(message)
                self.report(exc.diagnostic)
            return False

    def report(self, diagnostic: Diagnostic) -> None:
        if self.sink is None:
            raise SweepError(diagnostic)
        self.sink.append(diagnostic)

    def finish(self, n: int) -> None:
        for k, entry in enumerate(self.sweep.exclude):
            if not self.used[k]:
                shown = ", ".join(f"{key}={value!r}" for key, value in entry.values.items())
                floats = any(isinstance(v, float) for v in entry.values.values())
                hint = (
                    (
                        "range values are computed in floating point; compare with the exact "
                        "value or use where"
                    )
                    if floats
                    else "check the values against the axes"
                )
                self.report(
                    Diagnostic(
                        "PS604",
                        f"exclude entry {k} ({shown}) matches no point",
                        pointer=entry.pointer,
                        hint=hint,
                    )
                )
        if n == 0:
            self.report(
                Diagnostic(
                    "PS606",
                    f"exclude/where remove all {self.sweep.space.size} "
                    "points; the sweep has no points",
                    pointer=self.sweep.pointer,
                )
            )


class _ExcludeIndex:
    """Exclude entries grouped by their keys and hashed by their values, so that a point
    is tested against many entries with one lookup per group of keys."""

    def __init__(self, entries: tuple[Entry, ...]) -> None:
        self.groups: dict[tuple[str, ...], dict[tuple[object, ...], list[int]]] = {}
        self.slow: list[tuple[int, Entry]] = []
        for k, entry in enumerate(entries):
            keys = tuple(sorted(entry.values))
            try:
                table = self.groups.setdefault(keys, {})
                table.setdefault(tuple(match_key(entry.values[n]) for n in keys), []).append(k)
            except TypeError:  # an unhashable value (list, mapping)
                self.slow.append((k, entry))

    def matches(self, params: dict[str, Any]) -> list[int]:
        hits: list[int] = []
        for keys, table in self.groups.items():
            try:
                hits.extend(table.get(tuple(match_key(params[n]) for n in keys), ()))
            except TypeError:  # the point has an unhashable value: no hashable entry equals it
                continue
        for k, entry in self.slow:
            if all(same_value(params[n], v) for n, v in entry.values.items()):
                hits.append(k)
        return hits
