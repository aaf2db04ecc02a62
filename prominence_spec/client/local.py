"""An embedded ``promspec sandbox`` for ``promspec run --local``.

It runs as a subprocess (``python -m prominence_spec sandbox``) in its own session, on a
free loopback port, with a temporary data folder; stopping it ends its whole process group
and removes the folder, so nothing is left behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from prominence_spec.client.errors import ConfigError
from prominence_spec.executor_names import EXECUTORS


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
        self.data = data or Path(tempfile.mkdtemp(prefix="promspec-local-"))
        self.token_file = self.data / "token"
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.data / "sandbox.log"

    def __enter__(self) -> LocalSandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def command(self) -> list[str]:
        args = [
            sys.executable,
            "-m",
            "prominence_spec",
            "sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data",
            str(self.data / "state"),
            "--token-file",
            str(self.token_file),
            "--executor",
            self.executor,
        ]
        if self.latency_ms:
            args += ["--latency", str(self.latency_ms)]
        return args

    def start(self) -> None:
        try:
            self.data.mkdir(parents=True, exist_ok=True)
            with open(self.log, "wb") as log:
                self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                    self.command(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        session = requests.Session()
        session.trust_env = False
        with session:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise ConfigError(f"the local sandbox did not start: {self._log_tail()}")
                self.url = self.url or self._served_url()
                if not self.url:
                    time.sleep(0.05)
                    continue
                try:
                    reply = session.get(self.url + "/health", timeout=1)
                    if reply.status_code in (200, 204) and self.token_file.exists():
                        return
                except requests.RequestException:
                    pass
                time.sleep(0.1)
        raise ConfigError(f"the local sandbox did not answer within {self.start_timeout:g} s")

    def _served_url(self) -> str:
        """The base URL the sandbox prints when it listens (``serving http://...``)."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        for line in text.splitlines():
            if "serving " in line:
                return line.split("serving ", 1)[1].strip()
        return ""

    def _log_tail(self) -> str:
        try:
            lines = self.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return "no output"
        return " | ".join(lines[-3:]) or "no output"

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)
        if process is not None:
            _signal_group(process, signal.SIGKILL)  # anything its jobs left running
        if self._own_data:
            shutil.rmtree(self.data, ignore_errors=True)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
