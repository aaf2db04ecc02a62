"""`promspec init`'s next steps name paths that work from where init was run."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from prominence_spec.spec.starters import starters

from cli_support import promspec

PROMSPEC = [sys.executable, "-m", "prominence_spec"]


def _init(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``promspec init ARGS`` as a process of its own."""
    return subprocess.run(
        [*PROMSPEC, "init", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def _printed_commands(stdout: str) -> list[list[str]]:
    """Every ``promspec ...`` command init printed, as argument lists (comments dropped)."""
    commands = []
    for line in stdout.splitlines():
        text = line.strip()
        if text.startswith("promspec "):
            commands.append(shlex.split(text, comments=True)[1:])
    return commands


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """A repository and a folder outside it, from which init is run."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return repo, elsewhere


@pytest.mark.parametrize("name", sorted(starters()))
def test_next_steps_work_from_another_folder(name: str, layout: tuple[Path, Path]) -> None:
    """init and the commands it prints, in this process (cli_support): the paths are what is
    checked; the other tests run init as a process."""
    repo, elsewhere = layout
    result = promspec("init", name, "../repo/my study", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    commands = _printed_commands(result.stdout)
    assert len(commands) >= 2, result.stdout
    for args in commands:
        run = promspec(*args, cwd=elsewhere)
        assert run.returncode == 0, f"{shlex.join(args)}: {run.stdout}{run.stderr}"
    assert (repo / "my study" / f"{name}.yaml").is_file()


def test_header_commands_name_the_copy(layout: tuple[Path, Path]) -> None:
    _, elsewhere = layout
    result = _init(elsewhere, "range-sweep", "out")
    assert result.returncode == 0, result.stderr
    assert "promspec render out/range-sweep.yaml --count" in result.stdout
    assert "promspec render range-sweep.yaml" not in result.stdout
    assert "# how many jobs" in result.stdout


def test_next_steps_in_the_current_folder(layout: tuple[Path, Path]) -> None:
    _, elsewhere = layout
    result = _init(elsewhere, "job")
    assert result.returncode == 0, result.stderr
    assert _printed_commands(result.stdout) == [
        ["render", "job.yaml"],
        ["validate", "job.yaml"],
        ["render", "job.yaml"],
    ]
