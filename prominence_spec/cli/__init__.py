"""The command line: parse options, call the core, pick a reporter, map outcomes to exit codes.

Exit codes: 0 all valid, 1 problems found, 2 usage, configuration or I/O error,
3 internal error (a bug: please report it). 130 on Ctrl-C.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer
from typer.exceptions import TyperException

from prominence_spec.cli import (
    init_cmd,
    ops_cmd,
    render_cmd,
    run_cmd,
    sandbox_cmd,
    schema_cmd,
    submit_cmd,
    validate_cmd,
)

app = typer.Typer(
    name="promspec",
    help="Render, validate and submit PROMINENCE job and workflow specs.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("validate")(validate_cmd.validate)
app.command("render")(render_cmd.render)
app.command("schema")(schema_cmd.schema)
app.command("init")(init_cmd.init)
app.add_typer(sandbox_cmd.app, name="sandbox")
app.command("submit")(submit_cmd.submit)
app.command("run")(run_cmd.run)
ops_cmd.register(app)


def _show_version(value: bool) -> None:
    if value:
        from prominence_spec import __version__

        typer.echo(f"promspec {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Show the version and exit.", callback=_show_version, is_eager=True
    ),
) -> None:
    """Render, validate and submit PROMINENCE job and workflow specs."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises for bad input)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = app(args=args, prog_name="promspec", standalone_mode=False)
    except typer.Exit as stop:
        return int(stop.exit_code)
    except typer.Abort:
        return 130
    except TyperException as exc:  # usage errors: bad option, missing argument, ...
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            sys.stderr.write(f"promspec: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("promspec: interrupted\n")
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # a bug: one clear line, no traceback
        sys.stderr.write(
            f"promspec: internal error: {type(exc).__name__}: {exc}\n"
            "please report this at https://github.com/promspec/promspec/issues\n"
        )
        return 3
    return code if isinstance(code, int) else 0
