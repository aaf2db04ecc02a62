"""Start ``promspec sandbox`` as a real subprocess for tests, and talk to it over HTTP.

    from sandbox_support import shared_sandbox, start_sandbox

    box = shared_sandbox()                      # one noop sandbox per test process,
                                                # stopped and its folder removed at exit
    r = box.post("/jobs", json=job)             # requests.Response; token added
    job = box.wait_job(r.json()["id"])          # the GET /jobs/<id> object, once terminal

    with start_sandbox(tmp_path / "data", executor="host") as box:   # a private one
        ...
        box.kill()                              # kill -9
        box = box.restart()                     # same data folder, new process

``Sandbox`` attributes: ``url`` (the API base, ``http://127.0.0.1:PORT/api/v1``),
``origin``, ``data`` (the data folder), ``token_file``, ``token`` (the default user's
JWT), ``proc`` (the Popen), ``log`` (its stdout and stderr). ``token_for(user)`` makes a
token for another user; ``headers(token)`` the Authorization header.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import requests

TERMINAL = ("completed", "failed", "deleted", "killed")
START_TIMEOUT = 30.0
REQUEST_TIMEOUT = 30.0


class SandboxError(RuntimeError):
    """The sandbox did not start or stop as expected (its log is in the message)."""


class Sandbox:
    """A running ``promspec sandbox`` process."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        data: Path,
        log: Path,
        token_file: Path,
        args: Sequence[str],
        env: dict[str, str] | None,
    ) -> None:
        self.proc, self.data, self.log, self.token_file = proc, data, log, token_file
        self._args, self._env = list(args), env
        self.url = ""
        self.origin = ""
        self.session = requests.Session()

    # ----------------------------------------------------------------- lifecycle

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log.read_text(errors="replace").splitlines():
                if "serving " in line:
                    self.url = line.split("serving ", 1)[1].strip()
                    self.origin = self.url.rsplit("/api/v1", 1)[0]
            if self.url:
                try:
                    if requests.get(self.url + "/health", timeout=2).status_code == 204:
                        return
                except requests.RequestException:
                    pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.proc.kill()
        raise SandboxError(f"the sandbox did not start:\n{self.log.read_text(errors='replace')}")

    @property
    def token(self) -> str:
        """The default user's token, from the token file the sandbox wrote."""
        if not hasattr(self, "_token"):
            self._token = str(json.loads(self.token_file.read_text())["access_token"])
        return self._token

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Stop the process with ``sig`` and wait; returns its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise SandboxError(f"the sandbox did not stop:\n{self.log.read_text()}") from None
        self.session.close()
        return code

    def kill(self) -> None:
        """``kill -9`` the sandbox (its jobs' processes are left running)."""
        self.stop(signal.SIGKILL)

    def restart(self, extra: Sequence[str] = ()) -> Sandbox:
        """Stop (if running) and start again on the same data folder and arguments."""
        if self.proc.poll() is None:
            self.stop()
        return _launch(self.data, [*self._args, *extra], self._env, self.token_file)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.stop()

    # ------------------------------------------------------------------- requests

    @property
    def secret_file(self) -> Path:
        """Where the sandbox keeps its signing secret (beside the data folder)."""
        from prominence_spec.server.config import secret_path

        return secret_path(self.data)

    def token_for(self, user: str) -> str:
        """A token for ``user``, made as ``promspec sandbox token --user`` makes it."""
        from prominence_spec.server.auth import load_or_create_secret, mint_user_token

        return mint_user_token(load_or_create_secret(self.secret_file, self.data), user)

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def request(
        self, method: str, path: str, *, token: str | None = None, **kw: Any
    ) -> requests.Response:
        """``method`` on ``url + path`` with the token (``token=""`` sends none)."""
        headers = dict(kw.pop("headers", {}) or {})
        if token != "":
            headers.update(self.headers(token))
        kw.setdefault("timeout", REQUEST_TIMEOUT)
        return self.session.request(method, self.url + path, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def submit(self, job: dict[str, Any], **kw: Any) -> int:
        """POST a job that must be accepted; returns its id."""
        r = self.post("/jobs", json=job, **kw)
        assert r.status_code == 201, (r.status_code, r.text)
        return int(r.json()["id"])

    def wait_job(
        self, job_id: int, statuses: Sequence[str] = TERMINAL, timeout: float = 30.0, **kw: Any
    ) -> dict[str, Any]:
        """Poll ``GET /jobs/<id>`` until its status is one of ``statuses``."""
        return self._wait(f"/jobs/{job_id}", statuses, timeout, **kw)

    def wait_workflow(
        self,
        wf_id: int,
        statuses: Sequence[str] = ("completed", "failed", "deleted"),
        timeout: float = 30.0,
        **kw: Any,
    ) -> dict[str, Any]:
        return self._wait(f"/workflows/{wf_id}", statuses, timeout, **kw)

    def _wait(
        self, path: str, statuses: Sequence[str], timeout: float, **kw: Any
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            last = self.get(path, **kw).json()
            if last and last[0]["status"] in statuses:
                return dict(last[0])
            time.sleep(0.05)
        raise AssertionError(f"{path} did not reach {statuses} in {timeout}s: {last}")


def _launch(
    data: Path, args: Sequence[str], env: dict[str, str] | None, token_file: Path
) -> Sandbox:
    data.parent.mkdir(parents=True, exist_ok=True)
    log = data.parent / f"{data.name}.{int(time.time() * 1000)}.log"
    argv = [
        sys.executable,
        "-m",
        "prominence_spec",
        "sandbox",
        "--port",
        "0",
        "--data",
        str(data),
        "--token-file",
        str(token_file),
        *args,
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    box = Sandbox(proc, data, log, token_file, args, env)
    _LAUNCHED.append(box)
    box._wait_ready(START_TIMEOUT)
    return box


#: Every sandbox a test started, so that one a failed test leaves running is stopped
#: after it (conftest) instead of running on and warning in a later test.
_LAUNCHED: list[Sandbox] = []


def stop_left_running() -> list[Path]:
    """Kill every sandbox started since the last call that is still running, except the
    shared ones; returns their data folders."""
    shared = {id(box) for box in _SHARED.values()}
    left = [box for box in _LAUNCHED if id(box) not in shared and box.proc.poll() is None]
    _LAUNCHED[:] = [box for box in _LAUNCHED if id(box) in shared]
    for box in left:
        box.proc.kill()
        box.proc.wait(30)
        box.session.close()
    return [box.data for box in left]


def start_sandbox(
    data: Path,
    *,
    executor: str = "noop",
    args: Sequence[str] = (),
    token_file: Path | None = None,
    env: dict[str, str] | None = None,
) -> Sandbox:
    """Start a sandbox on a free loopback port with data folder ``data``; it is ready
    (``/health`` answers) when this returns. Use as a context manager to stop it."""
    return _launch(data, ["--executor", executor, *args], env, token_file or data / "token")


_SHARED: dict[str, Sandbox] = {}
#: The temporary folder of each shared sandbox (its data folder and log), removed with it.
_SHARED_ROOTS: dict[str, Path] = {}


def shared_sandbox(executor: str = "noop", args: Sequence[str] = ()) -> Sandbox:
    """One sandbox per executor for the whole test process, stopped at exit and its
    temporary folder removed. Tests that share it must not assume they are alone in it
    (use fresh names or labels)."""
    key = f"{executor} {' '.join(args)}"
    box = _SHARED.get(key)
    if box is None or box.proc.poll() is not None:
        _remove_shared(key)
        root = Path(tempfile.mkdtemp(prefix="promspec-sandbox-"))
        _SHARED_ROOTS[key] = root
        box = start_sandbox(root / "data", executor=executor, args=args)
        _SHARED[key] = box
    return box


def _remove_shared(key: str) -> None:
    """Stop the shared sandbox ``key`` (if running) and remove its temporary folder."""
    box = _SHARED.pop(key, None)
    try:
        if box is not None and box.proc.poll() is None:
            box.stop()
    finally:
        root = _SHARED_ROOTS.pop(key, None)
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)


@atexit.register
def _stop_shared() -> None:
    for key in list(_SHARED_ROOTS):
        _remove_shared(key)


def poll_until(check: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """``check()`` every 0.05 s until it is truthy (returned); fails after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


def process_gone(pid: int) -> bool:
    """The process has ended (no such process, or a zombie waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


#: A task's script that writes its process id to the file it is given, then sleeps (run
#: as ``python FILE PIDFILE``; a ``$$`` in a cmd would be collapsed by the worker).
WRITE_PID = (
    "import os, sys, time\nopen(sys.argv[1], 'w').write(str(os.getpid()))\ntime.sleep(600)\n"
)


def make_job(cmd: str | None = None, **over: Any) -> dict[str, Any]:
    """A job the server runs (one task; ``cmd`` for the host executor)."""
    task: dict[str, Any] = {"image": "busybox", "runtime": "singularity"}
    if cmd is not None:
        task["cmd"] = cmd
    job: dict[str, Any] = {"resources": {"cpus": 1, "memory": 1, "disk": 10}, "tasks": [task]}
    job.update(over)
    return job


__all__ = [
    "TERMINAL",
    "Sandbox",
    "SandboxError",
    "WRITE_PID",
    "make_job",
    "poll_until",
    "process_gone",
    "shared_sandbox",
    "start_sandbox",
]
