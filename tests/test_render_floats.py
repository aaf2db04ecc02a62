"""The JSON writer's float-free short cut (issue 19): decided once per spec, invisible in
the bytes.

When no body of a spec can hold a float (:func:`may_write_floats`), ``render -f jsonl`` and
``submit --dry-run`` encode with orjson without checking its bytes; every case where
orjson and the standard encoder differ comes from a float, so the lines must still be
:func:`api_json`'s. A spec whose bodies may hold one keeps the checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prominence_spec.loading.loader import load
from prominence_spec.report.documents import api_json, compact_encoder
from prominence_spec.validation.rendered_file import RenderRun

import cli_support
from support import write

HEAD = """\
promspec:
  params:
{params}
  sweep:
{sweep}
name: job
resources: {{cpus: 1, memory: 1, disk: 10{extra}}}
tasks:
  - image: img
    runtime: singularity
    cmd: "run {{{{ x }}}}"
    env:
      X: "{{{{ x }}}}"
"""


def _spec(
    tmp_path: Path,
    *,
    params: str = "    p: 1",
    sweep: str = "    x: [1, 2]",
    extra: str = "",
    tail: str = "",
) -> Path:
    text = HEAD.format(params=params, sweep=sweep, extra=extra) + tail
    return write(tmp_path, text, "spec.yaml")


def _floats(path: Path) -> bool:
    return RenderRun(load(str(path)), {}).may_write_floats()


def test_a_sweep_of_integers_and_text_holds_no_float(tmp_path: Path) -> None:
    assert _floats(_spec(tmp_path)) is False
    assert _floats(_spec(tmp_path, sweep="    x: {start: 1, end: 9, step: 2}")) is False
    assert _floats(_spec(tmp_path, sweep="    x: {repeat: 3}")) is False
    assert _floats(_spec(tmp_path, sweep='    x: ["a", true, null]')) is False


@pytest.mark.parametrize(
    "sweep",
    [
        "    x: [1, 2.5]",
        "    x: {start: 0, end: 1, step: 0.5}",
        "    x: [[1, {k: 0.5}]]",
    ],
)
def test_a_float_the_sweep_places_keeps_the_checks(tmp_path: Path, sweep: str) -> None:
    assert _floats(_spec(tmp_path, sweep=sweep)) is True


def test_a_float_only_written_into_text_needs_no_check(tmp_path: Path) -> None:
    spec = _spec(tmp_path, sweep="    x: [1, 2]\n    y: [0.5]", tail='outputFiles: ["o-{{ y }}"]\n')
    assert _floats(spec) is False  # "o-0.5" is a string


def test_a_float_constant_or_parameter_placed_keeps_the_checks(tmp_path: Path) -> None:
    assert _floats(_spec(tmp_path, extra=", walltime: 1.5")) is True
    placed = _spec(tmp_path, params="    w: 1.5", extra=', walltime: "{{ w }}"')
    assert _floats(placed) is True
    unused = _spec(tmp_path, params="    w: 1.5")
    assert _floats(unused) is False  # a parameter no leaf places


def test_a_computed_leaf_or_another_mode_keeps_the_checks(tmp_path: Path) -> None:
    assert _floats(_spec(tmp_path, extra=', walltime: "{{ p * 2 }}"')) is True
    workflow = _spec(tmp_path, params="    p: 1\n  expand: workflow")
    assert _floats(workflow) is True


def test_a_plain_file_with_a_float_keeps_the_checks(tmp_path: Path) -> None:
    path = write(tmp_path, "resources: {cpus: 1, memory: 1.5, disk: 10}\n", "plain.yaml")
    assert _floats(path) is True
    path = write(tmp_path, "resources: {cpus: 1, memory: 1, disk: 10}\n", "plain.yaml")
    assert _floats(path) is False


# Values of a bare {{ x }} leaf: each kind the writer may meet without a float.
EDGE_VALUES: list[Any] = [
    0,
    -7,
    2**63 - 1,
    2**70,  # beyond 64 bits: orjson refuses it, the standard encoder writes it
    True,
    None,
    'say "hi" \\ /',
    "ünï ☃ 🙂",
    "line\u2028sep\u2029\x85\x7f",
    "\x00\x1f\t\n",
    "1e-7",  # a string that looks like a number
    "0.00001",
    "NaN",
    "null",
]


@pytest.mark.parametrize("value", EDGE_VALUES, ids=repr)
def test_the_float_free_encoder_writes_api_json(value: Any) -> None:
    document = {"name": "a", "env": {"X": value}, "list": [value, {"k": value}]}
    assert compact_encoder(floats=False)(document) == api_json(document)


def test_jsonl_of_edge_values_is_api_json(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    values = json.dumps(EDGE_VALUES)
    spec = write(
        tmp_path,
        f"""\
promspec:
  sweep:
    x: {values}
name: job
labels: {{v: "{{{{ x }}}}"}}
resources: {{cpus: 1, memory: 1, disk: 10}}
tasks:
  - image: img
    runtime: singularity
    cmd: "run {{{{ x }}}}"
""",
        "edge.yaml",
    )
    assert _floats(spec) is False
    run = RenderRun(load(str(spec)), {})
    expected = [api_json(item.document) for item in run.documents()]
    proc = cli_support.promspec_process("render", str(spec), "-f", "jsonl", cwd=tmp_path)
    # labels must be strings: the points whose value is not one are refused, the others
    # written exactly as api_json writes them
    assert proc.stdout == "".join(line + "\n" for line in expected)
    codes = {d.code for d in run.diagnostics if d.is_error}
    assert expected and codes  # both kinds of point are in the sweep


def test_a_missing_variable_is_still_reported_at_its_place(tmp_path: Path) -> None:
    spec = _spec(tmp_path, extra=', walltime: "{{ nowhere }}"')
    proc = cli_support.promspec("render", str(spec), "-f", "jsonl", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "PS602" in proc.stderr and "nowhere" in proc.stderr
    assert f"{spec}:7:53: error[PS602]" in proc.stderr  # walltime's value, in resources


def test_a_leaf_placing_a_list_keeps_its_bytes(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path,
        params='    files: ["a.txt", "b \\"q\\".txt"]',
        tail='outputFiles: "{{ files }}"\n',
    )
    assert _floats(spec) is False
    run = RenderRun(load(str(spec)), {})
    expected = "".join(api_json(item.document) + "\n" for item in run.documents())
    assert '"outputFiles":["a.txt","b \\"q\\".txt"]' in expected
    proc = cli_support.promspec("render", str(spec), "-f", "jsonl", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, expected)


def _params_plain(path: Path) -> bool:
    (item,) = RenderRun(load(str(path)), {}).items
    return bool(item.prepared.params_plain)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("sweep", "plain"),
    [
        ("    x: [1, 2]\n    y: {repeat: 3}\n    z: {start: 1, end: 9, step: 2}", True),
        ('    x: ["a", true, null, 0.5]', True),
        ('    x: ["ünï"]', False),  # the compiled validator's Unicode classes differ
        ("    x: [9223372036854775808]", False),  # beyond 64 bits
        ("    x: {start: 9223372036854775806, end: 9223372036854775808, step: 1}", False),
        ("    x: {start: 0, end: 1, step: 0.5}", False),  # 0 and 1.0 would be checked
        ("    x: [2.0]", False),  # an integral float
    ],
)
def test_sweep_values_are_known_plain_once(tmp_path: Path, sweep: str, plain: bool) -> None:
    assert _params_plain(_spec(tmp_path, sweep=sweep)) is plain
