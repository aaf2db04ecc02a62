"""Transport's GET against a real HTTP server on loopback: the headers it sends
(User-Agent, the bearer token), cookies a server sets sent back, the query string, a
gzip body decoded, and a refused connection told as a clear error."""

from __future__ import annotations

import gzip
import http.server
import json
from collections.abc import Iterator
from typing import Any

import pytest

from prominence_spec.client.credentials import token_from_value
from prominence_spec.client.errors import TransportError
from prominence_spec.client.http import Transport

from client_support import make_token
from support import serving


class _Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps({"path": self.path, "headers": dict(self.headers)}).encode()
        self.send_response(200)
        if self.path.startswith("/api/v1/set"):
            self.send_header("Set-Cookie", "session=abc; Path=/")
        if self.path.startswith("/api/v1/gz"):
            body = gzip.compress(b"unzipped")
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def server() -> Iterator[str]:
    with serving(_Echo) as base:
        yield base


def test_a_get_sends_what_requests_would_and_keeps_cookies(server: str) -> None:
    token = token_from_value(make_token("alice"), "the test")
    transport = Transport(server + "/api/v1", token, user_agent="promspec-test")
    try:
        first = transport.call("GET", "/set", params={"offset": "0", "a b": "c&d"})
        seen = first.json()
        assert seen["path"] == "/api/v1/set?offset=0&a+b=c%26d"
        headers = {k.lower(): v for k, v in seen["headers"].items()}
        assert headers["user-agent"] == "promspec-test"
        assert headers["authorization"] == "Bearer " + token.secret.reveal()
        assert "cookie" not in headers
        assert first.headers["set-cookie"] == "session=abc; Path=/"
        again = {k.lower(): v for k, v in transport.call("GET", "/echo").json()["headers"].items()}
        assert again["cookie"] == "session=abc"
        assert transport.call("GET", "/gz").content == b"unzipped"
    finally:
        transport.close()


def test_a_refused_get_is_told_as_before() -> None:
    transport = Transport("http://127.0.0.1:9/api/v1", None)
    try:
        with pytest.raises(TransportError) as refused:
            transport.send("GET", "/jobs")
    finally:
        transport.close()
    assert refused.value.kind == "refused" and refused.value.sent is False
    assert "GET http://127.0.0.1:9/api/v1/jobs: connection refused" in str(refused.value)
