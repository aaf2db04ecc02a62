"""`promspec status|describe|list|stdout|stderr|delete|wait`: the API's operations.

Each takes job ids, or a spec file (the jobs its latest submit made); ``--workflows`` makes
bare ids workflow ids. Every command has ``--format json``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from prominence_spec.cli import _client_common as common
from prominence_spec.cli import _options as shared

TARGETS_HELP = "Job ids, or spec files (their submitted jobs)."
WORKFLOWS_HELP = "The ids are workflow ids."


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    app.command("describe")(describe)
    app.command("list")(list_cmd)
    app.command("stdout")(stdout)
    app.command("stderr")(stderr)
    app.command("delete")(delete)
    app.command("wait")(wait)


def _targets(client: Any, targets: list[str], workflows: bool, state: str | None) -> Any:
    """The ids to act on (a ``Resolved``); each lost journal id is said, never acted on."""
    from prominence_spec.client.ops import resolve_targets

    resolved = resolve_targets(client, targets, workflows=workflows, state=state)
    for lost in resolved.lost:
        common.error(lost.message)
    return resolved


# -- status ------------------------------------------------------------------------------------
STATUS_FORMAT: Any = typer.Option(
    "text", "--format", "-f", help="text (default), json; for a SPEC also jsonl or csv."
)


def status(
    targets: list[str] = typer.Argument(..., metavar="ID|SPEC...", help=TARGETS_HELP),
    workflows: bool = typer.Option(False, "--workflows", "-w", help=WORKFLOWS_HELP),
    fmt: str = STATUS_FORMAT,
    mode: shared.Mode | None = shared.MODE,
    sets: list[str] | None = shared.SET,
    values: list[str] | None = shared.VALUES,
    root: Path | None = shared.ROOT,
    watch: bool = typer.Option(
        False, "--watch", help="For a SPEC: refresh until every point has ended."
    ),
    interval: float = typer.Option(2.0, "--interval", help="Seconds between refreshes."),
    url: str | None = common.url_option(),
    token_file: str | None = common.token_file_option(),
    state: str | None = common.state_option(),
    verbose: bool = common.verbose_option(),
) -> None:
    """Show jobs or workflows as a table; for a SPEC, every point with its values."""
    from prominence_spec.cli import status_spec

    if fmt not in status_spec.FORMATS:
        raise typer.BadParameter("choose text, json, jsonl or csv", param_hint="--format")
    if len(targets) == 1 and not is_id_text(targets[0]) and Path(targets[0]).is_file():
        from prominence_spec.cli._values import spec_values
        from prominence_spec.client.source import SpecSource

        source = SpecSource(Path(targets[0]), spec_values(targets[0], values, sets), mode, root)
        with common.guarded():
            client = common.make_client(url, token_file, verbose=verbose)
            with client:
                code = status_spec.show_points(
                    client, source, state=state, fmt=fmt, watch=watch, interval=interval
                )
        raise typer.Exit(code)
    if fmt not in common.FORMATS or watch or mode or sets or values:
        raise typer.BadParameter(
            "-f jsonl/csv, --watch, --mode, --set and --values go with one SPEC",
            param_hint="ID|SPEC",
        )
    _status_of_targets(targets, workflows, fmt, url, token_file, state, verbose)


def is_id_text(text: str) -> bool:
    return text.isdigit()


def _status_of_targets(
    targets: list[str],
    workflows: bool,
    fmt: str,
    url: str | None,
    token_file: str | None,
    state: str | None,
    verbose: bool,
) -> None:
    with common.guarded():
        client = common.make_client(url, token_file, verbose=verbose)
        with client:
            from prominence_spec.client.ops import records

            resolved = _targets(client, targets, workflows, state)
            found_targets = resolved.targets
            found = records(client, found_targets, detail=True)
        missing = [t for t in found_targets if (t.id, t.workflow) not in found]
        rows = [found[(t.id, t.workflow)] for t in found_targets if (t.id, t.workflow) in found]
        if fmt == "json":
            common.write_json(rows)
        elif rows:  # no header above nothing but errors
            show_status_table(rows)
        for target in missing:
            common.error(_not_found(target, given_as_id=str(target.id) in targets))
    raise typer.Exit(1 if missing or resolved.lost else 0)


def _not_found(target: Any, *, given_as_id: bool) -> str:
    """What was looked for and not found; a bare id taken as a job's may be a workflow's."""
    if target.workflow:
        return f"no such workflow: {target.id}"
    hint = " (for a workflow, add -w)" if given_as_id else ""
    return f"no such job: {target.id}{hint}"


def _elapsed(row: dict[str, Any]) -> Any:
    """A finished job's wall time from its tasks when the record has it (the events are
    whole seconds: a 0.55 s job would show 0s or 1s), else the time since it started."""
    if row["wall_time"] is not None and row["status"] not in ("idle", "running"):
        return row["wall_time"]
    return row["elapsed"]


def show_status_table(records: list[dict[str, Any]], stream: Any = None) -> None:
    from prominence_spec.client.ops import job_row

    columns = ["ID", "NAME", "STATUS", "CREATED", "ELAPSED", "REASON"]
    rows = []
    for record in records:
        row = job_row(record)
        progress = row["progress"]
        reason = row["reason"]
        if progress:
            reason = (
                f"{progress.get('done', 0)}/{progress.get('total', 0)} done, "
                f"{progress.get('failed', 0)} failed" + (f"; {reason}" if reason else "")
            )
        rows.append(
            [
                row["id"],
                row["name"],
                row["status"],
                common.when(row["created"]),
                common.duration(_elapsed(row)),
                reason,
            ]
        )
    common.table(columns, rows, stream)


# -- describe ----------------------------------------------------------------------------------
def describe(
    targets: list[str] = typer.Argument(..., metavar="ID|SPEC...", help=TARGETS_HELP),
    workflows: bool = typer.Option(False, "--workflows", "-w", help=WORKFLOWS_HELP),
    fmt: common.ClientFormat = common.FORMAT,
    url: str | None = common.url_option(),
    token_file: str | None = common.token_file_option(),
    state: str | None = common.state_option(),
    verbose: bool = common.verbose_option(),
) -> None:
    """Print the server's full record of jobs or workflows (JSON)."""
    common.check_format(fmt)
    from prominence_spec.client.errors import NotFoundError

    missing = 0
    with common.guarded():
        client = common.make_client(url, token_file, verbose=verbose)
        with client:
            found = []
            resolved = _targets(client, targets, workflows, state)
            missing += len(resolved.lost)
            for target in resolved.targets:
                try:
                    if target.workflow:
                        found.append(client.describe_workflow(target.id))
                    else:
                        found.append(client.describe_job(target.id))
                except NotFoundError as exc:
                    common.error(exc.message)
                    missing += 1
        if fmt == "json" or len(found) != 1:
            common.write_json(found)
        else:
            common.write_json(found[0])
    raise typer.Exit(1 if missing else 0)


