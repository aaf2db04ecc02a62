"""The client's operations against a real host-executor sandbox: the output of a
workflow's jobs, following a running job, factory instances, workflow listings."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from test_sandbox_run import HOST_ARGS

from client_support import cli, sweep_spec
from fault_proxy import FaultProxy
from sandbox_support import Sandbox, make_job, poll_until, shared_sandbox, start_sandbox


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return shared_sandbox("host", HOST_ARGS)


def env_for(box: Sandbox, home: Path) -> dict[str, str]:
    return {"PROMINENCE_URL": box.url, "PROMINENCE_TOKEN": box.token, "HOME": str(home)}


def _submit(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    spec: Path,
    *extra: str,
) -> dict[str, Any]:
    code, out, err = cli(monkeypatch, capsys, ["submit", str(spec), "-f", "json", *extra], env)
    assert code == 0, err
    return dict(json.loads(out))


def _wait(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    *targets: str,
) -> None:
    code, _, err = cli(monkeypatch, capsys, ["wait", *targets, "--interval", "0.1"], env)
    assert code == 0, err


def test_stdout_of_a_spec_submitted_as_a_workflow_shows_every_job(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = sweep_spec(tmp_path, 3)
    env = env_for(box, tmp_path)
    (workflow,) = _submit(monkeypatch, capsys, env, spec, "--mode", "workflow")["submitted"]
    _wait(monkeypatch, capsys, env, str(spec))
    code, out, err = cli(monkeypatch, capsys, ["stdout", str(spec)], env)
    assert code == 0, err
    assert out.splitlines() == ["point 0", "point 1", "point 2"]
    headers = [line for line in err.splitlines() if line.startswith("==> job ")]
    assert [h.split()[3] for h in headers] == [f"{workflow['name']}/p-{i}" for i in range(3)]
    code, out, err = cli(monkeypatch, capsys, ["stderr", str(spec)], env)
    assert code == 0 and out == "", err
    code, out, _ = cli(monkeypatch, capsys, ["stdout", str(spec), "-f", "json"], env)
    records = json.loads(out)  # one JSON document: an array, one object per job
    assert [item["text"] for item in records] == [f"point {i}\n" for i in range(3)]


def test_stdout_of_a_workflow_says_which_jobs_have_not_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    spec = tmp_path / "slow.yaml"
    spec.write_text(
        "promspec:\n  sweep: {i: [0, 1]}\n  name: 'slow-{{ i }}'\n"
        "name: slow\nresources: {cpus: 1, memory: 1, disk: 10, walltime: 5}\n"
        "tasks:\n  - image: busybox\n    runtime: singularity\n"
        "    cmd: echo started {{ i }}; sleep 4\n"
    )
    with start_sandbox(tmp_path / "data", executor="host", args=["--max-jobs", "1"]) as one:
        env = env_for(one, tmp_path)
        (workflow,) = _submit(monkeypatch, capsys, env, spec, "--mode", "workflow")["submitted"]
        running = _wait_for_jobs(one, workflow["id"], "running")
        _wait_for_output(one, running["id"])
        code, out, err = cli(monkeypatch, capsys, ["stdout", str(spec)], env)
        assert code == 0, err
        assert out == f"started {running['name'][-1]}\n"
        headers = [line for line in err.splitlines() if line.startswith("==> job ")]
        assert len(headers) == 2
        waiting = [h for h in headers if h.endswith(" (no stdout: not started) <==")]
        assert len(waiting) == 1 and running["name"] not in waiting[0]


def _wait_for_jobs(box: Sandbox, workflow_id: int, status: str) -> dict[str, Any]:
    """The first of a workflow's jobs to reach ``status``, once two are listed."""
    params = {"workflow": "true", "id": workflow_id, "all": "1"}
    for _ in range(600):
        jobs = box.get("/jobs", params=params).json()
        found = [j for j in jobs if j["status"] == status]
        if len(jobs) == 2 and found:
            return dict(found[0])
        time.sleep(0.01)
    raise AssertionError(f"no job of workflow {workflow_id} became {status}: {jobs}")


def _wait_for_output(box: Sandbox, job_id: int) -> None:
    for _ in range(600):
        answer = box.get(f"/jobs/{job_id}/stdout")  # 404 until the job has started
        if answer.status_code == 200 and answer.text:
            return
        time.sleep(0.01)
    raise AssertionError(f"job {job_id} wrote nothing")


