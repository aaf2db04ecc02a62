"""Property tests: lazy indexing agrees with iteration and with a naive reference expansion."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.sweep.rows import csv_value
from prominence_spec.sweep.sweep import (
    ParameterSweepPlan,
    Sweep,
    parse_sweep,
    server_format,
    server_parameter_sweep_values,
)

from support import examples

NOWHERE = Path("/nonexistent")
Points = list[dict[str, Any]]
scalars = st.one_of(
    st.integers(-5, 5),
    st.text("abc", max_size=3),
    st.booleans(),
    st.none(),
    st.floats(-10, 10, allow_nan=False).map(lambda f: round(f, 2)),
)


class Names:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"p{self.count}"


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def trees(draw: st.DrawFn, names: Names, size: int, depth: int) -> tuple[Any, Points]:
    """A sweep node with exactly ``size`` points, and its points expanded naively."""
    kinds = ["list", "range", "repeat", "rows"] + (["product", "zip"] if depth > 0 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "product":
        first = draw(st.sampled_from(divisors(size)))
        (a, pa), (b, pb) = (
            draw(trees(names, first, depth - 1)),
            draw(trees(names, size // first, depth - 1)),
        )
        return {"product": [a, b]}, [{**x, **y} for x, y in itertools.product(pa, pb)]
    if kind == "zip":
        parts = [draw(trees(names, size, depth - 1)) for _ in range(draw(st.integers(1, 3)))]
        points = [
            dict(itertools.chain.from_iterable(p[i].items() for _, p in parts)) for i in range(size)
        ]
        return {"zip": [node for node, _ in parts]}, points
    name = names()
    if kind == "list":
        values = draw(st.lists(scalars, min_size=size, max_size=size))
        return {name: values}, [{name: v} for v in values]
    if kind == "repeat":
        return {name: {"repeat": size}}, [{name: i} for i in range(size)]
    if kind == "range":
        start, step = draw(st.integers(-50, 50)), draw(st.integers(1, 7))
        end = start + (size - 1) * step + draw(st.integers(0, step - 1))
        return (
            {name: {"start": start, "end": end, "step": step}},
            [{name: start + i * step} for i in range(size)],
        )
    other = names()
    rows = [{name: draw(scalars), other: draw(scalars)} for _ in range(size)]
    return {"rows": rows}, rows


@st.composite
def sweeps(draw: st.DrawFn) -> tuple[Any, Points]:
    return draw(trees(Names(), draw(st.integers(1, 12)), draw(st.integers(0, 3))))


def parsed(data: Any, **kw: Any) -> Sweep:
    sweep, diags = parse_sweep(data, base_dir=NOWHERE, root=NOWHERE, **kw)
    assert all(d.code == "PS613" for d in diags), diags  # a float range short of its end
    assert sweep is not None
    return sweep


@settings(max_examples=examples(300), deadline=None)
@given(sweeps())
def test_indexing_equals_iteration_equals_reference(case: tuple[Any, Points]) -> None:
    data, expected = case
    sweep = parsed(data)
    assert sweep.size == sweep.count() == len(expected)
    assert [p for _, p in sweep.points()] == expected
    assert [sweep.point(i) for i in range(sweep.count())] == expected
    assert [i for i, _ in sweep.points()] == list(range(len(expected)))
    assert [sweep.space[-1 - i] for i in range(sweep.space.size)] == expected[::-1]
    assert set(sweep.parameters) == set(expected[0])


@settings(max_examples=examples(200), deadline=None)
@given(sweeps(), st.data())
def test_filters_keep_order_and_contiguous_indices(
    case: tuple[Any, Points], data: st.DataObject
) -> None:
    tree, expected = case
    dropped = data.draw(st.lists(st.sampled_from(expected), max_size=3))
    patterns = []
    for point in dropped:
        keys = data.draw(st.sets(st.sampled_from(sorted(point)), min_size=1))
        patterns.append({k: v for k, v in point.items() if k in keys})
    names = sorted(expected[0])
    keep_first = data.draw(st.sampled_from(names))
    spec = {"product": [tree], "exclude": patterns, "where": keep_first}

    def where(expression: str, values: Any, pointer: str) -> bool:
        return server_format(values[expression]) != "0"

    def matches(point: dict[str, Any], pattern: dict[str, Any]) -> bool:
        return all(
            isinstance(point[k], bool) == isinstance(v, bool) and point[k] == v
            for k, v in pattern.items()
        )

    reference = [
        p
        for p in expected
        if not any(matches(p, pat) for pat in patterns) and where(keep_first, p, "")
    ]
    sweep = parsed(spec, where_fn=where)
    found: list[Diagnostic] = []
    assert [p for _, p in sweep.points(diagnostics=found)] == reference
    assert [i for i, _ in sweep.points(diagnostics=found)] == list(range(len(reference)))
    assert sweep.count(diagnostics=found) == len(reference)
    assert [sweep.point(i, diagnostics=found) for i in range(len(reference))] == reference
    assert all(d.code == "PS606" for d in found)  # every exclude entry matched a point
    assert bool(found) == (not reference)


@settings(max_examples=examples(300), deadline=None)
@given(st.floats(-1000, 1000), st.floats(0.001, 50), st.integers(0, 300), st.floats(0, 1))
def test_ranges_match_the_server(start: float, step: float, steps: int, extra: float) -> None:
    end = start + steps * step + extra * step
    sweep = parsed({"x": {"start": start, "end": end, "step": step}})
    values = [p["x"] for _, p in sweep.points()]
    assert values == server_parameter_sweep_values(start, end, step)
    assert [type(v) for v in values] == [
        type(v) for v in server_parameter_sweep_values(start, end, step)
    ]


@settings(max_examples=examples(100), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-20, 20) | st.floats(-20, 20).map(lambda f: round(f, 1)),
            st.sampled_from([1, 2, 0.5, 0.1, 0.25, 3]),
            st.integers(0, 6),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_parameter_sweep_factory_expands_like_jobs_mode(
    axes: list[tuple[float, float, int]],
) -> None:
    spec = {
        f"p{k}": {"start": s, "end": s + n * st_, "step": st_} for k, (s, st_, n) in enumerate(axes)
    }
    sweep = parsed(spec)
    plan = sweep.as_factory_plan()
    assert isinstance(plan, ParameterSweepPlan)
    server = [
        {p.name: server_format(v) for p, v in zip(plan.parameters, combo, strict=True)}
        for combo in itertools.product(
            *(server_parameter_sweep_values(p.start, p.end, p.step) for p in plan.parameters)
        )
    ]
    assert server == [
        {k: server_format(v) for k, v in point.items()} for _, point in sweep.points()
    ]


cells = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False).filter(lambda f: f != int(f)),
    st.text("xyz, \"'", min_size=1, max_size=4).filter(lambda t: t.strip() == t),
)


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(st.tuples(cells, cells), min_size=1, max_size=8))
def test_csv_round_trip(tmp_path_factory: Any, rows: list[tuple[Any, Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["a", "b"])
    writer.writerows([[repr(v) if isinstance(v, float) else v for v in row] for row in rows])
    root = tmp_path_factory.mktemp("rows")
    (root / "p.csv").write_text(buffer.getvalue(), encoding="utf-8")
    sweep, diags = parse_sweep({"rows": "p.csv"}, base_dir=root, root=root)
    assert diags == [] and sweep is not None
    assert [p for _, p in sweep.points()] == [{"a": a, "b": b} for a, b in rows]


@given(st.integers(-(10**20), 10**20))
def test_csv_ints(value: int) -> None:
    assert csv_value(str(value)) == value
