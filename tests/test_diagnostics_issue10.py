"""Diagnostics that say what is wrong and where (issue 10), each through both
`promspec validate` and `promspec render`, which must report the same."""

from __future__ import annotations

from pathlib import Path

from cli_support import promspec
from support import write

JOB_TAIL = """\
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: busybox
    runtime: singularity
"""


def reported(repo: Path, *args: str, name: str = "spec.yaml") -> list[str]:
    """The diagnostic lines of `validate` (without its summary), checked to be the lines
    `render` writes to stderr, and both exit codes to agree."""
    validated = promspec("validate", name, *args, cwd=repo)
    rendered = promspec("render", name, *args, "-f", "jsonl", cwd=repo)
    lines = validated.stdout.splitlines()[:-1]
    assert rendered.stderr.splitlines()[:-1] == lines
    assert validated.returncode == rendered.returncode
    return lines


# -- a float range whose end is not reached exactly -------------------------------------


FLOAT_RANGE = (
    """\
promspec:
  sweep:
    x: {start: 0, end: 0.3, step: 0.1}
name: "job-{{ x }}"
"""
    + JOB_TAIL
    + "    cmd: echo {{ x }}\n"
)


def test_a_float_range_short_of_its_end_warns_naming_the_last_value(repo: Path) -> None:
    write(repo, FLOAT_RANGE)
    assert reported(repo) == [
        "spec.yaml:3:24: warning[PS613] the range 'x' stops at 0.2, not at its end 0.3: the "
        "next value, 0.30000000000000004, is greater than 0.3 (at /promspec/sweep/x/end)",
        "  hint: to include 0.3, set end a little past it (end: 0.35), or list the values",
    ]
    rendered = promspec("render", "spec.yaml", "-f", "jsonl", cwd=repo)
    assert rendered.returncode == 0
    assert [line.count("echo ") for line in rendered.stdout.splitlines()] == [1, 1, 1]
    assert '"echo 0.2"' in rendered.stdout and "0.3" not in rendered.stdout


def test_the_factory_the_warned_range_compiles_to_gives_the_same_points(repo: Path) -> None:
    write(repo, FLOAT_RANGE.replace('name: "job-{{ x }}"', "name: job"))
    factory = promspec("render", "spec.yaml", "--mode", "factory", cwd=repo)
    assert factory.returncode == 0 and "PS613" in factory.stderr
    assert '"end": 0.3' in factory.stdout  # the server counts it to the same 3 values
