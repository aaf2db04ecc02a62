"""What a server answer means: values, or the one exception class its failure belongs to.

The reference's catalogue of answers: ``{"error": ...}`` bodies (also with status 200),
``[]`` for an unknown id, Flask's HTML pages for 404/413/500 (summarised in one line, never
decoded as JSON), and 401 that may mean "feature disabled" rather than a bad token.
"""

from __future__ import annotations

import html
import re
from typing import Any, NoReturn

from prominence_spec.client.credentials import LOGIN_HINT, Token
from prominence_spec.client.errors import (
    AuthenticationError,
    ClientError,
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RejectedError,
    ServerError,
)
from prominence_spec.client.http import Reply

_TITLE = re.compile(rb"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
#: Production's messages that mean "not there", and the kind each one is (others, like
#: "Image x does not exist" for a POST, are rejections of the request).
_NOT_FOUND = {
    "job does not exist": "no-job",
    "workflow does not exist": "no-job",
    "no such job(s)": "no-job",
    "no such job": "no-job",
    "no such workflow(s)": "no-job",
    "stdout does not exist": "no-output",
    "stderr does not exist": "no-output",
}


def error_text(reply: Reply) -> str | None:
    """The server's own message: ``{"error": ...}`` (or health's ``{"errors": ...}``)."""
    data = reply.json()
    if isinstance(data, dict):
        for key in ("error", "errors"):
            value = data.get(key)
            if isinstance(value, str):
                return value
    return None


def summary(reply: Reply, token: Token | None = None) -> str:
    """One line about an answer: the server's message, an HTML page's title, or the text."""
    message = error_text(reply)
    if message is None:
        message = _page_summary(reply.content)
    line = f"HTTP {reply.status}" + (f": {message}" if message else "") + reply.note
    return token.redact(line) if token is not None else line


def _page_summary(content: bytes) -> str:
    found = _TITLE.search(content[:4096])
    if found:
        title = html.unescape(found.group(1).decode("utf-8", "replace"))
        return " ".join(title.split()) + " (an HTML page, not the API's JSON)"
    text = _TAGS.sub(" ", content[:400].decode("utf-8", "replace"))
    text = " ".join(text.split())
    return text[:200] + ("..." if len(text) > 200 else "")


def fail(reply: Reply, *, token: Token | None = None, what: str = "") -> NoReturn:
    """Raise the exception that a non-success answer stands for."""
    raise failure(reply, token=token, what=what)


def failure(reply: Reply, *, token: Token | None = None, what: str = "") -> ClientError:
    line = summary(reply, token)
    where = f"{what}: " if what else ""
    status = reply.status
    message = error_text(reply) or ""
    if status == 401:
        return _unauthorized(line, message, token)
    if status == 403:
        return PermissionDeniedError(f"{where}{line}", status=status)
    if status == 404:
        if message:
            return NotFoundError(f"{where}{line}", status=status, kind="no-job")
        return NotFoundError(
            f"{where}{line} for {reply.method} {reply.url}: no such route on the server "
            "(is the URL right? it should end in /v1)",
            status=status,
            kind="no-route",
        )
    if 300 <= status < 400:
        location = reply.headers.get("Location", "?")
        return ConfigError(
            f"{where}the server redirected {reply.method} {reply.url} to {location}; "
            "redirects are not followed: check --url / PROMINENCE_URL",
            status=status,
        )
    if status == 429 or (status == 503 and reply.headers.get("Retry-After")):
        return RateLimitedError(f"{where}{line}", status=status, retry_after=None)
    if status == 413:
        return RejectedError(
            f"{where}{line}: the request is larger than the server's 1 MiB limit", status=status
        )
    if 400 <= status < 500 or (status < 300 and message):
        kind = _NOT_FOUND.get(message.strip().rstrip(".").lower())
        if kind is not None:
            return NotFoundError(f"{where}{message}", status=status, kind=kind)
        return RejectedError(f"{where}{message or line}", status=status)
    if status >= 500:
        return ServerError(f"{where}{line}", status=status)
    return ServerError(f"{where}unexpected answer {line}", status=status)


def _unauthorized(line: str, message: str, token: Token | None) -> AuthenticationError:
    if message == "Functionality disabled":
        return AuthenticationError(
            f"{line}: this feature is disabled on this server (not a token problem)", status=401
        )
    source = f" from {token.source}" if token is not None else ""
    return AuthenticationError(
        f"{line}: the server did not accept the token{source}; it may have expired or been "
        f"revoked: {LOGIN_HINT}, or check PROMINENCE_TOKEN / --token-file",
        status=401,
    )


def expect_json(reply: Reply, ok: tuple[int, ...], *, token: Token | None, what: str) -> Any:
    """The JSON body of a success; an error body with a success status still fails."""
    if reply.status not in ok:
        fail(reply, token=token, what=what)
    data, problem = reply.decoded()
    if problem is not None:
        shown = f" ({summary(reply, token)})" if problem == "not JSON" else ""
        raise ServerError(
            f"{what}: HTTP {reply.status} but the body is {problem}{shown}", status=reply.status
        )
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        fail(reply, token=token, what=what)
    return data


def looks_like_html_page(content: bytes) -> bool:
    """Whether a body is an HTML document (a portal's or a proxy's page, or a job's output
    that happens to be one: the caller tells which by asking the API)."""
    head = content[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def page_title(content: bytes) -> str:
    found = _TITLE.search(content[:4096])
    return (
        " ".join(html.unescape(found.group(1).decode("utf-8", "replace")).split()) if found else ""
    )


def expect_list(reply: Reply, *, token: Token | None, what: str) -> list[dict[str, Any]]:
    data = expect_json(reply, (200,), token=token, what=what)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ServerError(f"{what}: expected a JSON list of objects", status=reply.status)
    return data
