"""What clients send that they should not: bad tokens, bodies that are huge, not JSON,
deeply nested or of the wrong types, and documents the server's validator or backend
refuses. The sandbox must answer as production does and never fail itself."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
import requests

from sandbox_support import Sandbox, make_job, shared_sandbox

REASON = "X-Promspec-Sandbox-Reason"
AUTH_FAILURE = {"error": "Authentication failure"}


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return shared_sandbox()


def _secret(box: Sandbox) -> bytes:
    return box.secret_file.read_bytes().strip()


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer not-a-jwt", "bearer x.y.z"],
)
def test_missing_or_malformed_tokens(box: Sandbox, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    r = requests.get(box.url + "/jobs", headers=headers, timeout=10)
    assert (r.status_code, r.json()) == (401, AUTH_FAILURE)


def test_bad_signature_and_expired_tokens(box: Sandbox) -> None:
    forged = jwt.encode({"username": "sandbox", "exp": time.time() + 60}, "w" * 64, "HS256")
    expired = jwt.encode({"username": "sandbox", "exp": time.time() - 5}, _secret(box), "HS256")
    no_exp = jwt.encode({"username": "sandbox"}, _secret(box), "HS256")
    for token in (forged, expired, no_exp):
        r = box.post("/jobs", json=make_job(), token=token)
        assert (r.status_code, r.json()) == (401, AUTH_FAILURE)


def test_token_file_is_private_and_in_cli_format(box: Sandbox) -> None:
    assert box.token_file.stat().st_mode & 0o777 == 0o600
    assert box.secret_file.stat().st_mode & 0o777 == 0o600
    assert set(json.loads(box.token_file.read_text())) == {"access_token"}
    assert box.token not in box.log.read_text()


def test_validator_messages(box: Sandbox) -> None:
    cases = [
        ({"tasks": []}, "a job must contain resources"),
        (make_job(resources={"cpus": 1, "memory": 2.0, "disk": 10}), "memory must be an integer"),
        (make_job(foo=1), 'invalid item "foo" in job description'),
        (make_job(tasks=[{"image": "x"}]), "a container runtime must be defined"),
        (make_job(policies={"maximumRetries": 7}), "the number of retries must be less than 6"),
    ]
    for doc, message in cases:
        r = box.post("/jobs", json=doc)
        assert (r.status_code, r.json()) == (400, {"error": message})


def test_backend_failures_as_production(box: Sandbox) -> None:
    no_disk = make_job(resources={"cpus": 1, "memory": 1})
    r = box.post("/jobs", json=no_disk)
    assert r.status_code == 500 and r.headers["Content-Type"].startswith("text/html")
    assert "disk" in r.headers[REASON]
    bad_b64 = make_job(inputs=[{"filename": "a", "content": "!!notbase64"}])
    assert box.post("/jobs", json=bad_b64).status_code == 500
    label_int = make_job(labels={"a": 1})
    assert box.post("/jobs", json=label_int).status_code == 500
    image_obj = make_job(tasks=[{"image": "my.sif", "runtime": "singularity"}])
    assert box.post("/jobs", json=image_obj).json() == {"error": "Image my.sif does not exist"}
    artifact = make_job(artifacts=[{"url": "data.tgz"}])
    assert box.post("/jobs", json=artifact).json() == {"error": "Artifact data.tgz does not exist"}


def test_workflow_backend_failures(box: Sandbox) -> None:
    job = dict(make_job(), name="a")

    def sweep(params: list[dict[str, Any]]) -> dict[str, Any]:
        factory = {"type": "parameterSweep", "name": "f", "jobs": ["a"], "parameters": params}
        return {"name": "wf", "jobs": [job], "factories": [factory]}

    five = [{"name": f"p{i}", "start": 1, "end": 2, "step": 1} for i in range(5)]
    r = box.post("/workflows", json=sweep(five))
    assert r.json() == {"error": "Currently only parameter sweeps up to 4D are supported"}
    r = box.post("/workflows", json=sweep([{"name": "x", "start": 1, "end": 2, "step": 0}]))
    assert r.status_code == 400 and "never" in r.json()["error"]
    r = box.post("/workflows", json=sweep([{"name": "x", "start": 1, "end": 2, "number": 3}]))
    assert r.status_code == 500
    r = box.post("/workflows", json={"jobs": [job]})
    assert r.json() == {"error": "Workflow submission failed"}  # no name


def test_bodies_that_are_not_json(box: Sandbox) -> None:
    r = box.post("/jobs", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "<title>400 Bad Request</title>" in r.text
    r = box.post("/jobs", data=json.dumps(make_job()))  # no JSON Content-Type
    assert r.status_code == 500 and REASON in r.headers
    for body in ("null", "[]", '"text"', "5", "true"):
        r = box.post("/jobs", data=body, headers={"Content-Type": "application/json"})
        assert r.status_code in (400, 500), body
    r = box.post("/jobs", data=b"\xff\xfe", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_huge_body_gets_413(box: Sandbox) -> None:
    doc = make_job(name="x" * (1024 * 1024 + 10))
    r = box.post("/jobs", json=doc)
    assert r.status_code == 413
    r = box.post("/workflows", data=b"[" * (2 * 1024 * 1024),
                 headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 413


def test_deep_nesting_and_wrong_types(box: Sandbox) -> None:
    deep = "[" * 200_000 + "]" * 200_000
    r = box.post("/jobs", data=deep, headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 500)
    nested = '{"placement": ' * 50_000 + "{}" + "}" * 50_000
    text = json.dumps(make_job())[:-1] + ', "policies": ' + nested + "}"
    r = box.post("/jobs", data=text, headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 500)
    doc: Any  # documents of every shape, on purpose
    for doc in ({"resources": [], "tasks": {}}, {"resources": {"cpus": "4"}, "tasks": [1]},
                {"name": ["x"], "resources": None}, make_job(tasks=[None]),
                make_job(inputs="x"), make_job(outputFiles=[1, {}])):  # fmt: skip
        r = box.post("/jobs", json=doc)
        assert r.status_code in (400, 500), doc
        if r.status_code == 500:
            assert not r.headers[REASON].startswith("sandbox error"), r.headers[REASON]
    for doc in ([], {"jobs": "x"}, {"name": "w", "jobs": [{"name": 1}]}, {"jobs": [None]}):
        r = box.post("/workflows", json=doc)
        assert r.status_code in (201, 400, 500), doc
    assert box.get("/health", token="").status_code == 204  # still alive


def test_unknown_routes_and_methods(box: Sandbox) -> None:
    assert box.get("/nothing").status_code == 404
    assert box.request("PATCH", "/jobs").status_code == 405
    assert box.get("/jobs/1/clone").status_code == 405


def test_no_sandbox_errors_were_logged(box: Sandbox) -> None:
    assert "unexpected error" not in box.log.read_text()
    assert "Traceback" not in box.log.read_text()
