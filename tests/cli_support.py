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
down) stays in the tests that start one; see :func:`promspec_process`. :class:`CliWorker`
is in between, for many hostile inputs in a row: one process under CPU and memory limits
that runs each command in-process, so a hang, a crash or a blow-up fails that one test
without taking pytest down, and only the first command pays the interpreter's start-up.
"""

from __future__ import annotations

import io
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

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
    result = run_in_process(*args, cwd=cwd, stdin=stdin, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
    return result


def run_in_process(
    *args: str,
    cwd: Path | str | None = None,
    stdin: bytes | None = None,
    env: Mapping[str, str | None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """:func:`promspec` without its traceback check (for :class:`CliWorker`, which leaves
    that to the test)."""
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
    return subprocess.CompletedProcess(["promspec", *args], code, _contents(out), _contents(err))


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


_WORKER = """
import json, os, resource, sys
sys.path.insert(0, sys.argv[1])
limits = json.loads(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limits["memory"], limits["memory"]))
replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)  # a stray write to fd 1 must not corrupt the replies
from cli_support import run_in_process
_, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
for line in sys.stdin:
    request = json.loads(line)
    used = resource.getrusage(resource.RUSAGE_SELF)
    allowed = int(used.ru_utime + used.ru_stime) + 1 + limits["cpu"]  # this command's seconds
    if cpu_hard != resource.RLIM_INFINITY:
        allowed = min(allowed, cpu_hard)
    resource.setrlimit(resource.RLIMIT_CPU, (allowed, cpu_hard))
    result = run_in_process(*request["args"], cwd=request["cwd"])
    reply = {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr}
    replies.write(json.dumps(reply) + "\\n")
    replies.flush()
"""


class CliWorker:
    """A long-lived interpreter that runs ``promspec`` commands in-process, one at a time,
    under limits: at most ``cpu_seconds`` of CPU per command (SIGXCPU kills the worker) and
    ``memory_bytes`` of address space. A command that hangs past its timeout, or a worker
    that dies (a signal, a crash), fails that command's test with the worker's log, and the
    next command starts a new worker. Use as a context manager, or call :meth:`close`."""

    def __init__(self, cpu_seconds: int = 30, memory_bytes: int = 4 << 30) -> None:
        self.limits = {"cpu": cpu_seconds, "memory": memory_bytes}
        self.proc: subprocess.Popen[str] | None = None
        self.log: IO[bytes] | None = None

    def _start(self) -> subprocess.Popen[str]:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        here = str(Path(__file__).resolve().parent)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER, here, json.dumps(self.limits)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            encoding="utf-8",
        )
        return self.proc

    def _log_text(self) -> str:
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def run(
        self, *args: str, cwd: Path | str, timeout: float = 20
    ) -> subprocess.CompletedProcess[str]:
        """``promspec ARGS...`` in the worker, in folder ``cwd``; asserts, like
        :func:`promspec`, that no traceback reached stdout or stderr."""
        proc = self.proc if self.proc and self.proc.poll() is None else self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps({"args": list(args), "cwd": str(cwd)}) + "\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline() if ready else ""
        if not ready:
            self.close()
            raise AssertionError(f"promspec {' '.join(args)}: no answer in {timeout} s")
        if not line:
            code = proc.wait()
            log = self._log_text()
            self.close()
            how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
            raise AssertionError(f"promspec {' '.join(args)}: the worker died ({how}):\n{log}")
        reply: dict[str, Any] = json.loads(line)
        result = subprocess.CompletedProcess(
            ["promspec", *args], reply["returncode"], reply["stdout"], reply["stderr"]
        )
        assert "Traceback" not in result.stderr, result.stderr
        assert "Traceback" not in result.stdout, result.stdout
        return result

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    stream.close()
            self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None

    def __enter__(self) -> CliWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