@pytest.mark.slow
def test_stdout_follow_prints_a_running_jobs_output_and_ends_with_it(
    box: Sandbox, tmp_path: Path
) -> None:
    job_id = box.submit(make_job("echo first; sleep 1.5; echo second"))
    box.wait_job(job_id, ("running",))
    proc = _start_cli(["stdout", str(job_id), "--follow"], env_for(box, tmp_path))
    assert proc.stdout is not None
    assert proc.stdout.readline() == "first\n"
    assert box.get(f"/jobs/{job_id}").json()[0]["status"] == "running"  # arrived while it ran
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert rest == "second\n"
    assert box.get(f"/jobs/{job_id}").json()[0]["status"] == "completed"


@pytest.mark.slow
def test_stdout_follow_of_a_workflows_job(box: Sandbox, tmp_path: Path) -> None:
    job = dict(make_job("echo first; sleep 1; echo second"), name="w")
    workflow = {"name": "follow-me", "jobs": [job]}
    posted = box.post("/workflows", json=workflow)
    assert posted.status_code == 201, posted.text
    wf_id = posted.json()["id"]
    params = {"workflow": "true", "id": wf_id, "all": "1"}
    for _ in range(600):
        jobs = box.get("/jobs", params=params).json()
        if jobs and jobs[0]["status"] == "running":
            break
        time.sleep(0.01)
    proc = _start_cli(["stdout", str(wf_id), "w", "--follow"], env_for(box, tmp_path))
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, out) == (0, "first\nsecond\n"), err
    assert box.get(f"/jobs/{jobs[0]['id']}").json()[0]["status"] == "completed"
    proc = _start_cli(["stdout", str(wf_id), "nosuch", "--follow"], env_for(box, tmp_path))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "has no job nosuch yet" in err


