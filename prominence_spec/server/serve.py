"""Serving the sandbox in the foreground until Ctrl-C, SIGTERM, SIGHUP or the end of the
parent's pipe (``--parent-fd``).

Start-up, in this order: the settings are checked, the port is bound (so a port in use
changes nothing on disk), the data folder is locked and the database opened, the token
file is written, what a crashed run left is settled, the scheduler starts; then the
start-up lines are printed and the ready line is written to ``--ready-fd``.

Stop, in this order: no more jobs start, new connections are refused, the requests
already received are answered (for ``listener.DRAIN_SECONDS`` at most) and waitress's
threads end, the running jobs are stopped and go back to pending, and only then is the
database closed and the folder released; last, ``--remove-on-exit`` removes the
temporary folder of ``promspec run --local``.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from typing import Any

from prominence_spec.server.app import create_app
from prominence_spec.server.config import SandboxConfig, is_loopback, reachable_host
from prominence_spec.server.handover import (
    Handover,
    StopRequest,
    announce,
    ready_line,
    stop_on_signals,
    watch_parent,
)
from prominence_spec.server.listener import (
    DRAIN_SECONDS,
    bind,
    drain,
    make_server,
    serve_until,
    threads_for,
)
from prominence_spec.server.recovery import Recovered
from prominence_spec.server.service import Sandbox

Say = Callable[[str], None]


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _recovery_note(found: Recovered) -> str | None:
    if not (found.requeued or found.failed):
        return None
    return (
        f"recovered from an unclean stop: {found.killed} leftover process(es) killed, "
        f"{found.requeued} job(s) re-queued, {found.failed} job(s) failed"
    )


def serve(config: SandboxConfig, say: Say, handover: Handover | None = None) -> None:
    """Run the sandbox until it is asked to stop; ``say`` prints a line for the user.
    Raises SandboxConfigError (before anything is written) for settings it cannot start with."""
    handover = handover or Handover()
    stop = StopRequest()
    with stop_on_signals(stop):
        config.check()
        handover.check(config)
        if handover.parent_fd is not None:
            watch_parent(handover.parent_fd, stop)
        sock = bind(config.host, config.port)
        try:
            box = Sandbox(config)
        except BaseException:
            sock.close()
            raise
        try:
            server = make_server(create_app(box), sock, threads=threads_for(config.max_jobs))
            _serve(box, server, say, handover, stop)
        finally:
            _close(box, say)
            handover.remove_folder()


def _serve(box: Sandbox, server: Any, say: Say, handover: Handover, stop: StopRequest) -> None:
    try:
        box.write_token_file()
        note = _recovery_note(box.recover())
        host = _url_host(reachable_host(box.config.host))
        box.start(f"http://{host}:{server.effective_port}")
        _say_started(box, say, note)
        if handover.ready_fd is not None:
            announce(handover.ready_fd, ready_line(box.base_url, box.config.resolved_token_file))
        serve_until(server, stop)
    finally:
        if stop.is_set():
            say(f"promspec sandbox: stopping ({stop.reason})")
        box.stop_scheduling()
        cut = drain(server)
        if cut:
            say(f"warning: {cut} connection(s) still busy after {DRAIN_SECONDS:g} s were closed")


def _close(box: Sandbox, say: Say) -> None:
    left = box.close()
    if left:
        say(f"warning: job(s) {', '.join(map(str, left))} did not stop in time; "
            "the next start settles them")  # fmt: skip


def _say_started(box: Sandbox, say: Say, note: str | None) -> None:
    config = box.config
    _warn(box)
    say(f"promspec sandbox: serving {box.base_url}")
    say(f"token file: {config.resolved_token_file}")
    say(f"data: {config.data_dir}")
    say(f"executor: {box.executor.name}" + _auto_note(box))
    if note:
        say(note)
    say("# to use it from another shell:")
    say(f"export PROMINENCE_URL={shlex.quote(box.base_url)}")
    say(f"export PROMINENCE_TOKEN_FILE={shlex.quote(str(config.resolved_token_file))}")


def _warn(box: Sandbox) -> None:
    """Say on stderr what this sandbox exposes (never a token)."""
    log = logging.getLogger("promspec.sandbox")
    if not is_loopback(box.config.host):
        log.warning(
            "warning: listening on %s: traffic, tokens included, is cleartext http; anyone "
            "who can reach it and holds a token can submit jobs", box.config.host
        )  # fmt: skip
    if box.executor.name == "host":
        log.warning(
            "warning: the host executor runs every user's commands as you, with your "
            "files and no isolation between users"
        )


def _auto_note(box: Sandbox) -> str:
    if box.config.executor != "auto":
        return ""
    return " (auto: tasks run on this machine; name a container executor to use one)"


__all__ = ["serve"]
