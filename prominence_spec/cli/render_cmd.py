"""`promspec render SPEC`: print the exact API bodies a spec stands for."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer

from prominence_spec.cli import _options as shared

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
    quiet: bool = typer.Option(
        False,
        "--quiet",
        "-q",
        help="No progress on a terminal, and no closing line (problems are still reported).",
    ),
) -> None:
    """Render a spec into the exact JSON bodies that submit would POST, validated."""
    if point is not None and point < 0:
        raise typer.BadParameter("points are numbered from 0", param_hint="--point")
    if point is not None and count:
        raise typer.BadParameter(
            "--point and --count cannot be used together", param_hint="--point"
        )
    from prominence_spec.cli.rendering import RenderRequest, run_render

    run_render(
        RenderRequest(
            spec, sets, values, mode, count, point, fmt, output, max_points, root, color, quiet
        )
    )
