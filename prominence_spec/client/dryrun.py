"""``submit --dry-run``: the requests a submit would make, byte for byte, sending nothing.

``text``  per request a line ``POST <url>`` and the body as one compact JSON line;
``json``  one array of ``{"method", "url", "body"}`` (the body embedded verbatim);
``curl``  a shell script that sends those same bytes with curl, reading the token from
          ``$PROMINENCE_TOKEN`` at run time (its value is never written, and never in
          curl's argv: the header is read from a private temporary file).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

FORMATS = ("text", "json", "curl")


def request_url(base_url: str, kind: str) -> str:
    return base_url + ("/workflows" if kind == "workflow" else "/jobs")


def write_requests(
    points: Iterable[tuple[str, str]], base_url: str, stream: TextIO, fmt: str
) -> int:
    """Write every request; the number written."""
    writer = {"text": _text, "json": _json, "curl": _curl}[fmt]
    return writer(points, base_url, stream)


#: Requests handed to the stream at once (as the JSONL writer batches its lines).
_REQUESTS_PER_WRITE = 64


def _text(points: Iterable[tuple[str, str]], base_url: str, stream: TextIO) -> int:
    count = 0
    jobs, workflows = f"POST {base_url}/jobs", f"POST {base_url}/workflows"
    # each request's two lines as two items, every item followed by a newline when joined:
    # no string of its own made per request
    pending: list[str] = []
    append = pending.append
    try:
        for kind, body in points:
            append(workflows if kind == "workflow" else jobs)
            append(body)
            count += 1
            if len(pending) == 2 * _REQUESTS_PER_WRITE:
                _write_lines(pending, stream)
    finally:
        if pending:
            _write_lines(pending, stream)
    return count


def _write_lines(pending: list[str], stream: TextIO) -> None:
    pending.append("")
    text = "\n".join(pending)
    pending.clear()  # before writing: a failed write is never repeated
    stream.write(text)


def _json(points: Iterable[tuple[str, str]], base_url: str, stream: TextIO) -> int:
    count = 0
    stream.write("[")
    for kind, body in points:
        head = json.dumps({"method": "POST", "url": request_url(base_url, kind)})
        stream.write(("\n" if count == 0 else ",\n") + head[:-1] + ',"body":')
        stream.write(body)
        stream.write("}")
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


_CURL_HEAD = """#!/bin/sh
# Written by `promspec submit --dry-run --curl`: the requests promspec would send.
# The token is read from $PROMINENCE_TOKEN when this runs; it is not in this file. curl
# reads the Authorization header from a private temporary file (-H @FILE), so the token
# is never in curl's command line, where `ps` would show it to every user.
set -eu
: "${PROMINENCE_TOKEN:?set PROMINENCE_TOKEN to your access token}"
auth=$(mktemp)
trap 'rm -f "$auth"' EXIT
trap 'rm -f "$auth"; exit 130' INT TERM
chmod 600 "$auth"
printf 'Authorization: Bearer %s\\n' "$PROMINENCE_TOKEN" > "$auth"
post() {
    curl -sS -X POST -H @"$auth" \\
        -H "Content-Type: application/json" --data-binary @- "$1"
    echo
}
"""


def _curl(points: Iterable[tuple[str, str]], base_url: str, stream: TextIO) -> int:
    stream.write(_CURL_HEAD)
    count = 0
    for kind, body in points:
        url = _quote(request_url(base_url, kind))
        stream.write(f"printf '%s' {_quote(body)} | post {url}\n")
        count += 1
    return count


def _quote(text: str) -> str:
    """A single-quoted shell word: exact for any text without NUL."""
    return "'" + text.replace("'", "'\\''") + "'"
