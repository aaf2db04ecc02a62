"""The two GETs a download makes per point, answered before Flask when they are plain:
a presigned output URL (``/storage/<id>/<name>?expires=&signature=``) and a job's stdout
or stderr (``/api/v1/jobs/<id>/stdout``, with at most ``offset`` and ``node``).

A WSGI middleware, as a server puts its hottest routes in front of the framework: no
request context, no URL map, no view dispatch, and the token's check remembered
(:class:`~prominence_spec.server.auth.TokenCheck`). It answers only what it is sure of
and gives every other request to Flask unchanged: the storage's answers come from the
same function as the Flask route's (:func:`.outputs.storage_answer`: signature, expiry,
the file confined to the job's outputs); for a stream, only the 200 of a token that is
valid, a job that exists and is the caller's, and a file that is there. Anything else (no
token, another user's job, a job that never ran, an unusual name or query) is Flask's,
which answers as before, errors included.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Response

from prominence_spec.server.config import API_PREFIX
from prominence_spec.server.outputs import storage_answer
from prominence_spec.server.runner import job_dir, stream_file

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from prominence_spec.server.service import Sandbox

_ID = r"([1-9][0-9]{0,17})"  # what fits SQLite's ids; no sign, no leading zero
_PART = r"[A-Za-z0-9_~=+,@-][A-Za-z0-9._~=+,@-]*"  # no empty, "." or ".." part
_STORAGE = re.compile(rf"/storage/{_ID}/({_PART}(?:/{_PART})*)")
_STREAM = re.compile(rf"{re.escape(API_PREFIX)}/jobs/{_ID}/(stdout|stderr)")
_DIGITS = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")


class FastPaths:
    """WSGI middleware: ``app`` (Flask's ``wsgi_app``) behind the two fast paths."""

    def __init__(self, app: WSGIApplication, box: Sandbox) -> None:
        self.app, self.box = app, box

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET":
            try:
                answer = self._answer(environ)
            except Exception:  # noqa: BLE001 - Flask answers it, its handlers included
                answer = None
            if answer is not None:
                return answer(environ, start_response)
        return self.app(environ, start_response)

    def _answer(self, environ: WSGIEnvironment) -> Response | None:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/storage/"):
            return self._storage(path, environ)
        if path.endswith(("/stdout", "/stderr")):
            return self._stream(path, environ)
        return None

    def _storage(self, path: str, environ: WSGIEnvironment) -> Response | None:
        found = _STORAGE.fullmatch(path)
        query = _query(environ, ("expires", "signature"))
        if found is None or query is None or set(query) != {"expires", "signature"}:
            return None
        if not (_DIGITS.fullmatch(query["expires"]) and _SIGNATURE.fullmatch(query["signature"])):
            return None
        job_id, obj = int(found.group(1)), found.group(2)
        return storage_answer(
            self.box, job_id, obj, int(query["expires"]), query["signature"], environ
        )

    def _stream(self, path: str, environ: WSGIEnvironment) -> Response | None:
        found = _STREAM.fullmatch(path)
        query = _query(environ, ("offset", "node"))
        if found is None or query is None:
            return None
        if not all(_DIGITS.fullmatch(value) for value in query.values()):
            return None
        user = self.box.tokens.user(environ.get("HTTP_AUTHORIZATION"))
        if user is None:
            return None
        job_id, which = int(found.group(1)), found.group(2)
        row = self.box.store.row("SELECT owner FROM jobs WHERE id = ?", (job_id,))
        if row is None or row["owner"] != user:
            return None
        node, offset = int(query.get("node", "0")), int(query.get("offset", "0"))
        name = stream_file(job_dir(self.box.config, job_id), which, node)
        try:
            with open(name, "rb") as stream:
                stream.seek(offset)
                data = stream.read()
        except OSError:
            return None
        return Response(data, mimetype="text/html")


def _query(environ: WSGIEnvironment, allowed: tuple[str, ...]) -> dict[str, str] | None:
    """The query string's parameters if each is one of ``allowed`` and given once."""
    text = environ.get("QUERY_STRING", "")
    if not text:
        return {}
    pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
    found = dict(pairs)
    if len(found) != len(pairs) or not set(found) <= set(allowed):
        return None
    return found


__all__ = ["FastPaths"]
