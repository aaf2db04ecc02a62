"""Issue 16, the sandbox's side: nothing a job or a user sends reaches the sandbox's own
files (its signing secret above all) or another user's jobs."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from sandbox_support import Sandbox, make_job, shared_sandbox, start_sandbox

HOST_ARGS = ("--walltime-minute", "0.5", "--kill-grace", "0.2")


@pytest.fixture()
def artifacts(tmp_path: Path) -> Path:
    folder = tmp_path / "artifacts"
    folder.mkdir()
    (folder / "ok.txt").write_text("allowed\n")
    return folder


@pytest.fixture()
def box(tmp_path: Path, artifacts: Path) -> Iterator[Sandbox]:
    args = (*HOST_ARGS, "--artifacts-dir", str(artifacts))
    with start_sandbox(tmp_path / "data", executor="host", args=args) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def shared_noop() -> Sandbox:
    return shared_sandbox()


def _run(box: Sandbox, job: dict[str, Any], token: str) -> tuple[int, dict[str, Any]]:
    job_id = box.submit(job, token=token)
    return job_id, box.wait_job(job_id, token=token)


def _secret(box: Sandbox) -> bytes:
    return box.secret_file.read_bytes().strip()


def test_secret_lives_outside_the_data_folder(box: Sandbox) -> None:
    assert box.secret_file.parent == box.data.parent
    assert box.secret_file.stat().st_mode & 0o777 == 0o600
    assert not (box.data / "secret").exists()
    assert not [
        p for p in box.data.rglob("*") if p.is_file() and p.read_bytes().strip() == _secret(box)
    ]


def test_a_job_cannot_stage_the_secret_as_an_artifact(
    box: Sandbox, tmp_path: Path, artifacts: Path
) -> None:
    bob = box.token_for("bob")
    (artifacts / "link").symlink_to(box.secret_file)
    for url in (str(box.secret_file), box.secret_file.as_uri(), str(box.data / "sandbox.db"),
                str(artifacts / "link"), str(artifacts / ".." / box.secret_file.name)):  # fmt: skip
        name = Path(url).name
        job_id, done = _run(
            box, make_job("true", artifacts=[{"url": url}], outputFiles=[name]), bob
        )
        assert (done["status"], done["statusReason"]) == ("failed", "Artifact download failed"), url
        assert not list((box.data / "jobs" / str(job_id)).rglob(name)), url


def test_named_artifacts_dir_is_usable(box: Sandbox, artifacts: Path) -> None:
    bob = box.token_for("bob")
    job_id, done = _run(
        box, make_job("cat ok.txt", artifacts=[{"url": str(artifacts / "ok.txt")}]), bob
    )
    assert done["status"] == "completed", done
    assert box.get(f"/jobs/{job_id}/stdout", token=bob).text == "allowed\n"


def test_relative_walk_from_scratch_finds_no_secret(box: Sandbox) -> None:
    bob = box.token_for("bob")
    job_id, done = _run(box, make_job("cat ../../../secret; ls -a ../../.."), bob)
    out = box.get(f"/jobs/{job_id}/stdout", token=bob).text
    assert _secret(box).decode() not in out
    assert "secret" not in out.split()


def test_without_artifacts_dir_no_local_path_is_staged(tmp_path: Path) -> None:
    (tmp_path / "plain.txt").write_text("x\n")
    with start_sandbox(tmp_path / "data", executor="host", args=HOST_ARGS) as box:
        _, done = _run(
            box, make_job("true", artifacts=[{"url": str(tmp_path / "plain.txt")}]), box.token
        )
    assert (done["status"], done["statusReason"]) == ("failed", "Artifact download failed")


def test_secret_left_in_the_data_folder_is_moved_and_tokens_stay_valid(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "secret").write_bytes(b"ab" * 32)
    old = jwt.encode({"username": "carol", "exp": 4_000_000_000}, b"ab" * 32, "HS256")
    with start_sandbox(data, executor="noop") as box:
        assert box.get("/jobs", token=old).status_code == 200
        assert not (data / "secret").exists()
        assert _secret(box) == b"ab" * 32


def _sandbox_cli(
    tmp_path: Path, *args: str, data: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``promspec sandbox`` expected to refuse to start (it would serve forever)."""
    argv = [sys.executable, "-m", "prominence_spec", "sandbox", "--port", "0",
            "--data", str(data or tmp_path / "data"), *args]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)


def test_remote_host_executor_needs_its_own_flag(tmp_path: Path) -> None:
    done = _sandbox_cli(tmp_path, "--host", "0.0.0.0", "--allow-remote", "--executor", "host")
    assert done.returncode == 2
    assert "--allow-remote-host-executor" in done.stderr
    assert "no isolation between users" in done.stderr
    assert not (tmp_path / "data.secret").exists()


