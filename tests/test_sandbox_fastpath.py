"""The sandbox's fast paths (server/fastpath.py) against a real sandbox on loopback: a
presigned output URL and a job's stdout/stderr answered before Flask give exactly what the
Flask routes give (a query parameter Flask ignores sends the same request through Flask);
what the fast path is not sure of (no token, another user's job, a bad signature, an
unusual name) is answered as before; a remembered token stops working when it expires."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from test_sandbox_run import HOST_ARGS

from prominence_spec.server.auth import TokenCheck, load_or_create_secret, mint_user_token

from sandbox_support import Sandbox, make_job, shared_sandbox

#: Headers that differ between two answers of the same request.
VARYING = {"date"}


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return shared_sandbox("host", HOST_ARGS)


@pytest.fixture(scope="module")
def job(box: Sandbox) -> dict[str, Any]:
    cmd = "printf 'out \\303\\251\\n' && printf err >&2 && printf 'file body' > f.txt"
    job_id = box.submit(make_job(cmd, name="fast", outputFiles=["f.txt"]))
    box.wait_job(job_id)
    (record,) = box.get(f"/jobs/{job_id}?detail=1").json()
    assert isinstance(record, dict)
    return record


def _same(fast: requests.Response, flask: requests.Response) -> None:
    assert (fast.status_code, fast.content) == (flask.status_code, flask.content)

    def headers(r: requests.Response) -> dict[str, str]:
        return {k.lower(): v for k, v in r.headers.items() if k.lower() not in VARYING}

    assert headers(fast) == headers(flask)


def _get(url: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.get(url, headers=headers, timeout=30, allow_redirects=False)


@pytest.mark.parametrize("suffix", ["", "?offset=0", "?offset=2", "?offset=99", "?node=0"])
@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_stream_is_what_flask_answers(
    box: Sandbox, job: dict[str, Any], stream: str, suffix: str
) -> None:
    url = f"{box.url}/jobs/{job['id']}/{stream}{suffix}"
    fast = _get(url, box.headers())
    flask = _get(url + ("&" if suffix else "?") + "flask=1", box.headers())
    _same(fast, flask)
    assert fast.status_code == 200
    expected = {"stdout": "out é\n".encode(), "stderr": b"err"}[stream]
    offset = int(suffix.split("=")[1]) if "offset" in suffix else 0
    assert fast.content == expected[offset:]


def test_a_stream_refused_or_unusual_is_answered_as_before(
    box: Sandbox, job: dict[str, Any]
) -> None:
    url = f"{box.url}/jobs/{job['id']}/stdout"
    other = box.token_for("mallory")
    for headers in (None, {"Authorization": "Bearer nonsense"}, box.headers(other)):
        fast, flask = _get(url, headers), _get(url + "?flask=1", headers)
        _same(fast, flask)
        assert fast.status_code in (401, 403)
    assert _get(url, box.headers(other)).json() == {"error": "Not authorized to access this job"}
    for odd in ("?offset=-1", "?offset=x", "?node=1", "?offset=1&offset=2"):
        fast, flask = _get(url + odd, box.headers()), _get(url + odd + "&flask=1", box.headers())
        _same(fast, flask)
    missing = f"{box.url}/jobs/99999999/stdout"
    _same(_get(missing, box.headers()), _get(missing + "?flask=1", box.headers()))


def test_an_output_url_is_what_flask_answers(box: Sandbox, job: dict[str, Any]) -> None:
    url = job["outputFiles"][0]["url"]
    fast, flask = _get(url), _get(url + "&flask=1")
    _same(fast, flask)
    assert fast.content == b"file body"
    assert fast.headers["Content-Disposition"] == "attachment; filename=f.txt"
    tag = fast.headers["ETag"]
    _same(_get(url, {"If-None-Match": tag}), _get(url + "&flask=1", {"If-None-Match": tag}))
    assert _get(url, {"If-None-Match": tag}).status_code == 304
    ranged = {"Range": "bytes=2-5"}
    _same(_get(url, ranged), _get(url + "&flask=1", ranged))
    assert _get(url, ranged).content == b"le b"


def test_an_output_url_altered_or_expired_is_refused_as_before(
    box: Sandbox, job: dict[str, Any]
) -> None:
    url = job["outputFiles"][0]["url"]
    base, query = url.split("?")
    expires, signature = (part.split("=")[1] for part in query.split("&"))
    wrong = "0" * 64 if signature != "0" * 64 else "1" * 64
    for altered in (
        f"{base}?expires={expires}&signature={wrong}",
        f"{base}?expires={int(expires) + 1}&signature={signature}",
        f"{base}?expires=1&signature={signature}",
        f"{base}?signature={signature}",
        base.replace("f.txt", "g.txt") + f"?{query}",
        base.replace("f.txt", "../f.txt") + f"?{query}",
    ):
        fast, flask = _get(altered), _get(altered + "&flask=1")
        _same(fast, flask)
        assert fast.status_code in (403, 404), altered
        assert b"<Error><Code>" in fast.content


def test_a_remembered_token_stops_working_when_it_expires(box: Sandbox) -> None:
    secret = load_or_create_secret(box.secret_file, box.data)
    check = TokenCheck(secret)
    token = mint_user_token(secret, "brief", lifetime=1)
    header = f"Bearer {token}"
    assert check.user(header) == "brief"
    assert check.user(header) == "brief"  # remembered
    time.sleep(max(0.0, jwt_exp(token) - time.time()) + 0.05)
    assert check.user(header) is None
    assert (
        check.user("Bearer " + mint_user_token(b"another secret of at least 32 bytes", "brief"))
        is None
    )
    assert check.user(None) is None and check.user("Basic abc") is None


def jwt_exp(token: str) -> float:
    import jwt

    return float(jwt.decode(token, options={"verify_signature": False})["exp"])
