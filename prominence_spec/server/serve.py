"""Serving the sandbox with waitress (a multi-threaded production WSGI server) until
Ctrl-C or SIGTERM; then running jobs are stopped and the database is closed."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from types import FrameType

import waitress

from prominence_spec.server.app import create_app
from prominence_spec.server.config import (
    MAX_BODY_BYTES,
    SandboxConfig,
    is_loopback,
    reachable_host,
)
from prominence_spec.server.recovery import Recovered
from prominence_spec.server.service import Sandbox

#: Request threads: enough for every running job's callbacks plus clients polling.
MIN_THREADS = 16


def _threads(config: SandboxConfig) -> int:
    return max(MIN_THREADS, 4 * config.max_jobs)


class _OnceFilter(logging.Filter):
    """Let waitress's "Task queue depth" warning through once, then note it is muted."""

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


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _recovery_note(found: Recovered) -> str | None:
    if not (found.requeued or found.failed):
        return None
    return (
        f"recovered from an unclean stop: {found.killed} leftover process(es) killed, "
        f"{found.requeued} job(s) re-queued, {found.failed} job(s) failed"
    )


def serve(config: SandboxConfig, say: Callable[[str], None]) -> None:
    """Run the sandbox in the foreground; ``say`` prints a line for the user."""
    box = Sandbox(config)
    try:
        note = _recovery_note(box.recover())
        server = waitress.create_server(
            create_app(box), host=config.host, port=config.port, threads=_threads(config),
            ident="promspec-sandbox", max_request_body_size=16 * MAX_BODY_BYTES,
            connection_limit=1000, channel_timeout=120,
        )  # fmt: skip
        origin = f"http://{_url_host(reachable_host(config.host))}:{server.effective_port}"
        box.start(origin)
        _warn(config, box)
        say(f"promspec sandbox: serving {origin}/api/v1")
        say(f"token file: {config.resolved_token_file}")
        say(f"data: {config.data_dir}")
        say(f"executor: {box.executor.name}" + _auto_note(config, box))
        if note:
            say(note)
        signal.signal(signal.SIGTERM, _stop)
        server.run()
    finally:
        box.close()


def _warn(config: SandboxConfig, box: Sandbox) -> None:
    """Say on stderr what this sandbox exposes (never a token)."""
    log = logging.getLogger("promspec.sandbox")
    if not is_loopback(config.host):
        log.warning(
            "warning: listening on %s: traffic, tokens included, is cleartext http; anyone "
            "who can reach it and holds a token can submit jobs", config.host
        )  # fmt: skip
    if box.executor.name == "host":
        log.warning(
            "warning: the host executor runs every user's commands as you, with your "
            "files and no isolation between users"
        )


def _auto_note(config: SandboxConfig, box: Sandbox) -> str:
    if config.executor != "auto":
        return ""
    if box.executor.name == "host":
        return " (auto: no usable container runtime, so tasks run on this machine)"
    return f" (auto: {box.executor.name} is usable)"


__all__ = ["serve"]
