"""`promspec render SPEC`: print the exact API bodies a spec stands for."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import typer

from prominence_spec.cli._output import output_stream
from prominence_spec.cli._values import collect_values
from prominence_spec.diagnostics import CheckReport, Diagnostic, FileReport, has_errors
from prominence_spec.load.loader import load, load_bytes
from prominence_spec.report import ReportOptions, report

if TYPE_CHECKING:
    from prominence_spec.render.rendered import Rendered

FORMATS = ("json", "jsonl", "yaml")
MODES = ("jobs", "workflow", "factory")


def render(
    spec: str = typer.Argument(..., metavar="SPEC", help="A spec file, or - for stdin."),
    sets: list[str] | None = typer.Option(
        None,
        "--set",
        "-s",
        metavar="KEY=VALUE",
        help="Set a parameter (YAML-typed); repeatable; wins over --values and the spec's params.",
    ),
    values: list[str] | None = typer.Option(
        None,
        "--values",
        metavar="FILE",
        help="A YAML/JSON file of parameter values; repeatable, later files win.",
    ),
    mode: str | None = typer.Option(
        None,
        "--mode",
        "-m",
        help="jobs, workflow or factory (default: the spec's promspec.expand, else jobs).",
    ),
    count: bool = typer.Option(False, "--count", help="Print the number of sweep points and exit."),
    point: int | None = typer.Option(
        None, "--point", metavar="N", help="Render only point N (0-based)."
    ),
    fmt: str = typer.Option(
        "json",
        "--format",
        "-f",
        help="json (pretty; a list when a sweep "
        "gives several documents), jsonl (one compact body per line) or "
        "yaml.",
    ),
    output: str | None = typer.Option(None, "--output", "-o", help="Write to this file."),
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
        help="The repository root: files "
        "(templates, rows, read_file) must be inside it "
        "(default: the nearest folder with .git).",
    ),
) -> None:
    """Render a spec into the exact JSON bodies that submit would POST, validated."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    if mode is not None and mode not in MODES:
        raise typer.BadParameter(f"choose one of {', '.join(MODES)}", param_hint="--mode")
    if point is not None and point < 0:
        raise typer.BadParameter("points are numbered from 0", param_hint="--point")
    params, problems = collect_values(values, sets)
    if problems:
        _report_and_exit(spec, problems, 2)
    loaded = load_bytes(sys.stdin.buffer.read(), path="<stdin>") if spec == "-" else load(spec)
    if not loaded.ok or not loaded.documents:
        code = 2 if any(d.code == "PS100" for d in loaded.diagnostics) else 1
        _report_and_exit(spec, loaded.diagnostics, code)
    from prominence_spec.validate.rendered_file import RenderRun

    run = RenderRun(loaded, params, mode=mode, root=root, max_points=max_points)
    if count:
        total = run.count()
        _finish(spec, run.diagnostics, print_count=total)
        return
    with output_stream(output) as stream:
        _write(run.documents(point), stream, fmt, single=run.single(point))
    _finish(spec, run.diagnostics)


def _write(documents: Iterable[Rendered], stream: TextIO, fmt: str, single: bool) -> None:
    from prominence_spec.render.rendered import api_json

    if fmt == "jsonl":
        for item in documents:
            stream.write(api_json(item.document))
            stream.write("\n")
    elif fmt == "yaml":
        _write_yaml(documents, stream)
    else:
        _write_json(documents, stream, single)


def _write_json(documents: Iterable[Rendered], stream: TextIO, single: bool) -> None:
    import json

    if single:
        for item in documents:
            stream.write(
                json.dumps(item.document, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
            )
        return
    stream.write("[")
    first = True
    for item in documents:
        stream.write("\n" if first else ",\n")
        stream.write(json.dumps(item.document, ensure_ascii=False, indent=2, allow_nan=False))
        first = False
    stream.write("\n]\n" if not first else "]\n")


def _write_yaml(documents: Iterable[Rendered], stream: TextIO) -> None:
    import yaml

    from prominence_spec.report.yaml_writer import Yaml12Dumper

    for item in documents:
        stream.write("---\n")
        stream.write(
            yaml.dump(
                item.document,
                Dumper=Yaml12Dumper,
                sort_keys=False,
                allow_unicode=True,
                default_flow_style=False,
            )
        )


def _finish(spec: str, diagnostics: list[Diagnostic], print_count: int | None = None) -> None:
    if print_count is not None and not has_errors(diagnostics):
        typer.echo(str(print_count))
    if diagnostics:
        _report(spec, diagnostics)
    raise typer.Exit(1 if has_errors(diagnostics) else 0)


def _report(spec: str, diagnostics: list[Diagnostic]) -> None:
    checked = CheckReport([FileReport(spec, list(diagnostics), documents=1)])
    report(checked, sys.stderr, "text", ReportOptions(color=sys.stderr.isatty()))


def _report_and_exit(spec: str, diagnostics: list[Diagnostic], code: int) -> None:
    _report(spec, diagnostics)
    raise typer.Exit(code)
