"""`promspec run SPEC [--local]`: submit, wait with a live table, show how every job ended."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from prominence_spec.cli import _client_common as common
from prominence_spec.cli import _options as shared
from prominence_spec.executor_names import Executor

TAIL_LINES = 20
REMOTE_POLL = 2.0  # seconds between status polls of a real server
LOCAL_POLL = 0.25  # the embedded sandbox is on loopback: asking often costs nothing
SHOW_ALL_UP_TO = 20  # jobs: with this many or fewer, every job's last lines are shown


def run(
    spec: str = typer.Argument(..., metavar="SPEC", help="The spec file to run."),
    local: bool = typer.Option(
        False, "--local", help="Run on this machine, in a temporary `promspec sandbox`."
    ),
    executor: Executor = typer.Option("host", "--executor", help="With --local: the executor."),
    mode: shared.Mode | None = shared.MODE,
    sets: list[str] | None = shared.SET,
    values: list[str] | None = shared.VALUES,
    fmt: common.ClientFormat = common.FORMAT,
    url: str | None = common.url_option(),
    token_file: str | None = common.token_file_option(),
    state: str | None = common.state_option(),
    new_run: bool = typer.Option(False, "--new-run", help="Submit as a new run."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Resubmit failed points."),
    concurrency: int = typer.Option(
        8, "--concurrency", "-j", min=1, max=64, metavar="N", help="Requests at once."
    ),
    interval: float | None = typer.Option(
        None,
        "--interval",
        metavar="SECONDS",
        min=0.05,
        help="Seconds between status polls (default: 2; 0.25 with --local).",
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", metavar="SECONDS", help="Stop waiting after this."
    ),
    root: Path | None = shared.ROOT,
    results: Path | None = typer.Option(
        None,
        "--results",
        metavar="DIR",
        help="Download every point's outputs here [./<spec name>-results].",
    ),  # fmt: skip
    no_results: bool = typer.Option(False, "--no-results", help="Download nothing."),
    verbose: bool = common.verbose_option(),
) -> None:
    """Submit a spec, wait for its jobs, show a table of how each ended, and download
    every point's outputs (kept after --local's sandbox has stopped)."""
    from prominence_spec.cli._values import spec_values
    from prominence_spec.cli.submit_cmd import MODES

    common.check_format(fmt)
    if mode is not None and mode not in MODES:
        raise typer.BadParameter(f"choose one of {', '.join(MODES)}", param_hint="--mode")
    if not Path(spec).is_file():
        raise typer.BadParameter(f"{spec}: no such file", param_hint="SPEC")
    if local and (url or token_file):
        raise typer.BadParameter("--local starts its own server", param_hint="--url")
    params = spec_values(spec, values, sets)
    from prominence_spec.client.source import SpecSource

    source = SpecSource(Path(spec), params, mode, root)
    with common.guarded(), _server(local, executor, state) as (local_url, local_token, state):
        client = common.make_client(
            local_url or url,
            local_token or token_file,
            concurrency=concurrency,
            verbose=verbose,
        )
        with client:
            poll = interval if interval is not None else (LOCAL_POLL if local else REMOTE_POLL)
            code = _run(
                client, source, state, new_run, retry_failed, concurrency, fmt, poll, timeout
            )
            if not no_results:
                folder = results or Path(f"{Path(spec).stem}-results")
                code = max(code, _results(client, source, state, folder, concurrency))
    raise typer.Exit(code)


@contextmanager
def _server(
    local: bool, executor: str, state: str | None
) -> Iterator[tuple[str | None, str | None, str | None]]:
    if not local:
        yield None, None, state
        return
    from prominence_spec.client.local import LocalSandbox

    common.note(f"starting a local sandbox (executor {executor}) ...")
    sandbox = LocalSandbox(executor=executor)
    with _terminate_as_interrupt():
        sandbox.start()
        try:
            common.note(f"local sandbox at {sandbox.url}")
            yield sandbox.url, str(sandbox.token_file), state or str(sandbox.data / "journal")
        finally:
            sandbox.stop()
            common.note("local sandbox stopped")


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM stops ``run --local`` as Ctrl-C does: the sandbox is stopped and its
    folder removed, and the exit code is 130 (``kill -9`` is the sandbox's to notice:
    the pipe it reads ends)."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(
    client: Any,
    source: Any,
    state: str | None,
    new_run: bool,
    retry_failed: bool,
    concurrency: int,
    fmt: str,
    interval: float,
    timeout: float | None,
) -> int:
    from prominence_spec.cli.ops_cmd import wait_for
    from prominence_spec.cli.submit_cmd import run_submit
    from prominence_spec.client.ops import spec_targets

    options = {"format": "text", "concurrency": concurrency}
    code = run_submit(client, source, state, new_run, retry_failed, options, quiet_ids=True)
    try:
        targets = spec_targets(client, source.path, state=state)
    except Exception:
        return code or 1
    all_completed = wait_for(
        client, targets, interval=interval, timeout=timeout, follow=False, fmt="text", table=False
    )
    rows = final_rows(client, targets)
    if fmt == "json":
        from prominence_spec.client.points import point_of_job, point_statuses

        points = point_of_job(point_statuses(client, source, state=state))
        common.write_json([_json_row(row, points) for row in rows])
    else:
        _final_table(rows)
        _tails(client, rows)
    return 0 if all_completed and code == 0 else 1


def _results(client: Any, source: Any, state: str | None, folder: Path, jobs: int) -> int:
    """Every point's outputs (failed ones too) into ``folder``; the exit code."""
    from prominence_spec.cli._download_view import download_into
    from prominence_spec.client.download.spec_points import from_spec

    selection = from_spec(client, source, state=state, include_all=True)
    hint = f"get the rest with: promspec download {source.path} -d {folder}"
    code = download_into(client, selection, folder, jobs=jobs, force=False, quiet=False,
                         resume=hint)  # fmt: skip
    common.note(f"results in {folder}/")
    return code


