"""Running the CLI in the test process: ``prominence_spec.cli.main(argv)`` with its standard
streams captured, as fast as a function call and as close to a subprocess as the tests need.

:func:`promspec` returns a :class:`subprocess.CompletedProcess` (exit code, stdout, stderr as
text) like a real run, so a test reads the same either way. What it does to match a real run:

* stdin, stdout and stderr are swapped for text streams over bytes buffers, each with a
  ``.buffer`` (the CLI reads ``sys.stdin.buffer`` and writes ``sys.stdout.buffer``), UTF-8,
  stdout strict and stderr ``backslashreplace`` like Python's own, none of them a terminal;
  stdin is empty unless given, as a subprocess's ``input=b""``;
* ``cwd`` is entered with ``os.chdir`` and left again, and the environment is restored
  afterwards (``env`` adds or, with None, removes variables for the one run);
* the exit code is ``main``'s return value, or that of a ``SystemExit`` escaping it, the way
  ``python -m prominence_spec`` turns it into the process's status;
* like the subprocess helpers it replaces, every run asserts that no traceback reached
  stdout or stderr.

What only a subprocess shows (start-up through ``python -m`` and the console script, exit
statuses the operating system reports, signals, rlimits, a crash that would take pytest
down) stays in the tests that start one; see :func:`promspec_process`.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from prominence_spec.cli import main

REPO = Path(__file__).resolve().parent.parent


class _Bytes(io.BytesIO):
    """A bytes buffer that outlives the text streams wrapped around it (the CLI wraps
    ``sys.stdout.buffer`` in a stream of its own for rendered output)."""

    def close(self) -> None:  # keep the contents readable after a wrapper closes
        pass


def _stream(data: bytes = b"", errors: str = "strict") -> io.TextIOWrapper:
    return io.TextIOWrapper(_Bytes(data), encoding="utf-8", errors=errors, newline="\n")


def _contents(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, _Bytes)
    return buffer.getvalue().decode("utf-8", "replace")


def _exit_status(stop: SystemExit) -> int:
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code
    sys.stderr.write(f"{stop.code}\n")  # what Python does with SystemExit("message")
    return 1


def promspec(
    *args: str,
    cwd: Path | str | None = None,
    stdin: bytes | None = None,
    env: Mapping[str, str | None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``promspec ARGS...`` in this process; ``cwd`` defaults to the current folder."""
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    saved_cwd = os.getcwd()
    saved_env = dict(os.environ)
    out, err = _stream(), _stream(errors="backslashreplace")
    try:
        for name, value in (env or {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if cwd is not None:
            os.chdir(cwd)
        sys.stdin, sys.stdout, sys.stderr = _stream(stdin or b""), out, err
        try:
            code = main(list(args))
        except SystemExit as stop:
            code = _exit_status(stop)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.chdir(saved_cwd)
        if os.environ != saved_env:
            os.environ.clear()
            os.environ.update(saved_env)
    result = subprocess.CompletedProcess(["promspec", *args], code, _contents(out), _contents(err))
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
    return result


def promspec_process(
    *args: str,
    cwd: Path | str,
    stdin: bytes | None = None,
    command: list[str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``promspec ARGS...`` as a real process (``python -m prominence_spec`` unless
    ``command`` names another start, e.g. the console script); text decoded as UTF-8."""
    proc = subprocess.run(
        [*(command or [sys.executable, "-m", "prominence_spec"]), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=timeout,
    )
    result = subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
    return result
