"""Start-up: each command imports only what it runs.

`promspec --help` lists the commands without importing any stage of the core (nor
jsonschema, Jinja, requests, rich or the sandbox's web framework); `promspec validate`
on valid plain files imports no templating, client or server module; and running one
command builds only that command. Each run is a fresh ``python -X importtime`` process,
whose stderr names every module it imported. (Timings are in benchmarks/, not here.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from prominence_spec.cli import commands as catalogue
from prominence_spec.server.config import EXECUTORS

from support import write

HEAVY = (
    "jsonschema",
    "jsonschema_rs",
    "jinja2",
    "requests",
    "urllib3",
    "rich",
    "flask",
    "werkzeug",
    "waitress",
    "jwt",
    "yaml",
    "xml.etree",
    "tomllib",
    "tomli",
)

JOB = """\
name: one
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: busybox
    runtime: singularity
"""


def imported(*args: str, cwd: Path) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """The modules ``python -m prominence_spec ARGS`` imports, and how it ended."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "prominence_spec", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = re.findall(r"^import time:\s*\d+ \|\s*\d+ \|\s*(\S+)$", proc.stderr, re.MULTILINE)
    assert lines, proc.stderr[-2000:]
    return set(lines), proc


def _within(modules: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == r or m.startswith(r + ".") for r in roots))


#: Modules of the package that import nothing and that help may read.
SHARED_LEAVES = ("prominence_spec", "prominence_spec.version", "prominence_spec.executor_names")


def test_help_imports_no_core_and_no_heavy_library(tmp_path: Path) -> None:
    modules, proc = imported("--help", cwd=tmp_path)
    assert proc.returncode == 0 and "validate" in proc.stdout
    assert _within(modules, HEAVY) == []
    ours = _within(modules, ("prominence_spec",))
    beyond_cli = [
        m for m in ours if m not in SHARED_LEAVES
        and not m.startswith("prominence_spec.cli")
    ]  # fmt: skip
    assert beyond_cli == [], "help imports a stage of the core"
    assert "prominence_spec.cli.rendering" not in modules  # render's own work


@pytest.mark.slow
def test_a_command_help_imports_no_core_either(tmp_path: Path) -> None:
    for command in ("validate", "render", "submit", "sandbox", "status"):
        modules, proc = imported(command, "--help", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert _within(modules, HEAVY) == [], command
        assert _within(modules, ("prominence_spec.validation", "prominence_spec.client")) == []


def test_validating_plain_files_imports_no_templating_client_or_server(tmp_path: Path) -> None:
    write(tmp_path, JOB, "one.yaml")
    modules, proc = imported("validate", "one.yaml", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "1 file valid (1 document)\n")
    assert "jsonschema_rs" in modules  # valid documents: the compiled validator decides
    unneeded = (
        "jinja2",
        "jsonschema",  # the Python validator, only for documents with problems
        "requests",
        "rich",
        "flask",
        "waitress",
        "xml.etree",  # the JUnit reporter's
        "tomllib",  # no pyproject.toml here
        "prominence_spec.template",
        "prominence_spec.render",
        "prominence_spec.sweep",
        "prominence_spec.client",
        "prominence_spec.server",
        "prominence_spec.report.junit",
        "prominence_spec.report.sarif",
    )
    assert _within(modules, unneeded) == []


def test_a_run_builds_only_its_own_command() -> None:
    from prominence_spec.cli import _lazy, main

    built: list[str] = []
    original = _lazy.CommandsOnDemand._build

    def spy(self: _lazy.CommandsOnDemand, info: object) -> object:
        command = original(self, info)
        built.append(command.name)
        return command

    _lazy.CommandsOnDemand._build = spy  # type: ignore[method-assign]
    try:
        assert main(["schema", "job"]) == 0
    finally:
        _lazy.CommandsOnDemand._build = original  # type: ignore[method-assign]
    assert built == ["schema"]


def test_help_lists_every_command_in_order(tmp_path: Path) -> None:
    _, proc = imported("--help", cwd=tmp_path)
    listed = re.findall(r"^  (\S+)  ", proc.stdout.split("Commands:")[1], re.MULTILINE)
    names = [c.name for c in catalogue.registered_commands]
    assert listed == [*names, "sandbox"]


@pytest.mark.parametrize("typo", ["valdate", "rendr"])
def test_a_mistyped_command_is_still_suggested(typo: str, tmp_path: Path) -> None:
    _, proc = imported(typo, "x", cwd=tmp_path)
    assert proc.returncode == 2
    assert f"No such command '{typo}'. Did you mean" in proc.stderr


def test_the_executor_names_have_one_definition() -> None:
    from typing import get_args

    from prominence_spec.cli.sandbox_cmd import Executor as HelpExecutor
    from prominence_spec.client.local import EXECUTORS as LOCAL_EXECUTORS

    assert get_args(HelpExecutor) == EXECUTORS
    assert EXECUTORS is LOCAL_EXECUTORS
