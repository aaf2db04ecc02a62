"""The sandbox's job routes over real HTTP, against a sandbox started as a subprocess."""

from __future__ import annotations

from sandbox_support import make_job, shared_sandbox


def test_post_then_get_job():
    box = shared_sandbox()
    job_id = box.submit(make_job(name="smoke"))
    job = box.wait_job(job_id)
    assert job["status"] == "completed"
    assert job["name"] == "smoke"
    assert job["resources"]["nodes"] == 1
    listed = box.get("/jobs", params={"all": "true"}).json()
    assert job_id in [j["id"] for j in listed]


def test_health_needs_no_token():
    box = shared_sandbox()
    r = box.get("/health", token="")
    assert r.status_code == 204
    assert box.get("/jobs", token="").json() == {"error": "Authentication failure"}
