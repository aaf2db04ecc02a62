"""A factory-mode workflow, expanded the way the PROMINENCE server does, gives exactly the
commands and output names of jobs mode, in the same order.

The server (job-spec reference section 4.5): a ``parameterSweep`` is the Cartesian product of
its ranges, first parameter slowest, each range counted by repeated float additions; a
``zip`` takes element i of every list; each instance's task ``cmd``, ``outputFiles`` and
``outputDirs`` go through ``string.Template(...).safe_substitute`` with the values written
by ``write_parameter_value`` (promspec's ``server_format``).
"""

from __future__ import annotations

import itertools
import json
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prominence_spec.diagnostics import has_errors
from prominence_spec.loader import load
from prominence_spec.pipeline import open_spec, render
from prominence_spec.sweep import server_format, server_parameter_sweep_values

REPO = Path(__file__).resolve().parent.parent
Instance = tuple[str, list[str], list[str]]


def documents(path: Path, mode: str) -> list[dict[str, Any]]:
    loaded = load(path)
    assert loaded.ok, loaded.diagnostics
    renderer, problems = open_spec(loaded.documents[0], mode=mode)
    assert renderer is not None, problems
    rendered = [item.document for item in render(renderer)]
    assert not has_errors(renderer.diagnostics()), renderer.diagnostics()
    return rendered


def instance(job: dict[str, Any], values: dict[str, str] | None = None) -> Instance:
    def sub(text: str) -> str:
        return text if values is None else string.Template(text).safe_substitute(values)

    return (sub(job["tasks"][0]["cmd"]), [sub(f) for f in job.get("outputFiles", [])],
            [sub(d) for d in job.get("outputDirs", [])])


def server_expand(workflow: dict[str, Any]) -> list[Instance]:
    """The instances the server creates from a one-factory workflow (setup and gather jobs
    around the factory's job are not instances)."""
    [factory] = workflow["factories"]
    [job] = [j for j in workflow["jobs"] if j["name"] in factory["jobs"]]
    assert factory["jobs"] == [job["name"]]
    params = factory.get("parameters", [])
    if factory["type"] == "repeat":
        return [instance(job, {}) for _ in range(factory["number"])]
    names = [p["name"] for p in params]
    if factory["type"] == "parameterSweep":
        axes = [server_parameter_sweep_values(p["start"], p["end"], p["step"]) for p in params]
        combos = list(itertools.product(*axes))  # the first parameter varies slowest
    else:
        assert factory["type"] == "zip"
        lengths = {len(p["values"]) for p in params}
        assert len(lengths) == 1
        combos = [tuple(p["values"][i] for p in params) for i in range(lengths.pop())]
    return [instance(job, {n: server_format(v) for n, v in zip(names, combo, strict=True)})
            for combo in combos]


def assert_equivalent(path: Path, factory_type: str) -> list[Instance]:
    [workflow] = documents(path, "factory")
    assert workflow["factories"][0]["type"] == factory_type
    expected = [instance(job) for job in documents(path, "jobs")]
    assert server_expand(workflow) == expected
    return expected