# -- list --------------------------------------------------------------------------------------
def list_cmd(
    completed: bool = typer.Option(False, "--completed", help="Finished jobs (see --num)."),
    num: int | None = typer.Option(None, "--num", "-n", help="With --completed: how many."),
    all_: bool = typer.Option(False, "--all", "-a", help="Active and finished jobs."),
    constraint: str | None = typer.Option(
        None, "--constraint", metavar="KEY=VALUE", help="Only jobs with this label."
    ),
    name: str | None = typer.Option(None, "--name", help="Only jobs with this exact name."),
    status_: str | None = typer.Option(None, "--status", help="idle or running."),
    workflows: bool = typer.Option(False, "--workflows", "-w", help="List workflows."),
    fmt: common.ClientFormat = common.FORMAT,
    url: str | None = common.url_option(),
    token_file: str | None = common.token_file_option(),
    verbose: bool = common.verbose_option(),
) -> None:
    """List active jobs (or workflows); --completed, --all for finished ones."""
    common.check_format(fmt)
    if num is not None and not completed:
        raise typer.BadParameter("--num goes with --completed", param_hint="--num")
    if constraint is not None and constraint.count("=") != 1:
        raise typer.BadParameter("write KEY=VALUE (one =)", param_hint="--constraint")
    if status_ is not None and status_ not in ("idle", "running"):
        raise typer.BadParameter("choose idle or running", param_hint="--status")
    with common.guarded():
        client = common.make_client(url, token_file, verbose=verbose)
        with client:
            lister = client.list_workflows if workflows else client.list_jobs
            found = lister(
                completed=completed,
                num=num,
                all=all_,
                constraint=constraint,
                name=name,
                status=status_,
            )
        found.sort(key=lambda item: item.get("id") if isinstance(item.get("id"), int) else 0)
        if fmt == "json":
            common.write_json(found)
        else:
            show_status_table(found)
    raise typer.Exit(0)


