"""validate and render for daily use (issue 10): nothing silently ignored, usage errors
that give the valid range, output files never destroyed, pipes closed early.

The CLI runs in this process (cli_support.promspec), except where a process is the point:
Ctrl-C, and a reader that closes the pipe early."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prominence_spec.validation.paths import check_paths

from cli_support import promspec
from support import write

PLAIN_WITH_JINJA = """\
name: x
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: "{{ image }}"
    runtime: singularity
"""
SWEEP = """\
promspec:
  sweep: {n: {start: 0, end: 17, step: 1}}
name: x
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: busybox
    runtime: singularity
    cmd: run {{ n }}
"""


def _render_started(folder: Path, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    """Wait until ``proc`` is writing its output (its temporary file is in ``folder``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.name.startswith(".promspec-") for p in folder.iterdir()):
            return
        time.sleep(0.02)
    raise AssertionError("the render never started writing its output")


def test_jinja_in_a_plain_spec_is_an_error_at_its_string(repo: Path) -> None:
    path = write(repo, PLAIN_WITH_JINJA)
    [diag] = check_paths([str(path)]).diagnostics
    assert (diag.code, diag.line, diag.column, diag.pointer) == ("PS611", 4, 12, "/tasks/0/image")
    assert "no promspec: block" in diag.message and "promspec: {}" in (diag.hint or "")


def test_a_literal_brace_pair_with_a_promspec_block_is_fine(repo: Path) -> None:
    text = (
        "promspec: {}\n"
        + PLAIN_WITH_JINJA.replace("{{ image }}", "busybox")
        + ("    cmd: \"echo {{ '{{' }}x}}\"\n")
    )
    assert check_paths([str(write(repo, text))]).valid


@pytest.mark.parametrize("command", ["render", "validate"])
def test_set_on_a_spec_that_is_not_a_template_is_a_usage_error(repo: Path, command: str) -> None:
    write(repo, PLAIN_WITH_JINJA.replace("{{ image }}", "busybox"))
    proc = promspec(command, "spec.yaml", "--set", "image=x", cwd=repo)
    assert proc.returncode == 2 and "--set and --values have nothing to set" in proc.stderr


def test_point_out_of_range_and_point_with_count_are_usage_errors(repo: Path) -> None:
    write(repo, SWEEP)
    out = promspec("render", "spec.yaml", "--point", "18", cwd=repo)
    assert out.returncode == 2 and "the sweep has 18 points: 0 to 17" in out.stderr
    both = promspec("render", "spec.yaml", "--point", "1", "--count", cwd=repo)
    assert both.returncode == 2 and "cannot be used together" in both.stderr
    assert promspec("render", "spec.yaml", "--point", "17", cwd=repo).returncode == 0


def test_the_summary_counts_the_points_checked(repo: Path) -> None:
    write(repo, SWEEP)
    proc = promspec("validate", "spec.yaml", cwd=repo)
    assert proc.stdout == "1 file valid (1 document, 18 points)\n"


def test_a_failed_render_leaves_the_output_file_as_it_was(repo: Path) -> None:
    write(repo, SWEEP.replace("cpus: 1,", 'cpus: "{{ 0 if n == 5 else 1 }}",'))
    good = repo / "jobs.jsonl"
    good.write_text("good\n")
    os.chmod(good, 0o640)
    proc = promspec("render", "spec.yaml", "-f", "jsonl", "-o", "jobs.jsonl", cwd=repo)
    assert proc.returncode == 1 and good.read_text() == "good\n"
    missing = promspec("render", "nothing.yaml", "-o", "jobs.jsonl", cwd=repo)
    assert missing.returncode == 2 and good.read_text() == "good\n"
    write(repo, SWEEP)
    assert (
        promspec("render", "spec.yaml", "-f", "jsonl", "-o", "jobs.jsonl", cwd=repo).returncode == 0
    )
    assert len(good.read_text().splitlines()) == 18
    assert (good.stat().st_mode & 0o777) == 0o640  # the file keeps its permissions
    assert [p.name for p in repo.iterdir() if p.name.startswith(".promspec-")] == []


