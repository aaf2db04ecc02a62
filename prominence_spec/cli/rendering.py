"""What `promspec render` does, once its options are parsed (imported only when it runs)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from prominence_spec.cli._console import use_color
from prominence_spec.cli._output import files_in
from prominence_spec.cli._output import output as open_output
from prominence_spec.cli._progress import points_progress, wanted, written
from prominence_spec.cli._values import collect_values
from prominence_spec.diagnostics import CheckReport, Diagnostic, FileReport, has_errors
from prominence_spec.loading.loader import load, load_bytes
from prominence_spec.render.rendered import Rendered
from prominence_spec.report import ReportOptions, report
from prominence_spec.report.documents import write_documents
from prominence_spec.spec.settings import is_templated
from prominence_spec.validation.rendered_file import RenderRun


@dataclass(frozen=True)
class RenderRequest:
    """The options of one `promspec render`."""

    spec: str
    sets: list[str] | None
    values: list[str] | None
    mode: str | None
    count: bool
    point: int | None
    fmt: str | None
    output: str | None
    max_points: int | None
    root: Path | None
    color: bool | None
    points: bool = False
    output_dir: str | None = None
    quiet: bool = False


def run_render(request: RenderRequest) -> None:
    """Load, render, check and write; exit 0, 1 (problems) or 2 (usage)."""
    spec = request.spec
    colored = use_color(request.color, sys.stderr)
    params, origins, problems = collect_values(request.values, request.sets)
    if problems:
        _report_and_exit(spec, problems, 2, colored)
    loaded = load_bytes(sys.stdin.buffer.read(), path="<stdin>") if spec == "-" else load(spec)
    if not loaded.ok or not loaded.documents:
        code = 2 if any(d.code == "PS100" for d in loaded.diagnostics) else 1
        _report_and_exit(spec, loaded.diagnostics, code, colored)
    if (request.sets or request.values) and not any(is_templated(d.data) for d in loaded.documents):
        _not_a_template(spec)
    to_stdout = request.output in (None, "-") and request.output_dir is None
    show = wanted(request.quiet, output_on_stdout=to_stdout)
    closing: str | None = None
    with points_progress(show and not (request.count or request.points), "rendering") as progress:
        run = RenderRun(
            loaded,
            params,
            mode=request.mode,
            root=request.root,
            max_points=request.max_points,
            origins=origins,
            progress=progress,
        )
        if request.count:
            total = run.count()
            _finish(spec, run.diagnostics, colored, print_count=total)
            return
        if request.point is not None:
            _check_point(run, request.point, spec, colored)
        if request.points:
            _write_points(run, request, colored)
        elif request.output_dir is not None:
            closing = _write_files(run, request, request.output_dir)
        else:
            counts: dict[str, int] = {}
            with open_output(request.output) as out:
                documents = _counted(run.documents(request.point), counts)
                fmt = request.fmt or "json"
                single, floats = run.single(request.point), run.may_write_floats()
                write_documents(documents, out.stream, fmt, single=single, floats=floats)
                out.keep = not has_errors(run.diagnostics)
            if show and request.output and out.keep:  # on a terminal, even without a bar
                closing = written(counts, request.output)
    if closing is not None and not request.quiet:
        sys.stderr.write(closing + "\n")
    _finish(spec, run.diagnostics, colored)


def _write_points(run: RenderRun, request: RenderRequest, colored: bool) -> None:
    """The table (or rows) of the points render would give; no body is built."""
    from prominence_spec.report.points import write_points

    with open_output(request.output) as out:
        to_stdout = out.path is None
        table_color = request.fmt is None and to_stdout and use_color(request.color, sys.stdout)
        write_points(
            run.points(request.point),
            out.stream,
            request.fmt,
            with_document=run.documents_in_file > 1,
            color=table_color,
        )
        out.keep = not has_errors(run.diagnostics)
    if not run.swept and not has_errors(run.diagnostics):
        sys.stderr.write(f"promspec: {request.spec} has no sweep: it renders one point, 0\n")


def _write_files(run: RenderRun, request: RenderRequest, folder: str) -> str | None:
    """One file per valid body in ``folder``, none at all if any point fails; the closing
    line to print when they were written."""
    from prominence_spec.report.document_files import FileNames, document_text

    fmt = request.fmt or "json"
    names = FileNames(fmt)
    with files_in(folder) as files:
        for item in run.documents(request.point):
            files.write(names.name(item.document, item.index), document_text(item.document, fmt))
        files.keep = not has_errors(run.diagnostics)
    if not files.keep:
        return None
    shown = folder if folder.endswith(("/", os.sep)) else folder + "/"
    plural = "" if len(files) == 1 else "s"
    return f"promspec: {len(files):,} file{plural} written to {shown}"


def _counted(items: Iterator[Rendered], counts: dict[str, int]) -> Iterator[dict[str, Any]]:
    """The bodies of ``items``, counted by kind in ``counts`` as they go."""
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
        yield item.document


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
