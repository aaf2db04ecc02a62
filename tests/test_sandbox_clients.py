"""Clients that know nothing of promspec, used against the sandbox unchanged: the curl
and requests examples of PROMINENCE's "Using the API" page, and the official CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from test_sandbox_run import HOST_ARGS

from sandbox_support import Sandbox, shared_sandbox

# The job of the "Using the API" page, unchanged.
TESTPI: dict[str, Any] = {
    "resources": {"memory": 1, "cpus": 1, "nodes": 1, "disk": 10},
    "name": "calculate-pi",
    "tasks": [{"image": "eoscprominence/testpi", "runtime": "singularity"}],
}


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return shared_sandbox("host", HOST_ARGS)


def _curl(box: Sandbox, *args: str) -> str:
    env = {**os.environ, "ACCESS_TOKEN": box.token}
    done = subprocess.run(["curl", "--silent", "--show-error", *args], env=env,
                          capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
    return done.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_using_the_api_with_curl(box: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "testpi.json").write_text(json.dumps(TESTPI, indent=2))
    auth = f"Authorization: Bearer {box.token}"
    head = _curl(box, "-i", "-X", "POST", "-H", auth, "-H", "Content-Type: application/json",
                 f"-d@{tmp_path / 'testpi.json'}", f"{box.url}/jobs")  # fmt: skip
    headers, body = head.split("\n\n", 1)
    assert headers.startswith("HTTP/1.1 201 CREATED")
    job_id = json.loads(body)["id"]
    (job,) = json.loads(_curl(box, "-H", auth, f"{box.url}/jobs/{job_id}"))
    assert job["name"] == "calculate-pi" and job["resources"] == TESTPI["resources"]
    assert job["tasks"] == TESTPI["tasks"] and "createTime" in job["events"]
    busy = dict(TESTPI, tasks=[dict(TESTPI["tasks"][0], cmd="sleep 30")])
    (tmp_path / "busy.json").write_text(json.dumps(busy))
    posted = _curl(box, "-X", "POST", "-H", auth, "-H", "Content-Type: application/json",
                   f"-d@{tmp_path / 'busy.json'}", f"{box.url}/jobs")  # fmt: skip
    busy_id = json.loads(posted)["id"]
    active = json.loads(_curl(box, "-H", auth, f"{box.url}/jobs"))
    assert busy_id in [j["id"] for j in active]
    assert {"events", "id", "name", "status", "tasks"} <= set(active[0])
    box.wait_job(job_id)  # the host executor cannot run an image's default command
    completed = json.loads(_curl(box, "-H", auth, f"{box.url}/jobs?completed=true"))
    assert len(completed) == 1 and completed[0]["status"] in ("failed", "completed", "deleted",
                                                              "killed")  # fmt: skip
    several = json.loads(_curl(box, "-H", auth, f"{box.url}/jobs?completed=true&num=3"))
    assert 1 <= len(several) <= 3
    assert _curl(box, "-H", auth, f"{box.url}/jobs/{busy_id}/stdout") == ""
    deleted = _curl(box, "-i", "-H", auth, "-X", "DELETE", f"{box.url}/jobs/{busy_id}")
    assert deleted.startswith("HTTP/1.1 200 OK") and deleted.endswith("{}\n")


def test_using_the_api_with_requests(box: Sandbox, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".prominence").mkdir(parents=True)
    shutil.copy(box.token_file, home / ".prominence" / "token")
    script = textwrap.dedent(f"""
        import json
        import os
        import requests

        job = {TESTPI!r}
        if os.path.isfile(os.path.expanduser('~/.prominence/token')):
            with open(os.path.expanduser('~/.prominence/token')) as json_data:
                data = json.load(json_data)
            if 'access_token' in data:
                token = data['access_token']
            else:
                print('The saved token file does not contain access_token')
                exit(1)
        headers = {{'Authorization':'Bearer %s' % token}}
        response = requests.post('{box.url}/jobs', json=job, headers=headers)
        if response.status_code == 201:
            if 'id' in response.json():
                print('Job submitted with id %d' % response.json()['id'])
        else:
            print('Job submission failed with http status code %d and error: %s' % (
                response.status_code, response.text))
    """)
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, "HOME": str(home)},
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    assert done.stdout.startswith("Job submitted with id "), done.stdout + done.stderr


def _prominence(box: Sandbox, home: Path, *args: str) -> str:
    exe = Path(sys.executable).with_name("prominence")
    env = {**os.environ, "HOME": str(home), "PROMINENCE_URL": box.url}
    env.pop("PROMINENCE_TOKEN", None)
    done = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True,
                          timeout=60, cwd=home)  # fmt: skip
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


@pytest.mark.slow
def test_official_cli(box: Sandbox, tmp_path: Path) -> None:
    if not Path(sys.executable).with_name("prominence").exists():
        pytest.skip("the official prominence CLI is not installed (test extra)")
    home = tmp_path / "home"
    (home / ".prominence").mkdir(parents=True)
    shutil.copy(box.token_file, home / ".prominence" / "token")
    out = _prominence(box, home, "create", "--name", "cli-echo", "busybox", "echo from-cli")
    job_id = int(out.strip().rsplit(" ", 1)[1])
    assert out.startswith("Job created with id")
    box.wait_job(job_id)
    described = json.loads(_prominence(box, home, "describe", str(job_id)))
    assert described["name"] == "cli-echo" and described["status"] == "completed"
    assert _prominence(box, home, "stdout", str(job_id)).strip() == "from-cli"
    (home / "job.json").write_text(json.dumps(dict(TESTPI, tasks=[dict(TESTPI["tasks"][0],
                                                                    cmd="sleep 30")])))  # fmt: skip
    out = _prominence(box, home, "run", "job.json")
    busy = int(out.strip().rsplit(" ", 1)[1])
    listing = _prominence(box, home, "list")
    assert str(busy) in listing and "calculate-pi" in listing
    assert str(job_id) in _prominence(box, home, "list", "--all")
    assert _prominence(box, home, "delete", str(busy)).strip() == "Success"
    wf = {"name": "cliwf", "jobs": [dict(TESTPI, name="a", tasks=[dict(TESTPI["tasks"][0],
                                                                     cmd="echo wf")])]}  # fmt: skip
    (home / "wf.yaml").write_text(json.dumps(wf))
    out = _prominence(box, home, "run", "wf.yaml")
    assert out.startswith("Workflow created with id")
    wf_id = int(out.strip().rsplit(" ", 1)[1])
    box.wait_workflow(wf_id)
    assert "cliwf" in _prominence(box, home, "list", "workflows", "--all")
