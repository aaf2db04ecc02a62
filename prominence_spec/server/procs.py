"""Processes of running tasks: each task is its own process group (session), waited for
with ``wait4`` so that its CPU time and peak memory are known, and killed as a group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

POLL_SECONDS = 0.02
#: Memory use is sampled every this many polls (0.1 s).
SAMPLE_EVERY = 5
#: Set in every task's environment: ``<sandbox marker>/<job id>``, so that the processes
#: a crashed sandbox left can be told from unrelated processes that reuse the ids.
MARKER_VARIABLE = "PROMSPEC_SANDBOX_JOB"


@dataclass
class Proc:
    """A started task."""

    popen: subprocess.Popen[bytes]
    pgid: int
    start_ticks: str | None
    started: float
    #: The largest resident set of the task's process tree seen so far, in KB.
    peak_rss_kb: int = 0


@dataclass(frozen=True)
class Ended:
    """How a task ended: ``how`` is ``exited``, ``timeout`` or ``cancelled``."""

    how: str
    exit_code: int
    wall: float
    cpu: float
    max_rss_kb: int


def start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22),
    or None where ``/proc`` is not available."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()[19]


def spawn(argv: list[str], cwd: Path, env: dict[str, str], out: IO[bytes], err: IO[bytes]) -> Proc:
    """Start ``argv`` as the leader of a new session (so of a new process group)."""
    popen = subprocess.Popen(
        argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
        start_new_session=True, close_fds=True,
    )  # fmt: skip
    return Proc(popen, popen.pid, start_ticks(popen.pid), time.monotonic())


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and its descendants, in KB (0 without ``/proc``)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _rss_kb(current)
        todo += _children(current)
    return total


def sample(proc: Proc) -> None:
    """Note the task's memory use now (wait4's ru_maxrss would count the Python process
    the task was forked from, so the sandbox samples instead)."""
    proc.peak_rss_kb = max(proc.peak_rss_kb, tree_rss_kb(proc.popen.pid))


def _reap(proc: Proc) -> tuple[int, float, int] | None:
    """(exit code, cpu seconds, peak RSS KB) if the task has ended, else None."""
    try:
        pid, status, usage = os.wait4(proc.popen.pid, os.WNOHANG)
    except ChildProcessError:
        return (proc.popen.returncode or 0), 0.0, proc.peak_rss_kb
    if pid == 0:
        return None
    code = os.waitstatus_to_exitcode(status)
    proc.popen.returncode = code
    return code, usage.ru_utime + usage.ru_stime, proc.peak_rss_kb


def wait(proc: Proc, *, deadline: float, cancel: threading.Event) -> Ended:
    """Wait for the task, the deadline (monotonic) or a cancellation, whichever is first;
    on the last two the task's process group is not yet killed."""
    polls = 0
    while True:
        if polls % SAMPLE_EVERY == 1:
            sample(proc)
        polls += 1
        done = _reap(proc)
        if done is not None:
            code, cpu, rss = done
            return Ended("exited", code, time.monotonic() - proc.started, cpu, rss)
        now = time.monotonic()
        if now >= deadline:
            return Ended("timeout", -9, now - proc.started, 0.0, proc.peak_rss_kb)
        if cancel.wait(min(POLL_SECONDS, deadline - now)):
            return Ended("cancelled", -15, time.monotonic() - proc.started, 0.0, proc.peak_rss_kb)


def signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to the process group; False if it has no processes left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def kill_group(proc: Proc, grace: float) -> Ended:
    """SIGTERM the task's process group, SIGKILL it after ``grace`` seconds, reap it."""
    signal_group(proc.pgid, signal.SIGTERM)
    end = time.monotonic() + grace
    while time.monotonic() < end:
        done = _reap(proc)
        if done is not None:
            break
        time.sleep(POLL_SECONDS)
    signal_group(proc.pgid, signal.SIGKILL)
    done = _reap(proc)
    while done is None:
        time.sleep(POLL_SECONDS)
        done = _reap(proc)
    code, cpu, rss = done
    return Ended("killed", code, time.monotonic() - proc.started, cpu, rss)


def _each_process(name: str) -> Iterator[tuple[int, bytes]]:
    """``(pid, contents of /proc/<pid>/<name>)`` of every process that can be read."""
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else []:
        if not entry.name.isdigit():
            continue
        try:
            yield int(entry.name), (entry / name).read_bytes()
        except OSError:
            continue


def group_members(pgid: int) -> list[int]:
    """The processes (pids) in process group ``pgid``, read from ``/proc``."""
    return [
        pid
        for pid, stat in _each_process("stat")
        if int(stat.rsplit(b")", 1)[1].split()[2]) == pgid
    ]


def has_marker(pid: int, marker: str) -> bool:
    """The process's environment carries ``MARKER_VARIABLE=marker``."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"{MARKER_VARIABLE}={marker}".encode() in environ.split(b"\0")


def kill_leftovers(pgid: int, ticks: str | None, marker: str) -> int:
    """SIGKILL what is left of a task a crashed sandbox ran: the group, if its leader is
    the same process (same start time) or a member carries the job's marker. Returns the
    number of processes found."""
    members = group_members(pgid)
    leader_same = ticks is not None and start_ticks(pgid) == ticks
    if leader_same or any(has_marker(pid, marker) for pid in members):
        signal_group(pgid, signal.SIGKILL)
        return len(members)
    return 0


def marked_processes(prefix: str) -> dict[str, list[int]]:
    """Every process whose environment carries ``MARKER_VARIABLE=<prefix>/<job id>``, by
    marker: what a sandbox that died between starting a task and recording its process
    group left behind (the group alone cannot find those)."""
    found: dict[str, list[int]] = {}
    needle = f"{MARKER_VARIABLE}={prefix}/".encode()
    for pid, environ in _each_process("environ"):
        for item in environ.split(b"\0"):
            if item.startswith(needle):
                found.setdefault(item.split(b"=", 1)[1].decode(), []).append(pid)
    return found


def kill_marked(pids: Sequence[int]) -> int:
    """SIGKILL each process and its group; the number still there to be killed."""
    killed = 0
    for pid in pids:
        try:
            pgid = os.getpgid(pid)
        except ProcessLookupError:
            continue
        if pgid != os.getpgrp():
            signal_group(pgid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        killed += 1
    return killed


__all__ = [
    "MARKER_VARIABLE",
    "Ended",
    "Proc",
    "group_members",
    "has_marker",
    "kill_group",
    "kill_leftovers",
    "kill_marked",
    "marked_processes",
    "signal_group",
    "spawn",
    "start_ticks",
    "wait",
]
