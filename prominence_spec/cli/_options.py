"""Options that several commands share, defined once: their names, help and defaults."""

from __future__ import annotations

from typing import Literal

import typer

Mode = Literal["jobs", "workflow", "factory"]

COLOR = typer.Option(
    None,
    "--color/--no-color",
    help="Colour the output (default: when it goes to a terminal and NO_COLOR is not set).",
)
SET = typer.Option(
    None,
    "--set",
    "-s",
    metavar="KEY=VALUE",
    help="Set a parameter (YAML-typed); repeatable; wins over --values and the spec's params.",
)
VALUES = typer.Option(
    None,
    "--values",
    metavar="FILE",
    help="A YAML/JSON file of parameter values; repeatable, later files win.",
)
MAX_POINTS = typer.Option(
    None,
    "--max-points",
    metavar="N",
    min=1,
    help="Allow sweeps of up to N points for this run (default: the spec's "
    "promspec.max_points, 1,000,000 unless set).",
)
ROOT = typer.Option(
    None,
    "--root",
    metavar="DIR",
    help="The repository root: files (templates, rows, read_file) must be inside it "
    "(default: the nearest folder with .git).",
)
MODE = typer.Option(
    None,
    "--mode",
    "-m",
    help="How to expand a sweep (default: the spec's promspec.expand, else jobs).",
)