def test_remote_host_executor_starts_with_the_flag(tmp_path: Path) -> None:
    args = ("--host", "0.0.0.0", "--allow-remote", "--allow-remote-host-executor")
    with start_sandbox(tmp_path / "data", executor="host", args=args) as box:
        assert requests.get(box.url + "/health", timeout=10).status_code == 204


@pytest.mark.parametrize("inside", ["", "jobs"])
def test_artifacts_dir_overlapping_the_data_folder_is_refused(tmp_path: Path, inside: str) -> None:
    folder = tmp_path / "data" / inside
    folder.mkdir(parents=True)
    done = _sandbox_cli(tmp_path, "--artifacts-dir", str(folder))
    assert done.returncode == 2
    assert "overlaps the data folder" in done.stderr


def _outside_address() -> str | None:
    """A non-loopback address of this machine, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


@pytest.mark.slow
def test_redirect_off_loopback_is_not_followed(box: Sandbox) -> None:
    outside = _outside_address()
    if outside is None:
        pytest.skip("this machine has no non-loopback address")
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            hits.append(self.path)
            if self.path == "/jump.txt":
                self.send_response(302)
                self.send_header("Location", f"http://{outside}:{port}/target.txt")
                self.end_headers()
                return
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"reached\n")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        job = make_job("cat target.txt", artifacts=[{"url": f"http://127.0.0.1:{port}/jump.txt"}])
        _, done = _run(box, job, box.token)
    finally:
        server.shutdown()
        server.server_close()
    assert (done["status"], done["statusReason"]) == ("failed", "Artifact download failed")
    assert hits == ["/jump.txt"]


HUGE = "9" * 25


@pytest.mark.parametrize(
    ("query", "name"),
    [
        (f"/jobs?completed=true&num={HUGE}", "num"),
        (f"/jobs?workflow=true&id={HUGE}", "id"),
        (f"/jobs?id={HUGE}", "id"),
        (f"/workflows?completed=true&num=-{HUGE}", "num"),
    ],
)
def test_huge_numbers_in_lists_are_a_400(shared_noop: Sandbox, query: str, name: str) -> None:
    r = shared_noop.get(query)
    assert r.status_code == 400, r.text
    assert r.json() == {
        "error": f"{name}={int(query.rsplit('=', 1)[1])} is out of range (at most {2**63 - 1})"
    }
    assert "Traceback" not in shared_noop.log.read_text()


@pytest.mark.parametrize("param", ["offset", "node"])
def test_huge_stream_offset_is_a_400(shared_noop: Sandbox, param: str) -> None:
    job_id = shared_noop.submit(make_job())
    shared_noop.wait_job(job_id)
    r = shared_noop.get(f"/jobs/{job_id}/stdout?{param}={HUGE}")
    assert r.status_code == 400, r.text
    assert r.json()["error"].startswith(f"{param}={HUGE} is out of range")
    r = shared_noop.get(f"/jobs/{job_id}/stdout?offset={2**63 - 1}")
    assert r.status_code == 200, r.text


def _three_jobs(box: Sandbox) -> list[int]:
    return [box.submit(make_job(labels={"n": str(i)})) for i in range(3)]


@pytest.mark.slow
def test_ids_of_a_wiped_data_folder_never_repeat(tmp_path: Path) -> None:
    with start_sandbox(tmp_path / "data") as box:
        old = _three_jobs(box)
    box.kill() if box.proc.poll() is None else None
    import shutil

    shutil.rmtree(tmp_path / "data")
    with start_sandbox(tmp_path / "data") as box:
        new = _three_jobs(box)
    assert min(new) > max(old), (old, new)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["zero", "delete", "header", "pages"])
def test_lost_or_damaged_database_is_refused_at_start(tmp_path: Path, damage: str) -> None:
    box = start_sandbox(tmp_path / "data")
    _three_jobs(box)
    box.kill() if damage in ("zero", "delete") else box.stop()  # stop: all in the file
    db = box.data / "sandbox.db"
    if damage == "zero":
        db.write_bytes(b"")
    elif damage == "delete":
        db.unlink()
    else:
        with open(db, "r+b") as f:
            f.seek(0 if damage == "header" else 4096)
            f.write(b"this is not a database" * 400)
    done = _sandbox_cli(tmp_path, data=box.data)
    assert done.returncode == 2, done.stdout + done.stderr
    assert str(db) in done.stderr
    assert "move the data folder aside" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_truncated_wal_after_kill_never_reuses_ids(tmp_path: Path) -> None:
    box = start_sandbox(tmp_path / "data")
    old = _three_jobs(box)
    box.kill()
    (box.data / "sandbox.db-wal").write_bytes(b"")
    done = _sandbox_cli(tmp_path, "--help", data=box.data)  # the options parse
    assert done.returncode == 0
    try:
        again = box.restart()
    except Exception as exc:  # refused: it must say which file
        assert "sandbox.db" in str(exc)
        return
    with again:
        new = _three_jobs(again)
    assert not set(new) & set(old), (old, new)
    assert min(new) > max(old)


def _start_split(tmp_path: Path, *args: str) -> tuple[str, str]:
    """Start ``promspec sandbox`` until it serves, stop it; its (stdout, stderr)."""
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    argv = [sys.executable, "-m", "prominence_spec", "sandbox", "--port", "0",
            "--data", str(tmp_path / "data"), *args]  # fmt: skip
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen(argv, stdout=o, stderr=e)
    try:
        deadline = time.monotonic() + 30
        while "serving " not in out.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, err.read_text()
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(30)
    return out.read_text(), err.read_text()


def test_allow_remote_warns_on_stderr_and_names_the_real_address(tmp_path: Path) -> None:
    stdout, stderr = _start_split(
        tmp_path, "--executor", "noop", "--host", "0.0.0.0", "--allow-remote"
    )
    assert "cleartext" in stderr and "warning: listening on 0.0.0.0" in stderr
    assert "warning" not in stdout
    served = stdout.split("serving ", 1)[1].split()[0]
    assert "0.0.0.0" not in served and served.startswith("http://")


def test_host_executor_says_there_is_no_isolation(tmp_path: Path) -> None:
    _, stderr = _start_split(tmp_path, "--executor", "host")
    assert "runs every user's commands as you" in stderr
    assert "no isolation between users" in stderr


@pytest.mark.parametrize("extra", [{"show_all_users": "true"}, {"by_group": "true"}])
def test_accounting_never_shows_another_users_usage(
    shared_noop: Sandbox, extra: dict[str, str]
) -> None:
    suffix = "-".join(extra)  # fresh users for each case (the sandbox is shared)
    alice = shared_noop.token_for(f"alice-{suffix}")
    mallory = shared_noop.token_for(f"mallory-{suffix}")
    for _ in range(2):
        shared_noop.wait_job(shared_noop.submit(make_job(), token=alice), token=alice)
    params = {"start": "2000-01-01", "end": "2100-01-01", **extra}
    usage = shared_noop.get("/accounting", params=params, token=mallory).json()["usage"]
    assert f"alice-{suffix}" not in usage.get("users", {})
    assert all(g["numberOfJobs"] == 0 for g in usage.get("groups", {}).values())
    mine = shared_noop.get("/accounting", params=params, token=alice).json()["usage"]
    counts = [
        u["numberOfJobs"] for u in {**mine.get("users", {}), **mine.get("groups", {})}.values()
    ]
    assert counts == [2]


def _repeat_workflow(number: int, jobs: int = 4) -> dict[str, Any]:
    names = [f"j{i}" for i in range(jobs)]
    return {
        "name": "big",
        "jobs": [make_job(name=n) for n in names],
        "factories": [{"type": "repeat", "name": "r", "number": number, "jobs": names}],
    }


def _sweep_workflow(values: int) -> dict[str, Any]:
    axis = {"start": 1, "end": values, "step": 1}
    params = [{"name": f"p{i}", **axis} for i in range(4)]
    return {
        "name": "wide",
        "jobs": [make_job(name="j")],
        "factories": [{"type": "parameterSweep", "name": "s", "parameters": params, "jobs": ["j"]}],
    }


@pytest.mark.parametrize(
    ("workflow", "size"),
    [
        (_repeat_workflow(1_000_000), "4,000,000"),
        (_repeat_workflow(25_001), "100,004"),
        (_sweep_workflow(1000), "1,000,000,000,000"),
    ],  # fmt: skip
)
def test_oversized_workflow_is_refused_without_creating_anything(
    shared_noop: Sandbox, workflow: dict[str, Any], size: str
) -> None:
    db = shared_noop.data / "sandbox.db"
    before = db.stat().st_size
    r = shared_noop.post("/workflows", json=workflow)
    assert r.status_code == 400, r.text
    limit = "the sandbox creates at most 100,000 per workflow"
    assert r.json() == {"error": f"the workflow would create {size} jobs; {limit}"}
    assert db.stat().st_size < before + 1_000_000
    assert shared_noop.get("/health").status_code == 204


@pytest.mark.slow
def test_workflow_at_the_limit_is_accepted(shared_noop: Sandbox) -> None:
    r = shared_noop.post("/workflows", json=_repeat_workflow(25_000, 4))
    assert r.status_code == 201, r.text
    shared_noop.delete(f"/workflows/{r.json()['id']}")


@pytest.mark.slow
def test_queue_depth_warning_is_logged_once(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with start_sandbox(tmp_path / "data", args=("--latency", "300", "--max-jobs", "1")) as box:
        with ThreadPoolExecutor(80) as pool:
            codes = list(
                pool.map(lambda _: box.post("/jobs", json=make_job()).status_code, range(160))
            )
        assert codes == [201] * 160
        log = box.log.read_text()
    assert log.count("Task queue depth") == 1, log[-2000:]
    assert "shown once" in log
