"""Rendering templated specs (library level): types, values, safety, diagnostics, grouping.

Expansion modes, templates, files and `validate`'s every-point check are in
test_render_modes.py; the sweep engine and the templating module have their own tests.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from prominence_spec.render import points
from prominence_spec.report.documents import api_json
from prominence_spec.spec.values import load_values_file, merge, set_layer

from render_support import TASK, ok, renderer_of, run, where
from support import key_paths, write


# -- native types, omit, templated keys ---------------------------------------------------
@pytest.mark.parametrize(
    ("text", "params", "expected"),
    [
        pytest.param('"{{ cpus }}"', {"cpus": 4}, 4, id="int-stays-int"),
        pytest.param('"{{ 2 if big else 1 }}"', {"big": True}, 2, id="expression-gives-int"),
        pytest.param('"{{ cpus }}"', {"cpus": "4"}, "4", id="string-stays-string"),
    ],
)
def test_a_whole_expression_keeps_its_type_in_cpus(
    repo: Path, text: str, params: dict[str, Any], expected: str | int
) -> None:
    path = write(
        repo,
        f"""\
        promspec:
          params: {params!r}
        resources: {{cpus: {text}, memory: 1, disk: 10}}
        tasks: [{{image: busybox, runtime: singularity}}]
        """,
    )
    if isinstance(expected, str):  # the schema refuses a string for cpus: look at the build
        document, _ = points.build(renderer_of(path).prepared, None, {})
        assert document["resources"]["cpus"] == expected
        return
    assert ok(path)[0]["resources"]["cpus"] == expected


def test_mapping_param_becomes_env_and_text_stays_text(repo: Path) -> None:
    path = write(
        repo,
        'promspec:\n  params: {env: {A: "1", B: x}, n: 4}\n'
        + TASK
        + '    cmd: "run --n {{ n }}"\n    env: "{{ env }}"\n',
    )
    task = ok(path)[0]["tasks"][0]
    assert task["env"] == {"A": "1", "B": "x"}
    assert task["cmd"] == "run --n 4"


@pytest.mark.parametrize(
    "plots", [pytest.param(True, id="kept"), pytest.param(False, id="omitted")]
)
def test_omit_drops_keys_and_list_items(repo: Path, plots: bool) -> None:
    path = write(
        repo,
        f"""\
        promspec:
          params: {{plots: {str(plots).lower()}, walltime: 0}}
        name: x
        labels:
          keep: a
          drop: "{{{{ 'b' if plots else omit }}}}"
        resources:
          cpus: 1
          memory: 1
          disk: 10
          walltime: "{{{{ walltime if walltime else omit }}}}"
        tasks: [{{image: busybox, runtime: singularity}}]
        outputDirs:
          - results
          - "{{{{ 'plots' if plots else omit }}}}"
          - logs
        """,
    )
    document = ok(path)[0]
    assert "walltime" not in document["resources"]
    if plots:
        assert document["labels"] == {"keep": "a", "drop": "b"}
        assert document["outputDirs"] == ["results", "plots", "logs"]
    else:
        assert document["labels"] == {"keep": "a"}
        assert document["outputDirs"] == ["results", "logs"]


def test_templated_keys(repo: Path) -> None:
    path = write(
        repo,
        textwrap.dedent("""\
        promspec:
          params: {team: physics, extra: false}
        name: x
        labels:
          "{{ team }}": owner
          "{{ 'x' if extra else omit }}": y
          fixed: z
        """)
        + TASK,
    )
    assert ok(path)[0]["labels"] == {"physics": "owner", "fixed": "z"}


def test_two_templated_keys_rendering_equal_are_an_error(repo: Path) -> None:
    path = write(
        repo,
        textwrap.dedent("""\
        promspec:
          params: {k: a, j: a}
        name: x
        labels:
          "{{ k }}": v1
          "{{ j }}": v2
        """)
        + TASK,
    )
    documents, diagnostics = run(path)
    assert documents == []
    [diag] = diagnostics
    assert diag.code == "PS601" and 'two keys render to "a"' in diag.message
    assert diag.line in (5, 6) and diag.path == str(path)


def test_templated_key_equal_to_a_later_literal_key_is_an_error(repo: Path) -> None:
    path = write(
        repo, 'promspec:\n  params: {k: a}\nname: x\nlabels: {"{{ k }}": v1, a: v2}\n' + TASK
    )
    documents, diagnostics = run(path)
    assert documents == [] and [d.code for d in diagnostics] == ["PS601"]


def test_infinite_number_is_a_diagnostic_not_a_crash(repo: Path) -> None:
    path = write(
        repo, "promspec: {params: {a: 1}}\nname: x\n" + TASK + '    env: {V: "{{ 1e308 * 10 }}"}\n'
    )
    documents, diagnostics = run(path)
    assert documents == []  # the point is not kept, so nothing can print Infinity
    [diag] = diagnostics
    assert (diag.code, diag.pointer) == ("PS112", "/tasks/0/env/V")
    assert diag.message.startswith("inf is not a finite number and cannot be sent as JSON")


def test_mapping_with_integer_keys_gets_json_string_keys(repo: Path) -> None:
    """A rendered mapping's keys become strings, as JSON writes them (never a crash)."""
    path = write(
        repo, "promspec: {params: {a: 1}}\nname: x\n" + TASK + '    env: "{{ {1: 2, none: 3} }}"\n'
    )
    documents, diagnostics = run(path)
    assert diagnostics == []
    assert documents[0].document["tasks"][0]["env"] == {"1": 2, "null": 3}


