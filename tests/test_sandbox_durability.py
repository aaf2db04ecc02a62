"""Nothing is lost across a restart or a ``kill -9``; many clients at once get distinct
jobs; ``--max-jobs`` bounds what runs; a data folder serves one sandbox at a time."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from sandbox_support import (
    Sandbox,
    SandboxError,
    make_job,
    poll_until,
    process_gone,
    shared_sandbox,
    start_sandbox,
)

FAST = ("--kill-grace", "0.2")


def _alive(pid: int) -> bool:
    return not process_gone(pid)


def _pids(box: Sandbox, job_id: int, count: int = 1, timeout: float = 10.0) -> list[int]:
    """The pids a job printed (one per line), once it printed ``count`` of them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = box.get(f"/jobs/{job_id}/stdout")  # 404 until the job has started
        lines = answer.text.split() if answer.status_code == 200 else []
        if len(lines) >= count:
            return [int(x) for x in lines]
        time.sleep(0.05)
    raise AssertionError("the job did not print its pids")


@pytest.mark.slow
def test_restart_keeps_jobs_workflows_outputs_and_ids(tmp_path: Path) -> None:
    box = start_sandbox(tmp_path / "data", executor="host", args=FAST)
    job_id = box.submit(make_job("echo kept > k.txt; echo out", outputFiles=["k.txt"]))
    wf = {"name": "w", "jobs": [dict(make_job("echo w"), name="a")]}
    wf_id = box.post("/workflows", json=wf).json()["id"]
    before = box.wait_job(job_id)
    box.wait_workflow(wf_id)
    box = box.restart()
    try:
        after = box.get(f"/jobs/{job_id}").json()[0]
        assert after["status"] == "completed" and after["events"] == before["events"]
        assert box.get(f"/jobs/{job_id}/stdout").text == "out\n"
        assert requests.get(after["outputFiles"][0]["url"], timeout=10).text == "kept\n"
        assert box.get(f"/workflows/{wf_id}").json()[0]["status"] == "completed"
        assert box.submit(make_job("true")) > max(job_id, wf_id + 1)
        assert box.get("/jobs", token=before and box.token).status_code == 200  # same token
    finally:
        box.stop()


@pytest.mark.slow
def test_kill_9_recovery_kills_leftovers_and_settles_jobs(tmp_path: Path) -> None:
    box = start_sandbox(tmp_path / "data", executor="host", args=FAST)
    cmd = "sleep 60 & echo $!; echo $$$$; sleep 60"
    lost = box.submit(make_job(cmd))
    retried = box.submit(make_job(cmd, policies={"maximumRetries": 1}))
    pids = _pids(box, lost, 2) + _pids(box, retried, 2)
    assert all(_alive(p) for p in pids)
    box.kill()
    assert all(_alive(p) for p in pids)  # kill -9 of the sandbox leaves them running
    box = box.restart()
    try:
        poll_until(lambda: not any(_alive(p) for p in pids), 10, "the leftovers killed")
        failed = box.get(f"/jobs/{lost}").json()[0]
        assert (failed["status"], failed["statusReason"]) == ("failed", "Job was evicted")
        again = box.wait_job(retried, ["running"])
        assert again["execution"].get("retries", 0) == 1 or again["status"] == "running"
        assert "re-queued" in box.log.read_text()
        new = box.submit(make_job("true"))
        assert new > retried
        assert box.delete(f"/jobs/{retried}").json() == {}
    finally:
        box.stop()


@pytest.mark.slow
def test_kill_9_before_the_group_was_recorded_still_kills_the_task(tmp_path: Path) -> None:
    """The window between starting a task and recording its process group: the crash
    leaves no group in the database, and the marker in the task's environment finds it."""
    box = start_sandbox(tmp_path / "data", executor="host", args=FAST)
    job_id = box.submit(make_job("sleep 60 & echo $!; echo $$$$; sleep 60"))
    pids = _pids(box, job_id, 2)
    box.kill()
    with sqlite3.connect(tmp_path / "data" / "sandbox.db") as conn:
        conn.execute("UPDATE jobs SET pgids = NULL WHERE id = ?", (job_id,))
    box = box.restart()
    try:
        poll_until(lambda: not any(_alive(p) for p in pids), 10, "the leftovers killed")
        assert box.get(f"/jobs/{job_id}").json()[0]["status"] == "failed"
    finally:
        box.stop()


