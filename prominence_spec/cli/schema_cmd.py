"""`promspec schema job|workflow|spec`"""

from __future__ import annotations

from typing import Literal

import typer

from prominence_spec.cli import _options as shared


def schema(
    name: Literal["job", "workflow", "spec"] = typer.Argument(
        "job", help="Which bundled JSON Schema to print."
    ),
    color: bool | None = shared.COLOR,
) -> None:
    """Print a bundled JSON Schema (for editors and other tools)."""
    from prominence_spec.validation.schemas import schema_text

    try:
        text = schema_text(name)
    except OSError as exc:
        raise typer.BadParameter(f"schema {name} is not available: {exc}") from None
    typer.echo(text, nl=not text.endswith("\n"), color=color)
