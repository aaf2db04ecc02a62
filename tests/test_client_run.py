"""`promspec run`: submit, wait, final table; `--local` leaves nothing behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from client_support import cli, promspec
from sandbox_support import WRITE_PID, poll_until, process_gone, shared_sandbox

REPO = Path(__file__).resolve().parent.parent


def _local_leftovers(temp: Path) -> tuple[list[str], list[str]]:
    """Processes and folders of an embedded sandbox whose temporary folder is in ``temp``."""
    procs = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    running = [line for line in procs.splitlines() if str(temp) in line]
    return running, [p.name for p in temp.iterdir()]


@pytest.mark.slow
def test_run_local_runs_the_bundled_study_and_leaves_nothing(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"  # the run's own TMPDIR: other runs on the machine do not count
    temp.mkdir()
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    (tmp_path / ".git").mkdir()
    proc = promspec(
        # the README's command, polling more often than every 2 s (README tests run it as is)
        ["run", "specs/local-study.yaml", "--local", "--interval", "0.1"],
        cwd=tmp_path,
        env={"HOME": str(tmp_path), "TMPDIR": str(temp)},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    header = proc.stdout.splitlines()[0].split()
    assert header == ["NAME", "ID", "STATUS", "EXIT", "WALL", "TIME"]
    assert proc.stdout.count(" completed ") >= 6
    assert "midpoint rule, 1000 steps: pi = 3.14159" in proc.stdout
    assert "6 completed" in proc.stderr
    assert _local_leftovers(temp) == ([], [])
    assert not (tmp_path / "specs" / ".promspec").exists()  # the journal went with the sandbox
    # what the jobs wrote is kept, after the sandbox and its folder are gone (issue 17)
    results = tmp_path / "local-study-results"
    assert "results in local-study-results/" in proc.stderr
    # its jobs write no output file: what was fetched is their stdout and stderr
    assert "downloaded 12 files (" in proc.stderr and "for 6 points" in proc.stderr
    points = sorted(p for p in results.iterdir() if p.is_dir())
    assert len(points) >= 6 and all((p / "stdout.txt").is_file() for p in points)
    assert any(b"pi = 3.14159" in (p / "stdout.txt").read_bytes() for p in points)


def test_run_shows_how_failed_jobs_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    box = shared_sandbox("host")
    (tmp_path / ".git").mkdir()
    spec = tmp_path / "study.yaml"
    spec.write_text(
        "promspec:\n  sweep: {i: [0, 1, 2]}\n  name: 'job-{{ i }}'\n"
        "name: job\nresources: {cpus: 1, memory: 1, disk: 1, walltime: 5}\n"
        "tasks:\n  - image: busybox\n    runtime: singularity\n"
        "    cmd: echo computing {{ i }}; test {{ i }} -ne 1 || { echo broke >&2; exit 3; }\n"
    )
    env = {"PROMINENCE_URL": box.url, "PROMINENCE_TOKEN": box.token, "HOME": str(tmp_path)}
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(monkeypatch, capsys, ["run", str(spec), "--interval", "0.1"], env)
    assert code == 1, err
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:4]}
    assert rows["job-1"][2] == "failed" and rows["job-1"][3] == "3"
    assert rows["job-0"][2] == rows["job-2"][2] == "completed"
    assert "--- job-1" in out and "computing 1" in out
    assert "stderr:\nbroke\nstdout:\ncomputing 1" in out  # a failed job's stderr tail
    assert "2 completed, 1 failed" in err
    # every point's folder, the failed one too, in ./study-results (issue 17)
    assert "downloaded 6 files (" in err  # each point's stdout.txt and stderr.txt
    assert "for 3 points to study-results/" in err and "results in study-results/" in err
    failed = tmp_path / "study-results" / "1-job-1"
    assert (failed / "stderr.txt").read_bytes() == b"broke\n"
    assert json.loads((failed / "params.json").read_text())["params"] == {"i": 1}


def test_local_sandbox_creates_the_data_folder_it_is_given(tmp_path: Path) -> None:
    import requests

    from prominence_spec.client.local import LocalSandbox

    data = tmp_path / "not" / "yet"
    with LocalSandbox(executor="noop", data=data) as sandbox:
        assert requests.get(f"{sandbox.url}/health", timeout=10).ok
        assert sandbox.token_file.is_file()
        process = sandbox.process
    assert process is not None and process.poll() is not None  # stopped on leaving


def _start_local_run(tmp_path: Path) -> tuple[Path, int, subprocess.Popen[str]]:
    """`promspec run SPEC --local` of one job that sleeps, with its own TMPDIR; returns
    the TMPDIR, the job's process id once it runs, and the run's process."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "job.py").write_text(WRITE_PID)
    pid_file = tmp_path / "job.pid"
    spec = tmp_path / "slow.yaml"
    spec.write_text(
        "name: slow\nresources: {cpus: 1, memory: 1, disk: 1, walltime: 5}\n"
        "tasks:\n  - image: busybox\n    runtime: singularity\n"
        f"    cmd: exec {sys.executable} {tmp_path / 'job.py'} {pid_file}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMINENCE_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "prominence_spec", "run", str(spec), "--local"],
        cwd=tmp_path, env={**env, "HOME": str(tmp_path), "TMPDIR": str(temp)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        text = poll_until(lambda: pid_file.is_file() and pid_file.read_text(), what="the job")
    except AssertionError:
        proc.kill()
        raise AssertionError(proc.communicate()) from None
    return temp, int(text), proc


def _nothing_left(temp: Path, job_pid: int) -> None:
    poll_until(lambda: process_gone(job_pid), what="the job's process ending")
    poll_until(lambda: _local_leftovers(temp) == ([], []), what="the sandbox and its folder")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_run_local_interrupted_stops_its_sandbox_and_says_so_once(
    tmp_path: Path, sig: signal.Signals
) -> None:
    temp, job_pid, proc = _start_local_run(tmp_path)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.endswith("local sandbox stopped\npromspec: interrupted\n"), err
    assert err.count("interrupted") == 1 and "Traceback" not in err
    _nothing_left(temp, job_pid)


@pytest.mark.slow
def test_run_local_killed_with_9_its_sandbox_stops_itself(tmp_path: Path) -> None:
    temp, job_pid, proc = _start_local_run(tmp_path)
    proc.kill()
    assert proc.wait(30) == -signal.SIGKILL
    proc.communicate()
    _nothing_left(temp, job_pid)