def spec_text(sweep: str, names: list[str]) -> str:
    refs = " ".join("{{ " + n + " }}" for n in names)
    dashed = "-".join("{{ " + n + " }}" for n in names)
    return (
        f"promspec:\n  sweep: {sweep}\nname: scan\n"
        "resources: {cpus: 1, memory: 1, disk: 10}\n"
        "tasks:\n  - image: busybox\n    runtime: singularity\n"
        f'    cmd: "simulate {refs} --fixed"\n'
        f'outputFiles: ["out-{dashed}.json", "log-{{{{ {names[0]} }}}}.txt", summary.txt]\n'
        f'outputDirs: ["dir-{dashed}"]\n'
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    return tmp_path


@pytest.mark.parametrize(("sweep", "names", "factory_type", "count"), [
    pytest.param("{m: {start: 1, end: 10, step: 1}}", ["m"], "parameterSweep", 10, id="1-range"),
    pytest.param("{m: {start: 1, end: 3, step: 1}, e: {start: 0, end: 1, step: 0.1}}",
                 ["m", "e"], "parameterSweep", 33, id="2-ranges-step-0.1"),
    pytest.param("{a: {start: -1, end: 1, step: 0.25}, b: {start: 0.5, end: 2, step: 0.5}, "
                 "c: {start: 3, end: 6, step: 0.5}}", ["a", "b", "c"], "parameterSweep",
                 9 * 4 * 7, id="3-ranges-quarters"),
    pytest.param("{a: {repeat: 2}, b: {start: 0, end: 0.3, step: 0.1}, c: {start: 0, end: 2.5, "
                 "step: 1}, d: {start: 1e-3, end: 3e-3, step: 1e-3}}", ["a", "b", "c", "d"],
                 "parameterSweep", 2 * 3 * 3 * 3, id="4-ranges-with-repeat"),
    pytest.param("{zip: [{s: [s001, s002, s003]}, {t: [0.5, 0.75, 0.9]}, {n: [1, 20, 300]}]}",
                 ["s", "t", "n"], "zip", 3, id="zip-of-lists"),
    pytest.param("{zip: {s: [a, b, c], r: {start: 0, end: 1, step: 0.5}}}", ["s", "r"], "zip",
                 3, id="zip-list-and-range"),
    pytest.param("{label: [higgs, Z, W]}", ["label"], "zip", 3, id="single-list"),
])
def test_factory_matches_jobs_mode(repo, sweep, names, factory_type, count) -> None:
    path = repo / "spec.yaml"
    path.write_text(spec_text(sweep, names), encoding="utf-8")
    assert len(assert_equivalent(path, factory_type)) == count


def test_factory_from_a_csv_rows_file_matches_jobs_mode(repo) -> None:
    (repo / "data").mkdir()
    (repo / "data" / "points.csv").write_text(
        "mass,width,label\n125,0.004,higgs\n91.19,2.4952,Z\n80.4,2.085,W\n-3,1e-3,neg\n")
    path = repo / "spec.yaml"
    path.write_text(spec_text("{rows: data/points.csv}", ["mass", "width", "label"]))
    expected = assert_equivalent(path, "zip")
    assert expected[0][0] == "simulate 125 0.004 higgs --fixed"
    assert expected[3][1][0] == "out--3-0.001-neg.json"


def test_repeat_factory_matches_jobs_mode(repo) -> None:
    path = repo / "spec.yaml"
    path.write_text(spec_text("{seed: {repeat: 4}}", ["seed"]).replace("{{ seed }}", "x")
                    .replace("promspec:\n", "promspec:\n  params: {x: 1}\n"))
    expected = assert_equivalent(path, "repeat")
    assert len(expected) == 4 and all(e == expected[0] for e in expected)


@pytest.mark.parametrize("spec", [
    pytest.param("specs/mass-scan-factory.yaml", id="mass-scan-factory"),
    pytest.param("templates/factory.yaml", id="factory-starter"),
    pytest.param("templates/scatter-gather.yaml", id="scatter-gather-chunks"),
])
def test_shipped_factory_specs_match_jobs_mode(spec: str) -> None:
    path = REPO / spec
    [workflow] = documents(path, "factory")
    factory_instances = server_expand(workflow)
    jobs = documents(path, "jobs")
    if spec.startswith("templates/scatter"):  # workflow mode by default: compare its jobs
        [whole] = documents(path, "workflow")
        jobs = [j for j in whole["jobs"] if j["name"].startswith("work-")]
    assert factory_instances == [instance(job) for job in jobs]


# -- random small range sweeps ------------------------------------------------------------
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
    start = draw(st.integers(-3 * den, 3 * den)) / den
    step = draw(st.integers(1, 2 * den)) / den
    steps = draw(st.integers(0, 5))
    # end exactly on a value (as written in decimal) or a little past it
    end = round(start + steps * step + draw(st.sampled_from((0, 0.5))) * step, 6)
    return f"{{start: {start!r}, end: {end!r}, step: {step!r}}}"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("equivalence")
    (root / ".git").mkdir()
    return root


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(axes=st.lists(ranges(), min_size=1, max_size=3))
def test_random_range_sweeps_match_jobs_mode(scratch: Path, axes: list[str]) -> None:
    names = [f"p{i}" for i in range(len(axes))]
    sweep = "{" + ", ".join(f"{n}: {a}" for n, a in zip(names, axes, strict=True)) + "}"
    path = scratch / "random.yaml"
    path.write_text(spec_text(sweep, names), encoding="utf-8")
    [workflow] = documents(path, "factory")
    assert json.loads(json.dumps(workflow))["factories"][0]["type"] == "parameterSweep"
    assert server_expand(workflow) == [instance(job) for job in documents(path, "jobs")]
