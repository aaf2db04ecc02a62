"""Compiling sweeps to PROMINENCE server factories, checked against the server's expansion."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.sweep.sweep import (
    FactoryPlan,
    ParameterSweepPlan,
    RangeParameter,
    RepeatPlan,
    Sweep,
    ZipParameter,
    ZipPlan,
    parse_sweep,
    server_format,
    server_parameter_sweep_values,
)

BASE = "/promspec/sweep"


def sweep_of(data: object, root: Path = Path("/nonexistent")) -> Sweep:
    sweep, diags = parse_sweep(
        data, base_dir=root, root=root, where_fn=lambda expression, values, pointer: True
    )
    assert diags == [] and sweep is not None
    return sweep


def plan_of(data: object) -> FactoryPlan:
    plan = sweep_of(data).as_factory_plan()
    assert not isinstance(plan, Diagnostic), plan
    return plan


def refusal(data: object) -> Diagnostic:
    plan = sweep_of(data).as_factory_plan()
    assert isinstance(plan, Diagnostic)
    assert plan.code == "PS608"
    return plan


def server_expand(plan: FactoryPlan) -> list[dict[str, str]]:
    """The instances' parameters as the server's create_workflow generates them."""
    if isinstance(plan, RepeatPlan):
        return [{} for _ in range(plan.number)]
    if isinstance(plan, ParameterSweepPlan):
        axes = [server_parameter_sweep_values(p.start, p.end, p.step) for p in plan.parameters]
        names = [p.name for p in plan.parameters]
        return [
            {n: server_format(v) for n, v in zip(names, combo, strict=True)}
            for combo in itertools.product(*axes)
        ]
    count = len(plan.parameters[0].values)
    return [{p.name: server_format(p.values[i]) for p in plan.parameters} for i in range(count)]


def jobs_mode(sweep: Sweep) -> list[dict[str, str]]:
    return [{k: server_format(v) for k, v in point.items()} for _, point in sweep.points()]


def assert_server_equals_jobs_mode(data: object) -> FactoryPlan:
    sweep = sweep_of(data)
    plan = sweep.as_factory_plan()
    assert not isinstance(plan, Diagnostic), plan
    expected = jobs_mode(sweep)
    if isinstance(plan, RepeatPlan):
        assert len(server_expand(plan)) == len(expected)
    else:
        assert server_expand(plan) == expected
    return plan


class TestPlans:
    def test_product_of_ranges_is_a_parameter_sweep(self) -> None:
        plan = assert_server_equals_jobs_mode(
            {
                "a": {"start": 3, "end": 6, "step": 0.5},
                "b": {"start": 0, "end": 1, "step": 0.1},
                "c": {"start": -2, "end": 2, "step": 2},
                "d": {"repeat": 2},
            }
        )
        assert plan == ParameterSweepPlan(
            (
                RangeParameter("a", 3, 6, 0.5),
                RangeParameter("b", 0, 1, 0.1),
                RangeParameter("c", -2, 2, 2),
                RangeParameter("d", 0, 1, 1),
            )
        )
        assert plan.as_dict() == {
            "type": "parameterSweep",
            "parameters": [
                {"name": "a", "start": 3, "end": 6, "step": 0.5},
                {"name": "b", "start": 0, "end": 1, "step": 0.1},
                {"name": "c", "start": -2, "end": 2, "step": 2},
                {"name": "d", "start": 0, "end": 1, "step": 1},
            ],
        }

    def test_nested_products_flatten(self) -> None:
        plan = assert_server_equals_jobs_mode(
            {
                "product": [
                    {"a": {"start": 1, "end": 2, "step": 1}},
                    {"product": [{"b": {"start": 0.5, "end": 1.5, "step": 0.5}}]},
                ]
            }
        )
        assert isinstance(plan, ParameterSweepPlan) and len(plan.parameters) == 2

    def test_single_repeat(self) -> None:
        plan = assert_server_equals_jobs_mode({"seed": {"repeat": 5}})
        assert plan == RepeatPlan("seed", 5)
        assert plan.as_dict() == {"type": "repeat", "number": 5}

    def test_single_list_is_a_zip(self) -> None:
        plan = assert_server_equals_jobs_mode({"solver": ["cg", "gmres", 1.5, 2.0, True, None]})
        assert plan == ZipPlan((ZipParameter("solver", ("cg", "gmres", 1.5, 2.0, True, None)),))
        assert plan.as_dict() == {
            "type": "zip",
            "parameters": [{"name": "solver", "values": ["cg", "gmres", 1.5, 2.0, True, None]}],
        }

    def test_zip_of_lists_ranges_repeats_and_rows(self) -> None:
        plan = assert_server_equals_jobs_mode(
            {
                "zip": [
                    {"a": ["x", "y", "z"]},
                    {"b": {"start": 0, "end": 0.2, "step": 0.1}},
                    {
                        "zip": [
                            {"c": {"repeat": 3}},
                            {"rows": [{"d": 1, "e": "p"}, {"d": 2, "e": "q"}, {"d": 3, "e": "r"}]},
                        ]
                    },
                ]
            }
        )
        assert isinstance(plan, ZipPlan)
        assert [p.name for p in plan.parameters] == ["a", "b", "c", "d", "e"]
        assert plan.parameters[1].values == (0, 0.1, 0.2)

    def test_rows_file_is_a_zip(self, tmp_path: Path) -> None:
        (tmp_path / "p.csv").write_text("a,b\n1,x\n2,y\n", encoding="utf-8")
        plan = sweep_of({"rows": "p.csv"}, tmp_path).as_factory_plan()
        assert plan == ZipPlan((ZipParameter("a", (1, 2)), ZipParameter("b", ("x", "y"))))


class TestRefusals:
    @pytest.mark.parametrize(
        ("data", "pointer"),
        [
            pytest.param(
                {"a": [1, 2], "b": {"start": 0, "end": 1, "step": 1}},
                "/a",
                id="product with a list",
            ),
            pytest.param(
                {"a": {"start": 0, "end": 1, "step": 1}, "b": ["x"]}, "/b", id="list second"
            ),
            pytest.param(
                {"product": [{"a": {"repeat": 2}}, {"zip": {"b": [1], "c": [2]}}]},
                "/product/1/zip",
                id="zip in a product",
            ),
            pytest.param(
                {"zip": [{"a": [1, 2], "b": [3]}, {"c": [1, 2]}]}, "/zip/0", id="product in a zip"
            ),
            pytest.param(
                {"product": [{"rows": [{"a": 1}]}, {"b": {"repeat": 2}}]},
                "/product/0/rows",
                id="rows in a product",
            ),
            pytest.param(
                {f"p{k}": {"start": 0, "end": 1, "step": 1} for k in range(5)},
                "/p4",
                id="five dimensions",
            ),
            pytest.param({"a": [1], "include": [{"a": 2}]}, "/include", id="include"),
            pytest.param({"a": [1, 2], "exclude": [{"a": 2}]}, "/exclude", id="exclude"),
            pytest.param({"a": [1], "where": "a"}, "/where", id="where"),
            pytest.param(
                {"a": {"start": 0, "end": 2**60, "step": 2**50}}, "/a", id="integers beyond 2**53"
            ),
            pytest.param(
                {"a": {"start": 2**60, "end": 2.0**60 + 2**50, "step": 2**49}},
                "/a",
                id="integers beyond 2**53 with a float end",
            ),
            pytest.param({"a": {"start": 0, "end": 1, "step": 1e-8}}, "/a", id="approximate count"),
            pytest.param({"a": ["x y"]}, "/a", id="space in a zip value"),
            pytest.param({"a": ['say"hi"']}, "/a", id="quote in a zip value"),
            pytest.param({"a": ["k=v"]}, "/a", id="equals sign in a zip value"),
            pytest.param({"a": ["tab\there"]}, "/a", id="tab"),
            pytest.param({"a": [[1, 2]]}, "/a", id="list value"),
            pytest.param({"rows": [{"a": "x"}, {"a": "new\nline"}]}, "/rows", id="rows value"),
        ],
    )
    def test_refused(self, data: Any, pointer: str) -> None:
        assert refusal(data).pointer == BASE + pointer

    def test_message_explains_why(self) -> None:
        diag = refusal({"a": [1, 2], "b": [3]})
        assert diag.message.startswith(
            "the list 'a' in a product cannot be a server-side "
            "factory: parameterSweep takes only numeric ranges"
        )
        assert diag.hint and "jobs mode" in diag.hint
        assert refusal({"a": [1], "include": [{"a": 2}]}).message == (
            "include/exclude/where cannot be expressed as a server-side factory"
        )
        assert "'x y'" in refusal({"a": ["x y"]}).message


class TestServerArithmetic:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (1, "1"),
            (-7, "-7"),
            (1.0, "1"),
            (-0.0, "0"),
            (2.5, "2.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e16, "10000000000000000"),
            (1e-7, "1e-07"),
            (float("nan"), "nan"),
            (float("inf"), "inf"),
            (True, "1"),
            (False, "0"),
            (None, "None"),
            ("a b", "a b"),
            (10**30, "1" + "0" * 30),
            (1e300, str(int(1e300))),
        ],
    )
    def test_server_format(self, value: object, text: str) -> None:
        assert server_format(value) == text

    def test_values_are_floats_made_whole(self) -> None:
        values = server_parameter_sweep_values(3, 6, 0.5)
        assert values == [3, 3.5, 4, 4.5, 5, 5.5, 6]
        assert [type(v) for v in values] == [int, float] * 3 + [int]

    def test_start_after_end_is_empty(self) -> None:
        assert server_parameter_sweep_values(2, 1, 1) == []

    @pytest.mark.parametrize("step", [0, -1, 1e-300])
    def test_loops_the_server_never_finishes(self, step: float) -> None:
        with pytest.raises(ValueError):
            server_parameter_sweep_values(1, 2, step)

    def test_server_counts_in_floats(self) -> None:
        # the server converts ints to float: beyond 2**53 adding 1 changes nothing
        with pytest.raises(ValueError):
            server_parameter_sweep_values(2**53, 2**53 + 2, 1)
        sweep = sweep_of({"a": {"start": 2**53, "end": 2**53 + 2, "step": 1}})
        assert [p["a"] for _, p in sweep.points()] == [2**53, 2**53 + 1, 2**53 + 2]
        assert refusal({"a": {"start": 2**53, "end": 2**53 + 2, "step": 1}}).pointer == BASE + "/a"
