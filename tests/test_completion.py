"""Shell completion offers the values promspec knows, asked as bash and zsh ask a real
`promspec` process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from prominence_spec.codes import CODES
from prominence_spec.spec.starters import starters

#: ``python -m prominence_spec`` completes as the installed script does (the program name
#: is what the completion variable is named after)
COMMAND = [
    sys.executable,
    "-c",
    "import sys; from prominence_spec.cli import main; sys.exit(main())",
]


def complete_bash(*words: str) -> list[str]:
    env = dict(
        os.environ,
        _PROMSPEC_COMPLETE="complete_bash",
        COMP_WORDS=" ".join(["promspec", *words]),
        COMP_CWORD=str(len(words)),
    )
    proc = subprocess.run(COMMAND, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_init_completes_starter_names() -> None:
    assert complete_bash("init", "") == list(starters())
    assert complete_bash("init", "range") == ["range-sweep"]


def test_explain_completes_codes() -> None:
    assert complete_bash("explain", "") == list(CODES)
    assert complete_bash("explain", "PS20") == [c for c in CODES if c.startswith("PS20")]


def test_zsh_completion_shows_each_starters_summary() -> None:
    env = dict(
        os.environ, _PROMSPEC_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS="promspec init m"
    )
    proc = subprocess.run(COMMAND, env=env, capture_output=True, text=True, check=False)
    assert f'"mpi":"{starters()["mpi"].summary}"' in proc.stdout


@pytest.mark.slow
def test_executor_values_complete_and_show_in_help() -> None:
    from prominence_spec.executor_names import EXECUTORS

    for command in ("run", "sandbox"):
        assert complete_bash(command, "--executor", "") == list(EXECUTORS)
        assert complete_bash(command, "--executor", "ho") == ["host"]
        shown = subprocess.run(
            [*COMMAND, command, "--help"], capture_output=True, text=True, check=False
        ).stdout
        assert f"--executor <{'|'.join(EXECUTORS)}>" in shown


def test_an_unknown_executor_is_a_usage_error() -> None:
    proc = subprocess.run(
        [*COMMAND, "sandbox", "--executor", "bogus"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "Invalid value for '--executor': 'bogus' is not one of 'auto', 'host'" in proc.stderr