def final_rows(client: Any, targets: list[Any]) -> list[dict[str, Any]]:
    """One row per job: a workflow's rows are its jobs."""
    from prominence_spec.client.ops import job_row, records

    found = records(client, targets, detail=True)
    rows: list[dict[str, Any]] = []
    for target in targets:
        record = found.get((target.id, target.workflow))
        if target.workflow:
            jobs = client.list_jobs(workflow=target.id, all=True, detail=True)
            rows.extend(_row(job_row(job), job) for job in sorted(jobs, key=_job_id))
            if not jobs and record:
                rows.append(_row(job_row(record), record))
        elif record:
            rows.append(_row(job_row(record), record))
        else:
            rows.append(
                {
                    "name": target.name,
                    "id": target.id,
                    "status": "unknown",
                    "exit_code": None,
                    "wall_time": None,
                    "record": {},
                }
            )
    return rows


def _json_row(row: dict[str, Any], points: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """A row of ``run -f json``: the job's point (index, params) first, no raw record."""
    point = points.get(row["id"], {"index": None, "params": None})
    return {**point, **{k: v for k, v in row.items() if k != "record"}}


def _job_id(job: dict[str, Any]) -> int:
    return job["id"] if isinstance(job.get("id"), int) else 0


def _row(row: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "id": row["id"],
        "status": row["status"],
        "exit_code": row["exit_code"],
        "wall_time": row["wall_time"],
        "reason": row["reason"],
        "record": record,
    }


def _final_table(rows: list[dict[str, Any]]) -> None:
    common.table(
        ["NAME", "ID", "STATUS", "EXIT", "WALL TIME"],
        [
            [
                r["name"],
                r["id"],
                r["status"],
                "" if r["exit_code"] is None else r["exit_code"],
                common.duration(r["wall_time"]),
            ]
            for r in rows
        ],
    )
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    common.note(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))


def _tails(client: Any, rows: list[dict[str, Any]]) -> None:
    show_all = len(rows) <= SHOW_ALL_UP_TO
    for row in rows:
        failed = row["status"] != "completed"
        if not (failed or show_all) or not isinstance(row["id"], int):
            continue
        lines = TAIL_LINES if failed else 3
        text = _tail(client, row["id"], lines)
        if failed:
            errors = _tail(client, row["id"], lines, "stderr")
            text = (f"stderr:\n{errors}\nstdout:\n" if errors.strip() else "") + text
        if failed and row.get("reason"):
            text = f"({row['reason']})\n" + text
        if text.strip():
            sys.stdout.write(f"--- {row['name'] or row['id']} ({row['id']}, {row['status']}) ---\n")
            sys.stdout.write(common.redact(text.rstrip("\n")) + "\n")


def _tail(client: Any, job_id: int, lines: int, stream: str = "stdout") -> str:
    from prominence_spec.client.errors import ClientError

    try:
        data = client.stdout(job_id) if stream == "stdout" else client.stderr(job_id)
    except ClientError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])
