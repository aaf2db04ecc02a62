"""`promspec init [TEMPLATE] [DIR]`: start a spec from a starter template."""

from __future__ import annotations

from pathlib import Path

import typer

from prominence_spec.cli import _options as shared
from prominence_spec.cli._complete import starter_names


def init(
    template: str | None = typer.Argument(
        None,
        metavar="[TEMPLATE]",
        help="Starter to copy (omit to list them).",
        autocompletion=starter_names,
    ),
    directory: Path = typer.Argument(
        Path("."), metavar="[DIR]", help="Where to put it (default: here)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite existing files."),
    color: bool | None = shared.COLOR,
) -> None:
    """Copy a starter template (job, mpi, range-sweep, ...) and say what to edit."""
    from prominence_spec.spec.starters import (
        StarterError,
        command_path,
        copy_starter,
        notes_for,
        starters,
    )

    available = starters()
    if template is None:
        typer.echo("Starter templates (promspec init TEMPLATE [DIR]):")
        width = max(len(name) for name in available)
        for starter in available.values():
            typer.echo(f"  {starter.name:<{width}}  {starter.summary}")
        return
    try:
        written = copy_starter(template, directory, force=force)
    except StarterError as exc:
        raise typer.BadParameter(str(exc), param_hint="TEMPLATE") from None
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot write to {directory}: {exc.strerror}", param_hint="DIR"
        ) from None
    for path in written:
        typer.echo(f"created {path}")
    spec = written[0]
    typer.echo("")
    for line in notes_for(available[template], written):
        typer.echo(f"  {line}")
    typer.echo("")
    typer.echo(f"Edit {spec}, then check it and see what would be submitted:")
    typer.echo(f"  promspec validate {command_path(spec)}")
    typer.echo(f"  promspec render {command_path(spec)}")
