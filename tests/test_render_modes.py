"""Rendering templated specs (library level): the jobs, workflow and factory expansion modes.

Values, types and grouping are in test_render.py; templates, files and the every-point
check of `promspec validate` in test_render_templates.py.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from render_support import TASK, names, ok, run, where
from support import write


def test_jobs_mode_default_names_are_name_dash_index(repo: Path) -> None:
    path = write(
        repo, "promspec:\n  sweep: {n: [a, b, c]}\nname: x\n" + TASK + '    cmd: "run {{ n }}"\n'
    )
    documents, diagnostics = run(path)
    assert diagnostics == []
    assert names([item.document for item in documents]) == ["x-0", "x-1", "x-2"]
    assert [(item.index, item.params) for item in documents][2] == (2, {"n": "c"})


def test_jobs_mode_without_a_body_name_uses_the_file_stem_first(repo: Path) -> None:
    path = write(
        repo, "promspec:\n  sweep: {n: [1, 2]}\n" + TASK + '    cmd: "run {{ n }}"\n', "study.yaml"
    )
    documents = ok(path)
    assert names(documents) == ["study-0", "study-1"]
    assert next(iter(documents[0])) == "name"


def test_jobs_mode_name_template_sees_params_points_and_index(repo: Path) -> None:
    path = write(
        repo,
        textwrap.dedent("""\
        promspec:
          params: {prefix: gas}
          sweep: {model: [ideal, vdw], t: [280, 290]}
          name: "{{ prefix }}-{{ model }}-{{ t }}-{{ index }}"
        name: ignored
        """)
        + TASK
        + '    cmd: "sim {{ model }} {{ t }}"\n',
    )
    assert names(ok(path)) == [
        "gas-ideal-280-0",
        "gas-ideal-290-1",
        "gas-vdw-280-2",
        "gas-vdw-290-3",
    ]


def test_without_a_sweep_the_body_is_rendered_once_unnamed(repo: Path) -> None:
    path = write(repo, "promspec:\n  params: {n: 3}\nname: x\n" + TASK + '    cmd: "r {{ n }}"\n')
    documents, diagnostics = run(path)
    assert diagnostics == [] and [(d.index, d.document["name"]) for d in documents] == [(None, "x")]


def test_jobs_mode_with_a_workflow_body_gives_one_workflow_per_point(repo: Path) -> None:
    path = write(
        repo,
        """\
        promspec:
          sweep: {m: [1, 2]}
        name: wf
        jobs:
          - name: a
            resources: {cpus: 1, memory: 1, disk: 10}
            tasks: [{image: busybox, runtime: singularity, cmd: "run {{ m }}"}]
        """,
    )
    documents, diagnostics = run(path)
    assert diagnostics == [] and {d.kind for d in documents} == {"workflow"}
    assert [(d.document["name"], d.document["jobs"][0]["tasks"][0]["cmd"]) for d in documents] == [
        ("wf-0", "run 1"),
        ("wf-1", "run 2"),
    ]


def test_undefined_variable_in_the_name_template_is_ps602(repo: Path) -> None:
    path = write(
        repo,
        'promspec:\n  sweep: {n: [1, 2]}\n  name: "job-{{ nn }}"\nname: x\n'
        + TASK
        + '    cmd: "run {{ n }}"\n',
    )
    documents, diagnostics = run(path)
    assert documents == [] and [where(d) for d in diagnostics] == [("PS602", 3, 9)]


# -- workflow mode ------------------------------------------------------------------------
WORKFLOW = """\
promspec:
  expand: workflow
  params: {tag: abc}
  sweep:
    chunk: {start: 0, end: 10, step: 1}
  workflow:
    name: "study-{{ tag }}"
    policies: {maximumRetries: 2}
    labels: {team: "{{ tag }}"}
    setup:
      name: split
      resources: {cpus: 1, memory: 1, disk: 10}
      tasks: [{image: busybox, runtime: singularity, cmd: split}]
    gather:
      resources: {cpus: 1, memory: 1, disk: 10}
      tasks: [{image: busybox, runtime: singularity, cmd: merge}]
name: work
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: busybox
    runtime: singularity
    cmd: "echo {{ chunk }}"
