"""Workflows on the host executor: DAG order, failed parents, retries, re-run, factories
expanded and substituted as the server and its worker do (job-spec reference 4.5, 9.4)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import requests
from test_sandbox_run import HOST_ARGS

from sandbox_support import Sandbox, make_job, shared_sandbox


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return shared_sandbox("host", HOST_ARGS)


def _job(name: str, cmd: str, **over: Any) -> dict[str, Any]:
    return dict(make_job(cmd, **over), name=name)


def _wf(jobs: list[dict[str, Any]], **over: Any) -> dict[str, Any]:
    return {"name": f"wf-{uuid.uuid4().hex[:8]}", "jobs": jobs, **over}


def _submit(box: Sandbox, wf: dict[str, Any]) -> int:
    r = box.post("/workflows", json=wf)
    assert r.status_code == 201, r.text
    wf_id: int = r.json()["id"]
    return wf_id


def _jobs_of(box: Sandbox, wf_id: int) -> dict[str, dict[str, Any]]:
    r = box.get("/jobs", params={"workflow": "true", "id": wf_id, "all": "1", "detail": "1"})
    return {j["name"].split("/", 1)[1]: j for j in r.json()}


def test_dag_runs_children_after_parents(box: Sandbox) -> None:
    wf = _wf(
        [_job("a", "echo a"), _job("b", "echo b"), _job("c", "echo c"), _job("d", "echo d")],
        dependencies={"a": ["b", "c"], "b": ["d"], "c": ["d"]},
    )
    wf_id = _submit(box, wf)
    done = box.wait_workflow(wf_id)
    assert done["status"] == "completed"
    assert done["progress"] == {"total": 4, "done": 4, "failed": 0, "queued": 0, "waiting": 0}
    jobs = _jobs_of(box, wf_id)
    assert jobs["a"]["id"] < min(jobs["b"]["id"], jobs["c"]["id"]) < jobs["d"]["id"]
    assert jobs["d"]["events"]["createTime"] >= jobs["b"]["events"]["endTime"]
    assert jobs["b"]["name"] == f"{wf['name']}/b"
    assert box.get(f"/workflows/{wf_id}/b/stdout").text == "b\n"
    assert box.get(f"/workflows/{wf_id}/b/stderr").text == ""
    env_id = box.get(f"/jobs/{jobs['a']['id']}").json()[0]["id"]
    assert env_id == jobs["a"]["id"]
    assert done["name"] == wf["name"] and done["jobs"] == wf["jobs"]  # as submitted


def test_workflow_jobs_see_the_workflow_id(box: Sandbox) -> None:
    wf_id = _submit(box, _wf([_job("a", "echo $PROMINENCE_WORKFLOW_ID $$$$HOME")]))
    box.wait_workflow(wf_id)
    assert box.get(f"/workflows/{wf_id}/a/stdout").text.split()[0] == str(wf_id)
    # "$$$$" is collapsed once per pass: job id, then workflow id
    assert box.get(f"/workflows/{wf_id}/a/stdout").text.split()[1].startswith("/")


def test_failed_parent_stops_its_descendants(box: Sandbox) -> None:
    wf = _wf(
        [_job("a", "exit 1"), _job("b", "echo b"), _job("c", "echo c")], dependencies={"a": ["b"]}
    )
    wf_id = _submit(box, wf)
    done = box.wait_workflow(wf_id)
    assert done["status"] == "failed"
    assert done["progress"] == {"total": 3, "done": 1, "failed": 1, "queued": 0, "waiting": 1}
    assert sorted(_jobs_of(box, wf_id)) == ["a", "c"]  # b never ran
    r = box.get(f"/workflows/{wf_id}/b/stdout")
    assert (r.status_code, r.json()) == (400, {"error": "stdout does not exist"})


def test_workflow_retries_make_new_jobs(box: Sandbox) -> None:
    wf_id = _submit(box, _wf([_job("a", "exit 2")], policies={"maximumRetries": 2}))
    done = box.wait_workflow(wf_id)
    assert done["status"] == "failed"
    r = box.get("/jobs", params={"workflow": "true", "id": wf_id, "all": "1"})
    assert [j["status"] for j in r.json()] == ["failed"] * 3


def test_rerun_runs_only_what_failed(box: Sandbox, tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    wf = _wf([_job("a", "echo a"), _job("b", f"test -f {flag}")], dependencies={"a": ["b"]})
    wf_id = _submit(box, wf)
    assert box.wait_workflow(wf_id)["status"] == "failed"
    flag.write_text("")
    r = box.put(f"/workflows/{wf_id}")
    assert r.status_code == 200
    new_id = r.json()["id"]
    done = box.wait_workflow(new_id)
    assert done["status"] == "completed" and done["progress"]["done"] == 2
    assert sorted(_jobs_of(box, new_id)) == ["b"]
    assert box.get(f"/workflows/{new_id}/a/stdout").text == "a\n"


def test_rerun_refused_while_running_or_for_others(box: Sandbox) -> None:
    wf_id = _submit(box, _wf([_job("a", "sleep 30")]))
    box.wait_workflow(wf_id, ["running"])
    message = {"error": "Unable to find re-run workflow as the original workflow is not in "
                        "a suitable state"}  # fmt: skip
    assert box.put(f"/workflows/{wf_id}").json() == message
    assert box.put("/workflows/999999").json() == message
    assert box.delete(f"/workflows/{wf_id}").json() == {}
    done = box.wait_workflow(wf_id)
    assert (done["status"], done["statusReason"]) == ("deleted", "Workflow deleted by user")
    (job,) = _jobs_of(box, wf_id).values()
    job = box.wait_job(job["id"])
    assert job["statusReason"] == "Job part of a workflow which was deleted by user"
    r = box.delete(f"/workflows/{wf_id}")
    assert (r.status_code, r.json()) == (400, {"error": "No such workflow(s)"})
    assert box.delete("/workflows").json() == {
        "error": "a workflow id or list of workflow ids must be provided"
    }


def test_sweep_factory_instances(box: Sandbox) -> None:
    job = _job("scan", "echo x=$x y=${y} p=$PROMINENCE_PARAMETER_x > out_${x}.txt; cat out_$x.txt",
               outputFiles=["out_$x.txt"])  # fmt: skip
    factory = {"type": "parameterSweep", "name": "f", "jobs": ["scan"], "parameters": [
        {"name": "x", "start": 0.5, "end": 1.5, "step": 0.5}]}  # fmt: skip
    wf = _wf([job], factories=[factory])
    wf_id = _submit(box, wf)
    assert box.wait_workflow(wf_id)["status"] == "completed"
    jobs = _jobs_of(box, wf_id)
    assert sorted(jobs) == ["scan/0", "scan/1", "scan/2"]
    assert [jobs[f"scan/{i}"]["parameters"] for i in range(3)] == [{"x": 0.5}, {"x": 1},
                                                                  {"x": 1.5}]  # fmt: skip
    assert box.get(f"/workflows/{wf_id}/scan/1/stdout").text == "x=1 y= p=1\n"
    out = jobs["scan/2"]["outputFiles"][0]
    assert out["name"] == "out_1.5.txt"
    assert requests.get(out["url"], timeout=10).text == "x=1.5 y= p=1.5\n"
    assert jobs["scan/0"]["tasks"] == job["tasks"]  # as submitted, unsubstituted


def test_two_parameter_output_name_is_found_as_the_worker_looks(box: Sandbox) -> None:
    job = _job("j", "touch out-$a-$b.txt", outputFiles=["out-$a-$b.txt"])
    factory = {
        "type": "zip",
        "name": "z",
        "jobs": ["j"],
        "parameters": [{"name": "a", "values": [1]}, {"name": "b", "values": ["q"]}],
    }
    wf_id = _submit(box, _wf([job], factories=[factory]))
    box.wait_workflow(wf_id)
    (inst,) = _jobs_of(box, wf_id).values()
    # the worker substitutes only the last parameter, so it looks for out-$a-q.txt
    assert inst["statusReason"] == "Stageout failed due to no such file or directory"
    assert inst["outputFiles"][0]["name"] == "out-1-q.txt"  # the backend's full substitution


def test_repeat_factory(box: Sandbox) -> None:
    factory = {"type": "repeat", "name": "r", "jobs": ["j"], "number": 3}
    wf_id = _submit(box, _wf([_job("j", "echo $PROMINENCE_JOB_ID")], factories=[factory]))
    done = box.wait_workflow(wf_id)
    assert done["progress"]["done"] == 3
    assert {j["parameters"].__len__() for j in _jobs_of(box, wf_id).values()} == {0}


def _downloads(jobs: Iterable[dict[str, Any]]) -> dict[str, str]:
    out = {}
    for job in jobs:
        assert job["status"] == "completed", job
        for item in job["outputFiles"]:
            out[item["name"]] = requests.get(item["url"], timeout=10).text
    return out


def test_factory_instances_and_plain_jobs_leave_the_same_outputs(box: Sandbox) -> None:
    cmd = "echo mass=$mass energy=${energy} > scan_$energy.txt"
    template = _job("scan", cmd, outputFiles=["scan_${energy}.txt"])
    factory = {
        "type": "zip",
        "name": "z",
        "jobs": ["scan"],
        "parameters": [
            {"name": "mass", "values": [1, 2.5]},
            {"name": "energy", "values": ["low", 7]},
        ],
    }
    wf_id = _submit(box, _wf([template], factories=[factory]))
    box.wait_workflow(wf_id)
    from_factory = _downloads(_jobs_of(box, wf_id).values())
    plain = []
    for mass, energy in (("1", "low"), ("2.5", "7")):
        job = make_job(f"echo mass={mass} energy={energy} > scan_{energy}.txt",
                       outputFiles=[f"scan_{energy}.txt"])  # fmt: skip
        plain.append(box.wait_job(box.submit(job)))
    assert (
        from_factory
        == _downloads(plain)
        == {"scan_low.txt": "mass=1 energy=low\n", "scan_7.txt": "mass=2.5 energy=7\n"}
    )


def test_workflow_list_parameters(box: Sandbox) -> None:
    tag = uuid.uuid4().hex
    wf = _wf([_job("a", "true")], labels={"t": tag})
    wf_id = _submit(box, wf)
    box.wait_workflow(wf_id)

    def ids(**p: str) -> list[int]:
        return [w["id"] for w in box.get("/workflows", params=p).json()]

    assert wf_id not in ids(constraint=f"t={tag}")  # finished: not active
    assert ids(all="1", constraint=f"t={tag}") == [wf_id]
    assert ids(completed="true", num="-1", name=wf["name"]) == [wf_id]
    assert ids(id=str(wf_id)) == [wf_id]
    listed = box.get("/workflows", params={"id": str(wf_id)}).json()[0]
    assert set(listed) == {"name", "id", "status", "events", "progress"}
    detail = box.get("/workflows", params={"id": str(wf_id), "detail": "1"}).json()[0]
    assert detail["labels"] == {"t": tag}
    assert box.get("/workflows", params={"status": "x"}).json() == {
        "error": "invalid status specified"
    }
    assert box.get("/workflows/999999").json() == []
    other = box.token_for("intruder")
    assert box.get(f"/workflows/{wf_id}", token=other).json() == []
    r = box.get(f"/workflows/{wf_id}/a/stdout", token=other)
    assert (r.status_code, r.json()) == (403, {"error": "Not authorized to access this workflow"})
    assert box.put(f"/workflows/{wf_id}/clone").status_code == 201
    r = box.put(f"/workflows/{wf_id}/remove")
    assert (r.status_code, r.json()) == (400, {"error": "Workflow is no longer in the queue"})


def test_cycle_fails_the_workflow(box: Sandbox) -> None:
    wf = _wf([_job("a", "true"), _job("b", "true")], dependencies={"a": ["b"], "b": ["a"]})
    wf_id = _submit(box, wf)
    assert box.wait_workflow(wf_id)["status"] == "failed"


def test_workflow_leave_in_queue(box: Sandbox, tmp_path: Path) -> None:
    wf_id = _submit(box, _wf([_job("a", "true")], policies={"leaveInQueue": True}))
    box.wait_workflow(wf_id)
    assert wf_id in [w["id"] for w in box.get("/workflows").json()]
    assert box.put(f"/workflows/{wf_id}/remove").json() == {}
    assert wf_id not in [w["id"] for w in box.get("/workflows").json()]


# One spec, rendered by the real CLI in factory mode and in jobs mode, both run on the
# sandbox: the same output files arrive (issue: factory mode as the worker runs it).
FACTORY_SPECS = {
    "product, output named after the last axis": """\
