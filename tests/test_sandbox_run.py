"""Jobs really running on the host executor: environment, inputs, artifacts, outputs,
walltime, retries, sidecars, deletion (docs/sandbox.md)."""

from __future__ import annotations

import atexit
import base64
import http.server
import io
import os
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox_support import Sandbox, make_job, shared_sandbox
from support import serving

#: The folder jobs of the shared host sandbox may name local artifacts from.
ARTIFACTS = Path(tempfile.mkdtemp(prefix="promspec-artifacts-"))
atexit.register(shutil.rmtree, ARTIFACTS, ignore_errors=True)
HOST_ARGS = ("--walltime-minute", "0.5", "--kill-grace", "0.2", "--max-jobs", "6",
             "--artifacts-dir", str(ARTIFACTS))  # fmt: skip


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return shared_sandbox("host", HOST_ARGS)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _run(box: Sandbox, job: dict[str, Any], **kw: Any) -> tuple[int, dict[str, Any]]:
    job_id = box.submit(job)
    return job_id, box.wait_job(job_id, **kw)


def test_environment_of_a_task(box: Sandbox) -> None:
    cmd = ("echo cpus=$PROMINENCE_CPUS mem=$PROMINENCE_MEMORY id=$PROMINENCE_JOB_ID "
           "url=$PROMINENCE_URL home=$HOME n=$NUM wf=${PROMINENCE_WORKFLOW_ID:-none} "
           "pwd=$(pwd); echo $$HOME")  # fmt: skip
    job = make_job(cmd, resources={"cpus": 2, "memory": 3, "disk": 10})
    job["tasks"][0]["env"] = {"NUM": 7}
    job_id, done = _run(box, job)
    assert done["status"] == "completed", done
    first, second = box.get(f"/jobs/{job_id}/stdout").text.splitlines()
    fields = dict(part.split("=", 1) for part in first.split())
    assert fields["cpus"] == "2" and fields["mem"] == "3" and fields["id"] == str(job_id)
    assert fields["url"] == box.url and fields["n"] == "7" and fields["wf"] == "none"
    assert fields["home"] == fields["pwd"]  # HOME is the job's scratch folder
    assert Path(fields["pwd"]).is_relative_to(box.data)
    assert second == fields["home"]  # "$$" became "$" in the job-id pass


def test_job_token_works_against_the_sandbox(box: Sandbox) -> None:
    job_id, done = _run(box, make_job('printf %s "$PROMINENCE_TOKEN"'))
    token = box.get(f"/jobs/{job_id}/stdout").text
    assert box.get(f"/jobs/{job_id}", token=token).json()[0]["id"] == job_id


def test_inputs_are_written_inside_the_job_folder(box: Sandbox) -> None:
    names = ["../../../escape-a", "/tmp/escape-b", "a/../../escape-c", "run.sh"]
    inputs: list[dict[str, Any]] = [
        {"filename": n, "content": _b64(f"content of {n}\n")} for n in names
    ]
    inputs[-1].update(content=_b64("#!/bin/sh\necho ran\n"), executable=True)
    job_id, done = _run(box, make_job("ls; ./run.sh", inputs=inputs))
    assert done["status"] == "completed", done
    listing = box.get(f"/jobs/{job_id}/stdout").text.split()
    assert listing == ["escape-a", "escape-b", "escape-c", "run.sh", "ran"]
    assert not any(p.name.startswith("escape") for p in box.data.rglob("escape-*")
                   if "scratch" not in p.parts)  # fmt: skip
    assert not Path("/tmp/escape-b").exists() or Path("/tmp/escape-b").read_text() != (
        "content of /tmp/escape-b\n")  # fmt: skip
    assert done["inputs"] == inputs  # echoed back with content


def test_input_names_the_server_cannot_write(box: Sandbox) -> None:
    for name in (".", "..", "dir/", "x" * 300):
        r = box.post("/jobs", json=make_job("true", inputs=[{"filename": name, "content": ""}]))
        assert (r.status_code, r.json()) == (400, {"error": "Unable to write input file to disk"})


def _tarball(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_local_artifact_is_unpacked(box: Sandbox) -> None:
    art = _tarball(ARTIFACTS / "bundle.tar.gz", {"bundle/data.txt": b"42\n"})
    job_id, done = _run(box, make_job("cat bundle/data.txt", artifacts=[{"url": str(art)}]))
    assert done["status"] == "completed", done
    assert box.get(f"/jobs/{job_id}/stdout").text == "42\n"
    job_id, done = _run(box, make_job("cat bundle/data.txt",
                                      artifacts=[{"url": art.as_uri()}]))  # fmt: skip
    assert done["status"] == "completed"


def test_hostile_artifact_does_not_escape(box: Sandbox) -> None:
    art = _tarball(ARTIFACTS / "evil.tgz", {"../../../../tmp/promspec-evil": b"x"})
    _, done = _run(box, make_job("true", artifacts=[{"url": str(art)}]))
    assert (done["status"], done["statusReason"]) == ("failed", "Artifact uncompress failed")
    assert not Path("/tmp/promspec-evil").exists()


def test_loopback_and_remote_artifacts(box: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "served.txt").write_text("served\n")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, directory=str(tmp_path), **kw)

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Quiet) as base:
        url = f"{base}/served.txt"
        job_id, done = _run(box, make_job("cat served.txt", artifacts=[{"url": url}]))
        assert done["status"] == "completed", done
        assert box.get(f"/jobs/{job_id}/stdout").text == "served\n"
    _, done = _run(box, make_job("true", artifacts=[{"url": "https://example.org/x.tgz"}]))
    assert (done["status"], done["statusReason"]) == ("failed", "Artifact download failed")