# -- stdout / stderr ---------------------------------------------------------------------------
def _output_command(stream_name: str) -> Callable[..., None]:
    def command(
        target: str = typer.Argument(..., metavar="ID|SPEC", help="A job (or workflow) id."),
        job_name: str | None = typer.Argument(
            None, metavar="[JOBNAME]", help="With a workflow id: the job's name."
        ),
        instance: int | None = typer.Argument(
            None, metavar="[INSTANCE]", help="With a factory job: the instance number."
        ),
        node: int = typer.Option(0, "--node", help="Node of a multi-node job."),
        follow: bool = typer.Option(False, "--follow", "-F", help="Keep printing while it runs."),
        fmt: common.ClientFormat = common.FORMAT,
        url: str | None = common.url_option(),
        token_file: str | None = common.token_file_option(),
        state: str | None = common.state_option(),
        verbose: bool = common.verbose_option(),
    ) -> None:
        common.check_format(fmt)
        with common.guarded():
            client = common.make_client(url, token_file, verbose=verbose)
            with client:
                _print_output(
                    client, stream_name, target, job_name, instance, node, follow, fmt, state
                )
        raise typer.Exit(0)

    command.__doc__ = (
        f"Print a job's {stream_name} (a workflow's job: WORKFLOW_ID JOBNAME [INSTANCE])."
    )
    return command


def _print_output(
    client: Any,
    stream_name: str,
    target: str,
    job_name: str | None,
    instance: int | None,
    node: int,
    follow: bool,
    fmt: str,
    state: str | None,
) -> None:
    from prominence_spec.client.ops import (
        Follower,
        jobs_of,
        workflow_job_id,
        workflow_job_output,
    )

    if job_name is not None:
        if not target.isdigit():
            raise typer.BadParameter("a workflow id goes with JOBNAME", param_hint="ID")
        if follow:
            job_id = workflow_job_id(client, int(target), job_name, instance)
            if job_id is None:
                raise typer.BadParameter(
                    f"workflow {target} has no job {job_name} yet: nothing to follow",
                    param_hint="JOBNAME",
                )
            _follow(client, Follower(client, job_id, stream_name))
            return
        data = workflow_job_output(client, int(target), job_name, instance, stream_name)
        _emit({"workflow": int(target), "job": job_name, "instance": instance}, data, fmt)
        return
    resolved = _targets(client, [target], False, state)
    if resolved.lost and not resolved.targets:
        raise typer.Exit(1)
    targets = resolved.targets
    workflow = next((t for t in targets if t.workflow), None)
    if follow and workflow is not None:
        raise typer.BadParameter(
            f"{workflow.id} is a workflow: --follow follows one job (give a job id)",
            param_hint="--follow",
        )
    jobs = jobs_of(client, targets)
    if not jobs and workflow is not None:
        common.note(f"workflow {workflow.id} has no jobs yet")
    records: list[dict[str, Any]] = []  # -f json: one object, or an array for several jobs
    points = _points_of(client, target, state) if fmt == "json" else {}
    for found in jobs:
        if follow:
            _follow(client, Follower(client, found.id, stream_name))
            continue
        output = _read_stream(client, stream_name, found.id, node, of_workflow=workflow is not None)
        if fmt == "json":
            records.append(_record({"id": found.id, **points.get(found.id, {})}, output or b""))
            continue
        if len(jobs) > 1:
            started = "" if output is not None else f" (no {stream_name}: not started)"
            common.note(f"==> job {found.id} {found.name or ''}{started} <==")
        _emit({"id": found.id}, output or b"", fmt)
    if records:
        common.write_json(records[0] if len(records) == 1 else records)


