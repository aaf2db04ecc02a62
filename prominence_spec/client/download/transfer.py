"""One presigned URL streamed to disk: a temporary name beside the target, renamed when
every byte is there, so that an interrupted download never leaves a partial file under a
final name. Memory use is one chunk, whatever the file's size.

The storage session sends no token (presigned URLs carry their own signature), follows no
redirect and reads nothing from the environment."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from prominence_spec.client.download.names import PART_SUFFIX
from prominence_spec.client.http import pooled_session

#: Bytes per read of an answer: a whole small file in one read, one progress event per MB.
CHUNK = 1 << 20
TIMEOUT = (10.0, 150.0)


class StoppedError(Exception):
    """The download was asked to stop (Ctrl-C)."""


class TransferError(Exception):
    """A URL could not be fetched; ``kind`` as :data:`model.PROBLEM_KINDS`, ``status`` the
    storage's HTTP status when it answered."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind, self.message, self.status = kind, message, status


@dataclass(frozen=True)
class Written:
    """A completed temporary file: where it is, its size and sha256."""

    path: Path
    size: int
    sha256: str


def storage_session(pool: int) -> requests.Session:
    """The session for presigned URLs: no token, nothing from the environment."""
    return pooled_session(None, pool, "promspec")


def temporary(target: Path) -> Path:
    """A new empty file beside ``target`` (``.NAME.XXXX.promspec-part``)."""
    handle, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=PART_SUFFIX, dir=target.parent
    )
    os.close(handle)
    return Path(name)


def fetch(
    session: requests.Session,
    url: str,
    target: Path,
    *,
    stop: threading.Event,
    received: Callable[[int], None],
    expected: int | None = None,
) -> Written:
    """GET ``url`` into a temporary file beside ``target``; the caller renames it (or
    removes it). Raises :class:`TransferError` or :class:`StoppedError`, leaving no temporary
    file behind."""
    if not url.startswith(("http://", "https://")):
        raise TransferError("http", f"not an http(s) URL: {url[:40]!r}")
    part = temporary(target)
    try:
        return _stream(session, url, part, stop, received, expected)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _stream(
    session: requests.Session,
    url: str,
    part: Path,
    stop: threading.Event,
    received: Callable[[int], None],
    expected: int | None,
) -> Written:
    digest, size = hashlib.sha256(), 0
    try:
        with session.get(url, stream=True, timeout=TIMEOUT, allow_redirects=False) as answer:
            if answer.status_code != 200:
                raise _refused(answer)
            with part.open("wb") as out:
                for chunk in answer.iter_content(CHUNK):
                    if stop.is_set():
                        raise StoppedError
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    received(len(chunk))
    except requests.exceptions.RequestException as exc:
        raise TransferError("network", f"the download failed ({type(exc).__name__})") from None
    except OSError as exc:
        raise TransferError("write", f"cannot write ({exc.strerror})") from None
    if expected is not None and size != expected:
        raise TransferError("size", f"got {size:,} bytes where the record says {expected:,}")
    return Written(part, size, digest.hexdigest())


def _refused(answer: requests.Response) -> TransferError:
    code = _s3_code(answer.text[:2000]) if answer.status_code in (403, 404) else None
    what = f"HTTP {answer.status_code}" + (f" {code}" if code else "")
    kind = "expired" if answer.status_code == 403 else "http"
    return TransferError(kind, f"the storage answered {what}", answer.status_code)


def _s3_code(body: str) -> str | None:
    start = body.find("<Code>")
    end = body.find("</Code>", start)
    return body[start + 6 : end] if start >= 0 and end > start else None


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