@pytest.mark.slow
def test_sigterm_stops_running_jobs_and_requeues_them(tmp_path: Path) -> None:
    box = start_sandbox(tmp_path / "data", executor="host", args=FAST)
    job_id = box.submit(make_job("echo $$$$; sleep 60"))
    (pid,) = _pids(box, job_id)
    assert box.stop() == 0
    assert not _alive(pid)
    box = box.restart()
    try:
        assert box.wait_job(job_id, ["running"])["status"] == "running"
    finally:
        box.stop()


@pytest.mark.slow
def test_max_jobs_bounds_running_jobs(tmp_path: Path) -> None:
    with start_sandbox(tmp_path / "data", executor="host", args=(*FAST, "--max-jobs", "1")) as box:
        ids = [box.submit(make_job("sleep 30")) for _ in range(3)]
        box.wait_job(ids[0], ["running"])
        time.sleep(0.3)
        statuses = [box.get(f"/jobs/{i}").json()[0]["status"] for i in ids]
        assert statuses == ["running", "pending", "pending"]
        assert [j["id"] for j in box.get("/jobs", params={"status": "idle"}).json()] == ids[1:]
        assert [j["id"] for j in box.get("/jobs", params={"status": "running"}).json()] == ids[:1]
        r = box.get(f"/jobs/{ids[1]}/stdout")
        assert (r.status_code, r.json()) == (400, {"error": "stdout does not exist"})
        assert box.delete("/jobs", params={"id": ",".join(map(str, ids))}).json() == {}
        assert {box.wait_job(i)["status"] for i in ids} == {"deleted"}


# 25 posts per client keep all 32 posting at once; throughput is benchmarks/bench_sandbox.py's
CLIENTS, JOBS = 32, 800


@pytest.mark.slow
def test_32_clients_submit_800_jobs() -> None:
    box = shared_sandbox()
    session_per_thread: dict[int, requests.Session] = {}
    doc = make_job(name="load")

    def post(_: int) -> int:
        import threading

        session = session_per_thread.setdefault(threading.get_ident(), requests.Session())
        r = session.post(box.url + "/jobs", json=doc, headers=box.headers(), timeout=60)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    with ThreadPoolExecutor(CLIENTS) as pool:
        ids = list(pool.map(post, range(JOBS)))
    for session in session_per_thread.values():
        session.close()
    assert len(set(ids)) == JOBS
    listed = box.get("/jobs", params={"id": ",".join(map(str, ids))}).json()
    assert sorted(j["id"] for j in listed) == sorted(ids)


@pytest.mark.slow
def test_one_sandbox_per_data_folder(tmp_path: Path) -> None:
    with start_sandbox(tmp_path / "data") as box, pytest.raises(SandboxError, match="another"):
        start_sandbox(box.data)


def test_non_loopback_host_is_refused(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "prominence_spec", "sandbox", "--host", "0.0.0.0",
            "--port", "0", "--data", str(tmp_path / "d")]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "not a loopback address" in done.stderr and "--allow-remote" in done.stderr


@pytest.mark.slow
def test_allow_remote_warns(tmp_path: Path) -> None:
    with start_sandbox(tmp_path / "data", args=("--host", "0.0.0.0", "--allow-remote")) as box:
        assert "warning: listening on 0.0.0.0" in box.log.read_text()


@pytest.mark.slow
def test_token_subcommand(tmp_path: Path) -> None:
    with start_sandbox(tmp_path / "data") as box:
        argv = [sys.executable, "-m", "prominence_spec", "sandbox", "token", "--user", "alice",
                "--data", str(box.data)]  # fmt: skip
        token = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
        alice = token.stdout.strip()
        job_id = box.submit(make_job(), token=alice)
        assert box.get(f"/jobs/{job_id}", token=alice).json()[0]["id"] == job_id
        assert box.get(f"/jobs/{job_id}").json() == []
        assert box.token not in box.log.read_text() and alice not in box.log.read_text()
        box.proc.send_signal(signal.SIGINT)
        assert box.proc.wait(20) == 0
