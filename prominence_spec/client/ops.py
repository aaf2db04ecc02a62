"""The API's operations on what a spec submitted, and rows for tables of jobs.

An operation takes job ids, or a spec file: then it acts on the jobs of that spec's latest
run, found in the journal (``.promspec/`` next to it, or ``--state``) or, without one, by the
run label that the spec's current content gives.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prominence_spec.client.api import TERMINAL, Client
from prominence_spec.client.errors import ConfigError, NotFoundError
from prominence_spec.client.identity import RUN_LABEL
from prominence_spec.client.journal import Journal, state_dir_for
from prominence_spec.client.polling import until
from prominence_spec.client.records import exit_code as _exit_code
from prominence_spec.client.records import task_execution as _task_execution
from prominence_spec.client.source import SpecSource


@dataclass(frozen=True)
class Target:
    """A job or workflow to act on."""

    id: int
    workflow: bool = False
    name: str | None = None


def is_id(text: str) -> bool:
    return text.isdigit()


def resolve_targets(
    client: Client,
    args: Iterable[str],
    *,
    workflows: bool = False,
    state: str | Path | None = None,
) -> list[Target]:
    """Ids as given (jobs, or workflows with ``workflows``), spec files as their jobs."""
    found: list[Target] = []
    for arg in args:
        if is_id(arg):
            found.append(Target(int(arg), workflows))
            continue
        path = Path(arg)
        if not path.is_file():
            raise ConfigError(f"{arg}: neither a job id nor a spec file")
        found.extend(spec_targets(client, path, state=state))
    seen: set[tuple[int, bool]] = set()
    unique = []
    for target in found:
        if (target.id, target.workflow) not in seen:
            seen.add((target.id, target.workflow))
            unique.append(target)
    return unique


def spec_targets(client: Client, spec: Path, *, state: str | Path | None = None) -> list[Target]:
    """The jobs (or workflows) of the spec's latest run on this server."""
    folder = state_dir_for(spec, state)
    journal = Journal.read(folder)
    if journal is not None:
        with journal:
            record = journal.latest_for_spec(client.url, str(spec.resolve()))
            if record is not None:
                points = journal.points(client.url, record.run)
                return [
                    Target(p.job_id, p.kind == "workflow", p.name)
                    for _, p in sorted(points.items())
                    if p.state == "submitted" and p.job_id is not None
                ]
    return _by_label(client, spec)


def _by_label(client: Client, spec: Path) -> list[Target]:
    from prominence_spec.client.plan import run_identity

    ident = run_identity(SpecSource(spec), client.url, None, new_run=False)
    found = []
    for workflows in (False, True):
        for item in client.find(RUN_LABEL, ident.run, workflows=workflows):
            if type(item.get("id")) is int:
                found.append(Target(item["id"], workflows, item.get("name")))
    if not found:
        raise NotFoundError(
            f"{spec}: no submitted jobs found (no journal run in {state_dir_for(spec)} for "
            f"{client.url}, and no jobs labelled {RUN_LABEL}={ident.run})"
        )
    return sorted(found, key=lambda t: t.id)


def records(
    client: Client, targets: Iterable[Target], *, detail: bool = False
) -> dict[tuple[int, bool], dict[str, Any]]:
    """The current server record of each target (absent: no such job)."""
    wanted = list(targets)
    found: dict[tuple[int, bool], dict[str, Any]] = {}
    for workflows in (False, True):
        ids = [t.id for t in wanted if t.workflow == workflows]
        if ids:
            for ident, record in client.statuses(ids, workflows=workflows, detail=detail).items():
                found[(ident, workflows)] = record
    return found


def all_terminal(
    targets: Iterable[Target], found: Mapping[tuple[int, bool], dict[str, Any]]
) -> bool:
    return all(found.get((t.id, t.workflow), {}).get("status") in TERMINAL for t in targets)


def poll(
    client: Client,
    targets: list[Target],
    *,
    interval: float = 2.0,
    timeout: float | None = None,
) -> Iterator[dict[tuple[int, bool], dict[str, Any]]]:
    """Snapshots of the targets' records until all are terminal (or ``timeout`` s)."""
    return until(
        lambda: records(client, targets),
        lambda found: all_terminal(targets, found),
        interval=interval,
        timeout=timeout,
    )


