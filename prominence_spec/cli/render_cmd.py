"""`promspec render SPEC`: print the exact API bodies a spec stands for."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer

from prominence_spec.cli import _options as shared

DocumentFormat = Literal["json", "jsonl", "yaml"]


def render(
    spec: str = typer.Argument(..., metavar="SPEC", help="A spec file, or - for stdin."),
    sets: list[str] | None = shared.SET,
    values: list[str] | None = shared.VALUES,
    mode: shared.Mode | None = shared.MODE,
    count: bool = typer.Option(False, "--count", help="Print the number of sweep points and exit."),
    point: int | None = typer.Option(
        None, "--point", metavar="N", help="Render only point N (0-based)."
    ),
    points: bool = typer.Option(
        False,
        "--points",
        help="Print a table of each point's index and parameters (no bodies are rendered); "
        "-f json, jsonl or yaml for the same rows as data.",
    ),
    fmt: DocumentFormat | None = typer.Option(
        None,
        "--format",
        "-f",
        help="json (default; pretty, a list when a sweep gives several documents), "
        "jsonl (one compact body per line) or yaml.",
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write to this file."
    ),
    output_dir: str | None = typer.Option(
        None,
        "--output-dir",
        metavar="DIR",
        help="Write one file per document into DIR (made if missing), named after the "
        "job or workflow.",
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
    _refuse_together(count=count, points=points, output=output, output_dir=output_dir)
    from prominence_spec.cli.rendering import RenderRequest, run_render

    run_render(
        RenderRequest(
            spec,
            sets,
            values,
            mode,
            count,
            point,
            fmt,
            output,
            max_points,
            root,
            color,
            points=points,
            output_dir=output_dir,
            quiet=quiet,
        )
    )


def _refuse_together(
    *, count: bool, points: bool, output: str | None, output_dir: str | None
) -> None:
    """--output-dir writes files, --points and --count print: one at a time."""
    if output_dir is not None and output is not None:
        raise typer.BadParameter(
            "--output-dir and --output cannot be used together", param_hint="--output-dir"
        )
    if output_dir is not None and (count or points):
        other = "--count" if count else "--points"
        raise typer.BadParameter(
            f"--output-dir and {other} cannot be used together", param_hint="--output-dir"
        )
    if points and count:
        raise typer.BadParameter(
            "--points and --count cannot be used together", param_hint="--points"
        )
