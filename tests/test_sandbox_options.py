"""`promspec sandbox` start-up options, through a real sandbox subprocess: `--latency`
delays every POST, `--executor auto` is `host` even where a container engine answers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sandbox_support import Sandbox, make_job, start_sandbox


@pytest.mark.slow
def test_latency_delays_every_post(tmp_path: Path) -> None:
    with start_sandbox(tmp_path / "data", args=["--latency", "200"]) as box:
        for _ in range(2):
            start = time.monotonic()
            reply = box.post("/jobs", json=make_job("true"))
            assert reply.status_code == 201, reply.text
            assert time.monotonic() - start >= 0.2


def _startup_lines(box: Sandbox) -> list[str]:
    return box.log.read_text(errors="replace").splitlines()


def test_auto_executor_is_host_even_when_a_container_engine_answers(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    engine = empty / "docker"  # installed, and `docker info` succeeds
    engine.write_text("#!/bin/sh\nexit 0\n")
    engine.chmod(0o755)
    env = {"PATH": str(empty)}
    with start_sandbox(tmp_path / "data", executor="auto", env=env) as box:
        lines = _startup_lines(box)
        job = box.wait_job(box.submit(make_job("echo ran on the host")))
        stdout = box.get(f"/jobs/{job['id']}/stdout").text
    expected = (
        "executor: host (auto: tasks run on this machine; name a container executor to use one)"
    )
    assert expected in lines, lines
    assert (job["status"], stdout) == ("completed", "ran on the host\n")
