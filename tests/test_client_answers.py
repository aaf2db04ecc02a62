"""Every kind of server answer becomes a value or one clear error, never a traceback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from prominence_spec.client import (
    AmbiguousSubmissionError,
    AuthenticationError,
    Client,
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RejectedError,
    ServerError,
)

from client_support import FakeProminence, cli, fast_policy, make_token, promspec

CANARY = make_token(marker="tok-CANARY-123")
JOB = {
    "name": "x",
    "resources": {"cpus": 1, "memory": 1, "disk": 10},
    "tasks": [{"image": "busybox", "runtime": "singularity"}],
}
HTML_500 = "<!doctype html><html><title>500 Internal Server Error</title><p>boom</p></html>"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProminence]:
    server = FakeProminence(CANARY)
    yield server
    server.close()


@pytest.fixture
def client(fake: FakeProminence) -> Iterator[Client]:
    fake.scripted.clear()
    with Client(fake.url, token=CANARY, policy=fast_policy(), timeout=(2, 5)) as found:
        yield found


def test_create_describe_list_stdout_delete(client: Client) -> None:
    ident = client.create_job(JOB)
    assert client.describe_job(ident)["name"] == "x"
    assert any(j["id"] == ident for j in client.list_jobs(all=True))
    assert client.stdout(ident) == f"stdout of {ident}\n".encode()
    client.delete_job(ident)
    assert client.describe_job(ident)["status"] == "deleted"


def test_unknown_id_is_no_such_job(client: Client) -> None:
    with pytest.raises(NotFoundError, match="no such job 99999"):
        client.describe_job(99999)
    with pytest.raises(NotFoundError, match="No such job"):
        client.delete_job(99999)


def test_validation_message_is_shown_as_is(client: Client, fake: FakeProminence) -> None:
    fake.script("POST /jobs", 400, '{"error": "memory must be an integer"}')
    with pytest.raises(RejectedError, match="memory must be an integer"):
        client.create_job(JOB)


@pytest.mark.parametrize(
    "status, body, error, text",
    [
        (401, '{"error": "Authentication failure"}', AuthenticationError, "prominence login"),
        (401, '{"error": "Functionality disabled"}', AuthenticationError, "disabled"),
        (
            403,
            '{"error": "Not authorized to access this job"}',
            PermissionDeniedError,
            "authorized",
        ),
        (404, "<html><title>404 Not Found</title></html>", NotFoundError, "404 Not Found"),
        (413, "<html><title>413 Request Entity Too Large</title></html>", RejectedError, "1 MiB"),
        (500, HTML_500, ServerError, r"500 Internal Server Error \(an HTML page"),
        (200, '{"error": "invalid status specified"}', RejectedError, "invalid status"),
    ],
)
def test_list_answers(
    client: Client, fake: FakeProminence, status: int, body: str, error: type[Exception], text: str
) -> None:
    fake.script("GET /jobs", status, body, times=10)
    with pytest.raises(error, match=text) as caught:
        client.list_jobs()
    assert "\n" not in str(caught.value) and "CANARY" not in str(caught.value)


def test_html_500_on_post_is_ambiguous_without_a_label(
    client: Client, fake: FakeProminence
) -> None:
    fake.script("POST /jobs", 500, HTML_500)
    with pytest.raises(AmbiguousSubmissionError, match="500 Internal Server Error"):
        client.create_job(JOB)


@pytest.mark.slow
def test_retry_after_is_honoured_and_capped(fake: FakeProminence) -> None:
    fake.scripted.clear()
    fake.script("POST /jobs", 429, '{"error":"slow down"}', {"Retry-After": "1"})
    fake.script("GET /jobs", 503, "{}", {"Retry-After": "999999"})
    before = len(fake.seen)
    with Client(fake.url, token=CANARY, policy=fast_policy(retry_after_cap=0.3)) as capped:
        with pytest.raises(RateLimitedError) as caught:  # not waited for, not retried
            capped.list_jobs()
        assert caught.value.message == (
            "list jobs: HTTP 503: {}; the server asks to retry after 999999 s (Retry-After), more "
            "than the 0.3 s promspec waits: not retried, try again later"
        )
        assert len(fake.seen) == before + 1  # one GET, no retry
    with Client(fake.url, token=CANARY, policy=fast_policy(retry_after_cap=5)) as patient:
        started = time.monotonic()
        patient.create_job(JOB)
        assert time.monotonic() - started >= 0.9


def test_redirects_are_not_followed(client: Client, fake: FakeProminence) -> None:
    fake.script("POST /jobs", 302, "", {"Location": "http://other.example/steal"})
    with pytest.raises(ConfigError, match="redirect"):
        client.create_job(JOB)


def test_netrc_is_ignored(
    fake: FakeProminence,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login alice password s3cret\n")
    env = {
        "HOME": str(tmp_path),
        "NETRC": str(tmp_path / ".netrc"),
        "PROMINENCE_URL": fake.url,
        "PROMINENCE_TOKEN": CANARY,
    }
    before = len(fake.seen)
    code, _, err = cli(monkeypatch, capsys, ["list"], env)
    assert code == 0, err
    headers = [h for _, _, h, _ in fake.seen[before:]]
    assert headers and all(h["Authorization"] == f"Bearer {CANARY}" for h in headers)


@pytest.mark.slow
def test_canary_token_never_printed(
    fake: FakeProminence,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / ".git").mkdir()
    spec = tmp_path / "job.yaml"
    spec.write_text(
        "name: x\nresources: {cpus: 1, memory: 1, disk: 10}\n"
        "tasks: [{image: busybox, runtime: singularity}]\n"
    )
    env = {"HOME": str(tmp_path), "PROMINENCE_URL": fake.url, "PROMINENCE_TOKEN": CANARY}
    fake.script("GET /jobs", 500, HTML_500, times=50)
    fake.script("POST /jobs", 401, '{"error": "Authentication failure"}')
    runs = [
        ["list", "-v"],
        ["submit", str(spec), "-v"],
        ["submit", str(spec), "--dry-run", "--curl"],
        ["describe", "12345", "-v"],
        ["stdout", "abc"],
        ["status", "1", "-v", "-f", "json"],
    ]
    for args in runs:
        _, out, err = cli(monkeypatch, capsys, args, env)
        assert "CANARY" not in out + err and CANARY not in out + err, args
    proc = promspec(["submit", str(spec), "-v"], cwd=tmp_path, env=env)  # a real process too
    assert CANARY not in proc.stdout + proc.stderr
    fake.scripted.clear()
    _, _, err = cli(monkeypatch, capsys, ["list", "-v"], env)
    assert "Authorization: Bearer ***" in err


def test_plain_http_to_a_remote_host_is_refused_before_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {
        "HOME": str(tmp_path),
        "PROMINENCE_TOKEN": CANARY,
        "PROMINENCE_URL": "http://api.example.org/v1",
    }
    code, _, err = cli(monkeypatch, capsys, ["list"], env)
    assert code == 2 and "plain http" in err


def test_expired_token_is_reported_before_any_request(
    fake: FakeProminence,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {
        "HOME": str(tmp_path),
        "PROMINENCE_URL": fake.url,
        "PROMINENCE_TOKEN": make_token(expires_in=-5),
    }
    before = len(fake.seen)
    code, _, err = cli(monkeypatch, capsys, ["list"], env)
    assert code == 2 and "your token expired at" in err
    assert len(fake.seen) == before
