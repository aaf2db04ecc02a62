"""One task of a running job: started through the executor, waited for under the job's
walltime deadline, retried up to ``maximumTaskRetries`` times, recorded as the
``execution.tasks`` entry the server shows."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from prominence_spec.server.executors import Executor, TaskError, TaskLaunch
from prominence_spec.server.procs import Ended, Proc, kill_group, signal_group, spawn, wait

#: The reason the server's code gives a job whose task failed.
TASK_FAILED = "Unable to execute task(s)"


@dataclass
class Streams:
    """The job's stdout and stderr files, open for appending."""

    out: IO[bytes]
    err: IO[bytes]
    out_path: Path


@dataclass
class TaskResult:
    """``outcome``: ``ok``, ``failed``, ``timeout``, ``cancelled`` or ``error`` (the task
    could not start; ``reason`` says why)."""

    outcome: str
    record: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


@dataclass
class TaskRunner:
    """Runs the tasks of one job attempt."""

    executor: Executor
    streams: Streams
    deadline: float
    cancel: threading.Event
    kill_grace: float
    #: Called with the live process groups whenever they change (for crash recovery).
    on_groups: Callable[[list[Proc]], None]
    live: list[Proc] = field(default_factory=list)
    launch_of: dict[int, TaskLaunch] = field(default_factory=dict)

    def start(self, launch: TaskLaunch) -> Proc:
        """Start a task (raises TaskError or OSError)."""
        argv = self.executor.argv(launch)
        if launch.env_file and self.executor.name not in ("host", "noop"):
            _write_env_file(launch.env_file, launch.env)
        proc = spawn(argv, self.executor.cwd(launch), launch.env, self.streams.out,
                     self.streams.err)  # fmt: skip
        self.live.append(proc)
        self.launch_of[proc.pgid] = launch
        self.on_groups(self.live)
        return proc

    def stop(self, proc: Proc, launch: TaskLaunch) -> Ended:
        ended = kill_group(proc, self.kill_grace)
        self.executor.after_kill(launch)
        self._forget(proc)
        return ended

    def _forget(self, proc: Proc) -> None:
        signal_group(proc.pgid, 9)  # what the task left running in its group
        if proc in self.live:
            self.live.remove(proc)
        self.on_groups(self.live)

    def run_once(self, launch: TaskLaunch) -> tuple[str, Ended | None, str | None]:
        try:
            proc = self.start(launch)
        except TaskError as exc:
            return "error", None, exc.reason
        except (OSError, ValueError):
            return "error", None, TASK_FAILED
        ended = wait(proc, deadline=self.deadline, cancel=self.cancel)
        if ended.how != "exited":
            killed = self.stop(proc, launch)
            return ("timeout" if ended.how == "timeout" else "cancelled"), killed, None
        self._forget(proc)
        return ("ok" if ended.exit_code == 0 else "failed"), ended, None

    def run(self, launch: TaskLaunch, max_retries: int) -> TaskResult:
        """Run the task, again while it fails and retries are left."""
        pull_status, pull_time = self.executor.image_pull(launch)
        record: dict[str, Any] = {"imagePullStatus": pull_status, "imagePullTime": pull_time}
        if pull_status == "failed":
            return TaskResult("error", record, "Container image pull failed")
        retries = 0
        while True:
            mark = _size(self.streams.out_path)
            outcome, ended, reason = self.run_once(launch)
            _copy_task_stdout(self.streams, mark, launch)
            if ended is not None:
                record.update(_usage(ended))
            record["retries"] = retries
            if outcome != "failed" or retries >= max_retries or self.cancel.is_set():
                return TaskResult(outcome, record, reason)
            retries += 1

    def stop_all(self) -> None:
        """Stop the sidecars (and anything else still running)."""
        for proc in list(self.live):
            self.stop(proc, self.launch_of[proc.pgid])


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _usage(ended: Ended) -> dict[str, Any]:
    return {
        "exitCode": ended.exit_code,
        "wallTimeUsage": round(ended.wall, 4),
        "cpuTimeUsage": round(ended.cpu, 4),
        "maxResidentSetSizeKB": ended.max_rss_kb,
    }


def _write_env_file(path: Path, env: dict[str, str]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        for key, value in env.items():
            if "\n" not in value and key != "PATH":
                out.write(f"{key}={value}\n")


def _copy_task_stdout(streams: Streams, mark: int, launch: TaskLaunch) -> None:
    """The task's ``stdout`` file receives a copy of what the task wrote to stdout."""
    name = launch.task.get("stdout")
    if not isinstance(name, str) or not name or "\0" in name:
        return
    target = (launch.scratch / name).resolve()
    if not target.is_relative_to(launch.scratch.resolve()) or target.is_dir():
        return
    streams.out.flush()
    try:
        with open(streams.out_path, "rb") as src:
            src.seek(mark)
            data = src.read()
        with open(target, "ab") as copy:
            copy.write(data)
    except OSError:
        return


__all__ = ["TASK_FAILED", "Streams", "TaskResult", "TaskRunner"]
