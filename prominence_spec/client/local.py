"""An embedded ``promspec sandbox`` for ``promspec run --local``.

It runs as a subprocess (``python -m prominence_spec sandbox``) in its own session, on a
free loopback port, with a temporary data folder, and is tied to this process by two
pipes:

- ``--ready-fd``: once its port is bound and its token file written, the sandbox writes
  one JSON line ``{"url": ..., "token_file": ..., "pid": ...}`` and closes the pipe; this
  side reads it with a deadline (end of file first means the sandbox did not start).
- ``--parent-fd``: the sandbox reads this pipe and stops when it ends. This side holds
  the other end and never writes: closing it (:meth:`LocalSandbox.stop`, or the kernel
  when this process dies, even of ``kill -9``) stops the sandbox in order, its running
  jobs with it, and ``--remove-on-exit`` makes it remove the temporary folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from prominence_spec.client.errors import ConfigError
from prominence_spec.executor_names import EXECUTORS as EXECUTORS  # one definition (test_startup)

#: The prefix of the temporary folder (the sandbox removes only folders named so).
PREFIX = "promspec-local-"
#: Seconds the sandbox has to stop in order (drain, kill grace, runners) before SIGKILL.
STOP_TIMEOUT = 60.0


class LocalSandbox:
    def __init__(
        self,
        *,
        executor: str = "host",
        latency_ms: int | None = None,
        data: Path | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        if executor not in EXECUTORS:
            raise ConfigError(f"unknown executor {executor!r} (choose {', '.join(EXECUTORS)})")
        self.executor = executor
        self.latency_ms = latency_ms
        self.start_timeout = start_timeout
        self._own_data = data is None
        self.data = data or Path(tempfile.mkdtemp(prefix=PREFIX))
        self.token_file = self.data / "token"
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.data / "sandbox.log"
        self._parent_end: int | None = None

    def __enter__(self) -> LocalSandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def command(self, ready_fd: int, parent_fd: int) -> list[str]:
        args = [
            sys.executable, "-m", "prominence_spec", "sandbox", "--host", "127.0.0.1",
            "--port", "0", "--data", str(self.data / "state"), "--token-file",
            str(self.token_file), "--executor", self.executor,
            "--ready-fd", str(ready_fd), "--parent-fd", str(parent_fd),
        ]  # fmt: skip
        if self._own_data:
            args += ["--remove-on-exit", str(self.data)]
        if self.latency_ms:
            args += ["--latency", str(self.latency_ms)]
        return args

    def start(self) -> None:
        try:
            self.data.mkdir(parents=True, exist_ok=True)
            ready_read, ready_write = os.pipe()
            parent_read, self._parent_end = os.pipe()
            try:
                self._spawn(ready_write, parent_read)
            finally:
                os.close(ready_write)
                os.close(parent_read)
            with open(ready_read, "rb", buffering=0) as ready:
                self._take_ready(_read_line(ready, self.start_timeout))
        except BaseException:
            self.stop()
            raise

    def _spawn(self, ready_fd: int, parent_fd: int) -> None:
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                self.command(ready_fd, parent_fd),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                pass_fds=(ready_fd, parent_fd), start_new_session=True,
            )  # fmt: skip

    def _take_ready(self, line: bytes | None) -> None:
        """Check the sandbox's ready line and take its URL."""
        if line is None:
            raise ConfigError(f"the local sandbox did not start within {self.start_timeout:g} s")
        if not line:
            self._wait_exit(5.0)
            raise ConfigError(f"the local sandbox did not start: {self._log_tail()}")
        ready = _parse_ready(line)
        assert self.process is not None
        if not (
            ready
            and ready.get("pid") == self.process.pid
            and Path(str(ready.get("token_file"))) == self.token_file.resolve()
        ):
            raise ConfigError(f"the local sandbox's ready line is not what it should be: {line!r}")
        self.url = ready["url"]

    def _wait_exit(self, seconds: float) -> None:
        assert self.process is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=seconds)

    def _log_tail(self) -> str:
        try:
            lines = self.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return "no output"
        return " | ".join(lines[-3:]) or "no output"

    def stop(self) -> None:
        """Stop the sandbox in order (it ends its jobs), then remove the folder if it is
        ours; SIGKILL only if it has not stopped within ``STOP_TIMEOUT``."""
        if self._parent_end is not None:
            os.close(self._parent_end)  # the sandbox's signal to stop, as if we had died
            self._parent_end = None
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)
        if self._own_data:
            shutil.rmtree(self.data, ignore_errors=True)


def _read_line(stream: Any, timeout: float) -> bytes | None:
    """What ``stream`` holds up to a newline or its end (``b""``: ended with nothing),
    or None if neither came within ``timeout`` seconds."""
    data = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                return None
            chunk = stream.read(4096)
            if not chunk:
                return b""  # the sandbox closed it (it exited) before a whole line
            data += chunk
    return data


def _parse_ready(line: bytes) -> dict[str, Any] | None:
    try:
        ready = json.loads(line)
    except ValueError:
        return None
    if not isinstance(ready, dict):
        return None
    url = ready.get("url")
    return ready if isinstance(url, str) and url.startswith("http://127.0.0.1:") else None


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
