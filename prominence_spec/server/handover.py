"""What the sandbox shares with the process that started it: the ready line written to
``--ready-fd`` once the port is bound, the parent's pipe on ``--parent-fd`` (its end of
file means the parent is gone, so the sandbox stops), and the temporary folder
``--remove-on-exit`` names (``promspec run --local``'s, removed when the sandbox stops).

The parent's pipe is portable and cannot be missed: the kernel closes the parent's end
when it dies, however it dies (``kill -9`` included), whereas ``PR_SET_PDEATHSIG`` is
Linux-only and fires when the *thread* that started the child ends.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from prominence_spec.server.config import SandboxConfig, SandboxConfigError

#: The prefix of the temporary folders ``promspec run --local`` makes (``tempfile``).
LOCAL_PREFIX = "promspec-local-"
#: The signals that stop the sandbox in order (unless they were ignored when it started).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class Handover:
    """The ``--ready-fd``, ``--parent-fd`` and ``--remove-on-exit`` options."""

    ready_fd: int | None = None
    parent_fd: int | None = None
    remove_on_exit: Path | None = None

    def check(self, config: SandboxConfig) -> None:
        """Refuse descriptors that are not open and a folder the sandbox does not own."""
        for option, fd in (("--ready-fd", self.ready_fd), ("--parent-fd", self.parent_fd)):
            if fd is not None and not _is_open(fd):
                raise SandboxConfigError(f"{option} {fd}: not an open file descriptor")
        folder = self.remove_on_exit
        if folder is not None and not (
            folder.name.startswith(LOCAL_PREFIX) and config.data_dir.is_relative_to(folder)
        ):
            raise SandboxConfigError(
                f"--remove-on-exit {folder}: only a {LOCAL_PREFIX}* folder that holds --data"
            )

    def remove_folder(self) -> None:
        if self.remove_on_exit is not None:
            shutil.rmtree(self.remove_on_exit, ignore_errors=True)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def ready_line(url: str, token_file: Path) -> bytes:
    """The one line ``--ready-fd`` receives: a JSON object and a newline."""
    return json.dumps({"url": url, "token_file": str(token_file), "pid": os.getpid()}).encode()


def announce(fd: int, line: bytes) -> None:
    """Write ``line`` and a newline to ``fd``, then close it (a reader that went away is
    not an error: the parent's pipe says what to do then)."""
    data = line + b"\n"
    try:
        while data:
            data = data[os.write(fd, data) :]
    except OSError:
        pass
    finally:
        os.close(fd)


class StopRequest:
    """Set once, by a signal, the parent's pipe closing or the process itself; ``wake``
    is called when it is set (to wake the server's loop at once)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""
        self.wake: Callable[[], None] = lambda: None

    def set(self, reason: str) -> None:
        if not self._event.is_set():
            self.reason = reason
            self._event.set()
        self.wake()

    def is_set(self) -> bool:
        return self._event.is_set()


@contextmanager
def stop_on_signals(stop: StopRequest) -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP set ``stop`` instead of interrupting whatever runs (a
    signal ignored when the sandbox started, as under ``nohup``, stays ignored)."""
    previous = {}
    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) is not signal.SIG_IGN:
            previous[sig] = signal.signal(sig, lambda n, _f: stop.set(signal.Signals(n).name))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def watch_parent(fd: int, stop: StopRequest) -> None:
    """Set ``stop`` when ``fd`` (the read end of the parent's pipe) reaches end of file."""

    def watch() -> None:
        while True:
            try:
                data = os.read(fd, 512)
            except OSError:
                data = b""
            if not data:
                stop.set("the parent process is gone")
                return

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


__all__ = [
    "LOCAL_PREFIX",
    "Handover",
    "StopRequest",
    "announce",
    "ready_line",
    "stop_on_signals",
    "watch_parent",
]
