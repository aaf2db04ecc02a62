"""`promspec submit SPEC`: render, validate, and submit every point exactly once."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from prominence_spec.cli import _client_common as common
from prominence_spec.cli import _options as shared
from prominence_spec.cli._diagnostics import show_diagnostics

MODES = ("jobs", "workflow", "factory")


def submit(
    spec: str = typer.Argument(..., metavar="SPEC", help="The spec file to submit."),
    mode: shared.Mode | None = shared.MODE,
    sets: list[str] | None = shared.SET,
    values: list[str] | None = shared.VALUES,
    fmt: common.ClientFormat = common.FORMAT,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the requests; send nothing."),
    curl: bool = typer.Option(False, "--curl", help="With --dry-run: a shell script of curl."),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write to this file."
    ),
    url: str | None = common.url_option(),
    token_file: str | None = common.token_file_option(),
    state: str | None = common.state_option(),
    new_run: bool = typer.Option(False, "--new-run", help="Submit as a new run (all again)."),
    retry_failed: bool = typer.Option(
        False, "--retry-failed", help="Also resubmit points whose jobs failed or were killed."
    ),
    concurrency: int = typer.Option(
        8, "--concurrency", "-j", min=1, max=64, metavar="N", help="Requests at once."
    ),
    timeout: float = typer.Option(
        150.0, "--timeout", metavar="SECONDS", help="Seconds to wait for each whole answer."
    ),
    root: Path | None = shared.ROOT,
    verbose: bool = common.verbose_option(),
) -> None:
    """Submit a spec's jobs (or workflow); again, only what is missing."""
    options = _check_options(spec, fmt, mode, curl, dry_run, concurrency, timeout)
    from prominence_spec.cli._values import spec_values

    params = spec_values(spec, values, sets)
    from prominence_spec.client.source import SpecSource

    source = SpecSource(Path(spec), params, mode, root)
    again = resume_command(
        "submit",
        spec,
        mode=mode,
        values=values,
        sets=sets,
        url=url,
        token_file=token_file,
        state=state,
        root=root,
    )
    with common.guarded():
        if dry_run:
            code = _dry_run(source, url, state, "curl" if curl else fmt, output)
        else:
            client = common.make_client(
                url, token_file, concurrency=concurrency, timeout=timeout, verbose=verbose
            )
            with client:
                code = run_submit(
                    client, source, state, new_run, retry_failed, options, again=again
                )
    raise typer.Exit(code)


def resume_command(
    command: str,
    spec: str,
    *,
    mode: str | None = None,
    values: list[str] | None = None,
    sets: list[str] | None = None,
    url: str | None = None,
    token_file: str | None = None,
    state: str | None = None,
    root: Path | None = None,
) -> str:
    """The command line that goes on with this run: the options that chose the spec's
    values, the server, the token and the journal, repeated as given (so that following it
    never sends the rest to another server); ``--new-run`` is left out, as the run now
    exists. Environment variables are not repeated: they are still set."""
    import shlex

    words = ["promspec", command, spec]
    if mode:
        words += ["--mode", mode]
    for value in values or []:
        words += ["--values", value]
    for item in sets or []:
        words += ["--set", item]
    for option, given in (("--url", url), ("--token-file", token_file), ("--state", state)):
        if given:
            words += [option, given]
    if root is not None:
        words += ["--root", str(root)]
    return shlex.join(words)


def _check_options(
    spec: str,
    fmt: str,
    mode: str | None,
    curl: bool,
    dry_run: bool,
    concurrency: int,
    timeout: float,
) -> dict[str, Any]:
    common.check_format(fmt)
    if mode is not None and mode not in MODES:
        raise typer.BadParameter(f"choose one of {', '.join(MODES)}", param_hint="--mode")
    if curl and not dry_run:
        raise typer.BadParameter("--curl goes with --dry-run", param_hint="--curl")
    if not 1 <= concurrency <= 64:
        raise typer.BadParameter("between 1 and 64", param_hint="--concurrency")
    if timeout <= 0:
        raise typer.BadParameter("a positive number of seconds", param_hint="--timeout")
    if not Path(spec).is_file():
        raise typer.BadParameter(f"{spec}: no such file", param_hint="SPEC")
    return {"format": fmt, "concurrency": concurrency}


# -- dry run -----------------------------------------------------------------------------------
def _dry_run(source: Any, url: str | None, state: str | None, fmt: str, output: str | None) -> int:
    from prominence_spec.cli._output import output_stream
    from prominence_spec.client.config import resolve_url
    from prominence_spec.client.dryrun import write_requests
    from prominence_spec.client.journal import Journal, state_dir_for
    from prominence_spec.client.plan import request_bodies, run_identity
    from prominence_spec.diagnostics import has_errors

    base_url = resolve_url(url)
    journal = Journal.read(state_dir_for(source.path, state))
    try:
        ident = run_identity(source, base_url, journal, new_run=False)
    finally:
        if journal is not None:
            journal.close()
    if has_errors(source.diagnostics):
        show_diagnostics(str(source.path), source.diagnostics)
        return 1
    with output_stream(output) as stream:
        count = write_requests(request_bodies(source, ident.run), base_url, stream, fmt)
    show_diagnostics(str(source.path), source.diagnostics)
    if has_errors(source.diagnostics):
        common.note(f"{count} valid points shown; nothing would be sent while any is invalid")
        return 1
    return 0


