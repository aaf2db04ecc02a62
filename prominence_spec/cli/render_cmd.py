"""`promspec render SPEC`: print the exact API bodies a spec stands for."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

import typer

from prominence_spec.cli import _options as shared
from prominence_spec.cli._console import use_color
from prominence_spec.cli._output import output_stream
from prominence_spec.cli._values import collect_values, given_where
from prominence_spec.diagnostics import CheckReport, Diagnostic, FileReport, has_errors
from prominence_spec.load.loader import load, load_bytes
from prominence_spec.report import ReportOptions, report

DocumentFormat = Literal["json", "jsonl", "yaml"]
Mode = Literal["jobs", "workflow", "factory"]


def render(
    spec: str = typer.Argument(..., metavar="SPEC", help="A spec file, or - for stdin."),
    sets: list[str] | None = shared.SET,
    values: list[str] | None = shared.VALUES,
    mode: Mode | None = typer.Option(
        None,
        "--mode",
        "-m",
        help="How to expand a sweep (default: the spec's promspec.expand, else jobs).",
    ),
    count: bool = typer.Option(False, "--count", help="Print the number of sweep points and exit."),
    point: int | None = typer.Option(
        None, "--point", metavar="N", help="Render only point N (0-based)."
    ),
    fmt: DocumentFormat = typer.Option(
        "json",
        "--format",
        "-f",
        help="json (pretty; a list when a sweep gives several documents), "
        "jsonl (one compact body per line) or yaml.",
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write to this file."
    ),
    max_points: int | None = shared.MAX_POINTS,
    root: Path | None = shared.ROOT,
    color: bool | None = shared.COLOR,
) -> None:
    """Render a spec into the exact JSON bodies that submit would POST, validated."""
    if point is not None and point < 0:
        raise typer.BadParameter("points are numbered from 0", param_hint="--point")
    colored = use_color(color, sys.stderr)
    params, problems = collect_values(values, sets)
    if problems:
        _report_and_exit(spec, problems, 2, colored)
    loaded = load_bytes(sys.stdin.buffer.read(), path="<stdin>") if spec == "-" else load(spec)
    if not loaded.ok or not loaded.documents:
        code = 2 if any(d.code == "PS100" for d in loaded.diagnostics) else 1
        _report_and_exit(spec, loaded.diagnostics, code, colored)
    from prominence_spec.report.documents import write_documents
    from prominence_spec.validate.rendered_file import RenderRun

    run = RenderRun(
        loaded,
        params,
        mode=mode,
        root=root,
        max_points=max_points,
        origins=given_where(values, sets),
    )
    if count:
        total = run.count()
        _finish(spec, run.diagnostics, colored, print_count=total)
        return
    with output_stream(output) as stream:
        documents = (item.document for item in run.documents(point))
        write_documents(documents, stream, fmt, single=run.single(point))
    _finish(spec, run.diagnostics, colored)


def _finish(
    spec: str, diagnostics: list[Diagnostic], colored: bool, print_count: int | None = None
) -> None:
    if print_count is not None and not has_errors(diagnostics):
        typer.echo(str(print_count))
    if diagnostics:
        _report(spec, diagnostics, colored)
    raise typer.Exit(1 if has_errors(diagnostics) else 0)


def _report(spec: str, diagnostics: list[Diagnostic], colored: bool) -> None:
    checked = CheckReport([FileReport(spec, list(diagnostics), documents=1)])
    report(checked, sys.stderr, "text", ReportOptions(color=colored))


def _report_and_exit(spec: str, diagnostics: list[Diagnostic], code: int, colored: bool) -> None:
    _report(spec, diagnostics, colored)
    raise typer.Exit(code)
