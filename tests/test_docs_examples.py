"""The examples in the README and docs run as written."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _console_lines() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for block in re.findall(r"```console\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
            for line in block.splitlines():
                if line.startswith("$ promspec "):
                    command = line[2:].split("  #", 1)[0].strip()
                    found.append((doc.name, command))
    return found


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    for name in ("specs", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    (folder / ".git").mkdir()
    return folder


@pytest.mark.parametrize(
    ("doc", "command"), _console_lines(), ids=[f"{d}:{c}" for d, c in _console_lines()]
)
def test_console_example_runs(doc: str, command: str, workdir: Path) -> None:
    args = shlex.split(command)[1:]
    missing = [
        a
        for a in args
        if a.endswith((".yaml", ".json"))
        and not (workdir / a).exists()
        and "/" not in a.rstrip("/").split("/")[-1]
        and not a.startswith("-")
    ]
    if missing and not any(a in ("-o", "--output") for a in args):
        pytest.skip(f"illustrates a file that is not in the repository: {missing}")
    result = subprocess.run(
        [sys.executable, "-m", "prominence_spec", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr


def test_readme_library_example_runs(workdir: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## As a library", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)[:1]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "pi-100-0" in result.stdout
