"""The sandbox's HTTP side as a life: bind the port (before anything is written), serve
with waitress until a stop is requested, then drain: refuse new connections, answer every
request already received or being received, close the connections, end the threads.

waitress's own ``run()`` stops its loop on ``KeyboardInterrupt`` with the answers still in
the connections' buffers; the loop here is waitress's, run one poll at a time so that a
stop can be requested from a signal handler or another thread.
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from typing import Any

import waitress
from waitress import wasyncore
from waitress.channel import HTTPChannel

from prominence_spec.server.config import MAX_BODY_BYTES, SandboxConfigError
from prominence_spec.server.handover import StopRequest

#: Request threads at least (running jobs' callbacks plus clients polling).
THREADS = 16
#: Seconds a poll of the loop waits at most (a stop also wakes it at once).
POLL_SECONDS = 1.0
#: Seconds the requests in flight have to be answered once a stop begins.
DRAIN_SECONDS = 10.0
#: Seconds waitress's threads have to end after the drain.
THREADS_SECONDS = 5.0


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (IPv4 first where a name has both), or a
    SandboxConfigError that says what to do."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise SandboxConfigError(f"--host {host}: {exc.strerror}") from None
    family, _, _, _, address = min(found, key=lambda info: info[0] != socket.AF_INET)
    try:
        return socket.create_server(address, family=family, backlog=1024)
    except OSError as exc:
        raise SandboxConfigError(_bind_error(host, port, exc)) from None


def _bind_error(host: str, port: int, exc: OSError) -> str:
    free = "or --port 0 for any free port"
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is in use; pick another with --port, {free}"
    if exc.errno == errno.EACCES:
        return f"port {port} needs privileges; pick one above 1023 with --port, {free}"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; pick another with --host"
    return f"cannot listen on {host}:{port}: {exc.strerror}"


def threads_for(max_jobs: int) -> int:
    """Request threads for a sandbox running ``max_jobs`` jobs at once."""
    return max(THREADS, 4 * max_jobs)


class _OnceFilter(logging.Filter):
    """Let waitress's "Task queue depth" warning through once, then mute it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = False

    def filter(self, record: logging.LogRecord) -> bool:
        if self.seen:
            return False
        self.seen = True
        record.msg = f"{record.msg} (requests are queueing; this warning is shown once)"
        return True


logging.getLogger("waitress.queue").addFilter(_OnceFilter())


def make_server(app: Any, sock: socket.socket, threads: int = THREADS) -> Any:
    """waitress on the bound socket ``sock``."""
    return waitress.create_server(
        app, sockets=[sock], threads=threads, ident="promspec-sandbox",
        max_request_body_size=16 * MAX_BODY_BYTES, connection_limit=1000, channel_timeout=120,
    )  # fmt: skip


def serve_until(server: Any, stop: StopRequest) -> None:
    """Run the server's loop until ``stop`` is set."""
    stop.wake = server.pull_trigger
    while not stop.is_set():
        _poll(server, POLL_SECONDS)


def _poll(server: Any, timeout: float) -> None:
    wasyncore.loop(timeout=timeout, map=server._map, use_poll=server.adj.asyncore_use_poll,
                   count=1)  # fmt: skip


def _channels(server: Any) -> list[HTTPChannel]:
    return [c for c in list(server._map.values()) if isinstance(c, HTTPChannel)]


def _busy(channel: HTTPChannel) -> bool:
    """A request is being received, handled or sent on the connection, or the client's
    bytes wait in the socket unread (the stop can come before the loop has read them)."""
    if channel.requests or channel.total_outbufs_len or channel.request is not None:
        return True
    return _unread(channel.socket)


def _unread(sock: socket.socket | None) -> bool:
    """Bytes the client sent wait in ``sock`` (an end of file is not a request)."""
    if sock is None:
        return False
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except OSError:  # nothing waiting (EAGAIN), or reset by the client: nothing to answer
        return False


def _accept_waiting(server: Any) -> None:
    """Accept the connections the kernel has completed but waitress not yet taken: their
    clients connected before the stop, so they are answered too."""
    while True:
        before = len(server._map)
        server.handle_accept()
        if len(server._map) == before:
            return


def drain(server: Any, seconds: float = DRAIN_SECONDS) -> int:
    """Stop accepting, answer what was received (for ``seconds`` at most), close every
    connection and end the threads. Returns the connections cut at the deadline."""
    _accept_waiting(server)
    wasyncore.dispatcher.close(server)  # the listening socket: new connections are refused
    deadline = time.monotonic() + seconds
    busy = _channels(server)
    while busy and time.monotonic() < deadline:
        _poll(server, 0.05)
        for channel in _channels(server):
            if not _busy(channel):
                channel.handle_close()
        busy = _channels(server)
    for channel in busy:
        channel.handle_close()
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=THREADS_SECONDS)
    wasyncore.close_all(server._map, ignore_all=True)  # the trigger
    return len(busy)


__all__ = ["DRAIN_SECONDS", "bind", "drain", "make_server", "serve_until", "threads_for"]
