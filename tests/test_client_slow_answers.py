"""Answers that are slow, hostile or not the API's (issue 16's minor items).

The fault proxy sits in front of the shared sandbox: a server trickling its answer a byte
at a time, a Retry-After of a day, a deeply nested JSON body, an HTML page with status 200
where a job's output should be. Each case runs the real CLI as a subprocess and checks the
exit code and the exact message; the subprocess's own time limit is generous and only
there so that a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from client_support import promspec, sweep_spec
from fault_proxy import FaultProxy
from sandbox_support import Sandbox, make_job, shared_sandbox

HANG = 90  # seconds: far more than any case may take, far less than the old behaviour


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return shared_sandbox("noop")


@pytest.fixture
def proxy(box: Sandbox) -> Iterator[FaultProxy]:
    found = FaultProxy(("127.0.0.1", int(box.url.split(":")[2].split("/")[0])))
    yield found
    found.close()


def _env(proxy: FaultProxy, box: Sandbox, home: Path) -> dict[str, str]:
    return {
        "PROMINENCE_URL": proxy.url,
        "PROMINENCE_TOKEN_FILE": str(box.token_file),
        "HOME": str(home),
    }


@pytest.mark.slow
def test_a_trickling_answer_is_bounded_as_a_whole(
    tmp_path: Path, proxy: FaultProxy, box: Sandbox
) -> None:
    """One byte every 0.2 s: each read is quick, the answer (hundreds of bytes) is not."""
    spec = sweep_spec(tmp_path, 2)
    proxy.add("GET /jobs", "trickle", seconds=0.2, times=100)
    done = promspec(
        ["submit", str(spec), "--timeout", "1"],
        cwd=tmp_path,
        env=_env(proxy, box, tmp_path),
        timeout=HANG,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(
        f"promspec: GET {proxy.url}/jobs: no complete answer within 1 s "
        "(the server answers too slowly)"
    ), done.stderr
    assert not proxy.posts()  # nothing is sent before the run's label check has answered


def test_a_huge_retry_after_is_not_waited_for(
    tmp_path: Path, proxy: FaultProxy, box: Sandbox
) -> None:
    proxy.add("GET /jobs", "status", status=429, headers={"Retry-After": "99999"}, times=10)
    done = promspec(["list"], cwd=tmp_path, env=_env(proxy, box, tmp_path), timeout=HANG)
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        "promspec: list jobs: HTTP 429: injected; the server asks to retry after 99999 s "
        "(Retry-After), more than the 120 s promspec waits: not retried, try again later\n"
    )
    assert len([r for r in proxy.requests if r.method == "GET"]) == 1


@pytest.mark.slow
def test_a_huge_retry_after_fails_a_post_at_once_and_it_is_sent_on_the_next_run(
    tmp_path: Path, proxy: FaultProxy, box: Sandbox
) -> None:
    spec = sweep_spec(tmp_path, 1)
    proxy.add("POST /jobs", "status", status=429, headers={"Retry-After": "86400"})
    env = _env(proxy, box, tmp_path)
    first = promspec(["submit", str(spec)], cwd=tmp_path, env=env, timeout=HANG)
    assert first.returncode == 1 and "0 submitted, 0 already there, 1 failed" in first.stderr
    assert "the server asks to retry after 86400 s (Retry-After)" in first.stderr
    again = promspec(["submit", str(spec)], cwd=tmp_path, env=env, timeout=HANG)
    assert again.returncode == 0 and "1 submitted" in again.stderr, again.stderr
    assert len(proxy.posts()) == 2


def test_deeply_nested_json_is_a_clear_error_not_an_internal_one(
    tmp_path: Path, proxy: FaultProxy, box: Sandbox
) -> None:
    proxy.add("GET /jobs", "status", status=200, body=b"[" * 200_000)
    done = promspec(["list"], cwd=tmp_path, env=_env(proxy, box, tmp_path), timeout=HANG)
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        "promspec: list jobs: HTTP 200 but the body is JSON nested more deeply than any "
        "answer of the API\n"
    )


PORTAL = b"<!DOCTYPE html><html><head><title>Sign in - Portal</title></head><body>x</body></html>"


def test_an_html_page_in_place_of_stdout_is_an_error_when_the_url_is_not_the_apis(
    tmp_path: Path, proxy: FaultProxy, box: Sandbox
) -> None:
    job = box.submit(make_job(name="out"))
    headers = {"Content-Type": "text/html"}
    proxy.add(f"GET /jobs/{job}/stdout", "status", status=200, body=PORTAL, headers=headers)
    proxy.add("GET /health", "status", status=200, body=PORTAL, headers=headers, times=5)
    done = promspec(
        ["stdout", str(job)], cwd=tmp_path, env=_env(proxy, box, tmp_path), timeout=HANG
    )
    assert done.returncode == 1 and done.stdout == "", done.stdout
    assert done.stderr == (
        f"promspec: job {job}: HTTP 200 with an HTML page (Sign in - Portal) instead of the "
        f"output, and {proxy.url}/health is not the API's answer either: is the URL right? "
        "(it should end in /api/v1)\n"
    )


def test_a_job_whose_output_is_an_html_page_is_printed_as_it_is(
    tmp_path: Path, proxy: FaultProxy, box: Sandbox
) -> None:
    job = box.submit(make_job(name="page"))
    headers = {"Content-Type": "text/html"}  # what production sends for every stdout
    proxy.add(f"GET /jobs/{job}/stdout", "status", status=200, body=PORTAL, headers=headers)
    done = promspec(
        ["stdout", str(job)], cwd=tmp_path, env=_env(proxy, box, tmp_path), timeout=HANG
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == PORTAL.decode()
    assert [r.path.split("?")[0] for r in proxy.requests] == [f"/jobs/{job}/stdout", "/health"]


def test_nested_json_from_a_listing_during_submit_is_reported(
    tmp_path: Path, proxy: FaultProxy, box: Sandbox
) -> None:
    spec = sweep_spec(tmp_path, 1)
    proxy.add("GET /jobs", "status", status=200, body=b'{"a":' * 100_000)
    done = promspec(
        ["submit", str(spec), "-f", "json"],
        cwd=tmp_path,
        env=_env(proxy, box, tmp_path),
        timeout=HANG,
    )
    assert done.returncode == 1 and "internal error" not in done.stderr, done.stderr
    assert "JSON nested more deeply than any answer of the API" in done.stderr
    assert not proxy.posts()
    assert json.loads(done.stdout or "null") is None
