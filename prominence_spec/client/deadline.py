"""A deadline for a whole request, not only for each socket read.

requests' ``timeout`` bounds each read from the socket: a server that trickles its answer
a byte a second never trips it, and a 150 s timeout becomes hours. Here every read of an
answer (status line, headers, body) gets at most the time left until the request's
deadline, set per thread by :func:`bounded` around one request; once it has passed, the
read fails as a timeout and :func:`expired` says that the deadline, not one slow read, was
the cause. The pooled connections of :func:`adapter` read their answers this way.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_STATE = threading.local()


@contextmanager
def bounded(seconds: float) -> Iterator[None]:
    """Reads of answers in this thread end ``seconds`` from now at the latest."""
    _STATE.at, _STATE.expired = time.monotonic() + seconds, False
    try:
        yield
    finally:
        _STATE.at = None


def expired() -> bool:
    """Whether the last bounded request in this thread ran out of its whole time."""
    return bool(getattr(_STATE, "expired", False))


class _BoundedReads(io.RawIOBase):
    """The socket's raw reader, each read given no more than the time that is left."""

    def __init__(self, raw: Any, sock: socket.socket) -> None:
        super().__init__()
        self._raw, self._sock = raw, sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        deadline = getattr(_STATE, "at", None)
        if deadline is None:
            return int(self._raw.readinto(buffer))
        left = deadline - time.monotonic()
        base = self._sock.gettimeout()
        if left <= 0:
            _STATE.expired = True
            raise TimeoutError("the request's deadline has passed")
        shorter = base is None or left < base
        self._sock.settimeout(left if shorter else base)
        try:
            return int(self._raw.readinto(buffer))
        except TimeoutError:
            _STATE.expired = shorter
            raise
        finally:
            self._sock.settimeout(base)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _BoundedSocket:
    """A connected socket whose binary reader is :class:`_BoundedReads`."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def makefile(self, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if mode != "rb":
            return self._sock.makefile(mode, *args, **kwargs)  # type: ignore[call-overload]
        raw = self._sock.makefile("rb", buffering=0)
        return io.BufferedReader(_BoundedReads(raw, self._sock))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _Connection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _BoundedSocket(self.sock)


class _TLSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _BoundedSocket(self.sock)


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


class BoundedAdapter(HTTPAdapter):
    """requests' adapter, whose connections read answers within the thread's deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}


__all__ = ["BoundedAdapter", "bounded", "expired"]
