"""`promspec schema job|workflow|spec`"""

from __future__ import annotations

import typer

from prominence_spec.validate.schemas import SCHEMA_NAMES, NoSuchSchemaError, schema_text


def schema(
    name: str = typer.Argument(
        "job", metavar="job|workflow|spec", help="Which bundled JSON Schema to print."
    ),
) -> None:
    """Print a bundled JSON Schema (for editors and other tools)."""
    try:
        text = schema_text(name)
    except NoSuchSchemaError:
        raise typer.BadParameter(
            f"choose one of {', '.join(SCHEMA_NAMES)}", param_hint="NAME"
        ) from None
    except OSError as exc:
        raise typer.BadParameter(f"schema {name} is not available: {exc}") from None
    typer.echo(text, nl=not text.endswith("\n"))
