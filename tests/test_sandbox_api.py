"""The sandbox's job routes and their query parameters, over real HTTP, against a noop
sandbox started as a subprocess (docs/openapi.json, docs/sandbox.md)."""

from __future__ import annotations

import uuid

import pytest
import requests

from sandbox_support import Sandbox, make_job, shared_sandbox


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return shared_sandbox()


@pytest.fixture
def tag() -> str:
    """A label value no other test uses, to find this test's jobs in the shared sandbox."""
    return uuid.uuid4().hex


def _ids(response: requests.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return sorted(j["id"] for j in response.json())


def test_post_returns_201_and_the_id(box: Sandbox) -> None:
    r = box.post("/jobs", json=make_job(name="smoke"))
    assert r.status_code == 201
    assert r.headers["Content-Type"] == "application/json"
    assert r.text == f'{{"id":{r.json()["id"]}}}\n'  # Flask's jsonify form


def test_get_job_is_an_array_with_the_detail(box: Sandbox) -> None:
    job_id = box.submit(make_job("echo hi", name="detail", labels={"k": "v"}))
    job = box.wait_job(job_id)
    assert job["status"] == "completed"
    assert job["name"] == "detail"
    assert job["labels"] == {"k": "v"}
    assert job["resources"] == {"cpus": 1, "memory": 1, "disk": 10, "nodes": 1}
    assert job["tasks"] == [{"image": "busybox", "runtime": "singularity", "cmd": "echo hi"}]
    events = job["events"]
    assert all(isinstance(events[k], int) for k in ("createTime", "startTime", "endTime"))
    execution = job["execution"]
    assert execution["site"] == "promspec-sandbox"
    assert isinstance(execution["maxMemoryUsageKB"], int)
    (task,) = execution["tasks"]
    assert task["exitCode"] == 0 and task["retries"] == 0
    for key in ("wallTimeUsage", "cpuTimeUsage", "maxResidentSetSizeKB", "imagePullStatus"):
        assert key in task
    assert "statusReason" not in job


def test_unknown_and_non_integer_ids(box: Sandbox) -> None:
    assert box.get("/jobs/999999").json() == []
    assert box.get("/jobs/99999999999999999999999").json() == []
    r = box.get("/jobs/abc")
    assert r.status_code == 404 and "<title>404 Not Found</title>" in r.text
    assert box.get("/jobs/-1").status_code == 404


def test_default_list_is_active_only(box: Sandbox, tag: str) -> None:
    done = box.submit(make_job(labels={"t": tag}))
    box.wait_job(done)
    assert done not in _ids(box.get("/jobs", params={"constraint": f"t={tag}"}))


def test_completed_and_num(box: Sandbox, tag: str) -> None:
    ids = [box.submit(make_job(labels={"t": tag})) for _ in range(3)]
    for job_id in ids:
        box.wait_job(job_id)
    params = {"completed": "true", "constraint": f"t={tag}"}
    assert len(_ids(box.get("/jobs", params=params))) == 1  # num defaults to 1
    assert len(_ids(box.get("/jobs", params={**params, "num": "2"}))) == 2
    assert _ids(box.get("/jobs", params={**params, "num": "-1"})) == ids
    assert _ids(box.get("/jobs", params={**params, "num": "0"})) == []
    # num is read only together with completed
    assert _ids(box.get("/jobs", params={"num": "5", "constraint": f"t={tag}"})) == []
    r = box.get("/jobs", params={"completed": "true", "num": "x"})
    assert r.status_code == 500 and "X-Promspec-Sandbox-Reason" in r.headers


def test_all_lists_active_and_completed(box: Sandbox, tag: str) -> None:
    ids = [box.submit(make_job(labels={"t": tag})) for _ in range(3)]
    for job_id in ids:
        box.wait_job(job_id)
    assert _ids(box.get("/jobs", params={"all": "x", "constraint": f"t={tag}"})) == ids


def test_constraint_rules(box: Sandbox, tag: str) -> None:
    a = box.submit(make_job(labels={"t": tag, "kind": "a"}))
    b = box.submit(make_job(labels={"t": tag, "kind": "b"}))
    for job_id in (a, b):
        box.wait_job(job_id)
    params = [("all", "1"), ("constraint", "kind=a"), ("constraint", f"t={tag}")]
    assert a in _ids(box.get("/jobs", params=params))  # only the first constraint counts
    assert b not in _ids(box.get("/jobs", params=params))
    for bad in ("kind", "a=b=c", ""):
        r = box.get("/jobs", params={"constraint": bad})
        assert (r.status_code, r.json()) == (400, {"error": "Invalid constraint"})


def test_name_matches_exactly(box: Sandbox) -> None:
    name = f"exact-{uuid.uuid4().hex}"
    job_id = box.submit(make_job(name=name))
    box.wait_job(job_id)
    assert _ids(box.get("/jobs", params={"all": "1", "name": name})) == [job_id]
    assert _ids(box.get("/jobs", params={"all": "1", "name": name[:-1]})) == []


def test_status_filter(box: Sandbox) -> None:
    r = box.get("/jobs", params={"status": "idle"})
    assert r.status_code == 200 and isinstance(r.json(), list)
    assert box.get("/jobs", params={"status": "running"}).status_code == 200
    r = box.get("/jobs", params={"status": "completed"})
    assert (r.status_code, r.json()) == (200, {"error": "invalid status specified"})


def test_id_list_and_detail(box: Sandbox) -> None:
    ids = [box.submit(make_job(outputFiles=["o.txt"])) for _ in range(3)]
    for job_id in ids:
        box.wait_job(job_id)
    listed = box.get("/jobs", params={"id": ",".join(map(str, ids))}).json()
    assert sorted(j["id"] for j in listed) == ids
    assert all("execution" not in j and "resources" not in j for j in listed)
    detailed = box.get("/jobs", params={"id": str(ids[0]), "detail": "true"}).json()
    assert detailed[0]["execution"]["site"] == "promspec-sandbox"
    assert detailed[0]["outputFiles"] == [{"name": "o.txt", "url": ""}]
    assert box.get("/jobs", params={"id": "1,x"}).status_code == 500


def test_stdout_and_stderr(box: Sandbox) -> None:
    job_id = box.submit(make_job("echo hi"))
    box.wait_job(job_id)
    for which in ("stdout", "stderr"):
        r = box.get(f"/jobs/{job_id}/{which}")
        assert r.status_code == 200 and r.text == ""  # noop writes nothing
    r = box.get("/jobs/999999/stdout")
    assert (r.status_code, r.json()) == (400, {"error": "Job does not exist"})
    assert box.get(f"/jobs/{job_id}/stdout", params={"node": "x"}).status_code == 500
    r = box.get(f"/jobs/{job_id}/stdout", params={"node": "1"})
    assert (r.status_code, r.json()) == (400, {"error": "stdout does not exist"})


def test_delete_rules(box: Sandbox) -> None:
    job_id = box.submit(make_job())
    box.wait_job(job_id)
    r = box.delete(f"/jobs/{job_id}")  # finished: no longer in the queue
    assert (r.status_code, r.json()) == (400, {"error": "No such job(s)"})
    r = box.delete("/jobs")
    assert r.json() == {"error": "a job id or list of job ids must be provided"}
    assert box.delete("/jobs", params={"id": "1,x"}).status_code == 500


def test_leave_in_queue_and_remove(box: Sandbox) -> None:
    job_id = box.submit(make_job(policies={"leaveInQueue": True}))
    box.wait_job(job_id)
    assert job_id in _ids(box.get("/jobs"))  # still in the active queue
    assert box.put(f"/jobs/{job_id}/remove").json() == {}
    assert job_id not in _ids(box.get("/jobs"))
    r = box.put(f"/jobs/{job_id}/remove")
    assert (r.status_code, r.json()) == (400, {"error": "Job is no longer in the queue"})
    r = box.put("/jobs/999999/remove")
    assert (r.status_code, r.json()) == (400, {"error": "Job does not exist"})


def test_clone(box: Sandbox) -> None:
    job_id = box.submit(make_job(name="orig"))
    r = box.put(f"/jobs/{job_id}/clone")
    assert r.status_code == 201
    clone = box.wait_job(r.json()["id"])
    assert clone["name"] == "orig" and clone["id"] != job_id


def test_ownership_between_users(box: Sandbox) -> None:
    job_id = box.submit(make_job(name="mine"))
    other = box.token_for("someone-else")
    assert box.get(f"/jobs/{job_id}", token=other).json() == []
    assert job_id not in [j["id"] for j in box.get("/jobs?all=1", token=other).json()]
    r = box.get(f"/jobs/{job_id}/stdout", token=other)
    assert (r.status_code, r.json()) == (403, {"error": "Not authorized to access this job"})
    assert box.put(f"/jobs/{job_id}/remove", token=other).status_code == 403
    assert box.put(f"/jobs/{job_id}/clone", token=other).status_code == 403
    r = box.delete(f"/jobs/{job_id}", token=other)
    assert (r.status_code, r.json()) == (400, {"error": "No such job(s)"})
    own = box.submit(make_job(), token=other)
    assert box.get(f"/jobs/{own}", token=other).json()[0]["id"] == own


def test_disabled_areas_and_other_routes(box: Sandbox) -> None:
    for method, path in [
        ("POST", "/jobs/1/exec"),
        ("GET", "/kv/a"),
        ("POST", "/data/upload"),
        ("GET", "/data"),
        ("PUT", "/jobs/1/snapshot"),
        ("POST", "/ts"),
    ]:
        r = box.request(method, path)
        assert (r.status_code, r.json()) == (401, {"error": "Functionality disabled"}), path
    existing = box.get("/resources").json()["existing"]
    assert existing[0]["site"] == "promspec-sandbox"
    assert box.get("/accounting").json() == {"error": "Start date must be provided"}
    usage = box.get("/accounting", params={"start": "2000-01-01", "end": "2100-01-01"}).json()
    assert usage["usage"]["users"]["sandbox"]["numberOfJobs"] >= 1
