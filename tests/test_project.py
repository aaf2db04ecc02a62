"""The project's own rules: lint, types, safe loaders, and the README's set-up commands."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "prominence_spec"


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff") or pytest.fail("ruff is a test dependency ('.[test]')")
    result = subprocess.run(
        [ruff, "check", "prominence_spec", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "pattern",
    [
        r"yaml\.load\(",
        r"yaml\.load_all\(",
        r"FullLoader",
        r"UnsafeLoader",
        r"Loader=yaml\.Loader",
        r"yaml\.unsafe_load",
        r"CSafeLoader\(",
        r"\bEnvironment\(",
        r"verify=False",
    ],
)
def test_no_unsafe_calls_in_the_package(pattern: str) -> None:
    hits = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in _sources()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(pattern, line)
    ]
    assert not hits, hits


def test_core_never_imports_the_cli_framework() -> None:
    core = [p for p in _sources() if "cli" not in p.relative_to(PACKAGE).parts]
    offenders = [
        str(p.relative_to(ROOT))
        for p in core
        if re.search(
            r"^\s*(import|from)\s+(typer|click|rich)\b", p.read_text(encoding="utf-8"), re.MULTILINE
        )
    ]
    assert not offenders


def _prints_or_exits(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        name = ast.unparse(node.func)
        return name in ("print", "sys.exit", "exit", "quit", "os._exit")
    return (
        isinstance(node, ast.Raise)
        and node.exc is not None
        and "SystemExit" in ast.unparse(node.exc)
    )


def test_core_never_prints_or_exits() -> None:
    core = [
        p
        for p in _sources()
        if "cli" not in p.relative_to(PACKAGE).parts
        and p.name not in ("__main__.py", "spec_schema.py")
    ]
    offenders = [
        f"{p.relative_to(ROOT)}:{node.lineno}"
        for p in core
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if _prints_or_exits(node)
    ]
    assert not offenders


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, re.DOTALL)


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = _readme_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands), commands


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _readme_commands()[1]
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_main_job_runs(tmp_path: Path) -> None:
    """The first set-up command, minus the install (the package is installed for tests)."""
    install, _, job = _readme_commands()[0].partition(" && ")
    assert install.startswith("python -m pip install")
    result = subprocess.run(
        job.replace("promspec", f"{sys.executable} -m prominence_spec"),
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert '"name": "pi-100-0"' in result.stdout


def test_packaged_data_is_the_repository_copy() -> None:
    from prominence_spec.spec.starters import template_dir
    from prominence_spec.validate.schemas import schema_dir

    for folder, repo in ((schema_dir(), ROOT / "schemas"), (template_dir(), ROOT / "templates")):
        for path in repo.iterdir():
            assert (folder / path.name).read_bytes() == path.read_bytes(), path
