"""`promspec render SPEC`: print the exact API bodies a spec stands for."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

import typer

from prominence_spec.cli import _options as shared
from prominence_spec.cli._console import use_color
from prominence_spec.cli._output import output as open_output
from prominence_spec.cli._values import collect_values, given_where
from prominence_spec.diagnostics import CheckReport, Diagnostic, FileReport, has_errors
from prominence_spec.load.loader import load, load_bytes
from prominence_spec.report import ReportOptions, report
from prominence_spec.spec.settings import is_templated
from prominence_spec.validate.rendered_file import RenderRun

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
    if point is not None and count:
        raise typer.BadParameter(
            "--point and --count cannot be used together", param_hint="--point"
        )
    colored = use_color(color, sys.stderr)
    params, problems = collect_values(values, sets)
    if problems:
        _report_and_exit(spec, problems, 2, colored)
    loaded = load_bytes(sys.stdin.buffer.read(), path="<stdin>") if spec == "-" else load(spec)
    if not loaded.ok or not loaded.documents:
        code = 2 if any(d.code == "PS100" for d in loaded.diagnostics) else 1
        _report_and_exit(spec, loaded.diagnostics, code, colored)
    if (sets or values) and not any(is_templated(d.data) for d in loaded.documents):
        _not_a_template(spec)
    from prominence_spec.report.documents import write_documents

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
    if point is not None:
        _check_point(run, point, spec, colored)
    with open_output(output) as out:
        documents = (item.document for item in run.documents(point))
        write_documents(documents, out.stream, fmt, single=run.single(point))
        out.keep = not has_errors(run.diagnostics)
    _finish(spec, run.diagnostics, colored)


def _check_point(run: RenderRun, point: int, spec: str, colored: bool) -> None:
    """--point out of range is a usage error that says the valid range."""
    total = run.count()
    if has_errors(run.diagnostics):
        _report_and_exit(spec, run.diagnostics, 1, colored)
    if point >= total:
        what = (
            "the spec has 1 point: 0"
            if total == 1
            else f"the sweep has {total:,} points: 0 to {total - 1:,}"
        )
        raise typer.BadParameter(f"point {point} is out of range: {what}", param_hint="--point")


def _not_a_template(spec: str) -> None:
    sys.stderr.write(
        f"promspec: {spec} is not a template (it has no promspec: block): "
        "--set and --values have nothing to set\n"
    )
    raise typer.Exit(2)


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
