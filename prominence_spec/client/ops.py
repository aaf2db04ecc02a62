"""The API's operations on what a spec submitted, and rows for tables of jobs.

An operation takes job ids, or a spec file: then it acts on the jobs of that spec's latest
run, found in the journal (``.promspec/`` next to it, or ``--state``) or, without one, by the
run label that the spec's current content gives.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prominence_spec.client.api import TERMINAL, Client
from prominence_spec.client.errors import ConfigError, NotFoundError
from prominence_spec.client.identity import RUN_LABEL
from prominence_spec.client.journal import Journal, state_dir_for
from prominence_spec.client.polling import until
from prominence_spec.client.run_jobs import RunJob, list_run
from prominence_spec.client.source import SpecSource


@dataclass(frozen=True)
class Target:
    """A job or workflow to act on."""

    id: int
    workflow: bool = False
    name: str | None = None


def is_id(text: str) -> bool:
    return text.isdigit()


@dataclass(frozen=True)
class Lost:
    """A journal's job id that the server no longer shows under its point's label."""

    spec: str
    key: int
    id: int

    @property
    def message(self) -> str:
        return (
            f"{self.spec}: point {self.key}: job {self.id} (in the journal) is not on the "
            "server under this run's label: the server lost it (its data was reset or "
            "restored; the id may now be another job's), so it is left alone; "
            f"`promspec submit {self.spec}` submits the point again"
        )


@dataclass
class Resolved:
    """What to act on, and the journal ids that turned out lost (never acted on)."""

    targets: list[Target] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)


def resolve_targets(
    client: Client,
    args: Iterable[str],
    *,
    workflows: bool = False,
    state: str | Path | None = None,
) -> Resolved:
    """Ids as given (jobs, or workflows with ``workflows``), spec files as their jobs."""
    resolved = Resolved()
    for arg in args:
        if is_id(arg):
            resolved.targets.append(Target(int(arg), workflows))
            continue
        path = Path(arg)
        if not path.is_file():
            raise ConfigError(f"{arg}: neither a job id nor a spec file")
        found = spec_jobs(client, path, state=state)
        resolved.targets.extend(found.targets)
        resolved.lost.extend(found.lost)
    seen: set[tuple[int, bool]] = set()
    unique = []
    for target in resolved.targets:
        if (target.id, target.workflow) not in seen:
            seen.add((target.id, target.workflow))
            unique.append(target)
    resolved.targets = unique
    return resolved


def spec_targets(client: Client, spec: Path, *, state: str | Path | None = None) -> list[Target]:
    """The jobs (or workflows) of the spec's latest run on this server (lost ones left out)."""
    return spec_jobs(client, spec, state=state).targets


def spec_jobs(client: Client, spec: Path, *, state: str | Path | None = None) -> Resolved:
    """The spec's latest run as one listing by its label shows it, checked against the
    journal: a journal id the listing does not show under its point is :class:`Lost`."""
    folder = state_dir_for(spec, state)
    journal = Journal.read(folder)
    if journal is None:
        return _by_label(client, spec)
    with journal:
        record = journal.latest_for_spec(client.url, str(spec.resolve()))
        if record is None:
            return _by_label(client, spec)
        points = journal.points(client.url, record.run)
        history = journal.known_ids(client.url, record.run)
    kinds = {p.kind for p in points.values()}
    listing = list_run(
        client, record.run, jobs=kinds != {"workflow"}, workflows="workflow" in kinds
    )
    resolved = Resolved()
    for key in sorted(set(points) | set(listing.by_key())):
        point = points.get(key)
        mine = point.job_id if point is not None and point.state == "submitted" else None
        job: RunJob | None
        if mine is not None and listing.has(key, mine):
            job = next(j for j in listing.of(key) if j.id == mine)
        else:
            job = listing.current(key, history.get(key, ()))
            if job is None and mine is not None:
                resolved.lost.append(Lost(str(spec), key, mine))
        if job is not None:
            resolved.targets.append(Target(job.id, job.workflow, job.name))
    return resolved


