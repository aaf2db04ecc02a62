"""A factory-mode workflow, run the way the PROMINENCE backend and worker run it, gives
exactly the commands and local output names of jobs mode, in the same order.

This follows the server step by step (``prominence_spec.server.factories``, written from
the job-spec reference 4.5): the backend expands the factory into instances and their
``--param name=value`` arguments; the worker splits each argument on ``=``, substitutes the
task ``cmd`` pass after pass (job id, workflow id, then each parameter in the factory's
order) and recomputes each output name from the original for every parameter, so that only
the last one counts. Jobs mode's plain jobs get the job-id pass only.

Where the worker cannot run a sweep as jobs mode does, factory mode must refuse (PS608).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prominence_spec.diagnostics import Diagnostic, has_errors
from prominence_spec.server.factories import (
    expand,
    factory_of,
    worker_command,
    worker_output_name,
    worker_parameters,
)

from render_support import run
from support import examples

REPO = Path(__file__).resolve().parent.parent
JOB_ID, WORKFLOW_ID = 4242, 77
#: What one job runs: each task's command, then the local names of its outputs.
Run = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def worker_run(job: dict[str, Any], parameters: tuple[tuple[str, str], ...] | None) -> Run:
    """What the worker runs for ``job``: a plain job (``parameters`` None) or an instance."""
    params = parameters or ()
    workflow_id = None if parameters is None else WORKFLOW_ID
    commands = tuple(
        worker_command(task["cmd"], job_id=JOB_ID, workflow_id=workflow_id, parameters=params)
        for task in job["tasks"]
    )
    files = tuple(worker_output_name(n, params) for n in job.get("outputFiles", []))
    dirs = tuple(worker_output_name(n, params) for n in job.get("outputDirs", []))
    return commands, files, dirs


def instances_run(workflow: dict[str, Any], job_name: str) -> list[Run]:
    """Every instance of the factory job, as the backend expands it and the worker runs it."""
    [job] = [j for j in workflow["jobs"] if j["name"] == job_name]
    factory = factory_of(workflow, job_name)
    assert factory is not None
    runs = []
    for instance in expand(factory):
        parameters = worker_parameters(instance.arguments())  # as the worker parses them
        runs.append(worker_run(job, parameters))
    return runs


def rendered(path: Path, mode: str) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    documents, diagnostics = run(path, mode=mode)
    return [d.document for d in documents], diagnostics


def factory_workflow(path: Path) -> dict[str, Any]:
    [workflow], diagnostics = rendered(path, "factory")
    assert not has_errors(diagnostics), diagnostics
    # what the server receives is the JSON text
    sent: dict[str, Any] = json.loads(json.dumps(workflow))
    return sent


def jobs_runs(path: Path) -> list[Run]:
    jobs, diagnostics = rendered(path, "jobs")
    assert not has_errors(diagnostics), diagnostics
    return [worker_run(job, None) for job in jobs]


def assert_equivalent(path: Path) -> tuple[dict[str, Any], list[Run]]:
    workflow = factory_workflow(path)
    [factory] = workflow["factories"]
    [job_name] = factory["jobs"]
    expected = jobs_runs(path)
    assert instances_run(workflow, job_name) == expected
    return factory, expected


def refusals(path: Path) -> list[Diagnostic]:
    documents, diagnostics = rendered(path, "factory")
    assert documents == []
    return [d for d in diagnostics if d.code == "PS608" and d.severity == "error"]


def spec_text(sweep: str, cmd: str, outputs: list[str], dirs: list[str] | None = None) -> str:
    text = (
        f"promspec:\n  sweep: {sweep}\nname: scan\n"
        "resources: {cpus: 1, memory: 1, disk: 10}\n"
        "tasks:\n  - image: busybox\n    runtime: singularity\n"
        f"    cmd: {json.dumps(cmd)}\n"
    )
    if outputs:
        text += f"outputFiles: {json.dumps(outputs)}\n"
    if dirs:
        text += f"outputDirs: {json.dumps(dirs)}\n"
    return text


def refs(names: list[str], sep: str = " ") -> str:
    return sep.join("{{ " + n + " }}" for n in names)


# -- shapes that compile ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sweep", "names", "out", "factory_type", "count"),
    [
        pytest.param(
            "{m: {start: 1, end: 10, step: 1}}", ["m"], "m", "parameterSweep", 10, id="1-range"
        ),
        pytest.param(
            "{m: {start: 1, end: 3, step: 1}, e: {start: 0, end: 1, step: 0.1}}",
            ["m", "e"],
            "e",
            "parameterSweep",
            33,
            id="2-ranges-floats",
        ),
        pytest.param(
            "{a: {start: -1, end: 1, step: 0.25}, b: {start: 0.5, end: 2, step: 0.5}, "
            "c: {start: 3, end: 6, step: 0.5}}",
            ["a", "b", "c"],
            "c",
            "parameterSweep",
            9 * 4 * 7,
            id="3-ranges-quarters",
        ),
        pytest.param(
            "{a: {repeat: 2}, b: {start: 0, end: 0.3, step: 0.1}, c: {start: 0, "
            "end: 2.5, step: 1}, d: {start: 1e-3, end: 3e-3, step: 1e-3}}",
            ["a", "b", "c", "d"],
            None,
            "parameterSweep",
            2 * 3 * 3 * 3,
            id="4-ranges-with-repeat",
        ),
        pytest.param(
            "{zip: [{s: [s001, s002, s003]}, {t: [0.5, 0.75, 0.9]}, {n: [1, 20, 300]}]}",
            ["s", "t", "n"],
            "s",
            "zip",
            3,
            id="zip-output-first-parameter",
        ),
        pytest.param(
            "{zip: {s: [a, b, c], r: {start: 0, end: 1, step: 0.5}}}",
            ["s", "r"],
            "r",
            "zip",
            3,
            id="zip-list-and-range",
        ),
        pytest.param("{label: [higgs, Z, W]}", ["label"], "label", "zip", 3, id="single-list"),
    ],
)
def test_factory_runs_as_jobs_mode(
    repo: Path, sweep: str, names: list[str], out: str | None, factory_type: str, count: int
) -> None:
    outputs = [f"out-{{{{ {out} }}}}.json", "summary.txt"] if out else ["summary.txt"]
    dirs = [f"dir-{{{{ {out} }}}}"] if out else []
    path = repo / "spec.yaml"
    path.write_text(spec_text(sweep, f"simulate {refs(names)} --fixed", outputs, dirs))
    factory, expected = assert_equivalent(path)
    assert factory["type"] == factory_type
    assert len(expected) == count
    if out:  # the output's parameter is the factory's last
        assert factory["parameters"][-1]["name"] == out


@pytest.mark.parametrize("out", ["s", "t", "n"])
def test_zip_puts_the_output_parameter_last(repo: Path, out: str) -> None:
    path = repo / "spec.yaml"
    sweep = "{zip: {s: [a, b, c], t: [0.5, 0.75, 0.9], n: [1, 20, 300]}}"
    path.write_text(spec_text(sweep, "run {{ s }} {{ t }} {{ n }}", [f"r-{{{{ {out} }}}}.txt"]))
    factory, expected = assert_equivalent(path)
    assert [p["name"] for p in factory["parameters"]][-1] == out
    assert sorted(p["name"] for p in factory["parameters"]) == ["n", "s", "t"]
    assert expected[1][1] == ({"s": "r-b.txt", "t": "r-0.75.txt", "n": "r-20.txt"}[out],)


def test_from_a_csv_rows_file(repo: Path) -> None:
    (repo / "data").mkdir()
    (repo / "data" / "points.csv").write_text(
        "mass,width,label\n125,0.004,higgs\n91.19,2.4952,Z\n80.4,2.085,W\n-3,1e-3,neg\n"
    )
    path = repo / "spec.yaml"
    path.write_text(
        spec_text(
            "{rows: data/points.csv}",
            "fit {{ mass }} {{ width }} {{ label }}",
            ["fit-{{ label }}.json"],
        )
    )
    _, expected = assert_equivalent(path)
    assert expected[0][0] == ("fit 125 0.004 higgs",)
    assert expected[3][1] == ("fit-neg.json",)


def test_a_range_used_in_outputs_moves_last_when_the_order_stays(repo: Path) -> None:
    path = repo / "spec.yaml"
    sweep = "{m: {start: 1, end: 4, step: 1}, e: {start: 0.5, end: 0.5, step: 1}}"
    path.write_text(spec_text(sweep, "run {{ m }} {{ e }}", ["m-{{ m }}.out"]))
    factory, expected = assert_equivalent(path)
    assert [p["name"] for p in factory["parameters"]] == ["e", "m"]
    assert [r[1] for r in expected] == [("m-1.out",), ("m-2.out",), ("m-3.out",), ("m-4.out",)]


# -- repeat -----------------------------------------------------------------------------


def test_repeat_used_in_cmd_becomes_a_parameter_sweep(repo: Path) -> None:
    path = repo / "spec.yaml"
    path.write_text(spec_text("{seed: {repeat: 4}}", "mc --seed {{ seed }}", []))
    factory, expected = assert_equivalent(path)
    assert factory["type"] == "parameterSweep"
    assert factory["parameters"] == [{"name": "seed", "start": 0, "end": 3, "step": 1}]
    assert [r[0] for r in expected] == [(f"mc --seed {i}",) for i in range(4)]


def test_repeat_with_outputs_becomes_a_parameter_sweep(repo: Path) -> None:
    """A repeat factory writes no per-instance parameters: its instances' outputs would
    overwrite each other in object storage."""
    path = repo / "spec.yaml"
    path.write_text(
        spec_text("{seed: {repeat: 3}}", "mc > result.txt", ["result.txt"]).replace(
            "promspec:\n", "promspec:\n  params: {unused: 1}\n"
        )
    )
    rendered_spec, _ = rendered(path, "factory")
    factory, expected = assert_equivalent(path)
    assert factory["type"] == "parameterSweep"
    assert expected == [(("mc > result.txt",), ("result.txt",), ())] * 3
    assert rendered_spec


def test_repeat_without_outputs_or_parameters_stays_a_repeat(repo: Path) -> None:
    path = repo / "spec.yaml"
    path.write_text(spec_text("{seed: {repeat: 3}}", "mc --random", []))
    factory, expected = assert_equivalent(path)
    assert factory == {"name": "scan-factory", "type": "repeat", "number": 3, "jobs": ["scan"]}
    assert len(expected) == 3


# -- literal dollars ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "cmd",
    [
        "echo $HOME {{ m }} ${USER}",
        "echo $$ {{ m }} $$$",
        "awk '{print $1}' in-{{ m }}.txt > $$HOME/x",
        "echo $m {{ m }} ${m} $$m $e",
        "echo $PROMINENCE_JOB_ID ${PROMINENCE_JOB_ID}-{{ e }} $PROMINENCE_WORKFLOW_ID",
        "price=$5 {{ m }}$ {{ e }}",
        "echo {{ m }}{{ e }}$",
        "${ {{ m }} } $}",
    ],
)
def test_literal_dollars_run_as_in_jobs_mode(repo: Path, cmd: str) -> None:
    path = repo / "spec.yaml"
    sweep = "{m: {start: 1, end: 2, step: 1}, e: {start: 0.5, end: 1, step: 0.5}}"
    outputs = ["cost-$$-{{ e }}.txt", "$HOME/$e.txt", "a$"]
    path.write_text(spec_text(sweep, cmd + " {{ m }} {{ e }}", outputs, ["$$dir"]))
    assert_equivalent(path)


@pytest.mark.parametrize("cmd", ["echo ${{ m }}", "echo $x{{ m }}", "echo $$${{ m }}"])
def test_a_dollar_against_a_parameter_is_refused(repo: Path, cmd: str) -> None:
    path = repo / "spec.yaml"
    path.write_text(spec_text("{m: {start: 1, end: 2, step: 1}}", cmd, []))
    [refusal] = refusals(path)
    assert refusal.pointer == "/tasks/0/cmd"
    assert "different placeholder" in refusal.message


def test_a_dollar_in_a_zip_value_is_refused(repo: Path) -> None:
    path = repo / "spec.yaml"
    path.write_text(spec_text("{v: [a, b$c]}", "run {{ v }}", []))
    [refusal] = refusals(path)
    assert "'$'" in refusal.message and refusal.pointer == "/promspec/sweep/v"


def test_a_value_with_an_equals_sign_is_refused(repo: Path) -> None:
    """The worker splits --param on '=': the value would be cut."""
    path = repo / "spec.yaml"
    path.write_text(spec_text("{v: [a, b=c]}", "run {{ v }}", []))
    [refusal] = refusals(path)
    assert "'='" in refusal.message
    assert worker_parameters(["--param", "v=b=c"]) == (("v", "b"),)


# -- what cannot compile --------------------------------------------------------------------


def test_outputs_with_two_parameters_are_refused(repo: Path) -> None:
    path = repo / "spec.yaml"
    sweep = "{m: {start: 1, end: 3, step: 1}, e: {start: 0, end: 1, step: 0.5}}"
    path.write_text(spec_text(sweep, "run {{ m }} {{ e }}", ["scan-{{ m }}-{{ e }}.json"]))
    [refusal] = refusals(path)
    assert refusal.pointer == "/outputFiles/0"
    assert "only the last factory parameter" in refusal.message


def test_outputs_with_different_parameters_are_refused(repo: Path) -> None:
    path = repo / "spec.yaml"
    sweep = "{zip: {m: [1, 2], e: [3, 4]}}"
    path.write_text(spec_text(sweep, "run {{ m }} {{ e }}", ["a-{{ m }}"], ["b-{{ e }}"]))
    [refusal] = refusals(path)
    assert refusal.pointer == "/outputDirs/0"


def test_a_range_in_outputs_that_cannot_move_last_is_refused(repo: Path) -> None:
    path = repo / "spec.yaml"
    sweep = "{m: {start: 1, end: 3, step: 1}, e: {start: 0, end: 1, step: 0.5}}"
    path.write_text(spec_text(sweep, "run {{ m }} {{ e }}", ["m-{{ m }}.out"]))
    [refusal] = refusals(path)
    assert refusal.pointer == "/promspec/sweep"
    assert "e comes after m" in refusal.message


def test_the_worker_model_loses_outputs_named_after_two_parameters() -> None:
    """Why the refusal above: the worker's own rule, on the reference's example."""
    [_, second, *_] = expand(
        {
            "type": "parameterSweep",
            "parameters": [
                {"name": "mass", "start": 1, "end": 2, "step": 1},
                {"name": "energy", "start": 0, "end": 0.1, "step": 0.1},
            ],
        }
    )
    assert worker_output_name("scan-${mass}-${energy}.json", second.parameters) == (
        "scan-${mass}-0.1.json"
    )


# -- the shipped specs ------------------------------------------------------------------------


def factory_specs() -> list[str]:
    found = []
    for path in sorted([*REPO.glob("specs/*.yaml"), *REPO.glob("templates/*.yaml")]):
        documents, diagnostics = rendered(path, "factory")
        if documents and not has_errors(diagnostics):
            found.append(str(path.relative_to(REPO)))
    return found


SHIPPED = factory_specs()


def test_the_shipped_factory_specs_are_found() -> None:
    assert {"specs/mass-scan-factory.yaml", "templates/factory.yaml"} <= set(SHIPPED)


@pytest.mark.parametrize("spec", SHIPPED)
def test_shipped_specs_run_as_jobs_mode(spec: str) -> None:
    path = REPO / spec
    workflow = factory_workflow(path)
    [factory] = workflow["factories"]
    [job_name] = factory["jobs"]
    jobs, diagnostics = rendered(path, "jobs")
    assert not has_errors(diagnostics)
    if len(jobs) == 1 and "jobs" in jobs[0]:  # a workflow spec: compare its factory's work
        [whole] = jobs
        jobs = [j for j in whole["jobs"] if j["name"].startswith(job_name)]
        names = {j["name"] for j in whole["jobs"]}
        jobs = [j for j in jobs if j["name"] in names and j["name"] != job_name] or jobs
    assert instances_run(workflow, job_name) == [worker_run(j, None) for j in jobs]


# -- random sweeps ------------------------------------------------------------------------
DENOMINATORS = (1, 2, 4, 5, 8, 10, 20, 100)


@st.composite
def ranges(draw: st.DrawFn) -> str:
    """``{start, end, step}`` of 1-6 values: integers, or decimal fractions such as 0.1."""
    if draw(st.booleans()):
        start = draw(st.integers(-20, 20))
        step = draw(st.integers(1, 5))
        end = start + step * draw(st.integers(0, 5)) + draw(st.integers(0, step - 1))
        return f"{{start: {start}, end: {end}, step: {step}}}"
    den = draw(st.sampled_from(DENOMINATORS))
    first = draw(st.integers(-3 * den, 3 * den)) / den
    stride = draw(st.integers(1, 2 * den)) / den
    steps = draw(st.integers(0, 5))
    last = round(first + steps * stride + draw(st.sampled_from((0, 0.5))) * stride, 6)
    return f"{{start: {first!r}, end: {last!r}, step: {stride!r}}}"


LITERALS = st.sampled_from(
    [
        "",
        "-",
        "$",
        "$$",
        "$HOME",
        "${x}",
        "$p0",
        "a$$b",
        " ",
        "_",
        "${ ",
        "}",
        "${p1}",
        "$p1x",
        "{ ",
    ]
)


@st.composite
def sweeps(draw: st.DrawFn) -> tuple[str, list[str]]:
    if draw(st.booleans()):
        axes = draw(st.lists(ranges(), min_size=1, max_size=3))
        names = [f"p{i}" for i in range(len(axes))]
        return "{" + ", ".join(f"{n}: {a}" for n, a in zip(names, axes, strict=True)) + "}", names
    size = draw(st.integers(1, 4))
    width = draw(st.integers(1, 3))
    names = [f"p{i}" for i in range(width)]
    values = st.one_of(
        st.integers(-5, 300),
        st.sampled_from(["a", "b.c", "x_1", "0.25", "-2"]),
        st.floats(0.001, 99, allow_nan=False).map(lambda f: round(f, 3)),
    )
    columns = [draw(st.lists(values, min_size=size, max_size=size)) for _ in names]
    pairs = ", ".join(f"{n}: {json.dumps(c)}" for n, c in zip(names, columns, strict=True))
    return "{zip: {" + pairs + "}}", names


#: Why factory mode may refuse a sweep that jobs mode renders.
REASONS = (
    "only the last factory parameter",  # outputs that use two parameters, or not the last
    "different placeholder",  # a '$' against a parameter in cmd
    "written differently",  # a whole-number float or a boolean in a zip
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("equivalence")
    (root / ".git").mkdir()
    return root


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_sweeps_run_as_jobs_mode_or_are_refused(scratch: Path, data: st.DataObject) -> None:
    sweep, names = data.draw(sweeps())
    in_cmd = data.draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    in_out = data.draw(st.lists(st.sampled_from(names), unique=True))
    cmd = (
        data.draw(LITERALS)
        + " run "
        + " ".join("{{ " + n + " }}" + data.draw(LITERALS).lstrip("$") for n in in_cmd)
        + data.draw(LITERALS)
    )
    output = "o" + data.draw(LITERALS) + "-".join("{{ " + n + " }}" for n in in_out) + ".txt"
    path = scratch / "random.yaml"
    path.write_text(spec_text(sweep, cmd, [output]), encoding="utf-8")
    documents, diagnostics = rendered(path, "factory")
    if not documents:
        codes = {d.code for d in diagnostics if d.severity == "error"}
        assert codes == {"PS608"}, diagnostics
        for refusal in (d for d in diagnostics if d.severity == "error"):
            assert any(reason in refusal.message for reason in REASONS), refusal
        if len(in_out) > 1:
            assert any("output names use" in d.message for d in diagnostics)
        return
    workflow = json.loads(json.dumps(documents[0]))
    assert instances_run(workflow, "scan") == jobs_runs(path)