"""


def test_workflow_mode_builds_one_workflow_with_setup_and_gather(repo: Path) -> None:
    [workflow] = ok(write(repo, WORKFLOW))
    assert list(workflow) == ["name", "labels", "jobs", "dependencies", "policies"]
    assert workflow["name"] == "study-abc" and workflow["labels"] == {"team": "abc"}
    assert workflow["policies"] == {"maximumRetries": 2}
    points = [f"work-{i:02d}" for i in range(11)]
    assert names(workflow["jobs"]) == ["split", *points, "gather"]
    assert workflow["jobs"][1]["tasks"][0]["cmd"] == "echo 0"
    assert workflow["jobs"][11]["tasks"][0]["cmd"] == "echo 10"
    assert workflow["dependencies"] == {"split": points, **{p: ["gather"] for p in points}}


def test_workflow_mode_without_setup_or_gather_has_no_dependencies(repo: Path) -> None:
    text = WORKFLOW.split("    setup:")[0].replace(
        '  workflow:\n    name: "study-{{ tag }}"\n', "  workflow:\n"
    )
    text += "name: work\n" + TASK + '    cmd: "e {{ chunk }} {{ tag }}"\n'
    [workflow] = ok(write(repo, text))
    assert list(workflow) == ["name", "labels", "jobs", "policies"]
    assert workflow["name"] == "work" and len(workflow["jobs"]) == 11


def test_workflow_mode_one_point_keeps_its_padded_name(repo: Path) -> None:
    [workflow] = ok(write(repo, WORKFLOW), only=3)
    assert names(workflow["jobs"]) == ["split", "work-03", "gather"]


def test_workflow_mode_needs_a_job_body(repo: Path) -> None:
    path = write(
        repo,
        "promspec:\n  expand: workflow\n  sweep: {m: [1]}\nname: w\n"
        "jobs: [{name: a, resources: {cpus: 1, memory: 1, disk: 10}, "
        'tasks: [{image: b, runtime: singularity, cmd: "{{ m }}"}]}]\n',
    )
    documents, diagnostics = run(path)
    assert documents == [] and [where(d) for d in diagnostics] == [("PS607", 2, 11)]


def test_workflow_mode_failing_points_are_grouped_in_the_body(repo: Path) -> None:
    path = write(
        repo,
        WORKFLOW.replace(
            'cmd: "echo {{ chunk }}"',
            'cmd: "echo {{ chunk }}"\n    procsPerNode: "{{ 0 if chunk > 7 else 1 }}"',
        ),
    )
    documents, diagnostics = run(path)
    assert documents == []
    [diag] = diagnostics
    assert diag.line == 23 and "fails for 3 of 11 points, first at index 8: chunk=8" in diag.message


def test_workflow_mode_duplicate_names_are_reported_once(repo: Path) -> None:
    path = write(
        repo,
        "promspec:\n  expand: workflow\n  sweep: {m: {repeat: 50}}\n"
        "  name: same\nname: x\n" + TASK + '    cmd: "run {{ m }}"\n',
    )
    documents, diagnostics = run(path)
    assert documents == [] and [where(d) for d in diagnostics] == [("PS301", 4, 9)]


# -- factory mode -------------------------------------------------------------------------
def factory_spec(sweep: str, cmd: str = "run {{ m }}", extra: str = "") -> str:
    return (
        f"promspec:\n  expand: factory\n  sweep: {sweep}\nname: scan\n"
        + TASK
        + f'    cmd: "{cmd}"\n'
        + extra
    )


@pytest.mark.parametrize(
    ("sweep", "cmd", "factory"),
    [
        pytest.param(
            "{m: {start: 1, end: 3, step: 1}, e: {start: 0, end: 1, step: 0.25}}",
            "run {{ m }} {{ e }}",
            {
                "type": "parameterSweep",
                "parameters": [
                    {"name": "m", "start": 1, "end": 3, "step": 1},
                    {"name": "e", "start": 0, "end": 1, "step": 0.25},
                ],
            },
            id="parameterSweep",
        ),
        pytest.param(
            "{m: {repeat: 4}, e: {repeat: 2}}",
            "run {{ m }} {{ e }}",
            {
                "type": "parameterSweep",
                "parameters": [
                    {"name": "m", "start": 0, "end": 3, "step": 1},
                    {"name": "e", "start": 0, "end": 1, "step": 1},
                ],
            },
            id="repeats-as-ranges",
        ),
        pytest.param(
            "{zip: [{m: [a, b]}, {e: [1, 2]}]}",
            "run {{ m }} {{ e }}",
            {
                "type": "zip",
                "parameters": [
                    {"name": "m", "values": ["a", "b"]},
                    {"name": "e", "values": [1, 2]},
                ],
            },
            id="zip",
        ),
        pytest.param(
            "{rows: [{m: a, e: 0.5}, {m: b, e: 7}]}",
            "run {{ m }} {{ e }}",
            {
                "type": "zip",
                "parameters": [
                    {"name": "m", "values": ["a", "b"]},
                    {"name": "e", "values": [0.5, 7]},
                ],
            },
            id="rows",
        ),
    ],
)
def test_factory_mode_compiles_the_sweep(
    repo: Path, sweep: str, cmd: str, factory: dict[str, Any]
) -> None:
    """Outputs are named after the last parameter: the only one the worker substitutes."""
    extra = 'outputFiles: ["out-{{ e }}.json", fixed.txt]\noutputDirs: ["dir-{{ e }}"]\n'
    [workflow] = ok(write(repo, factory_spec(sweep, cmd, extra)))
    assert list(workflow) == ["name", "jobs", "factories"] and workflow["name"] == "scan-sweep"
    [job] = workflow["jobs"]
    placeholders = cmd.replace("{{ ", "${").replace(" }}", "}")
    assert job["tasks"][0]["cmd"] == placeholders and job["name"] == "scan"
    assert job["outputFiles"] == ["out-${e}.json", "fixed.txt"]
    assert job["outputDirs"] == ["dir-${e}"]
    assert workflow["factories"] == [{"name": "scan-factory", **factory, "jobs": ["scan"]}]


def test_factory_mode_escapes_literal_dollars_for_the_worker(repo: Path) -> None:
    """Each worker pass turns $$ into $ and reads its own name: a plain job has one pass, a
    factory instance with one parameter three. $HOME is no pass's name and stays; a lone $
    is read by none; $m must survive the m pass."""
    path = write(repo, factory_spec(RANGE, "run $HOME $$ $$m {{ m }}"))
    [workflow] = ok(path)
    assert workflow["jobs"][0]["tasks"][0]["cmd"] == "run $HOME $ $$$$$m ${m}"
    [first, *_] = ok(path, mode="jobs")
    assert first["tasks"][0]["cmd"] == "run $HOME $$ $$m 1"  # the worker runs "run $HOME $ $m 1"


def test_factory_mode_repeat_used_in_cmd_is_a_parameter_sweep(repo: Path) -> None:
    [workflow] = ok(write(repo, factory_spec("{m: {repeat: 3}}", "run {{ m }}")))
    assert workflow["factories"][0]["parameters"] == [
        {"name": "m", "start": 0, "end": 2, "step": 1}
    ]


def test_factory_mode_repeat_and_workflow_settings(repo: Path) -> None:
    text = factory_spec("{r: {repeat: 3}}", "run").replace(
        "  expand: factory\n",
        "  expand: factory\n  params: {t: x}\n  workflow:\n"
        '    policies: {maximumRetries: 1}\n    labels: {team: "{{ t }}"}\n'
        "    name: scan-{{ t }}\n",
    )
    [workflow] = ok(write(repo, text))
    assert list(workflow) == ["name", "labels", "jobs", "factories", "policies"]
    assert workflow["name"] == "scan-x" and workflow["labels"] == {"team": "x"}
    assert workflow["factories"][0] == {
        "name": "scan-factory",
        "type": "repeat",
        "number": 3,
        "jobs": ["scan"],
    }


RANGE = "{m: {start: 1, end: 3, step: 1}}"


@pytest.mark.parametrize(
    ("sweep", "cmd", "extra", "pointer", "words"),
    [
        pytest.param(
            RANGE,
            "run",
            '    env: {M: "{{ m }}"}\n',
            "/tasks/0/env/M",
            "tasks/0/env/M uses m",
            id="param-in-env",
        ),
        pytest.param(
            RANGE,
            "run {{ m }}",
            'outputFiles: ["{{ m }}"]\nlabels: {m: "{{ m }}"}\n',
            "/labels/m",
            "labels/m uses m",
            id="param-in-label",
        ),
        pytest.param(
            RANGE,
            "run {{ m }} {{ index }}",
            "",
            "/tasks/0/cmd",
            "index is not available",
            id="index",
        ),
        pytest.param(RANGE, "run {{ m | upper }}", "", "/tasks/0/cmd", "only plain", id="filter"),
        pytest.param(RANGE, "run ${{ m }}", "", "/tasks/0/cmd", "'$' right before", id="dollar"),
        pytest.param(
            "{m: {start: 1, end: 3, step: 1}, n: [a, b]}",
            "run {{ m }} {{ n }}",
            "",
            "/promspec/sweep/n",
            "the list 'n' in a product",
            id="product-with-list",
        ),
        pytest.param(
            "{m: [1, 2], include: [{m: 9}]}",
            "run {{ m }}",
            "",
            "/promspec/sweep/include",
            "include/exclude/where",
            id="include",
        ),
        pytest.param(
            "{m: [1, 2], exclude: [{m: 2}]}",
            "run {{ m }}",
            "",
            "/promspec/sweep/exclude",
            "include/exclude/where",
            id="exclude",
        ),
        pytest.param(
            "{m: [1, 2], where: 'm > 1'}",
            "run {{ m }}",
            "",
            "/promspec/sweep/where",
            "include/exclude/where",
            id="where",
        ),
        pytest.param(
            "{m: {repeat: 3}, n: {repeat: 2}, o: {repeat: 2}, p: {repeat: 2}, q: [1]}",
            "{{ m }}{{ n }}{{ o }}{{ p }}{{ q }}",
            "",
            "/promspec/sweep/q",
            "a product",
            id="five-axes",
        ),
        pytest.param(
            "{m: {start: 1, end: 3, step: 1}, e: {start: 0, end: 1, step: 1}}",
            "run {{ m }} {{ e }}",
            'outputFiles: ["{{ m }}-{{ e }}"]\n',
            "/outputFiles/0",
            "use m and e",
            id="outputs-with-two-parameters",
        ),
        pytest.param(
            "{m: ['a b', c]}",
            "run {{ m }}",
            "",
            "/promspec/sweep/m",
            "contains ' '",
            id="zip-value-with-space",
        ),
    ],
)
def test_factory_mode_refusals_name_the_field(
    repo: Path, sweep: str, cmd: str, extra: str, pointer: str, words: str
) -> None:
    path = write(repo, factory_spec(sweep, cmd, extra))
    documents, diagnostics = run(path)
    assert documents == []
    [diag] = [d for d in diagnostics if d.is_error]
    assert diag.code == "PS608" and diag.pointer == pointer and words in diag.message
    assert diag.line is not None and diag.path == str(path)


def test_factory_mode_refusal_is_at_the_field_line(repo: Path) -> None:
    path = write(
        repo,
        factory_spec(RANGE, "run", '    image: "busybox:{{ m }}"\n').replace(
            "  - image: busybox\n", "  -\n"
        ),
    )
    [diag] = run(path)[1]
    assert where(diag) == ("PS608", 10, 12) and "tasks/0/image uses m" in diag.message


def test_factory_mode_locates_workflow_settings_problems_at_the_value(repo: Path) -> None:
    text = factory_spec(RANGE).replace(
        "  expand: factory\n",
        "  expand: factory\n  workflow:\n    policies: {maximumRetries: -1}\n",
    )
    [diag] = run(write(repo, text))[1]
    assert diag.pointer == "/promspec/workflow/policies/maximumRetries" and diag.line == 4


def test_factory_mode_keeps_setup_and_gather_around_the_factory_job(repo: Path) -> None:
    documents, diagnostics = run(write(repo, WORKFLOW), mode="factory")
    assert diagnostics == []
    [workflow] = [d.document for d in documents]
    assert names(workflow["jobs"]) == ["split", "work", "gather"]
    assert workflow["dependencies"] == {"split": ["work"], "work": ["gather"]}
    [factory] = workflow["factories"]
    assert factory["jobs"] == ["work"] and factory["type"] == "parameterSweep"
    assert factory["parameters"] == [{"name": "chunk", "start": 0, "end": 10, "step": 1}]
    assert workflow["policies"] == {"maximumRetries": 2} and workflow["name"] == "study-abc"
