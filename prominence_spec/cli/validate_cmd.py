"""`promspec validate PATH...`"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from prominence_spec.cli._output import output_stream
from prominence_spec.cli._values import collect_values
from prominence_spec.report import FORMATS, ReportOptions, report
from prominence_spec.validate.paths import check_paths, has_io_errors

_FORMAT_HELP = "Report format: " + ", ".join(FORMATS) + "."


def validate(
    paths: list[str] = typer.Argument(
        ...,
        metavar="PATH",
        help="Spec files, directories (searched for *.yaml, *.yml, *.json) or - for stdin.",
    ),
    fmt: str = typer.Option("text", "--format", "-f", help=_FORMAT_HELP),
    kind: str | None = typer.Option(
        None,
        "--kind",
        help="Treat every document as a job "
        "or a workflow (default: a top-level jobs key means "
        "workflow).",
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", help="Write the report to this file instead of stdout."
    ),
    stdin_format: str = typer.Option("yaml", "--stdin-format", help="yaml or json, for -."),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Show every alternative of a failed choice, and notes."
    ),
    color: bool | None = typer.Option(
        None,
        "--color/--no-color",
        help="Colour the text report (default: when stdout is a terminal).",
    ),
    sets: list[str] | None = typer.Option(
        None, "--set", "-s", metavar="KEY=VALUE", help="Set a parameter of templated specs."
    ),
    values: list[str] | None = typer.Option(
        None, "--values", metavar="FILE", help="Parameter values for templated specs."
    ),
    max_points: int | None = typer.Option(
        None,
        "--max-points",
        metavar="N",
        min=1,
        help="Allow sweeps of up to N points for this run (default: the spec's "
        "promspec.max_points, 1,000,000 unless set).",
    ),
    root: Path | None = typer.Option(
        None,
        "--root",
        help="Repository root for templated specs' files (default: the nearest folder with .git).",
    ),
) -> None:
    """Check spec files against the PROMINENCE schemas and server rules; report every problem."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    if kind not in (None, "job", "workflow"):
        raise typer.BadParameter("choose job or workflow", param_hint="--kind")
    if stdin_format not in ("yaml", "json"):
        raise typer.BadParameter("choose yaml or json", param_hint="--stdin-format")
    params, problems = collect_values(values, sets)
    if problems:
        for problem in problems:
            sys.stderr.write(f"promspec: {problem.path}: {problem.message}\n")
        raise typer.Exit(2)
    result = check_paths(
        paths,
        kind=kind,
        verbose=verbose,
        values=params,
        root=root,
        read_stdin=sys.stdin.buffer.read,
        stdin_format=stdin_format,
        max_points=max_points,
    )
    use_color = color if color is not None else (output is None and sys.stdout.isatty())
    from prominence_spec import __version__

    options = ReportOptions(verbose=verbose, color=use_color, tool_version=__version__)
    with output_stream(output) as stream:
        report(result, stream, fmt, options)
    if has_io_errors(result):
        raise typer.Exit(2)
    raise typer.Exit(0 if result.valid else 1)