def _points_of(client: Any, target: str, state: str | None) -> dict[int, dict[str, Any]]:
    """For a spec: job id -> the index and params of its point (nothing for an id)."""
    if is_id_text(target):
        return {}
    from prominence_spec.client.points import point_of_job, point_statuses
    from prominence_spec.client.source import SpecSource

    return point_of_job(point_statuses(client, SpecSource(Path(target)), state=state))


def _read_stream(
    client: Any, stream_name: str, job_id: int, node: int, *, of_workflow: bool
) -> bytes | None:
    """The job's stream; None for a workflow's job that has not started (a job given
    on its own fails as the server says)."""
    from prominence_spec.client.errors import NotFoundError

    reader = client.stdout if stream_name == "stdout" else client.stderr
    try:
        data: bytes = reader(job_id, node=node)
    except NotFoundError as exc:
        if of_workflow and exc.kind == "no-output":
            return None
        raise
    return data


def _record(where: dict[str, Any], data: bytes) -> dict[str, Any]:
    return {**where, "text": data.decode("utf-8", "replace")}


def _emit(where: dict[str, Any], data: bytes, fmt: str) -> None:
    if fmt == "json":
        common.write_json(_record(where, data))
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


FOLLOW_FIRST_POLL = 0.25  # seconds: a short job's output shows at once...
FOLLOW_MAX_POLL = 2.0  # ...and a long one is asked at most every 2 s


def _follow(client: Any, follower: Any) -> None:
    from prominence_spec.client.api import TERMINAL
    from prominence_spec.client.polling import until

    for _ in until(
        lambda: client.describe_job(follower.job_id),
        lambda record: record.get("status") in TERMINAL,
        interval=FOLLOW_FIRST_POLL,
        growth=1.5,
        max_interval=FOLLOW_MAX_POLL,
    ):
        _emit({}, follower.fetch(), "text")
    _emit({}, follower.fetch(), "text")  # what arrived after the last read


stdout = _output_command("stdout")
stderr = _output_command("stderr")


# -- delete ------------------------------------------------------------------------------------
def delete(
    targets: list[str] = typer.Argument(..., metavar="ID|SPEC...", help=TARGETS_HELP),
    workflows: bool = typer.Option(False, "--workflows", "-w", help=WORKFLOWS_HELP),
    fmt: common.ClientFormat = common.FORMAT,
    url: str | None = common.url_option(),
    token_file: str | None = common.token_file_option(),
    state: str | None = common.state_option(),
    verbose: bool = common.verbose_option(),
) -> None:
    """Delete jobs or workflows (those still pending or running; ended ones are said)."""
    common.check_format(fmt)
    with common.guarded():
        client = common.make_client(url, token_file, verbose=verbose)
        with client:
            from prominence_spec.client.ops import delete_targets

            resolved = _targets(client, targets, workflows, state)
            outcomes = delete_targets(client, resolved.targets)
        if fmt == "json":
            common.write_json([_deletion_json(o) for o in outcomes])
        else:
            _show_deletions(outcomes)
    raise typer.Exit(0 if all(o.ok for o in outcomes) and not resolved.lost else 1)


def _deletion_json(outcome: Any) -> dict[str, Any]:
    return {
        "id": outcome.target.id,
        "workflow": outcome.target.workflow,
        "deleted": outcome.deleted,
        "already": outcome.already,
        "error": outcome.error,
    }


def _show_deletions(outcomes: list[Any]) -> None:
    for outcome in outcomes:
        ident = outcome.target.id
        if outcome.deleted:
            sys.stdout.write(f"deleted {ident}\n")
        elif outcome.already is not None:
            sys.stdout.write(f"{ident}: had already finished ({outcome.already})\n")
        else:
            common.error(f"{ident}: {outcome.error}")