@pytest.mark.slow
def test_ctrl_c_leaves_the_output_file_and_says_so(repo: Path) -> None:
    write(repo, SWEEP.replace("end: 17", "end: 900000"))
    good = repo / "big.jsonl"
    good.write_text("good\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prominence_spec",
            "render",
            "spec.yaml",
            "-f",
            "jsonl",
            "-o",
            "big.jsonl",
        ],
        cwd=repo,
        stderr=subprocess.PIPE,
        text=True,
    )
    _render_started(repo, proc)
    time.sleep(0.1)  # some points written
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "big.jsonl was left as it was" in err and "promspec: interrupted" in err
    assert good.read_text() == "good\n"
    assert [p.name for p in repo.iterdir() if p.name.startswith(".promspec-")] == []


@pytest.mark.slow
def test_a_reader_that_stops_early_is_not_a_problem(repo: Path) -> None:
    write(repo, SWEEP.replace("end: 17", "end: 200000"))
    shell = f"{sys.executable} -m prominence_spec render spec.yaml -f jsonl | head -1"
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", shell],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and proc.stdout.startswith('{"name":"x-0"')


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("resources: {cpus: {{ cpus }}, memory: 1, disk: 10}\n", (3, 19)),
        ("resources:\n  cpus: {{ cpus }}\n  memory: 1\n  disk: 10\n", (4, 9)),
    ],
)
def test_an_unquoted_template_is_reported_at_its_place_with_the_fix(
    repo: Path, text: str, where: tuple[int, int]
) -> None:
    spec = (
        "promspec:\n  params: {cpus: 2}\n"
        + text
        + ("tasks:\n  - image: busybox\n    runtime: singularity\n")
    )
    [diag] = check_paths([str(write(repo, spec))]).diagnostics
    assert (diag.code, diag.line, diag.column) == ("PS111", *where)
    assert diag.hint == 'quote the template: "{{ cpus }}"'


def test_yaml_traps_get_hints(repo: Path) -> None:
    yes = write(
        repo,
        PLAIN_WITH_JINJA.replace("{{ image }}", "busybox").replace(
            "name: x\n", "name: x\npolicies: {leaveInQueue: yes}\n"
        ),
        "yes.yaml",
    )
    [diag] = check_paths([str(yes)]).diagnostics
    assert diag.hint == "YAML 1.2 reads yes as a string: write true"
    tab = write(repo, "name: x\nresources:\n\tcpus: 1\n", "tab.yaml")
    [diag] = check_paths([str(tab)]).diagnostics
    assert (
        diag.code == "PS101" and diag.hint == "indent with spaces: YAML does not allow tabs there"
    )


def test_a_file_that_is_not_a_spec_and_an_empty_folder(repo: Path) -> None:
    csv = repo / "rows.csv"
    csv.write_text("a,b\n1,2\n")
    (repo / "empty").mkdir()
    report = check_paths([str(csv)])
    [diag] = report.diagnostics
    assert diag.code == "PS113" and "not a spec file" in diag.message
    proc = promspec("validate", "empty", cwd=repo)
    assert proc.returncode == 2
    assert proc.stdout.endswith("1 error, 0 warnings (no spec files)\n")


def test_render_file_diagnostics_are_complete_before_iterating(repo: Path) -> None:
    from prominence_spec import render_file

    path = write(repo, SWEEP.replace("cpus: 1,", 'cpus: "{{ 0 if n == 5 else 1 }}",'))
    run = render_file(str(path))
    [error] = run.diagnostics  # read first: every point is checked
    assert error.code == "PS205" and "fails for 1 of 18 points" in error.message
    documents = list(run.documents())
    assert len(documents) == 17 and run.diagnostics == [error]  # the same, not twice
    assert run.count() == 18 and run.diagnostics == []
