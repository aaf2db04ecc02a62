"""Helpers for the client tests: tokens, a small in-memory PROMINENCE, environments.

``FakeProminence`` answers the API's job and workflow routes the way the reference
describes them (ids from 1, ``[]`` for unknown ids, label constraints, ``{"error"}``
bodies), in memory, on a real loopback socket. It is for the tests of how the client
reads answers; the tests of whole submissions use the real sandbox subprocess.
``script`` makes the next matching requests answer something else.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

SECRET = "promspec-test-secret-0123456789abcdef"


def make_token(user: str = "alice", *, expires_in: float = 3600, marker: str = "") -> str:
    claims = {"preferred_username": user, "exp": int(time.time() + expires_in)}
    if marker:
        claims["marker"] = marker
    return jwt.encode(claims, SECRET, algorithm="HS256")


def client_env(url: str, token: str, home: str) -> dict[str, str]:
    return {"PROMINENCE_URL": url, "PROMINENCE_TOKEN": token, "HOME": home}


class FakeProminence:
    def __init__(self, token: str) -> None:
        self.token = token
        self.jobs: dict[int, dict[str, Any]] = {}
        self.workflows: dict[int, dict[str, Any]] = {}
        self.next_id = 1
        self.lock = threading.Lock()
        self.scripted: list[tuple[str, int, bytes, dict[str, str]]] = []
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        handler = _handler(self)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(
        self,
        match: str,
        status: int,
        body: bytes | str = b"",
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        raw = body.encode() if isinstance(body, str) else body
        for _ in range(times):
            self.scripted.append((match, status, raw, headers or {}))

    def _take_script(self, line: str) -> tuple[int, bytes, dict[str, str]] | None:
        with self.lock:
            for n, (match, status, body, headers) in enumerate(self.scripted):
                if line.startswith(match):
                    del self.scripted[n]
                    return status, body, headers
        return None

    def create(self, body: dict[str, Any], workflow: bool) -> int:
        with self.lock:
            ident = self.next_id
            self.next_id += 1
            record = dict(
                body,
                id=ident,
                status="completed" if not workflow else "completed",
                events={"createTime": int(time.time())},
            )
            (self.workflows if workflow else self.jobs)[ident] = record
            return ident


def _matches(item: dict[str, Any], query: dict[str, list[str]]) -> bool:
    if "constraint" in query:
        key, _, value = query["constraint"][0].partition("=")
        if (item.get("labels") or {}).get(key) != value:
            return False
    if "name" in query and item.get("name") != query["name"][0]:
        return False
    if "id" in query:
        wanted = {int(i) for i in query["id"][0].split(",")}
        if item["id"] not in wanted:
            return False
    return True


def _listed(item: dict[str, Any], detail: bool) -> dict[str, Any]:
    if detail:
        return item
    return {k: v for k, v in item.items() if k not in ("labels", "resources", "inputs")}


def _handler(fake: FakeProminence) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(
            self,
            status: int,
            body: bytes | Any,
            headers: dict[str, str] | None = None,
            content_type: str = "application/json",
        ) -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

        def _route(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            path = parts.path.removeprefix("/api/v1")
            fake.seen.append((method, self.path, dict(self.headers), body))
            scripted = fake._take_script(f"{method} {path}")
            if scripted:
                status, raw, headers = scripted
                ctype = "text/html" if raw.startswith(b"<") else "application/json"
                return self._send(status, raw, headers, ctype)
            if path == "/health":
                return self._send(204, b"")
            if self.headers.get("Authorization") != f"Bearer {fake.token}":
                return self._send(401, {"error": "Authentication failure"})
            query = parse_qs(parts.query, keep_blank_values=True)
            self._api(method, path.strip("/").split("/"), query, body)

        def _api(
            self, method: str, segs: list[str], query: dict[str, list[str]], body: bytes
        ) -> None:
            kind = segs[0]
            if kind not in ("jobs", "workflows"):
                return self._send(
                    404, b"<html><title>404 Not Found</title></html>", content_type="text/html"
                )
            store = fake.jobs if kind == "jobs" else fake.workflows
            if method == "POST" and len(segs) == 1:
                doc = json.loads(body)
                return self._send(201, {"id": fake.create(doc, kind == "workflows")})
            if method == "GET" and len(segs) == 1:
                detail = "detail" in query
                items = [_listed(v, detail) for v in store.values() if _matches(v, query)]
                return self._send(200, items)
            if len(segs) >= 2 and not segs[1].isdigit():
                return self._send(
                    404, b"<html><title>404 Not Found</title></html>", content_type="text/html"
                )
            ident = int(segs[1]) if len(segs) >= 2 else None
            if method == "GET" and len(segs) == 2:
                return self._send(200, [store[ident]] if ident in store else [])
            if method == "GET" and len(segs) == 3 and segs[2] in ("stdout", "stderr"):
                if ident not in store:
                    return self._send(400, {"error": "Job does not exist"})
                text = f"{segs[2]} of {ident}\n".encode()
                offset = int(query.get("offset", ["0"])[0])
                return self._send(200, text[offset:], content_type="text/html")
            if method == "DELETE":
                ids = [ident] if ident else [int(i) for i in query.get("id", [""])[0].split(",")]
                hit = [i for i in ids if i in store and store[i]["status"] not in ("deleted",)]
                if not hit:
                    return self._send(400, {"error": "No such job(s)"})
                for i in hit:
                    store[i]["status"] = "deleted"
                return self._send(200, {})
            return self._send(
                404, b"<html><title>404 Not Found</title></html>", content_type="text/html"
            )

        def do_GET(self) -> None:  # noqa: N802
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

        def do_DELETE(self) -> None:  # noqa: N802
            self._route("DELETE")

    return Handler


def fast_policy(**over: Any) -> Any:
    """A RetryPolicy with tiny delays, for tests."""
    from prominence_spec.client.http import RetryPolicy

    options: dict[str, Any] = {
        "backoff": 0.01,
        "backoff_cap": 0.05,
        "reconcile_gap": 0.01,
        "retry_after_cap": 2.0,
    }
    options.update(over)
    return RetryPolicy(**options)


def promspec(
    args: list[str], *, cwd: Any, env: dict[str, str], timeout: float = 60, stdin: str | None = None
) -> Any:
    """Run the CLI as a subprocess; asserts it never prints a traceback."""
    import os
    import subprocess
    import sys

    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PROMINENCE_")}
    full_env.update(env)
    proc = subprocess.run(
        [sys.executable, "-m", "prominence_spec", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


SWEEP_SPEC = """\
promspec:
  sweep:
    i: {{start: 0, end: {last}, step: 1}}
  name: "p-{{{{ i }}}}"
