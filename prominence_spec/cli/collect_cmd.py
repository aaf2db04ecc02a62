"""`promspec collect SPEC --from PATTERN|stdout`: one table of a study's results, a row
per point (index, each parameter, status, exit code, then the values read from what
``download`` put in that point's folder)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from prominence_spec.cli import _client_common as common
from prominence_spec.cli import _options as shared

SHOWN_PROBLEMS = 20


def collect(
    spec: str = typer.Argument(..., metavar="SPEC", help="The spec whose points to collect."),
    source: str = typer.Option(
        ..., "--from", metavar="PATTERN|stdout", help="A file or glob in each point's folder."
    ),
    parse: str = typer.Option(
        "auto", "--parse", metavar="auto|json|yaml|csv|kv|regex:EXPR", help="How to read it."
    ),
    directory: str | None = typer.Option(
        None,
        "--dir",
        "-d",
        metavar="DIR",
        help="Where download put the points (default: ./<spec name>).",
    ),
    output: str | None = typer.Option(None, "--output", "-o", metavar="FILE", help="Write here."),
    fmt: str | None = typer.Option(
        None,
        "--format",
        "-f",
        metavar="csv|json|jsonl|parquet",
        help="Default: -o's extension, else csv.",
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Read only DIR: fetch nothing, never ask the server."
    ),
    jobs: int = typer.Option(8, "--jobs", "-j", min=1, max=64, metavar="N", help="Files at once."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    mode: shared.Mode | None = shared.MODE,
    sets: list[str] | None = shared.SET,
    values: list[str] | None = shared.VALUES,
    root: Path | None = shared.ROOT,
    url: str | None = common.url_option(),
    token_file: str | None = common.token_file_option(),
    state: str | None = common.state_option(),
    verbose: bool = common.verbose_option(),
) -> None:
    """Put every point's results in one table (CSV, JSON, JSON lines or Parquet),
    first downloading into DIR what is not there yet (as `download` does)."""
    from prominence_spec.cli._diagnostics import show_diagnostics
    from prominence_spec.cli._values import spec_values
    from prominence_spec.client.collect import collect
    from prominence_spec.client.points import spec_layout
    from prominence_spec.client.source import SpecSource
    from prominence_spec.diagnostics import has_errors

    chosen = _check(spec, source, parse, output, fmt)
    where = Path(directory) if directory else Path.cwd() / Path(spec).stem
    src = SpecSource(Path(spec), spec_values(spec, values, sets), mode, root)
    with common.guarded():
        layout = spec_layout(src)
        if has_errors(src.diagnostics):
            show_diagnostics(spec, src.diagnostics)
            raise typer.Exit(1)
        fetch = _Fetch(where, src, url, token_file, state, verbose, jobs=jobs, quiet=quiet)
        with fetch:
            inputs = fetch.inputs(layout.slots, source, offline=offline)
        table = collect(inputs, where, source, parse)
        _write(table, chosen, output)
    _report(table.problems)
    raise typer.Exit(1 if table.problems or fetch.code else 0)


def _check(spec: str, source: str, parse: str, output: str | None, fmt: str | None) -> str:
    """The format to write; usage errors (exit 2) for what cannot work."""
    from prominence_spec.client.collect import check_parser, check_source
    from prominence_spec.client.collect.write import FORMATS, format_for

    if not Path(spec).is_file():
        raise typer.BadParameter(f"{spec}: no such file", param_hint="SPEC")
    for why, hint in ((check_source(source), "--from"), (check_parser(parse), "--parse")):
        if why:
            raise typer.BadParameter(why, param_hint=hint)
    chosen = format_for(output, fmt)
    if chosen is None:
        raise typer.BadParameter(
            "-o FILE ends in .csv, .json, .jsonl or .parquet (or give -f)", param_hint="-o"
        )
    if chosen not in FORMATS:
        raise typer.BadParameter(f"choose {', '.join(FORMATS)}", param_hint="--format")
    if chosen == "parquet" and output in (None, "-"):
        raise typer.BadParameter("parquet goes to a file: give -o FILE.parquet", param_hint="-f")
    return str(chosen)


class _Fetch:
    """The server, asked only when DIR lacks a point's file: one listing, then the
    download (with its progress bar) of what is missing."""

    def __init__(
        self,
        where: Path,
        source: Any,
        url: str | None,
        token_file: str | None,
        state: str | None,
        verbose: bool,
        *,
        jobs: int,
        quiet: bool,
    ) -> None:
        self.where, self.source, self.state, self.jobs, self.quiet = (
            where,
            source,
            state,
            jobs,
            quiet,
        )
        self.connect = (url, token_file, verbose)
        self.client: Any = None
        self.code = 0

    def __enter__(self) -> _Fetch:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()

    def inputs(self, slots: Any, pattern: str, *, offline: bool) -> list[Any]:
        from prominence_spec.client.collect.fetch import gather

        statuses = None if offline else self._statuses
        return gather(slots, self.where, pattern, statuses=statuses, download=self._download)

    def _statuses(self) -> list[Any]:
        from prominence_spec.client.points import point_statuses

        url, token_file, verbose = self.connect
        self.client = common.make_client(url, token_file, concurrency=self.jobs, verbose=verbose)
        return point_statuses(self.client, self.source, state=self.state)

    def _download(self, selection: Any, only: Any) -> None:
        from prominence_spec.cli._download_view import download_into
        from prominence_spec.cli.download_cmd import _resume_hint

        self.code = download_into(self.client, selection, self.where, jobs=self.jobs, force=False,
                                  quiet=self.quiet, resume=_resume_hint(), only=only)  # fmt: skip


def _write(table: Any, fmt: str, output: str | None) -> None:
    from prominence_spec.cli._output import output_stream
    from prominence_spec.client.collect.write import write_parquet, write_text

    if fmt == "parquet":
        assert output is not None
        write_parquet(table, output)
        return
    with output_stream(output) as stream:
        write_text(table, stream, fmt)


def _report(problems: list[Any]) -> None:
    for problem in problems[:SHOWN_PROBLEMS]:
        common.error(str(problem))
    if len(problems) > SHOWN_PROBLEMS:
        common.error(f"... and {len(problems) - SHOWN_PROBLEMS:,} more points with problems")
    if problems:
        sys.stderr.write(f"promspec: {len(problems):,} problem(s); their rows have no values\n")
