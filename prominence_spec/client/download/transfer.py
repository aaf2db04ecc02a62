"""One presigned URL streamed to disk: a temporary name beside the target, renamed when
every byte is there, so that an interrupted download never leaves a partial file under a
final name. Memory use is one chunk, whatever the file's size.

Presigned URLs go through one urllib3 pool (:func:`storage_pool`), not requests: it sends
no token (presigned URLs carry their own signature), follows no redirect, retries nothing,
reads nothing from the environment, verifies TLS against certifi's bundle as requests does,
and costs less per request than a requests session."""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import certifi
import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from prominence_spec.client.download.names import PART_SUFFIX

#: Bytes per read of an answer: a whole small file in one read, one progress event per MB.
CHUNK = 1 << 20
TIMEOUT = (10.0, 150.0)
_SERIAL = itertools.count()


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
    """A completed temporary file: where it is, its size and sha256, and its ``os.stat``
    (taken before it was closed: a rename keeps size and mtime)."""

    path: Path
    size: int
    sha256: str
    stat: os.stat_result


def storage_pool(size: int) -> urllib3.PoolManager:
    """The connections for presigned URLs: ``size`` kept alive per host (callers beyond
    that wait for one), no token, no redirect, no retry, nothing from the environment."""
    return urllib3.PoolManager(
        num_pools=8,
        maxsize=max(1, size),
        block=True,
        retries=False,
        timeout=urllib3.Timeout(connect=TIMEOUT[0], read=TIMEOUT[1]),
        headers={"User-Agent": "promspec"},
        cert_reqs="CERT_REQUIRED",
        ca_certs=certifi.where(),
    )


def open_temporary(target: Path) -> tuple[Path, int]:
    """A new empty file beside ``target`` (``.NAME.PID-N.promspec-part``), open for
    writing: one ``open`` (``O_EXCL``), no random name tried in a loop."""
    while True:
        part = target.with_name(f".{target.name}.{os.getpid()}-{next(_SERIAL)}{PART_SUFFIX}")
        try:
            return part, os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except FileExistsError:
            continue  # left by an earlier process of the same id


def temporary(target: Path) -> Path:
    """A new empty file beside ``target`` (see :func:`open_temporary`)."""
    part, handle = open_temporary(target)
    os.close(handle)
    return part


def write_new(target: Path, data: bytes) -> os.stat_result:
    """``data`` under a temporary name beside ``target``, then renamed to it: never a
    partial file under the final name. The file's stat (size and mtime survive the rename)."""
    part, handle = open_temporary(target)
    try:
        with open(handle, "wb", closefd=True) as out:
            out.write(data)
            out.flush()
            stat = os.fstat(handle)
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return stat


def fetch(
    pool: urllib3.PoolManager,
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
    try:
        answer = pool.request("GET", url, preload_content=False, redirect=False)
    except Urllib3Error as exc:
        raise TransferError("network", f"the download failed ({_cause(exc)})") from None
    whole = False  # the answer read to its end: its connection may serve the next one
    try:
        if answer.status != 200:
            body = answer.read(2000, decode_content=True)
            whole = answer.read(1) == b""
            raise _refused(answer.status, body)
        part, handle = open_temporary(target)
        try:
            written = _stream(answer, part, handle, stop, received, expected)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        whole = True
        return written
    except Urllib3Error as exc:
        raise TransferError("network", f"the download failed ({_cause(exc)})") from None
    finally:
        if not whole:
            answer.close()  # unread bytes: the connection is not reused
        answer.release_conn()


def _stream(
    answer: urllib3.BaseHTTPResponse,
    part: Path,
    handle: int,
    stop: threading.Event,
    received: Callable[[int], None],
    expected: int | None,
) -> Written:
    digest, size = hashlib.sha256(), 0
    try:
        with open(handle, "wb", buffering=0, closefd=True) as out:
            for chunk in answer.stream(CHUNK):
                if stop.is_set():
                    raise StoppedError
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                received(len(chunk))
            stat = os.fstat(handle)
    except OSError as exc:
        raise TransferError("write", f"cannot write ({exc.strerror})") from None
    if expected is not None and size != expected:
        raise TransferError("size", f"got {size:,} bytes where the record says {expected:,}")
    return Written(part, size, digest.hexdigest(), stat)


def _cause(exc: Exception) -> str:
    """The exception's name as requests would have said it (ReadTimeout, ConnectionError)."""
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return "ReadTimeout"
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return "ConnectTimeout"
    if isinstance(exc, urllib3.exceptions.SSLError):
        return "SSLError"
    return "ConnectionError"


def _refused(status: int, body: bytes) -> TransferError:
    text = body.decode("utf-8", "replace")
    code = _s3_code(text) if status in (403, 404) else None
    what = f"HTTP {status}" + (f" {code}" if code else "")
    kind = "expired" if status == 403 else "http"
    return TransferError(kind, f"the storage answered {what}", status)


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