# -- where values come from ---------------------------------------------------------------
def test_precedence_spec_params_then_values_files_then_set(repo: Path) -> None:
    path = write(
        repo,
        "promspec:\n  params: {a: spec, b: spec, c: spec, d: spec}\nname: x\n"
        + TASK
        + '    cmd: "{{ a }} {{ b }} {{ c }} {{ d }}"\n',
    )
    first = write(repo, "b: file1\nc: file1\nd: file1\n", "one.yaml")
    second = write(repo, "c: file2\nd: file2\n", "two.yaml")
    layers = []
    for values_file in (first, second):
        layer, problems = load_values_file(str(values_file))
        assert problems == []
        layers.append(layer)
    sets, problems = set_layer(["d=set1", "d=set2"])
    assert problems == []
    document = ok(path, merge(*layers, sets))[0]
    assert document["tasks"][0]["cmd"] == "spec file1 file2 set2"


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        pytest.param("cpus=4", {"cpus": 4}, id="int"),
        pytest.param("tag=yes", {"tag": "yes"}, id="yes-is-text"),
        pytest.param("sizes=[1, 2]", {"sizes": [1, 2]}, id="list"),
        pytest.param("env.DEBUG=1", {"env": {"DEBUG": 1}}, id="dotted-nested"),
        pytest.param("flag=true", {"flag": True}, id="bool"),
        pytest.param("ratio=0.5", {"ratio": 0.5}, id="float"),
        pytest.param("empty=", {"empty": ""}, id="empty-text"),
        pytest.param("raw=a: b: c", {"raw": "a: b: c"}, id="not-yaml-stays-text"),
        pytest.param("nothing=null", {"nothing": None}, id="null"),
    ],
)
def test_set_values_are_yaml_typed(item: str, expected: dict[str, Any]) -> None:
    assert set_layer([item]) == (expected, [])


def test_set_dotted_keys_merge_with_each_other_and_later_wins() -> None:
    layer, problems = set_layer(["env.A=1", "env.B=x", "env.A=2"])
    assert problems == [] and layer == {"env": {"A": 2, "B": "x"}}


@pytest.mark.parametrize(
    "item",
    [
        pytest.param("=x", id="no-key"),
        pytest.param("novalue", id="no-equals"),
        pytest.param("a.=x", id="empty-part"),
        pytest.param("1a=2", id="bad-name"),
    ],
)
def test_bad_set_items_are_ps607(item: str) -> None:
    layer, problems = set_layer([item])
    assert layer == {} and [p.code for p in problems] == ["PS607"]


