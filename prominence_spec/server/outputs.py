"""Output files as object storage serves them: presigned URLs (valid
``--output-url-lifetime`` seconds, 7 days by default as production's) that need no token,
answered by the ``/storage`` route with S3's answers: an expired or altered URL is 403 with
S3's XML error body, a missing object 404 ``NoSuchKey``."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, cast

from flask import Blueprint, Response, request
from werkzeug.utils import send_file

from prominence_spec.server.auth import sign, signature_ok
from prominence_spec.server.runner import job_dir
from prominence_spec.server.web import sandbox

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

    from prominence_spec.server.service import Sandbox

bp = Blueprint("storage", __name__)


def _message(job_id: int, obj: str, expires: int) -> str:
    return f"{job_id}\n{obj}\n{expires}"


def output_url(job_id: int, obj: str) -> str:
    """A presigned URL of output object ``obj`` of job ``job_id``."""
    box = sandbox()
    expires = int(time.time()) + box.config.output_url_lifetime
    query = urllib.parse.urlencode(
        {"expires": expires, "signature": sign(box.secret, _message(job_id, obj, expires))}
    )
    return f"{box.origin}/storage/{job_id}/{urllib.parse.quote(obj)}?{query}"


def storage_error(status: int, code: str, message: str) -> Response:
    """An error as S3 answers a presigned GET."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return Response(body, status=status, content_type="application/xml")


@bp.get("/storage/<int:job_id>/<path:obj>")
def download(job_id: int, obj: str) -> Response:
    """An output file, for a caller holding its presigned URL (the fast path of
    :mod:`.fastpath` answers the plain ones before Flask, with :func:`storage_answer`)."""
    try:
        expires: int | None = int(request.args.get("expires", ""))
    except ValueError:
        expires = None
    signature = request.args.get("signature", "")
    return storage_answer(sandbox(), job_id, obj, expires, signature, request.environ)


def storage_answer(
    box: Sandbox,
    job_id: int,
    obj: str,
    expires: int | None,
    signature: str,
    environ: WSGIEnvironment,
) -> Response:
    """What the storage answers a GET of ``obj`` of job ``job_id`` with this query."""
    if box.config.storage_latency_ms:
        time.sleep(box.config.storage_latency_ms / 1000)
    if expires is None:
        return storage_error(403, "AccessDenied", "Query-string authentication requires Expires")
    if not signature_ok(box.secret, _message(job_id, obj, expires), signature):
        return storage_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    if expires < time.time():
        return storage_error(403, "AccessDenied", "Request has expired")
    root = (job_dir(box.config, job_id) / "outputs").resolve()
    path = (root / obj).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return storage_error(404, "NoSuchKey", "The specified key does not exist.")
    # what flask.send_file does with the app's defaults, without needing its context
    answer = send_file(
        path,
        environ,
        as_attachment=True,
        download_name=path.name,
        response_class=Response,
        use_x_sendfile=False,
        max_age=None,
    )
    if box.config.storage_rate_mb:
        answer.response = paced(
            cast(Iterable[bytes], answer.response), box.config.storage_rate_mb * 1e6
        )
    return cast(Response, answer)


#: Bytes sent at a time by a download with a rate limit.
PIECE = 64 * 1024


def paced(chunks: Iterable[bytes], rate: float) -> Generator[bytes, None, None]:
    """``chunks`` in pieces of :data:`PIECE` bytes, at ``rate`` bytes a second at most;
    the source is closed however the answer ends."""
    start, sent = time.monotonic(), 0
    try:
        for chunk in chunks:
            for at in range(0, len(chunk), PIECE):
                piece = chunk[at : at + PIECE]
                ahead = sent / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
                sent += len(piece)
                yield piece
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


__all__ = ["bp", "output_url", "storage_answer", "storage_error"]
