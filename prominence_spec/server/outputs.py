"""Output files as object storage would serve them: presigned URLs (valid 7 days, as the
server's) that need no token, answered by the ``/storage`` route."""

from __future__ import annotations

import time
import urllib.parse
from pathlib import Path

from flask import Blueprint, Response, abort, request, send_file

from prominence_spec.server.auth import sign, signature_ok
from prominence_spec.server.config import OUTPUT_URL_LIFETIME
from prominence_spec.server.runner import job_dir
from prominence_spec.server.web import sandbox

bp = Blueprint("storage", __name__)


def _message(job_id: int, obj: str, expires: int) -> str:
    return f"{job_id}\n{obj}\n{expires}"


def output_url(job_id: int, obj: str) -> str:
    """A presigned URL of output object ``obj`` of job ``job_id``."""
    box = sandbox()
    expires = int(time.time()) + OUTPUT_URL_LIFETIME
    query = urllib.parse.urlencode(
        {"expires": expires, "signature": sign(box.secret, _message(job_id, obj, expires))}
    )
    return f"{box.origin}/storage/{job_id}/{urllib.parse.quote(obj)}?{query}"


@bp.get("/storage/<int:job_id>/<path:obj>")
def download(job_id: int, obj: str) -> Response:
    """An output file, for a caller holding its presigned URL."""
    box = sandbox()
    try:
        expires = int(request.args.get("expires", ""))
    except ValueError:
        abort(403)
    signature = request.args.get("signature", "")
    if expires < time.time() or not signature_ok(
        box.secret, _message(job_id, obj, expires), signature
    ):
        abort(403)
    root = (job_dir(box.config, job_id) / "outputs").resolve()
    path = (root / obj).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        abort(404)
    return send_file(Path(path), as_attachment=True, download_name=path.name)


__all__ = ["bp", "output_url"]
