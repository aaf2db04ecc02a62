"""The project's own rules: lint, types, safe loaders, and the README's set-up commands."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import TypeGuard

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "prominence_spec"


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _ruff() -> str:
    """ruff from this interpreter's environment first, so an unactivated venv works too."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which("ruff", path=path) or pytest.fail("ruff is a test dependency ('.[test]')")


def _passes(*command: str) -> None:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# The lint gate: ruff check, ruff format --check and mypy.
def test_ruff_is_clean() -> None:
    _passes(_ruff(), "check", ".")


def test_ruff_format_is_clean() -> None:
    _passes(_ruff(), "format", "--check", ".")  # the package, tests, benchmarks and docs' code


@pytest.mark.slow  # about 7 s without a mypy cache, as on a fresh clone
def test_mypy_is_clean() -> None:
    _passes(sys.executable, "-m", "mypy")


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
    """typer only in cli/; rich only there and in report/ (which styles text written to
    the stream it is given, never to the terminal itself)."""
    core = [p for p in _sources() if "cli" not in p.relative_to(PACKAGE).parts]
    offenders = [
        str(p.relative_to(ROOT))
        for p in core
        if re.search(
            r"^\s*(import|from)\s+(typer|click)\b", p.read_text(encoding="utf-8"), re.MULTILINE
        )
    ]
    assert not offenders
    styled = [
        str(p.relative_to(ROOT))
        for p in core
        if "report" not in p.relative_to(PACKAGE).parts
        and re.search(r"^\s*(import|from)\s+rich\b", p.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    assert not styled


def _prints_or_exits(node: ast.AST) -> TypeGuard[ast.Call | ast.Raise]:
    if isinstance(node, ast.Call):
        name = ast.unparse(node.func)
        return name in ("print", "sys.exit", "exit", "quit", "os._exit")
    return (
        isinstance(node, ast.Raise)
        and node.exc is not None
        and "SystemExit" in ast.unparse(node.exc)
    )


@pytest.mark.slow
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


@pytest.mark.slow
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
    assert "trapezoid rule, 1000 steps: pi = 3.1415924869" in result.stdout
    assert "6 completed" in result.stderr + result.stdout
    assert not (ROOT / ".promspec").exists(), "the local run leaves nothing in the checkout"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once from this checkout.

    Offline (``--no-build-isolation --no-index``) when the build backend, hatchling, is
    installed; otherwise pip fetches it into an isolated build environment first.
    """
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        command += ["--no-build-isolation", "--no-index"]
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    built = subprocess.run(
        [*command, str(ROOT)], capture_output=True, text=True, env=env, timeout=300
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [found] = out.glob("*.whl")
    return found


@pytest.mark.slow
def test_packaged_data_is_the_repository_copy(wheel: Path) -> None:
    """The wheel ships schemas/ and templates/, byte for byte, and nothing else as data."""
    with zipfile.ZipFile(wheel) as archive:
        data = {
            name: archive.read(name)
            for name in archive.namelist()
            if name.startswith("prominence_spec/_data/") and not name.endswith("/")
        }
    repository = {
        f"prominence_spec/_data/{folder}/{path.relative_to(ROOT / folder).as_posix()}": (
            path.read_bytes()
        )
        for folder in ("schemas", "templates")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.is_file()
    }
    assert any("/schemas/" in name for name in repository), "no schemas in schemas/"
    assert sorted(data) == sorted(repository)
    for name, content in repository.items():
        assert data[name] == content, f"{name} in the wheel differs from the repository's"


def test_the_installed_wheel_reads_its_own_data(wheel: Path, tmp_path: Path) -> None:
    """Unpacked as pip installs it, the package finds its schemas and starters in _data."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from prominence_spec.spec.starters import starters, template_dir\n"
        "from prominence_spec.validation.schemas import schema, schema_dir\n"
        "print(schema_dir()); print(template_dir())\n"
        "schema('job'); print(' '.join(sorted(starters())))\n"
    )
    run = subprocess.run(
        [sys.executable, "-I", "-c", code, str(tmp_path)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    data = tmp_path / "prominence_spec" / "_data"
    starters = " ".join(sorted(p.stem for p in (ROOT / "templates").glob("*.yaml")))
    assert run.stdout.splitlines() == [str(data / "schemas"), str(data / "templates"), starters]


def test_ci_runs_the_slow_tests_too() -> None:
    """The README's command leaves the `slow` tests out; .ci/run runs them after it."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert '-m "not slow"' in _readme_commands()[1]
    assert "python -m pytest -n 4 -m slow" in ci
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'markers = ["slow:' in pyproject
