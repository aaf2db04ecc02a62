"""The sweep engine: grammar, order, range semantics, laziness, filters and errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.loading import loader
from prominence_spec.sweep.sweep import (
    ProductSpace,
    RangeAxis,
    Sweep,
    SweepError,
    parse_sweep,
    server_parameter_sweep_values,
)

BASE = "/promspec/sweep"


def parse(
    data: object, tmp_path: Path | None = None, **kw: Any
) -> tuple[Sweep | None, list[Diagnostic]]:
    where = tmp_path or Path("/nonexistent-spec-dir")
    return parse_sweep(data, base_dir=where, root=where, **kw)


def ok(data: object, **kw: Any) -> Sweep:
    sweep, diags = parse(data, **kw)
    assert diags == []
    assert sweep is not None
    return sweep


def errors(data: object, **kw: Any) -> list[tuple[str, str]]:
    sweep, diags = parse(data, **kw)
    assert sweep is None
    return [(d.code, d.pointer) for d in diags]


def params(sweep: Sweep) -> list[dict[str, Any]]:
    return [p for _, p in sweep.points()]


def py_where(expression: str, values: Any, pointer: str) -> bool:
    try:
        return bool(eval(expression, {}, dict(values)))  # test stand-in for the Jinja evaluator
    except Exception as exc:
        raise SweepError(Diagnostic("PS601", f"where failed: {exc}", pointer=pointer)) from exc


class TestOrder:
    def test_axes_mapping_is_a_product_first_key_slowest(self) -> None:
        sweep = ok({"a": [1, 2], "b": ["x", "y", "z"]})
        assert sweep.parameters == ("a", "b")
        assert params(sweep) == [{"a": a, "b": b} for a in (1, 2) for b in "xyz"]

    def test_worked_example_from_the_docstring(self) -> None:
        sweep = ok(
            {
                "a": [1, 2],
                "b": {"start": 0, "end": 1, "step": 0.5},
                "exclude": [{"a": 2, "b": 0}],
                "include": [{"a": 9, "b": 9}],
            },
            where_fn=py_where,
        )
        assert [(i, p["a"], p["b"]) for i, p in sweep.points()] == [
            (0, 1, 0),
            (1, 1, 0.5),
            (2, 1, 1),
            (3, 2, 0.5),
            (4, 2, 1),
            (5, 9, 9),
        ]

    def test_brief_example(self) -> None:
        sweep = ok(
            {
                "frame": {"start": 1, "end": 100, "step": 1},
                "solver": ["cg", "gmres", "bicgstab"],
                "seed": {"repeat": 3},
                "mode": {"values": ["a", "b"]},
            }
        )
        assert sweep.size == sweep.count() == 100 * 3 * 3 * 2
        assert sweep.point(0) == {"frame": 1, "solver": "cg", "seed": 0, "mode": "a"}
        assert sweep.point(1) == {"frame": 1, "solver": "cg", "seed": 0, "mode": "b"}
        assert sweep.point(17) == {"frame": 1, "solver": "bicgstab", "seed": 2, "mode": "b"}
        assert sweep.point(18) == {"frame": 2, "solver": "cg", "seed": 0, "mode": "a"}
        assert sweep.point(1799) == {"frame": 100, "solver": "bicgstab", "seed": 2, "mode": "b"}

    def test_product_list_of_nodes(self) -> None:
        sweep = ok({"product": [{"a": [1, 2]}, {"zip": [{"b": [3, 4]}, {"c": [5, 6]}]}]})
        assert params(sweep) == [
            {"a": 1, "b": 3, "c": 5},
            {"a": 1, "b": 4, "c": 6},
            {"a": 2, "b": 3, "c": 5},
            {"a": 2, "b": 4, "c": 6},
        ]

    def test_zip_is_elementwise(self) -> None:
        sweep = ok({"zip": [{"a": [1, 2, 3]}, {"b": {"start": 10, "end": 30, "step": 10}}]})
        assert params(sweep) == [{"a": 1, "b": 10}, {"a": 2, "b": 20}, {"a": 3, "b": 30}]

    def test_zip_and_product_take_a_mapping_of_axes(self) -> None:
        assert params(ok({"zip": {"a": [1, 2], "b": ["x", "y"]}})) == [
            {"a": 1, "b": "x"},
            {"a": 2, "b": "y"},
        ]
        assert params(ok({"product": {"a": [1, 2], "b": ["x"]}})) == [
            {"a": 1, "b": "x"},
            {"a": 2, "b": "x"},
        ]

    def test_zip_of_products(self) -> None:
        sweep = ok({"zip": [{"a": [1, 2], "b": [3, 4]}, {"c": {"repeat": 4}}]})
        assert params(sweep) == [
            {"a": 1, "b": 3, "c": 0},
            {"a": 1, "b": 4, "c": 1},
            {"a": 2, "b": 3, "c": 2},
            {"a": 2, "b": 4, "c": 3},
        ]

    def test_inline_rows(self) -> None:
        sweep = ok({"rows": [{"a": 1, "b": "x"}, {"b": "y", "a": 2}]})
        assert params(sweep) == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]

    def test_include_only(self) -> None:
        sweep = ok({"include": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]})
        assert sweep.parameters == ("a", "b")
        assert params(sweep) == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
        assert sweep.point(1) == {"a": 3, "b": 4}

    def test_include_is_appended_last(self) -> None:
        sweep = ok({"a": [1, 2], "include": [{"a": 7}]})
        assert params(sweep) == [{"a": 1}, {"a": 2}, {"a": 7}]
        assert sweep.point(2) == {"a": 7}
        assert not sweep.filtered


class TestRanges:
    @pytest.mark.parametrize(
        ("start", "end", "step", "values"),
        [
            pytest.param(3, 6, 0.5, [3, 3.5, 4, 4.5, 5, 5.5, 6], id="reference example: 7 values"),
            pytest.param(1, 5, 2, [1, 3, 5], id="ints"),
            pytest.param(1, 6, 2, [1, 3, 5], id="end not reached"),
            pytest.param(-2, 2, 2, [-2, 0, 2], id="negative start"),
            pytest.param(0, 0, 1, [0], id="single value"),
            pytest.param(1.0, 3.0, 1.0, [1, 2, 3], id="whole floats become ints"),
            pytest.param(0, 0.3, 0.1, [0, 0.1, 0.2], id="0.1 steps: 0.30000000000000004 > 0.3"),
        ],
    )
    def test_values(self, start: float, end: float, step: float, values: list[float]) -> None:
        sweep, diags = parse({"x": {"start": start, "end": end, "step": step}})
        assert sweep is not None and all(d.code == "PS613" for d in diags)  # warnings only
        got = [p["x"] for p in params(sweep)]
        assert got == values
        assert [type(v) for v in got] == [type(v) for v in values]
        assert got == server_parameter_sweep_values(start, end, step)

    def test_an_end_the_float_sum_passes_is_a_warning_naming_the_last_value(self) -> None:
        sweep, [diag] = parse({"x": {"start": 0, "end": 0.3, "step": 0.1}})
        assert sweep is not None and [p["x"] for p in params(sweep)] == [0, 0.1, 0.2]
        assert (diag.code, diag.severity, diag.pointer) == ("PS613", "warning", f"{BASE}/x/end")
        assert diag.message == (
            "the range 'x' stops at 0.2, not at its end 0.3: the next value, "
            "0.30000000000000004, is greater than 0.3"
        )
        assert diag.hint == (
            "to include 0.3, set end a little past it (end: 0.35), or list the values"
        )
        ok({"x": {"start": 0, "end": 0.35, "step": 0.1}})  # the fix is quiet

    def test_an_end_reached_only_approximately_is_a_warning(self) -> None:
        sweep, [diag] = parse({"x": {"start": 0, "end": 0.9, "step": 0.3}})
        assert sweep is not None and params(sweep)[-1] == {"x": 0.8999999999999999}
        assert diag.code == "PS613" and diag.message.startswith(
            "the range 'x' stops at 0.8999999999999999, not at its end 0.9"
        )

    @pytest.mark.parametrize(
        "axis",
        [
            {"start": 0, "end": 1, "step": 0.1},  # the sum lands on 1 exactly
            {"start": 0, "end": 1, "step": 0.3},  # 1 lies between two values, as 1..6 by 2
            {"start": 1, "end": 6, "step": 2},  # integer ranges are exact
            {"start": 3, "end": 6, "step": 0.5},
        ],
    )
    def test_ranges_that_end_where_written_or_between_values_are_quiet(
        self, axis: dict[str, float]
    ) -> None:
        ok({"x": axis})

    def test_zero_to_one_by_tenths_counts_by_float_accumulation(self) -> None:
        # accumulating 0.1 reaches 0.9999999999999999 <= 1 after ten additions: 11 values,
        # and value i is 0 + i*0.1, so 0.30000000000000004 and a whole 1 at the end
        got = [p["x"] for p in params(ok({"x": {"start": 0, "end": 1, "step": 0.1}}))]
        assert len(got) == 11
        assert got[3] == 0.30000000000000004
        assert got[-1] == 1 and isinstance(got[-1], int)

    def test_ints_in_ints_out(self) -> None:
        got = [p["x"] for p in params(ok({"x": {"start": 2, "end": 10, "step": 4}}))]
        assert got == [2, 6, 10]
        assert all(type(v) is int for v in got)

    def test_huge_int_range_is_arithmetic_and_exact(self) -> None:
        sweep = ok({"x": {"start": 0, "end": 10**18, "step": 3}})
        axis = sweep.space
        assert isinstance(axis, RangeAxis) and axis.exact
        assert sweep.size == 10**18 // 3 + 1
        assert sweep.point(sweep.size - 1) == {"x": 10**18 - 1}
        assert sweep.space[-1] == {"x": 10**18 - 1}

    def test_huge_float_range_is_approximated(self) -> None:
        sweep = ok({"x": {"start": 0, "end": 1, "step": 1e-9}})
        axis = sweep.space
        assert isinstance(axis, RangeAxis) and not axis.exact
        # floor((1 - 0) / 1e-9) + 1: 1 / 1e-9 is 999999999.9999999 in floating point
        assert sweep.size == 10**9

    @pytest.mark.parametrize(
        ("step", "pointer"),
        [
            pytest.param(0, "/x/step", id="zero"),
            pytest.param(-1, "/x/step", id="negative"),
            pytest.param(-0.5, "/x/step", id="negative float"),
            pytest.param("1", "/x/step", id="string"),
            pytest.param(True, "/x/step", id="bool"),
            pytest.param(None, "/x/step", id="null"),
            pytest.param(float("nan"), "/x/step", id="nan"),
            pytest.param(float("inf"), "/x/step", id="infinity"),
        ],
    )
    def test_bad_step(self, step: object, pointer: str) -> None:
        assert errors({"x": {"start": 0, "end": 1, "step": step}}) == [("PS604", BASE + pointer)]

    def test_step_string_gets_a_hint(self) -> None:
        _, diags = parse({"x": {"start": 0, "end": 1, "step": "0.5"}})
        assert diags[0].hint == "remove the quotes"

    def test_bad_start_and_end_are_all_reported(self) -> None:
        assert errors({"x": {"start": "a", "end": False, "step": 1}}) == [
            ("PS604", BASE + "/x/start"),
            ("PS604", BASE + "/x/end"),
        ]

    def test_missing_keys(self) -> None:
        _, diags = parse({"x": {"start": 0, "step": 1}})
        assert [(d.code, d.pointer) for d in diags] == [("PS604", BASE + "/x")]
        assert "lacks end" in diags[0].message

    def test_number_of_steps_is_refused(self) -> None:
        _, diags = parse({"x": {"start": 0, "end": 1, "number": 3}})
        assert diags[0].pointer == BASE + "/x/number"
        assert "step, not number" in diags[0].message

    def test_step_below_float_resolution_would_hang_the_server(self) -> None:
        assert errors({"x": {"start": 1e16, "end": 1e16 + 8, "step": 0.5}}) == [
            ("PS604", BASE + "/x/step")
        ]

    def test_start_after_end_has_no_points(self) -> None:
        assert errors({"x": {"start": 5, "end": 1, "step": 1}}) == [("PS606", BASE + "/x")]


class TestRepeatAndValues:
    def test_repeat(self) -> None:
        assert params(ok({"seed": {"repeat": 3}})) == [{"seed": 0}, {"seed": 1}, {"seed": 2}]

    @pytest.mark.parametrize("number", [0, -1, "3", True, 2.0, None])
    def test_bad_repeat(self, number: object) -> None:
        assert errors({"seed": {"repeat": number}}) == [("PS604", BASE + "/seed/repeat")]

    def test_values_must_be_a_list(self) -> None:
        assert errors({"a": {"values": "x"}}) == [("PS604", BASE + "/a/values")]

    def test_values_cannot_be_mixed_with_other_axis_keys(self) -> None:
        assert errors({"a": {"values": [1], "repeat": 2}}) == [("PS604", BASE + "/a")]

    def test_scalar_axis_is_an_error_with_a_hint(self) -> None:
        _, diags = parse({"a": 5})
        assert [(d.code, d.pointer) for d in diags] == [("PS604", BASE + "/a")]
        assert diags[0].hint and "[value]" in diags[0].hint

    def test_values_are_fresh_copies(self) -> None:
        sweep = ok({"layers": [[64, 64], [128]], "include": [{"layers": [1]}]})
        first = sweep.point(0)
        first["layers"].append(0)
        sweep.point(2)["layers"].append(0)
        assert sweep.point(0) == {"layers": [64, 64]}
        assert sweep.point(2) == {"layers": [1]}

    def test_non_json_values_are_refused(self) -> None:
        assert errors({"a": [1, float("nan")]}) == [("PS604", BASE + "/a/1")]


class TestStructureErrors:
    def test_collects_every_error(self) -> None:
        got = errors(
            {"a": {"start": 0, "end": 1, "step": 0}, "b": [], "2x": [1], "c": {"repeat": 0}}
        )
        assert got == [
            ("PS604", BASE + "/a/step"),
            ("PS604", BASE + "/2x"),
            ("PS604", BASE + "/c/repeat"),
        ]

    @pytest.mark.parametrize("name", ["2x", "a-b", "a b", "", "é", "index"])
    def test_bad_names(self, name: str) -> None:
        assert errors({name: [1]}) == [("PS604", f"{BASE}/{name}")]

    def test_non_string_key(self) -> None:
        assert errors({1: [1]}) == [("PS604", BASE + "/1")]

    def test_duplicate_name_in_product(self) -> None:
        _, diags = parse({"product": [{"a": [1]}, {"b": [1], "a": [2]}]})
        assert [(d.code, d.pointer) for d in diags] == [("PS604", BASE + "/product/1/a")]
        assert "also at /promspec/sweep/product/0/a" in diags[0].message

    def test_duplicate_name_in_zip_with_rows(self) -> None:
        got = errors({"zip": [{"a": [1]}, {"rows": [{"a": 2}]}]})
        assert got == [("PS604", BASE + "/zip/1/rows")]

    def test_zip_length_mismatch_names_each_length(self) -> None:
        _, diags = parse({"zip": [{"a": [1, 2, 3]}, {"b": [1, 2]}, {"c": {"repeat": 3}}]})
        assert [(d.code, d.pointer) for d in diags] == [("PS604", BASE + "/zip")]
        assert diags[0].message == (
            "zip items must have the same number of points: "
            "item 0 (a) has 3; item 1 (b) has 2; item 2 (c) has 3"
        )

    @pytest.mark.parametrize(
        ("data", "pointer"),
        [
            pytest.param([1, 2], "", id="top is a list"),
            pytest.param({"product": []}, "/product", id="empty product"),
            pytest.param({"zip": "a"}, "/zip", id="zip of a string"),
            pytest.param({"product": [{}]}, "/product/0", id="empty node"),
            pytest.param({"product": [[1]]}, "/product/0", id="node is a list"),
            pytest.param({"zip": [{"a": [1]}], "b": [1]}, "", id="zip with other keys"),
            pytest.param(
                {"product": [{"a": [1], "include": [{"a": 1}]}]},
                "/product/0/include",
                id="include not at top",
            ),
            pytest.param({"product": [{"repeat": 3}]}, "/product/0/repeat", id="axis key as node"),
            pytest.param({"a": {"zip": [{"b": [1]}]}}, "/a/zip", id="node as an axis"),
            pytest.param({"a": {"frobnicate": 1}}, "/a/frobnicate", id="unknown axis key"),
            pytest.param({"a": {}}, "/a", id="empty axis"),
            pytest.param({"rows": 5}, "/rows", id="rows of a number"),
            pytest.param({"rows": [{"a": 1}, {"b": 2}]}, "/rows/1", id="inline rows differ"),
            pytest.param({"rows": [{"a": 1}, 3]}, "/rows/1", id="inline row not a mapping"),
            pytest.param({"rows": [{"a-b": 1}]}, "/rows/0", id="inline row bad name"),
        ],
    )
    def test_definition_errors(self, data: object, pointer: str) -> None:
        assert errors(data) == [("PS604", BASE + pointer)]

    def test_empty_sweep_has_no_points(self) -> None:
        assert errors({}) == [("PS606", BASE)]

    def test_empty_list_has_no_points(self) -> None:
        _, diags = parse({"a": [1], "b": []})
        assert [(d.code, d.pointer) for d in diags] == [("PS606", BASE + "/b")]
        assert diags[0].message == "'b' has an empty list of values, so the sweep has no points"

    def test_empty_inline_rows(self) -> None:
        assert errors({"rows": []}) == [("PS606", BASE + "/rows")]

    def test_base_pointer(self) -> None:
        assert errors({"a": []}, base_pointer="/x/0/sweep") == [("PS606", "/x/0/sweep/a")]

    def test_pointer_escapes_keys(self) -> None:
        assert errors({"a/b": [1]}) == [("PS604", BASE + "/a~1b")]


class TestModifiers:
    def test_include_must_give_every_parameter(self) -> None:
        _, diags = parse({"a": [1], "b": [2], "include": [{"a": 1}, {"a": 1, "b": 2, "c": 3}]})
        assert [(d.code, d.pointer) for d in diags] == [
            ("PS604", BASE + "/include/0"),
            ("PS604", BASE + "/include/1/c"),
        ]
        assert "lacks b" in diags[0].message

    def test_exclude_names_unknown_parameter_with_suggestion(self) -> None:
        _, diags = parse({"solver": ["cg"], "seed": [1, 2], "exclude": [{"solvr": "cg"}]})
        assert [(d.code, d.pointer) for d in diags] == [("PS604", BASE + "/exclude/0/solvr")]
        assert diags[0].hint == "did you mean 'solver'?"

    @pytest.mark.parametrize(
        ("value", "pointer"),
        [
            pytest.param([], "/exclude", id="empty list is fine"),
            pytest.param("a", "/exclude", id="string"),
            pytest.param([{}], "/exclude/0", id="empty mapping would match everything"),
            pytest.param([1], "/exclude/0", id="number"),
        ],
    )
    def test_exclude_shape(self, value: object, pointer: str) -> None:
        sweep, diags = parse({"a": [1, 2], "exclude": value})
        if value == []:
            assert sweep is not None and not sweep.filtered
        else:
            assert [(d.code, d.pointer) for d in diags] == [("PS604", BASE + pointer)]

    def test_exclude_value_absent_from_axis_fails_at_parse_time(self) -> None:
        _, diags = parse({"x": {"start": 0, "end": 1, "step": 0.1}, "exclude": [{"x": 0.3}]})
        assert [(d.code, d.pointer) for d in diags] == [("PS604", BASE + "/exclude/0/x")]
        assert diags[0].hint and "0.30000000000000004" in diags[0].hint

    def test_exclude_combination_that_never_occurs_fails_at_iteration_end(self) -> None:
        sweep = ok({"zip": {"a": [1, 2], "b": [3, 4]}, "exclude": [{"a": 1, "b": 4}]})
        found: list[Diagnostic] = []
        assert params_with(sweep, found) == [{"a": 1, "b": 3}, {"a": 2, "b": 4}]
        assert sweep.count(diagnostics=found) == 2
        assert [(d.code, d.pointer) for d in found] == [("PS604", BASE + "/exclude/0")] * 2
        assert found[0].message == "exclude entry 0 (a=1, b=4) matches no point"

    def test_exclude_no_match_raises_at_the_end_without_a_sink(self) -> None:
        sweep = ok({"zip": {"a": [1, 2], "b": [3, 4]}, "exclude": [{"a": 1, "b": 4}]})
        seen = []
        with pytest.raises(SweepError) as info:
            for index, point in sweep.points():
                seen.append((index, point))
        assert len(seen) == 2
        assert info.value.diagnostic.code == "PS604"

    def test_exclude_matches_all_keys_of_an_entry(self) -> None:
        sweep = ok({"a": [1, 2], "b": ["x", "y"], "exclude": [{"a": 1}, {"a": 2, "b": "x"}]})
        found: list[Diagnostic] = []
        assert [p for _, p in sweep.points(diagnostics=found)] == [{"a": 2, "b": "y"}]
        assert found == []
        assert sweep.count() == 1
        assert sweep.upper_bound == sweep.size == 4

    def test_exclude_distinguishes_booleans_from_numbers(self) -> None:
        assert errors({"a": [True, 2], "exclude": [{"a": 1}]}) == [("PS604", BASE + "/exclude/0/a")]
        sweep = ok({"a": [1, 2], "exclude": [{"a": 1.0}]})
        assert params(sweep) == [{"a": 2}]

    def test_exclude_with_structured_values(self) -> None:
        sweep = ok({"a": [[1], [2]], "b": [1, 2], "exclude": [{"a": [1], "b": 2}]})
        assert params(sweep) == [{"a": [1], "b": 1}, {"a": [2], "b": 1}, {"a": [2], "b": 2}]

    def test_many_exclude_entries(self) -> None:
        sweep = ok(
            {
                "a": {"repeat": 100},
                "b": {"repeat": 100},
                "exclude": [{"a": i, "b": i} for i in range(100)] + [{"b": 5}],
            }
        )
        assert sweep.count() == 100 * 100 - 100 - 99
        assert sweep.point(0) == {"a": 0, "b": 1}

    def test_exclude_everything_has_no_points(self) -> None:
        sweep = ok({"a": [1], "exclude": [{"a": 1}]})
        found: list[Diagnostic] = []
        assert sweep.count(diagnostics=found) == 0
        assert [(d.code, d.pointer) for d in found] == [("PS606", BASE)]

    def test_include_is_not_filtered(self) -> None:
        sweep = ok({"a": [1, 2], "exclude": [{"a": 1}], "include": [{"a": 1}]})
        assert params(sweep) == [{"a": 2}, {"a": 1}]

    def test_where(self) -> None:
        sweep = ok({"a": [1, 2, 3], "b": [1, 2, 3], "where": "a < b"}, where_fn=py_where)
        assert sweep.filtered
        assert [(i, p["a"], p["b"]) for i, p in sweep.points()] == [(0, 1, 2), (1, 1, 3), (2, 2, 3)]
        assert sweep.count() == 3
        assert sweep.point(2) == {"a": 2, "b": 3}
        with pytest.raises(IndexError):
            sweep.point(3)

    def test_where_sees_read_only_params_and_pointer(self) -> None:
        calls: list[tuple[str, dict[str, Any], str]] = []

        def spy(expression: str, values: Any, pointer: str) -> bool:
            calls.append((expression, dict(values), pointer))
            with pytest.raises(TypeError):
                values["a"] = 0
            return True

        sweep = ok({"a": [1], "where": "a"}, where_fn=spy)
        assert params(sweep) == [{"a": 1}]
        assert calls == [("a", {"a": 1}, BASE + "/where")]

    def test_where_errors_are_collected_once_per_message(self) -> None:
        sweep = ok({"a": [0, 1, 2, 0], "where": "1 / a > 0"}, where_fn=py_where)
        found: list[Diagnostic] = []
        assert params_with(sweep, found) == [{"a": 1}, {"a": 2}]
        assert [(d.code, d.pointer) for d in found] == [("PS601", BASE + "/where")]

    def test_where_error_raises_without_a_sink(self) -> None:
        sweep = ok({"a": [0, 1], "where": "1 / a"}, where_fn=py_where)
        with pytest.raises(SweepError):
            sweep.count()

    @pytest.mark.parametrize("value", ["", "  ", 3, None, ["a"]])
    def test_where_must_be_an_expression(self, value: object) -> None:
        got = errors({"a": [1], "where": value}, where_fn=py_where)
        assert got == [("PS604", BASE + "/where")]

    def test_where_without_evaluator_is_an_internal_error(self) -> None:
        assert errors({"a": [1], "where": "a"}) == [("PS901", BASE + "/where")]
        built = Sweep(ok({"a": [1, 2]}).space, ("a",), where="a")
        found: list[Diagnostic] = []
        assert params_with(built, found) == []
        assert [(d.code, d.pointer) for d in found] == [("PS901", BASE + "/where")]


def params_with(sweep: Sweep, sink: list[Diagnostic]) -> list[dict[str, Any]]:
    return [p for _, p in sweep.points(diagnostics=sink)]


class TestLaziness:
    def test_billion_point_product(self) -> None:
        sweep = ok(
            {
                "a": {"start": 0, "end": 999, "step": 1},
                "b": {"repeat": 1000},
                "c": {"start": 0.0, "end": 99.9, "step": 0.1},
            }
        )
        assert sweep.size == sweep.count() == 10**9
        assert len(sweep.space) == 10**9
        assert sweep.point(123_456_789) == {"a": 123, "b": 456, "c": 78.9}
        assert sweep.point(10**9 - 1) == {"a": 999, "b": 999, "c": 99.9}
        with pytest.raises(IndexError):
            sweep.point(10**9)

    def test_size_beyond_sys_maxsize(self) -> None:
        sweep = ok({f"p{k}": {"repeat": 1000} for k in range(8)})
        assert sweep.size == 1000**8
        with pytest.raises(OverflowError):
            len(sweep.space)
        assert sweep.point(1000**8 - 1) == {f"p{k}": 999 for k in range(8)}

    def test_space_indexing(self) -> None:
        space = ok({"a": [1, 2], "b": [3, 4]}).space
        assert isinstance(space, ProductSpace)
        assert space[-1] == {"a": 2, "b": 4}
        assert list(space) == [space[i] for i in range(len(space))]
        with pytest.raises(IndexError):
            space[4]
        with pytest.raises(TypeError):
            space[True]

    def test_negative_point_is_an_index_error(self) -> None:
        with pytest.raises(IndexError):
            ok({"a": [1]}).point(-1)

    def test_points_are_fresh_dicts(self) -> None:
        sweep = ok({"a": [1, 2]})
        first = sweep.point(0)
        first["a"] = 99
        first["index"] = 0
        assert sweep.point(0) == {"a": 1}


class TestDocs:
    DOC = Path(__file__).resolve().parent.parent / "docs" / "sweeps.md"

    def blocks(self, kind: str) -> list[str]:
        return re.findall(rf"```{kind}\n(.*?)```", self.DOC.read_text(encoding="utf-8"), re.S)

    def test_every_example_in_the_docs_parses(self, tmp_path: Path) -> None:
        (tmp_path / "points.csv").write_text(self.blocks("text")[0], encoding="utf-8")
        (tmp_path / "runs.csv").write_text("run\n1\n2\n", encoding="utf-8")
        examples = [b for b in self.blocks("yaml") if "sweep:" in b]
        assert len(examples) >= 5
        for block in examples:
            loaded = loader.load_text(block)
            assert loaded.ok, loaded.diagnostics
            data = loaded.documents[0].data["promspec"]["sweep"]
            sweep, diags = parse_sweep(data, base_dir=tmp_path, root=tmp_path, where_fn=py_where)
            assert diags == [] and sweep is not None, (block, diags)
            assert sweep.count() > 0

    def test_range_table_in_the_docs(self) -> None:
        sweep = ok({"x": {"start": 0, "end": 1, "step": 0.1}})
        shown = ", ".join(str(p["x"]) for p in params(sweep))
        assert f"| `{{start: 0, end: 1, step: 0.1}}` | {shown} (11 values) |" in (
            self.DOC.read_text(encoding="utf-8")
        )
