"""`promspec run`: submit, wait, final table; `--local` leaves nothing behind."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from client_support import cli, promspec
from sandbox_support import shared_sandbox

REPO = Path(__file__).resolve().parent.parent


def _local_leftovers(temp: Path) -> tuple[list[str], list[str]]:
    """Processes and folders of an embedded sandbox whose temporary folder is in ``temp``."""
    procs = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    running = [line for line in procs.splitlines() if str(temp) in line]
    return running, [p.name for p in temp.iterdir()]


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


def test_run_shows_how_failed_jobs_ended(tmp_path: Path, monkeypatch, capsys) -> None:
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
    code, out, err = cli(monkeypatch, capsys, ["run", str(spec), "--interval", "0.1"], env)
    assert code == 1, err
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:4]}
    assert rows["job-1"][2] == "failed" and rows["job-1"][3] == "3"
    assert rows["job-0"][2] == rows["job-2"][2] == "completed"
    assert "--- job-1" in out and "computing 1" in out
    assert "2 completed, 1 failed" in err


def test_local_sandbox_creates_the_data_folder_it_is_given(tmp_path: Path) -> None:
    import requests

    from prominence_spec.client.local import LocalSandbox

    data = tmp_path / "not" / "yet"
    with LocalSandbox(executor="noop", data=data) as sandbox:
        assert requests.get(f"{sandbox.url}/health", timeout=10).ok
        assert sandbox.token_file.is_file()
        process = sandbox.process
    assert process is not None and process.poll() is not None  # stopped on leaving