def _by_label(client: Client, spec: Path) -> Resolved:
    from prominence_spec.client.plan import run_identity

    ident = run_identity(SpecSource(spec), client.url, None, new_run=False)
    listing = list_run(client, ident.run, jobs=True, workflows=True)
    found = [Target(job.id, job.workflow, job.name) for job in listing.jobs]
    if not found:
        raise NotFoundError(
            f"{spec}: no submitted jobs found (no journal run in {state_dir_for(spec)} for "
            f"{client.url}, and no jobs labelled {RUN_LABEL}={ident.run})"
        )
    return Resolved(found)


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


@dataclass(frozen=True)
class Deletion:
    """What became of one target of a delete: ``deleted``; or it had ``already`` ended
    (its status: completed, failed, killed, deleted), which is not a failure; or an
    ``error`` (no such job)."""

    target: Target
    deleted: bool = False
    already: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def delete_targets(client: Client, targets: Iterable[Target]) -> list[Deletion]:
    """Delete every target that is still pending or running, in one ``DELETE ?id=...``
    request per kind and chunk (so that pending jobs cannot start in slots freed by
    running ones deleted before them), after one read of their records: a target that has
    already ended is reported as such (the server would answer "No such job(s)"), an
    unknown one as an error. The records are read again afterwards to tell which went."""
    wanted = list(dict.fromkeys(targets))
    before = records(client, wanted)
    active = [t for t in wanted if before.get(_key(t), {}).get("status") not in (*TERMINAL, None)]
    for workflows in (False, True):
        ids = [t.id for t in active if t.workflow == workflows]
        for start in range(0, len(ids), DELETE_CHUNK):
            # NotFoundError: every one of them ended meanwhile; the second read says so
            with suppress(NotFoundError):
                client.delete(ids[start : start + DELETE_CHUNK], workflows=workflows)
    after = records(client, active) if active else {}
    return [_deletion(t, before.get(_key(t)), after.get(_key(t)), t in active) for t in wanted]


#: Ids per DELETE request (the server takes a comma-separated list; URLs stay short).
DELETE_CHUNK = 100


def _key(target: Target) -> tuple[int, bool]:
    return (target.id, target.workflow)


def _deletion(
    target: Target,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    was_active: bool,
) -> Deletion:
    kind = "workflow" if target.workflow else "job"
    if before is None:
        return Deletion(target, error=f"no such {kind}")
    if not was_active:
        return Deletion(target, already=str(before.get("status")))
    status = (after or {}).get("status")
    if status == "deleted":
        return Deletion(target, deleted=True)
    if status in TERMINAL:
        return Deletion(target, already=str(status))  # it ended before the DELETE came
    return Deletion(target, error=f"the server did not delete it (still {status or 'unknown'})")


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
        except NotFoundError as exc:  # no output before the job starts
            if exc.kind == "no-output":
                return b""
            raise
        self.offset += len(data)
        return data


def workflow_job_targets(client: Client, workflow_id: int) -> list[Target]:
    """The jobs a workflow has made so far (factory instances included), by id."""
    jobs = client.list_jobs(workflow=workflow_id, all=True)
    found = [Target(j["id"], False, j.get("name")) for j in jobs if type(j.get("id")) is int]
    return sorted(found, key=lambda t: t.id)


def jobs_of(client: Client, targets: Iterable[Target]) -> list[Target]:
    """Jobs as they are, each workflow as the jobs it has made (repeats left out)."""
    found: list[Target] = []
    for target in targets:
        found.extend(workflow_job_targets(client, target.id) if target.workflow else [target])
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


def _task_execution(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    execution = record.get("execution")
    tasks = execution.get("tasks") if isinstance(execution, dict) else None
    return [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []


def _exit_code(tasks: list[dict[str, Any]]) -> int | None:
    codes = [t.get("exitCode") for t in tasks if isinstance(t.get("exitCode"), int)]
    nonzero = [c for c in codes if c != 0]
    if nonzero:
        return nonzero[0]
    return codes[-1] if codes else None


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