def test_stdout_of_a_factory_instance_by_workflow_id_job_name_and_instance(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = sweep_spec(tmp_path, 3)
    env = env_for(box, tmp_path)
    (workflow,) = _submit(monkeypatch, capsys, env, spec, "--mode", "factory")["submitted"]
    box.wait_workflow(workflow["id"])
    for instance in range(3):
        args = ["stdout", str(workflow["id"]), "p", str(instance)]
        code, out, err = cli(monkeypatch, capsys, args, env)
        assert (code, out) == (0, f"point {instance}\n"), err
    code, out, _ = cli(monkeypatch, capsys, ["stderr", str(workflow["id"]), "p", "1"], env)
    assert (code, out) == (0, "")


def test_factory_submit_labels_the_workflow_and_a_rerun_sends_nothing(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = sweep_spec(tmp_path, 4)
    proxy = FaultProxy(("127.0.0.1", _port(box)))
    try:
        env = {**env_for(box, tmp_path), "PROMINENCE_URL": proxy.url}
        first = _submit(monkeypatch, capsys, env, spec, "--mode", "factory")
        (workflow,) = first["submitted"]
        assert [r.path for r in proxy.posts()] == ["/workflows"]
        again = _submit(monkeypatch, capsys, env, spec, "--mode", "factory")
        assert again["submitted"] == [] and [w["id"] for w in again["existing"]] == [workflow["id"]]
        assert len(proxy.posts()) == 1  # the re-run sent nothing
    finally:
        proxy.close()
    (record,) = box.get(f"/workflows/{workflow['id']}").json()
    assert record["labels"]["promspecid"] == f"{first['run']}-0"
    assert record["labels"]["promspecrun"] == first["run"]
    assert record["factories"][0]["type"] == "parameterSweep"
    box.wait_workflow(workflow["id"])
    jobs = box.get("/jobs", params={"workflow": "true", "id": workflow["id"], "all": "1"})
    names = sorted(j["name"] for j in jobs.json())
    assert names == [f"{workflow['name']}/p/{i}" for i in range(4)]


def test_list_workflows_shows_submitted_workflows(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = sweep_spec(tmp_path, 2)
    env = env_for(box, tmp_path)
    (workflow,) = _submit(monkeypatch, capsys, env, spec, "--mode", "workflow")["submitted"]
    box.wait_workflow(workflow["id"])
    code, out, err = cli(monkeypatch, capsys, ["list", "--workflows", "--all", "-f", "json"], env)
    assert code == 0, err
    listed = {item["id"]: item for item in json.loads(out)}
    assert listed[workflow["id"]]["name"] == workflow["name"]
    assert listed[workflow["id"]]["status"] == "completed"
    code, out, err = cli(monkeypatch, capsys, ["list", "-w", "--all"], env)
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split() == ["ID", "NAME", "STATUS", "CREATED", "ELAPSED", "REASON"]
    (row,) = [r for r in rows if r.split()[0] == str(workflow["id"])]
    assert row.split()[1:3] == [workflow["name"], "completed"] and "2/2 done" in row
    code, out, _ = cli(monkeypatch, capsys, ["list", "-f", "json", "--all"], env)
    assert workflow["id"] not in {item["id"] for item in json.loads(out)}  # jobs, not workflows


def test_status_of_a_workflow_id_without_w_says_it_looked_for_a_job(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = sweep_spec(tmp_path, 1)
    env = env_for(box, tmp_path)
    (workflow,) = _submit(monkeypatch, capsys, env, spec, "--mode", "workflow")["submitted"]
    ident = str(workflow["id"])
    code, out, err = cli(monkeypatch, capsys, ["status", ident], env)
    assert code == 1
    assert err.splitlines() == [f"promspec: no such job: {ident} (for a workflow, add -w)"]
    code, out, err = cli(monkeypatch, capsys, ["status", "-w", ident, "-f", "json"], env)
    assert code == 0 and [r["id"] for r in json.loads(out)] == [workflow["id"]], err
    code, _, err = cli(monkeypatch, capsys, ["status", "-w", "424242"], env)
    assert code == 1 and err.splitlines() == ["promspec: no such workflow: 424242"]


def _port(box: Sandbox) -> int:
    return int(box.url.split(":")[2].split("/")[0])


def _start_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PROMINENCE_")}
    full_env.update(env)
    return subprocess.Popen(
        [sys.executable, "-m", "prominence_spec", *args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_status_shows_a_short_jobs_time_to_the_hundredth(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The events are whole seconds, so a 0.3 s job showed 0.0s: ELAPSED of a finished
    job is its tasks' wall time, shown as precisely as it is known (issue 18)."""
    env = env_for(box, tmp_path)
    ident = box.post("/jobs", json=make_job("sleep 0.3", name="short")).json()["id"]
    box.wait_job(ident)
    code, out, err = cli(monkeypatch, capsys, ["status", str(ident)], env)
    assert code == 0, err
    header, row = out.splitlines()
    elapsed = row.split()[-1]  # the last column, REASON, is empty
    assert re.fullmatch(r"\d\.\d\ds", elapsed) and 0.3 <= float(elapsed[:-1]) < 10, row


def test_status_of_an_unknown_id_prints_no_empty_table(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = cli(monkeypatch, capsys, ["status", "987654"], env_for(box, tmp_path))
    assert (code, out) == (1, "")
    assert err.splitlines() == ["promspec: no such job: 987654 (for a workflow, add -w)"]


def test_durations_keep_their_precision_below_a_minute() -> None:
    from prominence_spec.cli._client_common import duration

    assert [duration(x) for x in (0.55, 0, 3, 9.999, 12.34, 59.0, 61, 3725)] == [
        "0.55s", "0s", "3s", "10.0s", "12.3s", "59s", "1m01s", "1h02m05s",
    ]  # fmt: skip


def test_delete_sends_one_request_and_says_which_had_already_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One running job, three pending behind it (--max-jobs 1): delete sends one
    DELETE /jobs?id=..., so no pending job starts in the slot the running one frees; a
    second delete says they had already finished (exit 0), an unknown id is exit 1."""
    with start_sandbox(tmp_path / "data", executor="host", args=["--max-jobs", "1"]) as box:
        ids = [box.post("/jobs", json=make_job("sleep 60")).json()["id"] for _ in range(4)]
        poll_until(lambda: box.get(f"/jobs/{ids[0]}").json()[0]["status"] == "running")
        proxy = FaultProxy(("127.0.0.1", _port(box)))
        try:
            env = {"PROMINENCE_URL": proxy.url, "PROMINENCE_TOKEN": box.token}
            env["HOME"] = str(tmp_path)
            code, out, err = cli(monkeypatch, capsys, ["delete", *map(str, ids)], env)
            assert (code, err) == (0, "")
            assert out.splitlines() == [f"deleted {i}" for i in ids]
            deletes = [r.path for r in proxy.requests if r.method == "DELETE"]
            assert deletes == [f"/jobs?id={'%2C'.join(map(str, ids))}"]
            for ident in ids:
                record = box.wait_job(ident)
                assert record["status"] == "deleted"
                started = "startTime" in record.get("events", {})
                assert started == (ident == ids[0]), record  # no pending one ever started
            code, out, err = cli(monkeypatch, capsys, ["delete", *map(str, ids), "-f", "json"], env)
            assert code == 0, err
            assert [(d["id"], d["deleted"], d["already"]) for d in json.loads(out)] == [
                (i, False, "deleted") for i in ids
            ]
            code, out, err = cli(monkeypatch, capsys, ["delete", str(ids[0]), "987654"], env)
            assert code == 1
            assert out == f"{ids[0]}: had already finished (deleted)\n"
            assert err == "promspec: 987654: no such job\n"
        finally:
            proxy.close()