name: p
resources: {{cpus: 1, memory: 1, disk: 10, walltime: 5}}
tasks:
  - image: busybox
    runtime: singularity
    cmd: echo point {{{{ i }}}}
"""


def sweep_spec(folder: Any, points: int, name: str = "sweep.yaml") -> Any:
    """A spec of ``points`` tiny jobs in ``folder`` (made a repository root)."""
    from pathlib import Path

    root = Path(folder)
    (root / ".git").mkdir(parents=True, exist_ok=True)
    path = root / name
    import uuid

    unique = f"# {uuid.uuid4()}: a spec of its own, so a run of its own\n"
    path.write_text(unique + SWEEP_SPEC.format(last=points - 1), encoding="utf-8")
    return path


def jobs_per_point(client: Any, run: str) -> dict[str, list[int]]:
    """promspecid -> the ids of the server's jobs carrying it (all states), via the API."""
    found: dict[str, list[int]] = {}
    for job in client.find("promspecrun", run, detail=True):
        label = (job.get("labels") or {}).get("promspecid")
        assert label is not None, job  # every job of a run carries its point's id
        found.setdefault(label, []).append(job["id"])
    return found


def journal_ids(
    spec: Any, url: str, run: str, state: Any = None
) -> dict[int, tuple[str, int | None]]:
    from prominence_spec.client.journal import Journal, state_dir_for

    journal = Journal.read(state_dir_for(spec, state))
    assert journal is not None
    with journal:
        return {k: (p.state, p.job_id) for k, p in journal.points(url, run).items()}


def assert_exactly_once(
    client: Any, spec: Any, run: str, points: int, *, state: Any = None
) -> None:
    """Every point has exactly one job on the server, and the journal (in the spec's
    state folder, or ``state``) agrees."""
    on_server = jobs_per_point(client, run)
    assert sorted(on_server) == sorted(f"{run}-{i}" for i in range(points)), on_server
    twice = {k: v for k, v in on_server.items() if len(v) != 1}
    assert not twice, f"points with more than one job: {twice}"
    journal = journal_ids(spec, client.url, run, state)
    assert len(journal) == points
    for key, (state, job_id) in journal.items():
        assert state == "submitted", (key, state)
        assert on_server[f"{run}-{key}"] == [job_id], (key, job_id, on_server[f"{run}-{key}"])


def cli(
    monkeypatch: Any, capsys: Any, args: list[str], env: dict[str, str]
) -> tuple[int, str, str]:
    """Run the CLI in this process (fast); (exit code, stdout, stderr)."""
    import os

    from prominence_spec.cli import main

    for key in [k for k in os.environ if k.startswith("PROMINENCE_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = main(args)
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out, err


def dry_run_bodies(text: str) -> list[tuple[str, bytes]]:
    """(url, body) pairs from `submit --dry-run` text output."""
    lines = text.splitlines()
    assert len(lines) % 2 == 0, text[:500]
    pairs = []
    for head, body in zip(lines[::2], lines[1::2], strict=True):
        method, url = head.split(" ", 1)
        assert method == "POST"
        pairs.append((url, body.encode("utf-8")))
    return pairs
