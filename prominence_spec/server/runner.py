"""One running job, in its own thread: stage-in, sidecars and tasks in order under the
walltime, stage-out, job retries (``maximumRetries``), and the final record in SQLite."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prominence_spec.server import jobstore, wfstore
from prominence_spec.server.auth import mint_job_token
from prominence_spec.server.config import SandboxConfig
from prominence_spec.server.executors import Executor, TaskError, TaskLaunch
from prominence_spec.server.jobenv import (
    JobIdentity,
    Resources,
    base_execution,
    task_command,
    task_environment,
    worker_params_of,
)
from prominence_spec.server.procs import Proc
from prominence_spec.server.shapes import output_name, params_of
from prominence_spec.server.staging import (
    StageError,
    collect_outputs,
    stage_artifacts,
    write_inputs,
)
from prominence_spec.server.store import Store, loads
from prominence_spec.server.taskrun import TASK_FAILED, Streams, TaskRunner

log = logging.getLogger("promspec.sandbox")

WALLTIME_EXCEEDED = "Walltime limit exceeded"
SANDBOX_ERROR = "Unable to execute task(s): the sandbox could not run the job"


@dataclass
class RunEnv:
    """What every job runner shares."""

    store: Store
    config: SandboxConfig
    executor: Executor
    secret: bytes
    base_url: str
    marker: str
    on_finished: Callable[[JobRunner, list[int]], None]


@dataclass
class Outcome:
    """How an attempt ended. ``status`` ``requeue`` sends the job back to pending."""

    status: str
    reason: str | None
    execution: dict[str, Any]
    outputs: dict[str, Any] | None = None
    retryable: bool = False


def _policy(doc: dict[str, Any], key: str, default: Any) -> Any:
    pol = doc.get("policies")
    return pol.get(key, default) if isinstance(pol, dict) else default


def job_dir(config: SandboxConfig, job_id: int) -> Path:
    return config.data_dir / "jobs" / str(job_id)


#: The suffix of the file each stream of a job's node is written to.
_STREAM_SUFFIX = {"stdout": "out", "stderr": "err"}


def stream_file(folder: Path, which: str, node: int = 0) -> Path:
    """Where node ``node`` of the job whose folder is ``folder`` writes its ``stdout`` or
    ``stderr`` (``job.0.out``)."""
    return folder / f"job.{node}.{_STREAM_SUFFIX[which]}"


def _open_truncated(path: Path) -> Any:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    return os.fdopen(fd, "ab")


@dataclass
class JobRunner:
    """Runs one claimed job; :meth:`stop` ends it early (``deleted`` or ``shutdown``)."""

    env: RunEnv
    row: sqlite3.Row
    cancel: threading.Event = field(default_factory=threading.Event)
    stop_reason: str | None = None

    def __post_init__(self) -> None:
        self.job_id = int(self.row["id"])
        self.doc: dict[str, Any] = loads(self.row["description"])
        self.backend_params = params_of(self.row)
        self.params = worker_params_of(self.backend_params)
        self.thread = threading.Thread(target=self.run, name=f"job-{self.job_id}", daemon=True)

    def stop(self, reason: str) -> None:
        self.stop_reason = reason
        self.cancel.set()

    def run(self) -> None:
        retries = int(self.row["retries"])
        created: list[int] = []
        try:
            outcome, retries = self._attempts(retries)
        except Exception:  # a sandbox bug must not leave the job running forever
            log.exception("job %d: the sandbox failed to run it", self.job_id)
            outcome = Outcome("failed", SANDBOX_ERROR, base_execution(Resources.of(self.doc)))
        try:
            created = self._record(outcome, retries)
        except Exception:
            log.exception("job %d: could not record its end", self.job_id)
        finally:
            shutil.rmtree(job_dir(self.env.config, self.job_id) / "scratch", ignore_errors=True)
            self.env.on_finished(self, created)

    def _attempts(self, retries: int) -> tuple[Outcome, int]:
        allowed = _policy(self.doc, "maximumRetries", 0)
        allowed = allowed if isinstance(allowed, int) else 0
        while True:
            outcome = self._attempt()
            if not (outcome.retryable and retries < allowed and not self.cancel.is_set()):
                return outcome, retries
            retries += 1

    def _attempt(self) -> Outcome:
        res = Resources.of(self.doc)
        execution = base_execution(res)
        folder = job_dir(self.env.config, self.job_id)
        scratch = folder / "scratch"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True, mode=0o700)
        with (
            _open_truncated(stream_file(folder, "stdout")) as out,
            _open_truncated(stream_file(folder, "stderr")) as err,
        ):
            streams = Streams(out, err, stream_file(folder, "stdout"))
            started = time.monotonic()
            try:
                stage_artifacts(
                    self.doc.get("artifacts") or [], scratch, self.env.config.artifacts_dirs
                )
                write_inputs(self.doc.get("inputs") or [], scratch)
            except StageError as exc:
                return Outcome("failed", exc.reason, execution)
            _timing(execution, "stageInTime", time.monotonic() - started)
            outcome = self._run_tasks(streams, res, scratch, execution)
        if outcome.status == "requeue" or self.stop_reason:
            return outcome
        return self._stage_out(outcome, scratch, folder)

    def _launch(
        self, index: int, task: dict[str, Any], res: Resources, scratch: Path
    ) -> TaskLaunch:
        ident = JobIdentity(
            job_id=self.job_id,
            workflow_id=self.row["workflow_id"],
            base_url=self.env.base_url,
            token=mint_job_token(self.env.secret, self.row["owner"], self.job_id,
                                 res.walltime_min * 60),
            marker=f"{self.env.marker}/{self.job_id}",
        )  # fmt: skip
        home = str(scratch) if self.env.executor.name == "host" else "/home/user"
        return TaskLaunch(
            job_id=self.job_id,
            index=index,
            task=task,
            cmd=task_command(task, self.job_id, self.row["workflow_id"], self.params),
            env=task_environment(task, ident, res, self.params, home),
            scratch=scratch,
            cpus=res.cpus,
            memory_gb=res.memory_gb,
            env_file=scratch.parent / f"task{index}.env",
        )

    def _run_tasks(
        self, streams: Streams, res: Resources, scratch: Path, execution: dict[str, Any]
    ) -> Outcome:
        minute = self.env.config.walltime_minute
        runner = TaskRunner(
            executor=self.env.executor,
            streams=streams,
            deadline=time.monotonic() + res.walltime_min * minute,
            cancel=self.cancel,
            kill_grace=self.env.config.kill_grace,
            on_groups=self._save_groups,
        )
        tasks = [t for t in self.doc.get("tasks", []) if isinstance(t, dict)]
        launches = [self._launch(i, t, res, scratch) for i, t in enumerate(tasks)]
        try:
            return self._sequence(runner, launches, execution)
        finally:
            runner.stop_all()
            execution["maxMemoryUsageKB"] = max(
                [t.get("maxResidentSetSizeKB", 0) for t in execution["tasks"]] or [0]
            )

    def _sequence(
        self, runner: TaskRunner, launches: list[TaskLaunch], execution: dict[str, Any]
    ) -> Outcome:
        for launch in launches:
            if launch.task.get("type") == "sidecar":
                try:
                    runner.start(launch)
                except (TaskError, OSError, ValueError) as exc:
                    reason = exc.reason if isinstance(exc, TaskError) else TASK_FAILED
                    return Outcome("failed", reason, execution)
        retries = _policy(self.doc, "maximumTaskRetries", 0)
        keep_going = _policy(self.doc, "ignoreTaskFailures", False) is True
        failed = False
        for launch in launches:
            if launch.task.get("type") == "sidecar":
                continue
            result = runner.run(launch, retries if isinstance(retries, int) else 0)
            execution["tasks"].append(result.record)
            if result.outcome == "timeout":
                return Outcome("killed", WALLTIME_EXCEEDED, execution)
            if result.outcome == "cancelled" or self.stop_reason:
                return Outcome("requeue" if self.stop_reason == "shutdown" else "deleted",
                               None, execution)  # fmt: skip
            if result.outcome == "error":
                return Outcome("failed", result.reason, execution)
            if result.outcome == "failed":
                failed = True
                if not keep_going:
                    break
        if failed and _policy(self.doc, "reportJobSuccessOnTaskFailure", False) is not True:
            return Outcome("failed", TASK_FAILED, execution, retryable=True)
        return Outcome("completed", None, execution)

    def _stage_out(self, outcome: Outcome, scratch: Path, folder: Path) -> Outcome:
        started = time.monotonic()
        shown = [
            [str(output_name(n, self.backend_params)) for n in self.doc.get(key) or []]
            for key in ("outputFiles", "outputDirs")
        ]
        records, failure = collect_outputs(
            self.doc, scratch, folder / "outputs", worker_params=self.params, shown_names=shown
        )
        _timing(outcome.execution, "stageOutTime", time.monotonic() - started)
        outcome.outputs = records
        if failure and outcome.status == "completed":
            return Outcome("failed", failure, outcome.execution, records)
        return outcome

    def _save_groups(self, live: list[Proc]) -> None:
        with self.env.store.write() as conn:
            jobstore.set_pgids(conn, self.job_id, [[p.pgid, p.start_ticks] for p in live])

    def _record(self, outcome: Outcome, retries: int) -> list[int]:
        now = int(time.time())
        with self.env.store.write() as conn:
            if outcome.status == "requeue":
                jobstore.requeue(conn, self.job_id, retries=retries)
                return []
            status = "deleted" if outcome.status == "deleted" else outcome.status
            changed = jobstore.finish(
                conn, self.job_id, status=status, reason=outcome.reason,
                execution=outcome.execution, outputs=outcome.outputs, retries=retries, now=now,
            )  # fmt: skip
            if changed and self.row["workflow_id"] is not None:
                return wfstore.node_finished(conn, self.row, status, now)
        return []


def _timing(execution: dict[str, Any], key: str, seconds: float) -> None:
    if seconds >= 0.0005:
        execution[key] = round(seconds, 3)


def noop_outcome(doc: dict[str, Any]) -> Outcome:
    """A job under the noop executor: every task completes at once with exit code 0."""
    execution = base_execution(Resources.of(doc))
    record = {"exitCode": 0, "retries": 0, "imagePullStatus": "cached", "imagePullTime": 0.0,
              "wallTimeUsage": 0.0, "cpuTimeUsage": 0.0, "maxResidentSetSizeKB": 0}  # fmt: skip
    tasks = [t for t in doc.get("tasks", []) if isinstance(t, dict) and t.get("type") != "sidecar"]
    execution["tasks"] = [dict(record) for _ in tasks]
    outputs = {
        "files": [{"object": None} for _ in doc.get("outputFiles") or []],
        "dirs": [{"object": None} for _ in doc.get("outputDirs") or []],
    }
    return Outcome("completed", None, execution, outputs)


__all__ = [
    "WALLTIME_EXCEEDED",
    "JobRunner",
    "Outcome",
    "RunEnv",
    "job_dir",
    "noop_outcome",
    "stream_file",
]
