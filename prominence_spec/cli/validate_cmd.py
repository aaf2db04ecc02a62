"""`promspec validate PATH...`"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer

from prominence_spec.cli import _options as shared

if TYPE_CHECKING:
    from prominence_spec.diagnostics import Diagnostic

ReportFormat = Literal["text", "json", "github", "junit", "sarif"]


def validate(
    paths: list[str] = typer.Argument(
        ...,
        metavar="PATH",
        help="Spec files, directories (searched for *.yaml, *.yml, *.json) or - for stdin.",
    ),
    fmt: ReportFormat = typer.Option("text", "--format", "-f", help="Report format."),
    kind: Literal["job", "workflow"] | None = typer.Option(
        None,
        "--kind",
        help="Treat every document as a job or a workflow "
        "(default: a top-level jobs key means workflow).",
    ),
    output: str | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="FILE",
        help="Write the report to this file instead of stdout.",
    ),
    stdin_format: Literal["yaml", "json"] = typer.Option(
        "yaml", "--stdin-format", help="How to read - (standard input)."
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Show every alternative of a failed choice, and notes."
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Only the problems: no summary line, nothing when all valid."
    ),
    exclude: list[str] | None = typer.Option(
        None,
        "--exclude",
        metavar="PATTERN",
        help="Do not check files matching this gitignore-style pattern (relative to the "
        "repository root); repeatable, adds to the configured exclude.",
    ),
    ignore: list[str] | None = typer.Option(
        None,
        "--ignore",
        metavar="CODE",
        help="Do not report this diagnostic code; repeatable, adds to the configured ignore.",
    ),
    strict: bool | None = typer.Option(
        None,
        "--strict/--no-strict",
        help="Warnings are errors (exit 1); overrides the configured strict.",
    ),
    color: bool | None = shared.COLOR,
    sets: list[str] | None = shared.SET,
    values: list[str] | None = shared.VALUES,
    max_points: int | None = shared.MAX_POINTS,
    root: Path | None = shared.ROOT,
) -> None:
    """Check spec files against the PROMINENCE schemas and server rules; report every problem."""
    from prominence_spec.cli._config import run_config, selection_of, tell_notes, tell_skipped
    from prominence_spec.cli._console import use_color
    from prominence_spec.cli._output import output_stream
    from prominence_spec.cli._progress import points_progress, wanted
    from prominence_spec.cli._values import collect_values
    from prominence_spec.report import ReportOptions, report
    from prominence_spec.validation.paths import (
        apply_codes,
        check_paths,
        has_io_errors,
        select_paths,
    )

    params, origins, problems = collect_values(values, sets)
    if problems:
        for problem in problems:
            sys.stderr.write(f"promspec: {_values_problem(problem)}\n")
        raise typer.Exit(2)
    config = run_config(exclude or [], ignore or [], strict)
    tell_notes(config, quiet=quiet)
    selected = select_paths(paths, selection_of(config))
    with points_progress(wanted(quiet), "checking") as progress:
        result = check_paths(
            selected.paths,
            kind=kind,
            verbose=verbose,
            values=params,
            root=root,
            read_stdin=sys.stdin.buffer.read,
            stdin_format=stdin_format,
            max_points=max_points,
            origins=origins,
            progress=progress,
        )
    if (sets or values) and not any(f.templated for f in result.files):
        sys.stderr.write(
            "promspec: none of the specs is a template (with a promspec: block): "
            "--set and --values have nothing to set\n"
        )
        raise typer.Exit(2)
    result = apply_codes(result, ignore=config.ignore, strict=config.strict)
    from prominence_spec.version import __version__

    colored = use_color(color, sys.stdout) if output is None else bool(color)
    options = ReportOptions(verbose=verbose, color=colored, tool_version=__version__, quiet=quiet)
    with output_stream(output) as stream:
        report(result, stream, fmt, options)
    tell_skipped(selected.skipped, config, verbose=verbose, quiet=quiet)
    if has_io_errors(result):
        raise typer.Exit(2)
    raise typer.Exit(0 if result.valid else 1)


def _values_problem(problem: Diagnostic) -> str:
    """A problem of a --values file or a --set item on one line: where, what, and the hint."""
    where = f"{problem.path}:{problem.line}:{problem.column}" if problem.line else problem.path
    hint = f" ({problem.hint})" if problem.hint else ""
    return f"{where}: {problem.message}{hint}"
