"""`promspec render --points` (the table of a sweep's points, no bodies) and
`promspec render --output-dir DIR` (one file per document), on real files through the CLI."""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from prominence_spec import render_file

import cli_support
from support import write

REPO = Path(__file__).resolve().parent.parent
PI = "specs/pi-sweep.yaml"
PI_TABLE = """\
index  digits  seed
    0     100     0
    1     100     1
    2     100     2
    3    1000     0
    4    1000     1
    5    1000     2
    6   10000     0
    7   10000     1
    8   10000     2
"""

promspec = functools.partial(cli_support.promspec, cwd=REPO)

#: a sweep with every filter: exclude, where and include
FILTERED = """\
promspec:
  sweep:
    a: [1, 2, 3]
    b: {start: 0, end: 1, step: 0.5}
    exclude: [{a: 2, b: 0}]
    where: "a + b != 3"
    include: [{a: 9, b: 9}]
  name: "f-{{ a }}-{{ b }}"
name: f
resources: {cpus: 1, memory: 1, disk: 10}
tasks: [{image: busybox, runtime: singularity, cmd: "run {{ a }} {{ b }}"}]
"""

#: point n=3 fails when its body is built (cpus 0), which only rendering can find
FAILS_AT_3 = """\
promspec:
  sweep:
    n: {start: 1, end: 4, step: 1}
name: x
resources: {cpus: "{{ 0 if n == 3 else 1 }}", memory: 1, disk: 10}
tasks: [{image: busybox, runtime: singularity, cmd: "run {{ n }}"}]
"""

PLAIN = """\
name: plain-job
resources: {cpus: 1, memory: 1, disk: 10}
tasks: [{image: busybox, runtime: singularity}]
"""


def _rows(proc: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in proc.stdout.splitlines()]


# -- render --points ---------------------------------------------------------------------------
def test_points_is_a_table_of_index_and_parameters() -> None:
    proc = promspec("render", PI, "--points")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, PI_TABLE, "")


def test_points_of_one_point() -> None:
    proc = promspec("render", PI, "--points", "--point", "4")
    assert (proc.returncode, proc.stdout) == (0, "index  digits  seed\n    4    1000     1\n")


