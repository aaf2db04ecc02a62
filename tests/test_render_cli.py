"""`promspec render`, `validate` on templated specs, and `init`, on real files.

The CLI runs in this process (cli_support.promspec, in the repository unless a test names
another folder): nothing here depends on the process. Start-up, real exit statuses and
stdin are tested in test_cli.py, the README's render command in test_project.py.
Every run also checks that no Python traceback reaches stdout or stderr.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
import yaml

from prominence_spec.loading.loader import load

import cli_support
from support import write

REPO = Path(__file__).resolve().parent.parent
PI = "specs/pi-sweep.yaml"
PI_NAMES = [f"pi-{d}-{s}" for d in (100, 1000, 10000) for s in range(3)]
TEMPLATES = sorted(p.name for p in (REPO / "templates").glob("*.yaml"))


promspec = functools.partial(cli_support.promspec, cwd=REPO)


FAILING = """\
promspec:
  sweep:
    n: {start: 1, end: 10, step: 1}
name: x
resources:
  cpus: "{{ 0 if n == bad else 1 }}"
  memory: 1
  disk: 10
tasks:
  - image: busybox
    runtime: singularity
    cmd: "run {{ n }}"
"""


# -- render: the README example -----------------------------------------------------------
def test_count() -> None:
    proc = promspec("render", PI, "--count")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "9\n", "")


def test_default_json_is_an_array_of_every_point() -> None:
    proc = promspec("render", PI)
    assert proc.returncode == 0 and proc.stderr == ""
    documents = json.loads(proc.stdout)
    assert [d["name"] for d in documents] == PI_NAMES
    assert [d["resources"]["walltime"] for d in documents] == [30] * 6 + [60] * 3
    assert documents[4]["tasks"][0]["cmd"] == "./run-pi.sh 1000 1"


def test_point_prints_one_object_equal_to_that_point() -> None:
    proc = promspec("render", PI, "--point", "4")
    assert proc.returncode == 0
    document = json.loads(proc.stdout)
    assert isinstance(document, dict) and document["name"] == "pi-1000-1"
    assert document == json.loads(promspec("render", PI).stdout)[4]


def test_jsonl_is_one_compact_body_per_line() -> None:
    proc = promspec("render", PI, "-f", "jsonl")
    assert proc.returncode == 0 and proc.stdout.endswith("\n")
    lines = proc.stdout.splitlines()
    assert len(lines) == 9
    documents = [json.loads(line) for line in lines]
    assert documents == json.loads(promspec("render", PI).stdout)
    assert lines[0] == json.dumps(documents[0], ensure_ascii=False, separators=(",", ":"))


def test_yaml_is_a_multi_document_stream_of_the_same_data() -> None:
    proc = promspec("render", PI, "-f", "yaml")
    assert proc.returncode == 0 and proc.stdout.count("---\n") == 9
    expected = json.loads(promspec("render", PI).stdout)
    assert list(yaml.safe_load_all(proc.stdout)) == expected


def test_yaml_output_reads_back_with_promspecs_own_loader(repo: Path) -> None:
    spec = write(
        repo,
        """\
        promspec:
          sweep: {v: ["0o755", "1e3", "0x1F", "yes", "0755", "~"]}
        name: x
        resources: {cpus: 1, memory: 1, disk: 10}
        tasks: [{image: busybox, runtime: singularity, env: {V: "{{ v }}"}}]
        """,
        "s.yaml",
    )
    proc = promspec("render", str(spec), "-f", "yaml", "-o", str(repo / "out.yaml"))
    assert proc.returncode == 0
    loaded = load(repo / "out.yaml")
    values = [d.data["tasks"][0]["env"]["V"] for d in loaded.documents]
    assert values == ["0o755", "1e3", "0x1F", "yes", "0755", "~"]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "yaml"])
def test_output_file_and_byte_identical_runs(repo: Path, fmt: str) -> None:
    first = promspec("render", PI, "-f", fmt)
    second = promspec("render", PI, "-f", fmt)
    assert first.stdout == second.stdout and first.returncode == 0
    target = repo / f"out.{fmt}"
    proc = promspec("render", PI, "-f", fmt, "-o", str(target))
    assert (proc.returncode, proc.stdout) == (0, "")
    assert target.read_text(encoding="utf-8") == first.stdout


# -- render: failures and usage errors ----------------------------------------------------
INFINITY = ('cmd: "run {{ n }}"', 'cmd: "run {{ n }}"\n    env: {V: "{{ 1e308 * 10 }}"}')


def test_failing_points_exit_1_and_only_valid_documents_are_printed(repo: Path) -> None:
    spec = write(repo, FAILING, "s.yaml")
    proc = promspec("render", str(spec), "--set", "bad=8", "-f", "jsonl", cwd=repo)
    assert proc.returncode == 1
    names = [json.loads(line)["name"] for line in proc.stdout.splitlines()]
    assert names == [f"x-{i}" for i in range(10) if i != 7]
    assert f"{spec}:6:9: error[PS205]" in proc.stderr
    assert "fails for 1 of 10 points, first at index 7: n=8" in proc.stderr
    json_proc = promspec("render", str(spec), "--set", "bad=8", cwd=repo)
    assert json_proc.returncode == 1 and len(json.loads(json_proc.stdout)) == 9


def test_values_files_and_set_reach_render(repo: Path) -> None:
    spec = write(repo, FAILING, "s.yaml")
    values = write(repo, "bad: 3\n", "v.yaml")
    proc = promspec("render", str(spec), "--values", str(values), "-f", "jsonl", cwd=repo)
    assert proc.returncode == 1 and "first at index 2: n=3" in proc.stderr
    proc = promspec("render", str(spec), "--values", str(values), "--set", "bad=99", cwd=repo)
    assert proc.returncode == 0 and len(json.loads(proc.stdout)) == 10


@pytest.mark.parametrize(
    ("args", "said"),
    [
        pytest.param(
            ["render", "missing.yaml"],
            "missing.yaml: error[PS100] cannot read file: No such file or directory",
            id="missing-file",
        ),
        pytest.param(
            ["render", PI, "--mode", "bogus"],
            "'bogus' is not one of 'jobs', 'workflow', 'factory'",
            id="bad-mode",
        ),
        pytest.param(
            ["render", PI, "--set", "=x"],
            "--set: error[PS607] --set '=x': expected key=value",
            id="bad-set",
        ),
        pytest.param(
            ["render", PI, "--point", "-1"],
            "Invalid value for --point: points are numbered from 0",
            id="negative-point",
        ),
        pytest.param(
            ["render", PI, "--format", "xml"],
            "'xml' is not one of 'json', 'jsonl', 'yaml'",
            id="bad-format",
        ),
        pytest.param(
            ["render", PI, "--values", "missing.yaml"],
            "missing.yaml: error[PS100] cannot read file: No such file or directory",
            id="missing-values-file",
        ),
    ],
)
def test_usage_and_io_errors_exit_2(args: list[str], said: str) -> None:
    proc = promspec(*args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert said in proc.stderr and "Traceback" not in proc.stderr


def test_point_out_of_range_is_an_error_not_a_crash() -> None:
    proc = promspec("render", PI, "--point", "9")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "point 9 is out of range: the sweep has 9 points: 0 to 8" in proc.stderr


# Each was once a crash or a silent bad output (the story in the comment); now each is one
# diagnostic at its place, exit 1, and nothing but an empty result on stdout.
@pytest.mark.parametrize(
    ("change", "fmt", "expected"),
    [
        pytest.param(
            # an undefined variable in promspec.name escaped as BuildError: exit 3
            ("name: x\n", '  name: "job-{{ nope }}"\nname: x\n'),
            "json",
            ("4:9", "PS602", '"nope" is undefined', "/promspec/name"),
            id="name-template",
        ),
        pytest.param(
            # inf was printed as the non-JSON token Infinity, exit 0
            INFINITY,
            "json",
            ("13:14", "PS112", "inf is not a finite number", "/tasks/0/env/V"),
            id="infinity-json",
        ),
        pytest.param(
            # inf made api_json raise ValueError: exit 3
            INFINITY,
            "jsonl",
            ("13:14", "PS112", "inf is not a finite number", "/tasks/0/env/V"),
            id="infinity-jsonl",
        ),
    ],
)
def test_hostile_templates_exit_1_not_3(
    repo: Path, change: tuple[str, str], fmt: str, expected: tuple[str, str, str, str]
) -> None:
    spec = write(repo, FAILING.replace(*change), "s.yaml")
    proc = promspec("render", str(spec), "--set", "bad=0", "-f", fmt, cwd=repo)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ("[]\n" if fmt == "json" else "")
    place, code, message, pointer = expected
    [line] = [x for x in proc.stderr.splitlines() if "error[" in x]
    assert line.startswith(f"{spec}:{place}: error[{code}] {message}")
    assert line.endswith(f"(at {pointer})")
    assert proc.stderr.splitlines()[-1] == "1 error, 0 warnings in 1 of 1 file"


def test_integer_keys_become_json_string_keys(repo: Path) -> None:
    change = ('cmd: "run {{ n }}"', 'cmd: "run {{ n }}"\n    env: "{{ {1: 2} }}"')
    spec = write(repo, FAILING.replace(*change), "s.yaml")
    proc = promspec("render", str(spec), "--set", "bad=0", "--point", "0", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tasks"][0]["env"] == {"1": 2}


# -- render: modes, templates, plain specs ------------------------------------------------
def test_workflow_mode_on_the_scatter_gather_starter() -> None:
    proc = promspec("render", "templates/scatter-gather.yaml", "--mode", "workflow")
    assert proc.returncode == 0
    workflow = json.loads(proc.stdout)
    names = [job["name"] for job in workflow["jobs"]]
    assert names == ["split", *[f"work-{i:02d}" for i in range(10)], "merge"]
    assert workflow["dependencies"]["split"] == names[1:-1]


@pytest.mark.parametrize(
    ("spec", "kind", "size"),
    [
        pytest.param("templates/factory.yaml", "parameterSweep", 10 * 5, id="factory-starter"),
        pytest.param("specs/mass-scan-factory.yaml", "parameterSweep", 10 * 11, id="mass-scan"),
        pytest.param("specs/fits-from-csv.yaml", None, 3, id="csv-zip-refused-env"),
    ],
)
def test_factory_mode(spec: str, kind: str | None, size: int) -> None:
    proc = promspec("render", spec, "--mode", "factory")
    count = promspec("render", spec, "--count")
    assert count.stdout == f"{size}\n"
    if kind is None:
        assert proc.returncode == 1 and "error[PS608]" in proc.stderr and proc.stdout == ""
        assert "templates/zip-csv-sweep.yaml:13:15:" in proc.stderr  # located in the template
        return
    assert proc.returncode == 0
    workflow = json.loads(proc.stdout)
    assert [f["type"] for f in workflow["factories"]] == [kind]
    assert "${mass}" in workflow["jobs"][0]["tasks"][0]["cmd"]


def test_a_product_with_a_list_is_refused_in_factory_mode() -> None:
    proc = promspec("render", "templates/range-sweep.yaml", "--mode", "factory")
    assert proc.returncode == 1 and proc.stdout == ""
    assert "templates/range-sweep.yaml:10:5: error[PS608]" in proc.stderr


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_renders(name: str) -> None:
    proc = promspec("render", f"templates/{name}")
    assert proc.returncode == 0 and proc.stderr == ""
    assert json.loads(proc.stdout)


@pytest.mark.parametrize(
    "spec", ["specs/calculate-pi.yaml", "specs/calculate-pi.json", "specs/dag-workflow.yaml"]
)
def test_plain_spec_renders_unchanged(spec: str) -> None:
    proc = promspec("render", spec)
    assert proc.returncode == 0
    [document] = load(REPO / spec).documents
    assert json.loads(proc.stdout) == document.data
    jsonl = promspec("render", spec, "-f", "jsonl").stdout
    assert list(json.loads(jsonl)) == list(document.data)  # keys in the file's order


# -- validate on templated specs ----------------------------------------------------------
def test_validate_checks_every_point_of_a_templated_spec(repo: Path) -> None:
    spec = write(repo, FAILING, "s.yaml")
    proc = promspec("validate", "s.yaml", "--set", "bad=8", cwd=repo)
    assert proc.returncode == 1
    assert proc.stdout.startswith(
        "s.yaml:6:9: error[PS205] must be at least 1, got 0 "
        "(fails for 1 of 10 points, first at index 7: n=8)"
    )
    assert "context: points=" not in proc.stdout  # the message says it once
    assert promspec("validate", str(spec), "--set", "bad=80", cwd=repo).returncode == 0
    undefined = promspec("validate", "s.yaml", cwd=repo)
    assert undefined.returncode == 1 and 's.yaml:6:9: error[PS602] "bad" is undefined' in (
        undefined.stdout
    )


def test_validate_json_report_of_a_templated_spec(repo: Path) -> None:
    write(repo, FAILING, "s.yaml")
    proc = promspec("validate", "s.yaml", "--set", "bad=1", "-f", "json", cwd=repo)
    assert proc.returncode == 1
    [diag] = json.loads(proc.stdout)["files"][0]["diagnostics"]
    assert (diag["code"], diag["line"], diag["column"]) == ("PS205", 6, 9)
    assert diag["context"] == {"points": "1/10", "first_index": "0", "first_params": "n=1"}


def test_validate_bad_set_is_a_usage_error(repo: Path) -> None:
    write(repo, FAILING, "s.yaml")
    proc = promspec("validate", "s.yaml", "--set", "=x", cwd=repo)
    assert proc.returncode == 2 and "--set" in proc.stderr


# -- init ---------------------------------------------------------------------------------
def test_init_lists_the_starters(repo: Path) -> None:
    proc = promspec("init", cwd=repo)
    assert proc.returncode == 0
    listed = [line.split()[0] for line in proc.stdout.splitlines()[1:]]
    assert listed == [name.removesuffix(".yaml") for name in TEMPLATES]


def test_init_copies_a_starter_with_its_companion(repo: Path) -> None:
    proc = promspec("init", "zip-csv-sweep", "study", cwd=repo)
    assert proc.returncode == 0
    assert sorted(p.name for p in (repo / "study").iterdir()) == [
        "zip-csv-sweep.csv",
        "zip-csv-sweep.yaml",
    ]
    for name in ("zip-csv-sweep.csv", "zip-csv-sweep.yaml"):
        assert (repo / "study" / name).read_bytes() == (REPO / "templates" / name).read_bytes()
    assert promspec("validate", "study/zip-csv-sweep.yaml", cwd=repo).returncode == 0
    rendered = promspec("render", "study/zip-csv-sweep.yaml", "-f", "jsonl", cwd=repo)
    assert rendered.returncode == 0 and len(rendered.stdout.splitlines()) == 3


def test_init_never_overwrites_without_force(repo: Path) -> None:
    assert promspec("init", "job", cwd=repo).returncode == 0
    (repo / "job.yaml").write_text("edited\n")
    refused = promspec("init", "job", cwd=repo)
    assert refused.returncode == 2 and "already exists" in refused.stderr
    assert (repo / "job.yaml").read_text() == "edited\n"
    assert promspec("init", "job", "--force", cwd=repo).returncode == 0
    assert promspec("render", "job.yaml", cwd=repo).returncode == 0


def test_init_unknown_starter_exits_2(repo: Path) -> None:
    proc = promspec("init", "nope", cwd=repo)
    assert proc.returncode == 2 and "no starter named 'nope'" in proc.stderr
    assert list(repo.iterdir()) == [repo / ".git"]


def test_row_files_read_by_a_spec_are_not_reported_as_specs(repo: Path) -> None:
    write(repo, "- {a: 1, b: x}\n- {a: 2, b: y}\n", "specs/runs.yaml")
    write(
        repo,
        "promspec:\n  sweep: {rows: runs.yaml}\nname: s\n"
        'resources: {cpus: "{{ a }}", memory: 1, disk: 1}\n'
        'tasks: [{image: "i-{{ b }}", runtime: singularity}]\n',
        "specs/study.yaml",
    )
    proc = promspec("validate", "specs", "-f", "json", cwd=repo)
    assert proc.returncode == 0, proc.stdout
    assert [f["path"] for f in json.loads(proc.stdout)["files"]] == ["specs/study.yaml"]
    alone = promspec("validate", "specs/runs.yaml", cwd=repo)
    assert alone.returncode == 1 and "PS106" in alone.stdout


BIG = """\
promspec:
  max_points: 100
  sweep: {a: {start: 1, end: 200, step: 1}}
name: x
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: busybox
    runtime: singularity
    cmd: echo {{ a }}
"""


@pytest.mark.parametrize("command", ["render", "validate"])
def test_a_sweep_over_max_points_is_refused_before_rendering(repo: Path, command: str) -> None:
    path = write(repo, BIG, "big.yaml")
    fmt = ["-f", "jsonl"] if command == "render" else []
    refused = promspec(command, str(path), *fmt)
    assert refused.returncode == 1
    said = refused.stderr + refused.stdout
    assert "the sweep has 200 points, more than max_points (100)" in said
    if command == "render":
        assert refused.stdout == ""
    raised = promspec(command, str(path), "--max-points", "200", *fmt)
    assert raised.returncode == 0, raised.stderr
    if command == "render":
        assert len(raised.stdout.splitlines()) == 200


def test_one_point_and_the_count_of_a_sweep_over_max_points(repo: Path) -> None:
    path = write(repo, BIG, "big.yaml")
    assert promspec("render", str(path), "--count").stdout == "200\n"
    one = promspec("render", str(path), "--point", "150")
    assert one.returncode == 0 and json.loads(one.stdout)["tasks"][0]["cmd"] == "echo 151"