def test_set_dotted_key_keeps_the_spec_params_siblings(repo: Path) -> None:
    path = write(
        repo, "promspec:\n  params: {env: {A: '1'}}\nname: x\n" + TASK + '    env: "{{ env }}"\n'
    )
    layer, _ = set_layer(["env.DEBUG=1"])
    assert ok(path, layer)[0]["tasks"][0]["env"] == {"A": "1", "DEBUG": 1}


@pytest.mark.parametrize("name", ["index", "omit", "range", "read_file", "read_file_b64", "dict"])
def test_sweep_parameters_cannot_use_reserved_names(repo: Path, name: str) -> None:
    path = write(repo, f"promspec:\n  sweep: {{{name}: [1, 2]}}\nname: x\n" + TASK)
    documents, diagnostics = run(path)
    assert documents == []
    errors = [d for d in diagnostics if d.is_error]
    assert errors and all(d.code == "PS604" for d in errors)
    assert any(name in d.message and "reserved" in d.message for d in errors)
    assert errors[0].line == 2


@pytest.mark.parametrize("name", ["index", "omit", "range"])
def test_params_cannot_use_reserved_names(repo: Path, name: str) -> None:
    path = write(repo, f"promspec:\n  params: {{{name}: 1}}\nname: x\n" + TASK)
    documents, diagnostics = run(path)
    assert documents == [] and [where(d) for d in diagnostics] == [("PS607", 2, 3)]


# -- structure safety (J12/J14) -----------------------------------------------------------
HOSTILE = [
    pytest.param("x\nlabels: [owner=mallory]", id="newline-and-key"),
    pytest.param("echo #x", id="comment"),
    pytest.param("a: b", id="colon"),
    pytest.param("[1, 2]", id="flow-list-text"),
    pytest.param("yes", id="yaml11-bool"),
    pytest.param("0755", id="leading-zero"),
    pytest.param("{{ 7*7 }}", id="jinja-in-value"),
    pytest.param("---\n...\n", id="document-markers"),
    pytest.param("{% raw %}", id="jinja-block"),
]
SAFE_SPEC = """\
promspec:
  params: {v: harmless}
  sweep: {n: [1]}
name: x
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: busybox
    runtime: singularity
    cmd: "echo {{ v }} {{ n }}"
    env:
      V: "{{ v }}"
      "{{ 'K' }}": "{{ v }}"
"""


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("source", ["values", "sweep"])
def test_parameter_values_never_change_the_structure(repo: Path, value: str, source: str) -> None:
    path = write(repo, SAFE_SPEC)
    baseline = ok(path)[0]
    if source == "values":
        documents = ok(path, {"v": value})
    else:  # a JSON string is a YAML double-quoted scalar
        swept = SAFE_SPEC.replace("params: {v: harmless}", "params: {}").replace(
            "sweep: {n: [1]}", f"sweep: {{n: [1], v: [{json.dumps(value)}]}}"
        )
        documents = ok(write(repo, swept, "swept.yaml"))
    [document] = documents
    assert set(key_paths(document)) == set(key_paths(baseline))
    task = document["tasks"][0]
    assert task["env"] == {"V": value, "K": value}
    assert task["cmd"] == f"echo {value} 1"
    assert document["name"] == baseline["name"] == "x-0"


# -- set-up diagnostics, at the spec's line and column ------------------------------------
def test_undefined_variable_is_ps602_with_did_you_mean(repo: Path) -> None:
    path = write(
        repo,
        """\
        promspec:
          params: {image: busybox}
        name: x
        resources: {cpus: 1, memory: 1, disk: 10}
        tasks:
          - image: "{{ imgae }}"
            runtime: singularity
        """,
    )
    documents, diagnostics = run(path)
    assert documents == []
    [diag] = diagnostics
    assert where(diag) == ("PS602", 6, 12) and diag.path == str(path)
    assert '"imgae" is undefined' in diag.message and "did you mean `image`" in (diag.hint or "")