@pytest.mark.parametrize("point", [None, 2, 4])
def test_points_are_the_indices_and_parameters_render_gives(repo: Path, point: int | None) -> None:
    spec = write(repo, FILTERED, "filtered.yaml")
    only = [] if point is None else ["--point", str(point)]
    proc = promspec("render", str(spec), "--points", "-f", "jsonl", *only, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    rendered = render_file(str(spec)).documents(point)
    assert _rows(proc) == [{"index": r.index, "params": r.params} for r in rendered]
    if point is None:
        assert [row["params"] for row in _rows(proc)] == [
            {"a": 1, "b": 0},
            {"a": 1, "b": 0.5},
            {"a": 1, "b": 1},
            {"a": 2, "b": 0.5},
            {"a": 3, "b": 0.5},
            {"a": 3, "b": 1},
            {"a": 9, "b": 9},
        ]


def test_points_build_no_body(repo: Path) -> None:
    """A point whose body fails is still listed: --points renders nothing (render does)."""
    spec = write(repo, FAILS_AT_3, "fails.yaml")
    proc = promspec("render", str(spec), "--points", cwd=repo)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == "index  n\n    0  1\n    1  2\n    2  3\n    3  4\n"
    assert promspec("render", str(spec), cwd=repo).returncode == 1


@pytest.mark.slow
def test_points_of_a_large_sweep(repo: Path) -> None:
    spec = write(
        repo,
        FILTERED.replace("a: [1, 2, 3]", "a: {start: 1, end: 50000, step: 1}").replace(
            "exclude: [{a: 2, b: 0}]\n    ", ""
        ),
        "large.yaml",
    )
    proc = promspec("render", str(spec), "--points", "--max-points", "200000", "-f", "jsonl")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    count = promspec("render", str(spec), "--count", "--max-points", "200000").stdout
    assert len(lines) == int(count) == 150000 - 2 + 1  # where drops (1, 2) and (2, 1)
    assert json.loads(lines[-1]) == {"index": 149998, "params": {"a": 9, "b": 9}}


def test_points_honour_max_points(repo: Path) -> None:
    spec = write(repo, FILTERED.replace("sweep:", "max_points: 5\n  sweep:"), "capped.yaml")
    refused = promspec("render", str(spec), "--points", cwd=repo)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert "error[PS604] the sweep has 10 points, more than max_points (5)" in refused.stderr
    one = promspec("render", str(spec), "--points", "--point", "6", cwd=repo)
    assert (one.returncode, one.stdout) == (0, "index  a  b\n    6  9  9\n")
    raised = promspec("render", str(spec), "--points", "--max-points", "10", cwd=repo)
    assert raised.returncode == 0 and len(raised.stdout.splitlines()) == 1 + 7


def test_points_report_sweep_problems_and_exit_1(repo: Path) -> None:
    spec = write(repo, FILTERED.replace("a + b != 3", "a + c != 3"), "bad-where.yaml")
    proc = promspec("render", str(spec), "--points", "-o", str(repo / "rows.txt"), cwd=repo)
    assert proc.returncode == 1
    assert "error[PS60" in proc.stderr
    assert not (repo / "rows.txt").exists()  # as -o does: nothing written on errors


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_points_as_json_and_yaml_rows(fmt: str) -> None:
    proc = promspec("render", PI, "--points", "-f", fmt)
    assert proc.returncode == 0
    rows = json.loads(proc.stdout) if fmt == "json" else yaml.safe_load(proc.stdout)
    assert rows[4] == {"index": 4, "params": {"digits": 1000, "seed": 1}}
    assert len(rows) == 9


def test_points_to_a_file(repo: Path) -> None:
    target = repo / "points.txt"
    proc = promspec("render", PI, "--points", "-o", str(target), "--color")
    assert (proc.returncode, proc.stdout) == (0, "")
    assert target.read_text(encoding="utf-8") == PI_TABLE  # never colour in a file


def test_points_table_header_is_bold_only_with_colour() -> None:
    proc = promspec("render", PI, "--points", "--color")
    assert proc.stdout == "\x1b[1mindex  digits  seed\x1b[0m\n" + PI_TABLE.split("\n", 1)[1]


def test_points_table_shows_values_of_every_kind(repo: Path) -> None:
    spec = write(
        repo,
        """\
        promspec:
          sweep:
            v: [plain, "", " padded", [1, 2], {k: x}, true, null, 2.5, "x%s"]
        name: "v-{{ index }}"
        resources: {cpus: 1, memory: 1, disk: 10}
        tasks: [{image: busybox, runtime: singularity, cmd: "run {{ v }}"}]
        """.replace("%s", "y" * 70),
        "kinds.yaml",
    )
    proc = promspec("render", str(spec), "--points", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    cells = [line[7:] for line in proc.stdout.splitlines()[1:]]
    long = "x" + "y" * 56 + "..."
    assert cells == [
        "plain",
        '""',
        '" padded"',
        "[1, 2]",
        '{"k": "x"}',
        "true",
        "null",
        "2.5",
        long,
    ]


def test_points_of_a_spec_without_a_sweep(repo: Path) -> None:
    for name, text in [("plain.yaml", PLAIN), ("one.yaml", "promspec: {}\n" + PLAIN)]:
        spec = write(repo, text, name)
        proc = promspec("render", str(spec), "--points", cwd=repo)
        assert (proc.returncode, proc.stdout) == (0, "index\n    0\n")
        assert proc.stderr == f"promspec: {spec} has no sweep: it renders one point, 0\n"
        rows = promspec("render", str(spec), "--points", "-f", "jsonl", cwd=repo)
        assert _rows(rows) == [{"index": 0, "params": {}}]


def test_points_of_a_file_of_several_documents(repo: Path) -> None:
    sweep = FILTERED.split("promspec:\n", 1)[1]
    text = PLAIN + "---\npromspec:\n" + sweep.replace("    include: [{a: 9, b: 9}]\n", "")
    spec = write(repo, text, "two.yaml")
    proc = promspec("render", str(spec), "--points", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:3] == [
        "document  index  a    b",
        "       0      0",
        "       1      0  1    0",
    ]
    rows = _rows(promspec("render", str(spec), "--points", "-f", "jsonl", cwd=repo))
    assert rows[0] == {"document": 0, "index": 0, "params": {}}
    assert rows[-1] == {"document": 1, "index": 5, "params": {"a": 3, "b": 1}}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--points", "--count"], "--points and --count cannot be used together"),
        (["--points", "--output-dir", "out"], "--output-dir and --points cannot be used"),
        (["--count", "--output-dir", "out"], "--output-dir and --count cannot be used"),
        (["-o", "x.json", "--output-dir", "out"], "--output-dir and --output cannot be used"),
    ],
)
def test_options_that_do_not_go_together_exit_2(
    repo: Path, options: list[str], message: str
) -> None:
    proc = promspec("render", str(REPO / PI), *options, cwd=repo)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert sorted(os.listdir(repo)) == [".git"]  # nothing made


# -- render --output-dir -----------------------------------------------------------------------
def test_output_dir_writes_one_file_per_document_named_after_the_job(repo: Path) -> None:
    out = repo / "jobs"
    proc = promspec("render", PI, "--output-dir", str(out))
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr == f"promspec: 9 files written to {out}/\n"
    names = [f"pi-{d}-{s}" for d in (100, 1000, 10000) for s in range(3)]
    assert sorted(os.listdir(out)) == sorted(f"{n}.json" for n in names)
    for index, name in enumerate(names):
        one = promspec("render", PI, "--point", str(index)).stdout
        assert (out / f"{name}.json").read_text(encoding="utf-8") == one


