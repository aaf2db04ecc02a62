"""The examples in the README and docs run as written and do what the docs show.

Each ``$ promspec ...`` line of a ``console`` block runs once (a command shown in several
places runs once and must match every place), in this process (cli_support.promspec), in a
copy of the repository's specs and templates. Where the docs show output under the command,
the output must be exactly that (stdout and stderr together, the folder's absolute path
dropped; ``...`` in the docs stands for any text); the exit code is 1 where that output
reports errors, else 0. A command shown without output must exit 0.

The README's library example runs in a fresh interpreter (a real subprocess), so that it
imports what it needs by itself, as a user's script would.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli_support import promspec
from support import write

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Files the docs' examples illustrate without shipping them. README "Quick start":
# `promspec validate my-job.yaml` shows the report of a job with a typo, a float cpus and
# no disk; this is such a job, written so that the report is the one the README shows.
ILLUSTRATED = {
    "my-job.yaml": """\
        name: my-job
        resources:
          cpus: 2.0
          memory: 1
          cpu: 1
        tasks:
          - image: eoscprominence/testpi
            runtime: singularity
        """,
}


@dataclass(frozen=True)
class Shown:
    """One place a command is shown: where, and the output printed under it ("" if none)."""

    where: str
    output: str


def _examples() -> dict[str, list[Shown]]:
    """Each distinct command, with every place the docs show it."""
    found: dict[str, list[Shown]] = {}
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for block in re.finditer(r"```console\n(.*?)```", text, re.S):
            first_line = text[: block.start(1)].count("\n") + 1
            # a command line starts each piece; the lines up to the next one are its output
            pieces = re.split(r"^(?=\$ )", block.group(1), flags=re.M)
            offset = 0
            for piece in pieces:
                line, _, output = piece.partition("\n")
                if line.startswith("$ promspec "):
                    command = line[2:].split("  #", 1)[0].strip()
                    where = f"{doc.relative_to(ROOT)}:{first_line + offset}"
                    found.setdefault(command, []).append(Shown(where, output.strip("\n")))
                offset += piece.count("\n")
    return found


EXAMPLES = _examples()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    for name in ("specs", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    (folder / ".git").mkdir()
    for name, text in ILLUSTRATED.items():
        write(folder, text, name)
    return folder


def _matches(shown: str, output: str) -> bool:
    if "..." not in shown:
        return output == shown
    pattern = ".*".join(re.escape(piece) for piece in shown.split("..."))
    return re.fullmatch(pattern, output, re.S) is not None


def _implied_exit_code(shown: str) -> int:
    return 1 if re.search(r"\berror\[PS\d{3}\]|^\d+ errors?, ", shown, re.M) else 0


def test_the_examples_are_found() -> None:
    """The parser sees the console examples (a change to the docs' layout shows here)."""
    assert "promspec validate specs/ templates/" in EXAMPLES
    assert all(shown.where for places in EXAMPLES.values() for shown in places)


@pytest.mark.slow
@pytest.mark.parametrize("command", list(EXAMPLES), ids=[" ".join(c.split()[1:]) for c in EXAMPLES])
def test_console_example(command: str, workdir: Path) -> None:
    places = EXAMPLES[command]
    with_output = [shown for shown in places if shown.output]
    proc = promspec(*shlex.split(command)[1:], cwd=workdir)
    output = (proc.stdout + proc.stderr).replace(f"{workdir}{os.sep}", "").rstrip("\n")
    for shown in with_output:
        assert _matches(shown.output, output), (shown.where, output)
    expected = {_implied_exit_code(shown.output) for shown in with_output} or {0}
    assert len(expected) == 1, places
    assert proc.returncode == expected.pop(), (places, proc.stdout, proc.stderr)


@pytest.mark.slow
def test_readme_library_example_runs(workdir: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## As a library", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)[:1]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "pi-100-0" in result.stdout
    assert "9" in result.stdout.splitlines()  # print(run.count())  # 9 points