def test_outputs_are_downloadable(box: Sandbox) -> None:
    cmd = "echo one > one.txt; mkdir -p res/sub; echo two > res/sub/two.txt"
    _, done = _run(box, make_job(cmd, outputFiles=["one.txt"], outputDirs=["res"]))
    assert done["status"] == "completed", done
    (out,) = done["outputFiles"]
    assert out["name"] == "one.txt" and out["size"] == 4
    assert requests.get(out["url"], timeout=10).text == "one\n"  # presigned: no token
    (folder,) = done["outputDirs"]
    assert folder["url"].split("?")[0].endswith("/res.tgz")
    data = requests.get(folder["url"], timeout=10).content
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.extractfile("res/sub/two.txt")
        assert member is not None
        assert member.read() == b"two\n"
    assert (
        requests.get(out["url"].replace("signature=", "signature=0"), timeout=10).status_code == 403
    )


def test_missing_or_escaping_output_fails_the_stageout(box: Sandbox) -> None:
    for name in ("missing.txt", "../../secret", "/etc/passwd", "link.txt"):
        _, done = _run(box, make_job("ln -s /etc/passwd link.txt", outputFiles=[name]))
        assert done["status"] == "failed", name
        assert done["statusReason"] == "Stageout failed due to no such file or directory"
        assert done["outputFiles"] == [{"name": name, "url": ""}]


def test_walltime_kills_the_process_group(box: Sandbox) -> None:
    cmd = "sleep 30 & echo $! > bg.pid; cat bg.pid; sleep 30"
    started = time.monotonic()
    job_id, done = _run(box, make_job(cmd, resources={"cpus": 1, "memory": 1, "disk": 10,
                                                      "walltime": 1}))  # fmt: skip
    assert (done["status"], done["statusReason"]) == ("killed", "Walltime limit exceeded")
    assert time.monotonic() - started < 10
    assert not _alive(int(box.get(f"/jobs/{job_id}/stdout").text))


def test_failures_retries_and_task_policies(box: Sandbox) -> None:
    _, done = _run(box, make_job("echo x; exit 3", policies={"maximumRetries": 2,
                                                             "maximumTaskRetries": 1}))  # fmt: skip
    assert (done["status"], done["statusReason"]) == ("failed", "Unable to execute task(s)")
    assert done["execution"]["retries"] == 2
    assert done["execution"]["tasks"][0] == {**done["execution"]["tasks"][0], "exitCode": 3,
                                             "retries": 1}  # fmt: skip
    job = make_job("exit 1", policies={"ignoreTaskFailures": True})
    job["tasks"].append(dict(job["tasks"][0], cmd="echo second"))
    job_id, done = _run(box, job)
    assert done["status"] == "failed"
    assert box.get(f"/jobs/{job_id}/stdout").text == "second\n"
    assert [t["exitCode"] for t in done["execution"]["tasks"]] == [1, 0]
    _, done = _run(box, make_job("exit 1", policies={"reportJobSuccessOnTaskFailure": True}))
    assert done["status"] == "completed"
    assert done["execution"]["tasks"][0]["exitCode"] == 1


def test_memory_use_is_measured(box: Sandbox) -> None:
    cmd = f"{sys.executable} -c 'x = bytearray(60 << 20); import time; time.sleep(0.4)'"
    _, done = _run(box, make_job(cmd))
    assert done["execution"]["tasks"][0]["maxResidentSetSizeKB"] > 60 * 1024
    assert done["execution"]["maxMemoryUsageKB"] > 60 * 1024


def test_task_without_cmd_fails_clearly(box: Sandbox) -> None:
    _, done = _run(box, make_job())
    assert done["status"] == "failed"
    assert "no cmd" in done["statusReason"]


def test_tasks_in_order_with_a_sidecar(box: Sandbox) -> None:
    job = make_job("sleep 0.3; wc -l < side.log > n.txt; cat side.pid", outputFiles=["n.txt"])
    side = {
        "image": "busybox",
        "runtime": "singularity",
        "type": "sidecar",
        "cmd": "echo $$$$ > side.pid; while true; do echo s >> side.log; sleep 0.05; done",
    }
    job["tasks"].insert(0, side)
    job["tasks"].append(dict(job["tasks"][-1], cmd="echo after"))
    job_id, done = _run(box, job)
    assert done["status"] == "completed", done
    assert len(done["execution"]["tasks"]) == 2  # sidecars are not listed
    pid_line, after = box.get(f"/jobs/{job_id}/stdout").text.splitlines()
    assert after == "after"
    count = requests.get(done["outputFiles"][0]["url"], timeout=10).text
    assert int(count) >= 2
    assert not _alive(int(pid_line))


def test_stdout_while_running_and_delete_kills(box: Sandbox) -> None:
    job_id = box.submit(make_job("echo first; echo $$$$ > me.pid; cat me.pid; sleep 30"))
    deadline = time.monotonic() + 10
    text = ""
    while time.monotonic() < deadline and len(text.splitlines()) < 2:
        text = box.get(f"/jobs/{job_id}/stdout").text
        time.sleep(0.05)
    first, pid = text.splitlines()
    assert first == "first"
    assert box.get(f"/jobs/{job_id}/stdout", params={"offset": "6"}).text == pid + "\n"
    assert (
        box.get(
            f"/jobs/{job_id}",
        ).json()[0]["status"]
        == "running"
    )
    assert box.delete(f"/jobs/{job_id}").json() == {}
    done = box.wait_job(job_id)
    assert (done["status"], done["statusReason"]) == ("deleted", "Job deleted by user")
    deadline = time.monotonic() + 5
    while _alive(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(int(pid))