@pytest.mark.parametrize(("fmt", "suffix"), [("yaml", ".yaml"), ("jsonl", ".json")])
def test_output_dir_in_the_render_format(repo: Path, fmt: str, suffix: str) -> None:
    out = repo / "out"
    assert promspec("render", PI, "-f", fmt, "--output-dir", str(out)).returncode == 0
    text = (out / f"pi-1000-1{suffix}").read_text(encoding="utf-8")
    assert text == promspec("render", PI, "--point", "4", "-f", fmt).stdout
    data = yaml.safe_load(text) if fmt == "yaml" else json.loads(text)
    assert data["name"] == "pi-1000-1"


def test_output_dir_names_are_safe_and_kept_apart(repo: Path) -> None:
    spec = write(
        repo,
        """\
        promspec:
          sweep:
            n: [1, 2, 3, 4, 5]
          name: "../grp {{ n % 2 }}"
        name: x
        resources: {cpus: 1, memory: 1, disk: 10}
        tasks: [{image: busybox, runtime: singularity, cmd: "run {{ n }}"}]
        """,
        "names.yaml",
    )
    out = repo / "out"
    proc = promspec("render", str(spec), "--output-dir", str(out), cwd=repo)
    assert proc.returncode == 0, proc.stderr
    files = {name: json.loads((out / name).read_text())["name"] for name in os.listdir(out)}
    assert files == {
        "_grp_1.json": "../grp 1",
        "_grp_0.json": "../grp 0",
        "_grp_1-2.json": "../grp 1",
        "_grp_0-3.json": "../grp 0",
        "_grp_1-4.json": "../grp 1",
    }
    assert sorted(os.listdir(repo)) == [".git", "names.yaml", "out"]


def test_output_dir_counts_when_documents_without_index_collide(repo: Path) -> None:
    spec = write(
        repo,
        PLAIN + "---\n" + PLAIN + "---\n" + PLAIN.replace("plain-job", "Plain-Job"),
        "same.yaml",
    )
    out = repo / "out"
    assert promspec("render", str(spec), "--output-dir", str(out), cwd=repo).returncode == 0
    assert sorted(os.listdir(out)) == ["Plain-Job-3.json", "plain-job-2.json", "plain-job.json"]


def test_output_dir_of_a_workflow_and_of_a_plain_job(repo: Path) -> None:
    out = repo / "out"
    proc = promspec("render", "templates/scatter-gather.yaml", "--output-dir", str(out))
    assert proc.returncode == 0, proc.stderr
    [name] = os.listdir(out)
    workflow = json.loads((out / name).read_text())
    assert "jobs" in workflow and name == f"{workflow['name']}.json"
    spec = write(repo, PLAIN, "plain.yaml")
    assert promspec("render", str(spec), "--output-dir", str(repo / "p"), cwd=repo).returncode == 0
    assert os.listdir(repo / "p") == ["plain-job.json"]


def test_output_dir_writes_nothing_when_a_point_fails(repo: Path) -> None:
    spec = write(repo, FAILS_AT_3, "fails.yaml")
    fresh = repo / "new" / "deeper"
    proc = promspec("render", str(spec), "--output-dir", str(fresh), cwd=repo)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert "error[PS205]" in proc.stderr and "written" not in proc.stderr
    assert not (repo / "new").exists()  # the folders it would have made are gone too
    existing = repo / "existing"
    write(existing, "old\n", "x-2.json")
    assert promspec("render", str(spec), "--output-dir", str(existing), cwd=repo).returncode == 1
    assert os.listdir(existing) == ["x-2.json"]  # no temporary file left, nothing replaced
    assert (existing / "x-2.json").read_text() == "old\n"


def test_output_dir_replaces_files_and_leaves_others(repo: Path) -> None:
    out = repo / "out"
    write(out, "old\n", "pi-100-0.json")
    write(out, "mine\n", "notes.txt")
    (out / "pi-100-0.json").chmod(0o600)
    assert promspec("render", PI, "--output-dir", str(out)).returncode == 0
    assert json.loads((out / "pi-100-0.json").read_text())["name"] == "pi-100-0"
    assert (out / "pi-100-0.json").stat().st_mode & 0o777 == 0o600
    assert (out / "notes.txt").read_text() == "mine\n"
    assert len(os.listdir(out)) == 10


def test_output_dir_that_is_a_file_exits_2(repo: Path) -> None:
    write(repo, "x\n", "taken")
    proc = promspec("render", PI, "--output-dir", str(repo / "taken"))
    assert proc.returncode == 2
    assert "cannot make the folder" in proc.stderr


def test_points_say_the_document_even_when_another_cannot_be_opened(repo: Path) -> None:
    text = "promspec: {sweep: {n: {start: 1}}}\n" + PLAIN + "---\n" + PLAIN
    spec = write(repo, text, "broken.yaml")
    proc = promspec("render", str(spec), "--points", "-f", "jsonl", cwd=repo)
    assert proc.returncode == 1
    assert "error[PS604] the range 'n' lacks end, step" in proc.stderr
    assert _rows(proc) == [{"document": 1, "index": 0, "params": {}}]
