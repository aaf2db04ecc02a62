"""PROMINENCE's "Using the API" page, done by hand with curl and done with promspec, on the
same sandbox: the answers agree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from client_support import cli
from sandbox_support import Sandbox, shared_sandbox

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")

TESTPI = {  # the page's testpi.json
    "resources": {"memory": 1, "cpus": 1, "nodes": 1, "disk": 10},
    "name": "calculate-pi",
    "tasks": [{"image": "eoscprominence/testpi", "runtime": "singularity"}],
}


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return shared_sandbox("host")


def curl(box: Sandbox, *args: str) -> tuple[int, bytes]:
    """curl as the page writes it, with the token in $ACCESS_TOKEN; (status, body)."""
    script = 'curl -s -w "\n%{http_code}" -H "Authorization: Bearer $ACCESS_TOKEN" "$@"'
    env = {**os.environ, "ACCESS_TOKEN": box.token}
    out = subprocess.run(
        ["sh", "-c", script, "curl", *args], capture_output=True, env=env, timeout=30, check=True
    ).stdout
    body, _, status = out.rpartition(b"\n")
    return int(status), body


def env_for(box: Sandbox, home: Path) -> dict[str, str]:
    return {"PROMINENCE_URL": box.url, "PROMINENCE_TOKEN": box.token, "HOME": str(home)}


def job_spec(folder: Path, job: Mapping[str, object], name: str) -> Path:
    (folder / ".git").mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(job), encoding="utf-8")
    return path


@pytest.mark.slow
def test_page_sequence_and_promspec_agree(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = env_for(box, tmp_path)
    (tmp_path / "testpi.json").write_text(json.dumps(TESTPI))
    # Submitting a job
    status, body = curl(
        box,
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        f"-d@{tmp_path / 'testpi.json'}",
        box.url + "/jobs",
    )
    assert status == 201
    by_curl = json.loads(body)["id"]
    code, out, err = cli(
        monkeypatch,
        capsys,
        ["submit", str(job_spec(tmp_path, TESTPI, "testpi.json")), "-f", "json"],
        env,
    )
    assert code == 0, err
    by_promspec = json.loads(out)["submitted"][0]["id"]
    assert by_promspec > by_curl
    box.wait_job(by_curl)
    box.wait_job(by_promspec)
    # Checking the status of a job
    for ident in (by_curl, by_promspec):
        status, body = curl(box, f"{box.url}/jobs/{ident}")
        code, out, _ = cli(monkeypatch, capsys, ["describe", str(ident), "-f", "json"], env)
        assert status == 200 and code == 0
        assert json.loads(out) == json.loads(body)
    record = json.loads(out)[0]
    assert record["name"] == "calculate-pi" and record["labels"]["promspecid"].endswith("-0")
    # Listing all (active) jobs, and completed ones, with num
    for query, args in [
        ("", []),
        ("?completed=true", ["--completed"]),
        ("?completed=true&num=2", ["--completed", "--num", "2"]),
    ]:
        status, body = curl(box, f"{box.url}/jobs{query}")
        code, out, _ = cli(monkeypatch, capsys, ["list", *args, "-f", "json"], env)
        assert status == 200 and code == 0
        assert json.loads(out) == sorted(json.loads(body), key=lambda j: j["id"]), query
    # Getting the standard output or error
    for stream in ("stdout", "stderr"):
        status, body = curl(box, f"{box.url}/jobs/{by_promspec}/{stream}")
        code, out, _ = cli(monkeypatch, capsys, [stream, str(by_promspec)], env)
        assert (status == 200) == (code == 0)
        if status == 200:
            assert out.encode() == body


def test_deleting_jobs_agrees(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = env_for(box, tmp_path)
    sleeper = {
        **TESTPI,
        "name": "sleeper",
        "tasks": [{"image": "busybox", "runtime": "singularity", "cmd": "sleep 60"}],
    }
    first = box.submit(sleeper)
    code, out, _ = cli(
        monkeypatch,
        capsys,
        ["submit", str(job_spec(tmp_path, sleeper, "sleeper.json")), "-f", "json"],
        env,
    )
    second = json.loads(out)["submitted"][0]["id"]
    for ident in (first, second):
        box.wait_job(ident, ("running",))
    status, body = curl(box, "-X", "DELETE", f"{box.url}/jobs/{first}")
    assert status == 200 and json.loads(body) == {}
    code, out, _ = cli(monkeypatch, capsys, ["delete", str(second)], env)
    assert code == 0 and out == f"deleted {second}\n"
    ended = [box.wait_job(ident) for ident in (first, second)]
    assert [(j["status"], j.get("statusReason")) for j in ended] == [
        ("deleted", "Job deleted by user")
    ] * 2
    # and again: the server answers "No such job(s)" for a job that has ended; promspec
    # reads the record first and says what happened to it, which is not a failure
    status, body = curl(box, "-X", "DELETE", f"{box.url}/jobs/{first}")
    code, out, err = cli(monkeypatch, capsys, ["delete", str(second)], env)
    assert (status, json.loads(body)) == (400, {"error": "No such job(s)"})
    assert (code, out, err) == (0, f"{second}: had already finished (deleted)\n", "")