def test_unused_sweep_parameter_is_a_warning(repo: Path) -> None:
    path = write(
        repo,
        "promspec:\n  sweep:\n    frame: [1, 2]\n    unused: [a, b]\nname: x\n"
        + TASK
        + '    cmd: "render {{ frame }}"\n',
    )
    documents, diagnostics = run(path)
    assert len(documents) == 4
    [diag] = diagnostics
    assert diag.code == "PS604" and diag.severity == "warning"
    assert '"unused"' in diag.message and diag.line in (2, 4)  # the sweep, or its axis


@pytest.mark.parametrize(
    ("cmd", "line", "column"),
    [
        pytest.param('    cmd: "run {{ n + }}"\n', 8, 10, id="expression"),
        pytest.param("    cmd: |\n      one\n      {% if n %}\n", 8, 10, id="unclosed-block"),
    ],
)
def test_template_syntax_error_is_ps601_at_its_value(
    repo: Path, cmd: str, line: int, column: int
) -> None:
    path = write(repo, "promspec:\n  params: {n: 1}\nname: x\n" + TASK + cmd)
    documents, diagnostics = run(path)
    assert documents == []
    [diag] = diagnostics
    assert where(diag) == ("PS601", line, column) and "syntax error" in diag.message


# -- grouping per place -------------------------------------------------------------------
GROUPED = """\
promspec:
  sweep:
    a: AXIS
    b: [x, y]
name: x
resources:
  cpus: "{{ a }}"
  memory: 1
  disk: 10
tasks:
  - image: busybox
    runtime: singularity
    cmd: "run {{ b }}"
"""


def test_failing_points_give_one_diagnostic_per_place(repo: Path) -> None:
    path = write(repo, GROUPED.replace("AXIS", "[1, 0, 2, -1]"))
    documents, diagnostics = run(path)
    assert [item.index for item in documents] == [0, 1, 4, 5]
    assert [item.params for item in documents][:2] == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}]
    [diag] = diagnostics
    assert where(diag) == ("PS205", 7, 9) and diag.pointer == "/resources/cpus"
    assert diag.message.endswith("(fails for 4 of 8 points, first at index 2: a=0, b=x)")
    assert dict(diag.context) == {"points": "4/8", "first_index": "2", "first_params": "a=0, b=x"}


def test_all_points_failing_says_so(repo: Path) -> None:
    path = write(repo, GROUPED.replace("AXIS", "[0, -1]"))
    documents, diagnostics = run(path)
    assert documents == []
    [diag] = diagnostics
    assert "(fails for all 4 points, first at index 0: a=0, b=x)" in diag.message


def test_only_one_failing_point(repo: Path) -> None:
    path = write(repo, GROUPED.replace("AXIS", "[1, 0]"))
    assert [item.index for item in run(path, only=1)[0]] == [1]
    documents, diagnostics = run(path, only=2)
    assert documents == []
    assert [d.message.endswith("(at index 2: a=0, b=x)") for d in diagnostics] == [True]


# -- determinism and order ----------------------------------------------------------------
def test_rendering_twice_is_byte_identical_and_in_spec_order(repo: Path) -> None:
    path = write(
        repo,
        """\
        promspec:
          params: {env: {Z: "1", A: "2"}}
          sweep: {n: {start: 0, end: 1, step: 0.25}, s: [b, a]}
        tasks:
          - runtime: singularity
            image: busybox
            cmd: "run {{ n }} {{ s }}"
            env: "{{ env }}"
        resources: {disk: 10, memory: 1, cpus: 1}
        labels: {zeta: "1", alpha: "2"}
        """,
    )
    first = [api_json(item.document) for item in run(path)[0]]
    second = [api_json(item.document) for item in run(path)[0]]
    assert first == second and len(first) == 10
    document = ok(path)[0]
    assert list(document) == ["name", "tasks", "resources", "labels"]
    assert document["name"] == "spec-0"
    assert list(document["tasks"][0]) == ["runtime", "image", "cmd", "env"]
    assert list(document["tasks"][0]["env"]) == ["Z", "A"]
    assert list(document["resources"]) == ["disk", "memory", "cpus"]