class Follower:
    """A running job's stdout, fetched from the byte offset reached so far."""

    def __init__(self, client: Client, job_id: int, stream: str = "stdout") -> None:
        self.client, self.job_id, self.stream = client, job_id, stream
        self.offset = 0

    def fetch(self) -> bytes:
        reader = self.client.stdout if self.stream == "stdout" else self.client.stderr
        try:
            data = reader(self.job_id, offset=self.offset)
        except NotFoundError:
            return b""
        except Exception as exc:  # "stdout does not exist" before the job starts
            if "does not exist" in str(exc):
                return b""
            raise
        self.offset += len(data)
        return data


def workflow_jobs(client: Client, workflow_id: int) -> list[Target]:
    """The jobs a workflow has made so far (factory instances included), by id."""
    jobs = client.list_jobs(workflow=workflow_id, all=True)
    found = [Target(j["id"], False, j.get("name")) for j in jobs if type(j.get("id")) is int]
    return sorted(found, key=lambda t: t.id)


def jobs_of(client: Client, targets: Iterable[Target]) -> list[Target]:
    """Jobs as they are, each workflow as the jobs it has made (repeats left out)."""
    found: list[Target] = []
    for target in targets:
        found.extend(workflow_jobs(client, target.id) if target.workflow else [target])
    unique: dict[int, Target] = {}
    for target in found:
        unique.setdefault(target.id, target)
    return list(unique.values())


def workflow_job_output(
    client: Client, workflow_id: int, job_name: str, instance: int | None, stream: str
) -> bytes:
    """A workflow job's output: by its own job id when listed (the routes that production
    serves reliably), else by the workflow route."""
    job_id = workflow_job_id(client, workflow_id, job_name, instance)
    if job_id is not None:
        reader = client.stdout if stream == "stdout" else client.stderr
        return reader(job_id)
    return client.workflow_output(workflow_id, job_name, instance, stream=stream)


def workflow_job_id(
    client: Client, workflow_id: int, job_name: str, instance: int | None
) -> int | None:
    """The job id of a workflow's job (or factory instance), once the workflow made it."""
    wanted = _workflow_job_names(client, workflow_id, job_name, instance)
    for job in client.list_jobs(workflow=workflow_id, all=True):
        if job.get("name") in wanted and type(job.get("id")) is int:
            return int(job["id"])
    return None


def _workflow_job_names(
    client: Client, workflow_id: int, job: str, instance: int | None
) -> set[str]:
    try:
        wf_name = client.describe_workflow(workflow_id).get("name") or ""
    except NotFoundError:
        wf_name = ""
    suffix = f"/{instance}" if instance is not None else ""
    return {f"{wf_name}/{job}{suffix}", f"{job}{suffix}"}


# -- rows for tables -------------------------------------------------------------------------
def job_row(record: Mapping[str, Any], *, now: float | None = None) -> dict[str, Any]:
    raw_events = record.get("events")
    events: Mapping[str, Any] = raw_events if isinstance(raw_events, dict) else {}
    tasks = _task_execution(record)
    return {
        "id": record.get("id"),
        "name": record.get("name") or "",
        "status": record.get("status") or "?",
        "reason": record.get("statusReason") or "",
        "created": events.get("createTime"),
        "elapsed": _elapsed(events, now),
        "exit_code": _exit_code(tasks),
        "wall_time": _wall_time(tasks),
        "progress": record.get("progress") if isinstance(record.get("progress"), dict) else None,
    }


def _wall_time(tasks: list[dict[str, Any]]) -> float | None:
    times = [t.get("wallTimeUsage") for t in tasks]
    numbers = [float(x) for x in times if isinstance(x, (int, float)) and not isinstance(x, bool)]
    return sum(numbers) if numbers else None


def _elapsed(events: Mapping[str, Any], now: float | None) -> float | None:
    start = events.get("startTime")
    if not isinstance(start, (int, float)):
        return None
    end = events.get("endTime")
    finish = end if isinstance(end, (int, float)) else (now or time.time())
    return max(0.0, float(finish) - float(start))