# -- the real thing ----------------------------------------------------------------------------
def run_submit(
    client: Any,
    source: Any,
    state: str | None,
    new_run: bool,
    retry_failed: bool,
    options: dict[str, Any],
    *,
    quiet_ids: bool = False,
    again: str | None = None,
) -> int:
    """Submit and report; 0 when every point is there, 1 when some failed, 130 when
    interrupted (``again``: the command line that resumes, for the closing hint)."""
    from prominence_spec.cli._exit import INTERRUPTED
    from prominence_spec.client.submit import Submit

    with _progress() as (on_progress, on_phase):
        submitter = Submit(
            client,
            source,
            state=state,
            new_run=new_run,
            retry_failed=retry_failed,
            concurrency=options["concurrency"],
            on_progress=on_progress,
            on_phase=on_phase,
        )
        result = submitter.run()
    show_diagnostics(str(source.path), result.diagnostics)
    if options["format"] == "json":
        common.write_json(result.as_dict())
    elif not quiet_ids:
        for item in result.submitted:
            sys.stdout.write(common.redact(f"{item.id}\t{item.name or ''}") + "\n")
    _summary(source, result, again or resume_command("submit", str(source.path)))
    if result.interrupted:
        return INTERRUPTED
    return 0 if result.ok else 1


def _summary(source: Any, result: Any, again: str) -> None:
    from prominence_spec.diagnostics import has_errors

    if has_errors(result.diagnostics):
        common.note(f"nothing was sent: {source.path} has problems (above)")
        return
    found = f", {result.found_by_label} found by label" if result.found_by_label else ""
    retried = f", {result.retried} retried" if result.retried else ""
    unknown = f", {len(result.unknown)} unknown" if result.unknown else ""
    common.note(
        f"run {result.run}: {result.total} point{'s' if result.total != 1 else ''}: "
        f"{len(result.submitted)} submitted, {len(result.existing)} already there, "
        f"{len(result.failed)} failed{unknown}{found}{retried} ({result.seconds:.1f} s)"
    )
    _label_notes(source, result)
    for item in result.failed[:10]:
        where = item.where or str(source.path)
        label = f"point {item.index}" + (f" ({item.name})" if item.name else "")
        common.note(f"{where}: error: {label}: {item.error}")
    if len(result.failed) > 10:
        common.note(f"... and {len(result.failed) - 10} more failed points")
    if result.fatal:
        common.note(f"stopped: {result.fatal}")
    if result.interrupted or result.not_sent or result.in_flight_abandoned:
        common.note(
            f"interrupted: {result.not_sent} point(s) not sent"
            + (f", {result.in_flight_abandoned} in flight" if result.in_flight_abandoned else "")
            + f"; run `{again}` to resume (points in flight "
            "are looked up by label first, so none is sent twice)"
        )
    elif result.failed:
        common.note(f"run `{again}` to retry the failed points")


def _label_notes(source: Any, result: Any) -> None:
    """What the label check found: lost jobs, points in doubt, points with two jobs."""
    if result.lost:
        shown = ", ".join(f"{p.index} (was {p.id})" for p in result.lost[:5])
        more = f" and {len(result.lost) - 5} more" if len(result.lost) > 5 else ""
        common.note(
            f"{len(result.lost)} point(s) had job ids the server no longer has under this "
            f"run's label: {shown}{more}; the server lost them (its data was reset or "
            "restored), so they were submitted again"
        )
    if result.unknown:
        common.note(
            f"{len(result.unknown)} point(s) unknown: their POST got no answer and the job is "
            "not on the server yet, but the request may still reach it; they were not sent "
            f"twice. Run `promspec submit {source.path}` again later: it asks by label first"
        )
    for key, ids in result.duplicates[:10]:
        extra = " ".join(str(i) for i in ids[1:])
        common.note(
            f"{source.path}: warning: point {key} has {len(ids)} jobs on the server "
            f"({', '.join(map(str, ids))}): another submit of the same run sent it at the "
            f"same time; {ids[0]} is kept as the point's job, delete the others with "
            f"`promspec delete {extra}`"
        )
    if len(result.duplicates) > 10:
        common.note(f"... and {len(result.duplicates) - 10} more points with two jobs")
    if result.unchecked:
        common.note(f"could not check for duplicate jobs after sending: {result.unchecked}")


@contextmanager
def _progress() -> Iterator[tuple[Any, Any]]:
    if not common.rich_ok(sys.stderr):
        yield None, None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f} points/s" if speed else "")

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        Rate(),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    )
    task = bar.add_task("checking", total=None, failed=0)

    def on_phase(phase: str, count: int) -> None:
        bar.update(task, description=phase, total=count or None, completed=0)

    def on_progress(done: int, failed: int) -> None:
        bar.update(task, completed=done + failed, failed=failed)

    with bar:
        yield on_progress, on_phase