def test_schema_cache_gives_the_same_diagnostics_as_validating_every_point(repo: Path) -> None:
    path = write(
        repo,
        """\
        promspec:
          sweep:
            c: [0, -1, 1, 2.5, 0, 3]
            k: [cpuz, diskk, walltime]
        name: x
        resources:
          cpus: "{{ c }}"
          memory: 1
          disk: 10
          "{{ k }}": 5
        tasks:
          - image: busybox
            runtime: singularity
        """,
    )
    results = []
    for cached in (True, False):
        renderer = renderer_of(path)
        if not cached:
            renderer.check.schema_cache = None  # type: ignore[assignment]
        documents = list(renderer.documents())
        results.append(([d.document for d in documents], renderer.diagnostics()))
    assert results[0] == results[1]
    messages = [d.message for d in results[0][1]]
    assert any('unknown key "cpuz"' in m for m in messages)
    assert any('unknown key "diskk"' in m for m in messages)
    assert any("got -1" in m or "got 0" in m for m in messages)


def test_infinite_value_in_a_job_with_inputs_is_a_diagnostic(repo: Path) -> None:
    """A found crash: measuring the body (jobs with inputs) met the non-finite value first."""
    path = write(
        repo,
        'promspec: {sweep: {x: [1]}}\nname: x\nlabels: {a: "{{ 1e308 * 10 }}"}\n'
        'inputs: [{filename: f, content: "{{ x }}"}]\n' + TASK,
    )
    documents, diagnostics = run(path)
    assert documents == [] and {d.code for d in diagnostics} >= {"PS112"}


def test_name_template_rendering_to_omit_is_an_error(repo: Path) -> None:
    """A found crash: the omit marker reached the validator as a job name."""
    path = write(repo, "promspec:\n  sweep: {x: [1]}\n  name: '{{ omit }}'\nname: x\n" + TASK)
    documents, diagnostics = run(path)
    errors = [where(d) for d in diagnostics if d.is_error]
    assert documents == [] and errors == [("PS601", 3, 9)]


@pytest.mark.parametrize("mode", ["jobs", "workflow", "factory"])
def test_non_string_body_name_is_a_diagnostic_in_every_mode(repo: Path, mode: str) -> None:
    """Found by fuzzing: factory mode used a mapping name as a dependency key."""
    path = write(
        repo,
        """\
        promspec:
          sweep: {x: {start: 1, end: 2, step: 1}}
          workflow:
            gather: {name: g, resources: {cpus: 1, memory: 1, disk: 1},
                     tasks: [{image: b, runtime: singularity}]}
        name: {a: 1}
        resources: {cpus: 1, memory: 1, disk: 10}
        tasks:
          - image: busybox
            runtime: singularity
            cmd: "run {{ x }}"
        """,
    )
    documents, diagnostics = run(path, mode=mode)
    assert documents == [] and any(d.is_error for d in diagnostics)


def test_a_value_that_cannot_be_built_does_not_hide_the_documents_other_problems(
    repo: Path,
) -> None:
    """A missing read_file (PS609) used to hide every schema error of the same document
    until it was fixed: the rest of the document is checked too, and nothing is said about
    the failed value itself (its placeholder is not a type error)."""
    path = write(
        repo,
        "promspec:\n"
        "  sweep: {n: [1, 2, 3]}\n"
        "name: x\n"
        "resources:\n"
        '  cpus: "two"\n'
        "  memory: 1\n"
        "  disk: 10\n"
        "tasks:\n"
        "  - image: busybox\n"
        "    runtime: singularity\n"
        "    cmd: \"{{ read_file('missing.txt') }} {{ n }}\"\n",
    )
    documents, diagnostics = run(path)
    assert documents == []
    diagnostics.sort(key=lambda d: d.line or 0)
    assert [where(d) for d in diagnostics] == [("PS203", 5, 9), ("PS609", 11, 10)]
    schema, missing = diagnostics
    assert (schema.pointer, missing.pointer) == ("/resources/cpus", "/tasks/0/cmd")
    assert "fails for all 3 points" in schema.message
