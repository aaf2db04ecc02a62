"""The sandbox's start-up and stop (issues 16 and 18): nothing is written before the port
is bound, whatever a failed start took is released, the ready handover on a pipe, the
parent's pipe (its end closing stops the sandbox), and the stop in order: stop accepting,
answer the requests in flight, stop the runners, then close the database.

Real processes are kept where the process is what is tested: signals, pipes handed to a
child, the port another process holds, and the log a stop leaves.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import selectors
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from prominence_spec.server.auth import mint_user_token
from prominence_spec.server.config import SandboxConfig, SandboxConfigError
from prominence_spec.server.executors import runtime_usable
from prominence_spec.server.service import Sandbox

from sandbox_support import WRITE_PID, make_job, poll_until, process_gone, start_sandbox

SANDBOX = [sys.executable, "-m", "prominence_spec", "sandbox"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROMINENCE_", "XDG_"))}
    return {**env, "HOME": str(home)}


# ------------------------------------------------------------------------ start-up


@pytest.mark.slow
def test_a_held_port_is_exit_2_with_a_fix_and_leaves_the_token_file_alone(
    tmp_path: Path,
) -> None:
    with start_sandbox(tmp_path / "first") as first:
        port = urlsplit(first.url).port
        home = tmp_path / "home"
        token = home / ".prominence" / "token"
        token.parent.mkdir(parents=True)
        token.write_bytes(b'{"access_token": "the first sandbox\'s token"}')
        os.utime(token, ns=(1_000_000_000, 1_000_000_000))
        before = (token.stat().st_mtime_ns, token.read_bytes())
        proc = subprocess.run(
            [*SANDBOX, "--port", str(port), "--token-file", str(token), "--executor", "noop"],
            env=_env(home), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stderr == (
            f"promspec sandbox: port {port} is in use; pick another with --port, "
            "or --port 0 for any free port\n"
        )
        assert (token.stat().st_mtime_ns, token.read_bytes()) == before
        assert sorted(p.name for p in home.rglob("*")) == [".prominence", "token"]
        assert first.get("/jobs").status_code == 200  # the first one is untouched


@pytest.mark.skipif(runtime_usable("docker"), reason="docker is usable here")
def test_an_executor_that_cannot_run_leaves_the_data_folder_free(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with pytest.raises(SandboxConfigError, match="--executor docker: docker is not installed"):
        Sandbox(SandboxConfig(data_dir=data, executor="docker"))
    box = Sandbox(SandboxConfig(data_dir=data, executor="noop"))  # the lock is free
    box.close()


def test_a_database_that_cannot_open_is_a_config_error_and_frees_the_lock(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    (data / "sandbox.db").mkdir(parents=True)
    with pytest.raises(
        SandboxConfigError, match=r"sandbox\.db is not a usable sandbox database .*restore it"
    ):
        Sandbox(SandboxConfig(data_dir=data, executor="noop"))
    (data / "sandbox.db").rmdir()
    Sandbox(SandboxConfig(data_dir=data, executor="noop")).close()


def test_start_up_prints_export_lines_a_shell_can_run(tmp_path: Path) -> None:
    token = tmp_path / "my tokens" / "token"
    with start_sandbox(tmp_path / "data", token_file=token) as box:
        lines = [x for x in box.log.read_text().splitlines() if x.startswith("export ")]
        assert lines == [
            f"export PROMINENCE_URL={box.url}",
            f"export PROMINENCE_TOKEN_FILE='{token}'",
        ]
        script = "\n".join(lines) + '\nprintf "%s|%s" "$PROMINENCE_URL" "$PROMINENCE_TOKEN_FILE"'
        shown = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
        assert shown.stdout == f"{box.url}|{token}"


def _read_line(fd: int, timeout: float) -> bytes:
    """Everything written to ``fd`` up to its end (the writer closes it after one line)."""
    data = b""
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sel.select(deadline - time.monotonic()):
                chunk = os.read(fd, 4096)
                if not chunk:
                    return data
                data += chunk
    raise AssertionError(f"no end of file within {timeout} s; read {data!r}")


def test_ready_fd_hands_over_url_token_file_and_pid_once_bound(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    token = tmp_path / "token"
    log = open(tmp_path / "log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [*SANDBOX, "--port", "0", "--data", str(tmp_path / "data"), "--token-file", str(token),
         "--executor", "noop", "--ready-fd", str(write_end)],
        pass_fds=(write_end,), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    os.close(write_end)
    try:
        line = _read_line(read_end, 30)
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        ready = json.loads(line)
        assert sorted(ready) == ["pid", "token_file", "url"]
        assert ready["pid"] == proc.pid and ready["token_file"] == str(token)
        assert ready["url"].startswith("http://127.0.0.1:") and ready["url"].endswith("/api/v1")
        assert token.is_file()  # written before the handover
        assert requests.get(ready["url"] + "/health", timeout=10).status_code == 204
    finally:
        os.close(read_end)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        log.close()


# ----------------------------------------------------------------------------- stop


def test_closing_the_parent_fd_stops_the_sandbox_and_its_jobs(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    pid_file = tmp_path / "job.pid"
    log_path = tmp_path / "log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*SANDBOX, "--port", "0", "--data", str(tmp_path / "data"), "--executor", "host",
             "--parent-fd", str(read_end)],
            pass_fds=(read_end,), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    os.close(read_end)
    try:
        url = poll_until(lambda: _served(log_path), what="the sandbox's URL")
        token = json.loads((tmp_path / "data" / "token").read_text())["access_token"]
        script = tmp_path / "job.py"
        script.write_text(WRITE_PID)
        job = make_job(f"exec {sys.executable} {script} {pid_file}")
        r = requests.post(
            url + "/jobs", json=job, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert r.status_code == 201, r.text
        job_pid = int(poll_until(lambda: pid_file.is_file() and pid_file.read_text().strip()))
    finally:
        os.close(write_end)  # the parent is gone
    assert proc.wait(30) == 0
    assert poll_until(lambda: process_gone(job_pid), what="the job's process ending")
    text = log_path.read_text()
    assert "promspec sandbox: stopping (the parent process is gone)" in text
    assert "Traceback" not in text


def _served(log: Path) -> str:
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("promspec sandbox: serving "):
            return line.split("serving ", 1)[1]
    return ""


def _connect(origin: str, auth: bytes) -> socket.socket:
    """A keep-alive connection the sandbox has accepted (one request answered on it)."""
    parts = urlsplit(origin)
    assert parts.port is not None, origin
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    sock.sendall(b"GET /api/v1/jobs HTTP/1.1\r\nHost: sandbox\r\n" + auth + b"\r\n")
    answer = http.client.HTTPResponse(sock)
    answer.begin()
    answer.read()
    assert answer.status == 200 and not answer.will_close
    return sock


def _answer(sock: socket.socket) -> tuple[int, Any]:
    answer = http.client.HTTPResponse(sock)
    answer.begin()
    body = answer.read()  # all of it: Content-Length bytes, or an IncompleteRead
    return answer.status, json.loads(body)


def _refused(origin: str) -> bool:
    parts = urlsplit(origin)
    assert parts.port is not None, origin
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=5).close()
    except (ConnectionRefusedError, ConnectionResetError):
        # refused, or reset as the closing listener drops what its backlog held
        return True
    return False


@pytest.mark.slow
def test_sigterm_answers_requests_in_flight_then_lets_the_runner_finish(tmp_path: Path) -> None:
    box = start_sandbox(tmp_path / "data", executor="host", args=["--kill-grace", "20"])
    running = box.submit(
        make_job("trap 'sleep 1; echo finished; exit 0' TERM; echo started; sleep 600 & wait")
    )
    box.wait_job(running, ("running",))
    out = tmp_path / "data" / "jobs" / str(running) / "job.0.out"
    poll_until(lambda: out.is_file() and "started" in out.read_text(), what="the job starting")

    body = json.dumps(make_job("echo late", name="late")).encode()
    auth = f"Authorization: Bearer {box.token}\r\n".encode()
    length = f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    post = b"POST /api/v1/jobs HTTP/1.1\r\nHost: s\r\nContent-Type: application/json\r\n"
    post += auth + length
    get = b"GET /api/v1/jobs?all=true HTTP/1.1\r\nHost: sandbox\r\n" + auth
    posting, getting = _connect(box.origin, auth), _connect(box.origin, auth)
    with posting, getting:
        posting.sendall(post + body[:10])  # half a request each, as the stop begins
        getting.sendall(get)

        box.proc.send_signal(signal.SIGTERM)
        poll_until(lambda: "promspec sandbox: stopping" in box.log.read_text(), what="the stop")
        assert poll_until(lambda: _refused(box.origin), what="new connections refused")
        posting.sendall(body[10:])
        getting.sendall(b"Connection: close\r\n\r\n")

        status, created = _answer(posting)
        assert status == 201 and isinstance(created["id"], int)
        status, listed = _answer(getting)
        assert status == 200 and running in [j["id"] for j in listed]
    assert box.proc.wait(60) == 0
    log = box.log.read_text()
    assert "Traceback" not in log and "error" not in log.lower(), log
    assert log.rstrip().endswith("promspec sandbox: stopped")
    assert "finished" in out.read_text()  # the runner let the task end before closing
    with sqlite3.connect(tmp_path / "data" / "sandbox.db") as db:
        rows = dict(db.execute("SELECT id, status FROM jobs").fetchall())
    assert rows == {running: "pending", created["id"]: "pending"}


@pytest.mark.slow
def test_close_never_closes_the_database_under_a_runner_still_recording(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from prominence_spec.server.app import create_app

    caplog.set_level(logging.WARNING, logger="promspec.sandbox")
    config = SandboxConfig(data_dir=tmp_path / "data", executor="host", kill_grace=20)
    box = Sandbox(config)
    box.write_token_file()
    box.start("http://127.0.0.1:9")
    headers = {"Authorization": f"Bearer {mint_user_token(box.secret, 'sandbox')}"}
    job = make_job("trap 'sleep 1; exit 0' TERM; sleep 600 & wait")
    job_id = create_app(box).test_client().post("/api/v1/jobs", json=job, headers=headers).json
    assert job_id is not None
    job_id = job_id["id"]
    status = "SELECT status, pgids FROM jobs WHERE id = ?"
    poll_until(lambda: (row := box.store.row(status, (job_id,))) and row["pgids"], what="running")
    assert box.close(runner_timeout=0.1) == [job_id]  # its task takes 1 s to end

    def pending() -> bool:
        row = box.store.row(status, (job_id,))
        assert row is not None
        return bool(row["status"] == "pending")

    poll_until(pending, what="re-queued")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert box.close() == []  # now the database closes and the folder is free
    Sandbox(config).close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ready-fd", "97"], "--ready-fd 97: not an open file descriptor"),
        (["--parent-fd", "98"], "--parent-fd 98: not an open file descriptor"),
        (["--remove-on-exit", "{tmp}"], "--remove-on-exit {tmp}: only a promspec-local-* folder"),
    ],
)
def test_handover_options_it_cannot_use_are_exit_2_before_anything_is_written(
    tmp_path: Path, args: list[str], message: str
) -> None:
    data = tmp_path / "data"
    argv = [*SANDBOX, "--port", "0", "--data", str(data), "--executor", "noop"]
    proc = subprocess.run(
        argv + [a.format(tmp=tmp_path) for a in args],
        env=_env(tmp_path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"promspec sandbox: {message.format(tmp=tmp_path)}")
    assert not data.exists() and tmp_path.is_dir()


def test_drain_answers_a_request_whose_bytes_the_loop_has_not_read_yet() -> None:
    """A connection whose last request is done but whose next request's bytes wait unread
    (waitress reads no more while an answer is in service, and the stop can come between
    that and the next poll) is busy: the drain answers it instead of closing it under
    the client, who would get a reset."""
    from waitress import wasyncore

    from prominence_spec.server import listener

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    server = listener.make_server(app, listener.bind("127.0.0.1", 0), threads=2)
    client = socket.create_connection(("127.0.0.1", server.effective_port), timeout=10)
    try:
        server.handle_accept()  # the connection is taken, but its bytes are never read
        client.sendall(b"GET / HTTP/1.1\r\nHost: s\r\nConnection: close\r\n\r\n")
        (channel,) = listener._channels(server)
        poll_until(lambda: listener._busy(channel), timeout=5, what="the unread bytes seen")
        assert listener.drain(server, seconds=5) == 0
        answer = http.client.HTTPResponse(client)
        answer.begin()
        assert (answer.status, answer.read()) == (200, b"ok")
    finally:
        client.close()
        server.task_dispatcher.shutdown(timeout=5)
        wasyncore.close_all(server._map, ignore_all=True)  # what is left if the test failed