promspec:
  sweep:
    mass: {start: 1, end: 2, step: 1}
    energy: {start: 0, end: 1, step: 0.5}
name: scan
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: busybox
    runtime: singularity
    cmd: echo "m={{ mass }} e={{ energy }} path=${PATH:+set} cost=$$5" > scan-{{ energy }}.txt
outputFiles: ["scan-{{ energy }}.txt"]
""",
    "product, output named after the first axis (reordered)": """\
promspec:
  sweep:
    zip:
      mass: [1, 2.5, 4]
      tag: [low, mid, high]
name: scan
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: busybox
    runtime: singularity
    cmd: echo "{{ tag }} {{ mass }}" > out-{{ mass }}.txt
outputFiles: ["out-{{ mass }}.txt"]
""",
    "lone repeat with outputs": """\
promspec:
  sweep:
    seed: {repeat: 3}
name: rep
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: busybox
    runtime: singularity
    cmd: echo "seed {{ seed }}" > seed.txt
outputFiles: [seed.txt]
""",
}


def _render(spec: Path, mode: str) -> object:
    import json
    import subprocess
    import sys

    argv = [sys.executable, "-m", "prominence_spec", "render", str(spec), "-m", mode, "-f",
            "json", "--root", str(spec.parent)]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _all_downloads(jobs: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    found = []
    for job in jobs:
        assert job["status"] == "completed", job
        found += [(o["name"], requests.get(o["url"], timeout=10).text) for o in job["outputFiles"]]
    return sorted(found)


@pytest.mark.slow
@pytest.mark.parametrize("text", FACTORY_SPECS.values(), ids=list(FACTORY_SPECS))
def test_factory_and_jobs_mode_of_one_spec_leave_the_same_outputs(
    box: Sandbox, tmp_path: Path, text: str
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    workflow = _render(spec, "factory")
    assert isinstance(workflow, dict) and workflow["factories"], workflow
    wf_id = _submit(box, dict(workflow, name=f"wf-{uuid.uuid4().hex[:8]}"))
    box.wait_workflow(wf_id)
    from_factory = _all_downloads(_jobs_of(box, wf_id).values())
    jobs = _render(spec, "jobs")
    assert isinstance(jobs, list)
    from_jobs = _all_downloads([box.wait_job(box.submit(job)) for job in jobs])
    assert from_factory == from_jobs, "factory mode and jobs mode left different outputs"
    assert len(from_jobs) == len(jobs)