# -- wait --------------------------------------------------------------------------------------
def wait(
    targets: list[str] = typer.Argument(..., metavar="ID|SPEC...", help=TARGETS_HELP),
    workflows: bool = typer.Option(False, "--workflows", "-w", help=WORKFLOWS_HELP),
    follow: bool = typer.Option(False, "--follow", "-F", help="Stream a single job's stdout."),
    interval: float = typer.Option(2.0, "--interval", help="Seconds between polls."),
    timeout: float | None = typer.Option(None, "--timeout", help="Give up after this long."),
    fmt: common.ClientFormat = common.FORMAT,
    url: str | None = common.url_option(),
    token_file: str | None = common.token_file_option(),
    state: str | None = common.state_option(),
    verbose: bool = common.verbose_option(),
) -> None:
    """Wait until every job is completed, failed, deleted or killed; 0 only if all completed."""
    common.check_format(fmt)
    with common.guarded():
        client = common.make_client(url, token_file, verbose=verbose)
        with client:
            resolved = _targets(client, targets, workflows, state)
            final = wait_for(
                client, resolved.targets, interval=interval, timeout=timeout, follow=follow, fmt=fmt
            )
    raise typer.Exit(0 if final and not resolved.lost else 1)


def wait_for(
    client: Any,
    targets: list[Any],
    *,
    interval: float,
    timeout: float | None,
    follow: bool,
    fmt: str,
    table: bool = True,
) -> bool:
    """Poll with a live table (terminal) or change lines (pipe); True if all completed."""
    from prominence_spec.client.ops import Follower, poll

    followers = [Follower(client, t.id) for t in targets if not t.workflow] if follow else []
    live = _Live(enabled=fmt == "text" and table and not follow)
    last: dict[tuple[int, bool], dict[str, Any]] = {}
    with live:
        for snapshot in poll(client, targets, interval=interval, timeout=timeout):
            last = snapshot
            for follower in followers:
                _emit({}, follower.fetch(), "text")
            live.update(targets, snapshot)
    for follower in followers:
        _emit({}, follower.fetch(), "text")
    rows = [last[(t.id, t.workflow)] for t in targets if (t.id, t.workflow) in last]
    if fmt == "json":
        common.write_json(rows)
    elif table:
        show_status_table(rows)
    return len(rows) == len(targets) and all(r.get("status") == "completed" for r in rows)


class _Live:
    """A rich Live table on a terminal; otherwise one stderr line per status change."""

    def __init__(self, *, enabled: bool) -> None:
        self.rich = enabled and common.rich_ok(sys.stderr)
        self.enabled = enabled
        self.seen: dict[tuple[int, bool], str] = {}
        self._live: Any = None

    def __enter__(self) -> _Live:
        if self.rich:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(console=Console(file=sys.stderr), transient=True, auto_refresh=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)

    def update(self, targets: list[Any], snapshot: dict[tuple[int, bool], dict[str, Any]]) -> None:
        if not self.enabled:
            return
        if self._live is not None:
            self._live.update(_live_table(targets, snapshot), refresh=True)
            return
        for target in targets:
            record = snapshot.get((target.id, target.workflow), {})
            now = record.get("status", "?")
            if self.seen.get((target.id, target.workflow)) != now:
                self.seen[(target.id, target.workflow)] = now
                name = record.get("name") or target.name or ""
                common.note(f"{target.id} {name}: {now}".replace("  ", " "))


def _live_table(targets: list[Any], snapshot: dict[tuple[int, bool], dict[str, Any]]) -> Any:
    from prominence_spec.client.ops import job_row

    rows = []
    for target in targets:
        row = job_row(snapshot.get((target.id, target.workflow), {"id": target.id}))
        rows.append(
            [
                str(target.id),
                row["name"] or target.name or "",
                row["status"],
                common.duration(row["elapsed"]),
            ]
        )
    counts: dict[str, int] = {}
    for cells in rows:
        counts[cells[2]] = counts.get(cells[2], 0) + 1
    shown = common.rich_table(["ID", "NAME", "STATUS", "ELAPSED"], rows[:40])
    shown.caption = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return shown
