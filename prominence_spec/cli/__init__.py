"""The command line: parse options, call the core, pick a reporter, map outcomes to exit codes.

Exit codes: 0 all valid, 1 problems found, 2 usage, configuration or I/O error,
3 internal error (a bug: please report it). 130 on Ctrl-C.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.exceptions import TyperException

from prominence_spec.cli import (
    collect_cmd,
    explain_cmd,
    init_cmd,
    ops_cmd,
    render_cmd,
    run_cmd,
    sandbox_cmd,
    schema_cmd,
    submit_cmd,
    validate_cmd,
)
from prominence_spec.cli._exit import INTERRUPTED
from prominence_spec.cli._lazy import lazy_group

#: How the app and its commands are built (the catalogue's commands are built with these).
_SETTINGS: dict[str, Any] = {"pretty_exceptions_enable": False, "rich_markup_mode": None}

#: Every command, registered here and made into a click command only when it is used.
commands = typer.Typer(**_SETTINGS)
commands.command("validate", short_help="Check specs against the server's schemas and rules.")(
    validate_cmd.validate
)
commands.command("render", short_help="Print the exact API bodies a spec stands for.")(
    render_cmd.render
)
commands.command("schema", short_help="Print a bundled JSON Schema.")(schema_cmd.schema)
commands.command("init", short_help="Start a spec from a starter template.")(init_cmd.init)
commands.command("explain", short_help="Explain a diagnostic code, with an example.")(
    explain_cmd.explain
)
commands.add_typer(sandbox_cmd.app, name="sandbox")
commands.command("submit", short_help="Send a spec's jobs or workflows to PROMINENCE.")(
    submit_cmd.submit
)
commands.command("run", short_help="Submit, wait and show the results (--local: on this machine).")(
    run_cmd.run
)
ops_cmd.register(commands)
commands.command("collect", short_help="One table of every point's results.")(collect_cmd.collect)

app = typer.Typer(
    name="promspec",
    help="Validate, render, submit and run PROMINENCE job and workflow specs.",
    add_completion=True,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=lazy_group(commands),
    **_SETTINGS,
)


def _show_version(value: bool) -> None:
    if value:
        from prominence_spec.version import __version__

        typer.echo(f"promspec {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Show the version and exit.", callback=_show_version, is_eager=True
    ),
) -> None:
    """Validate, render, submit and run PROMINENCE job and workflow specs (or run them here)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises for bad input)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = app(args=args, prog_name="promspec", standalone_mode=False)
    except typer.Exit as stop:
        return int(stop.exit_code)
    except typer.Abort:  # end of input at a prompt
        sys.stderr.write("promspec: interrupted\n")
        return INTERRUPTED
    except TyperException as exc:  # usage errors: bad option, missing argument, ...
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            sys.stderr.write(f"promspec: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("promspec: interrupted\n")
        return INTERRUPTED
    except BrokenPipeError:  # the reader went away (| head): not a problem found
        from prominence_spec.cli._output import quiet_broken_pipe

        quiet_broken_pipe()
        return 0
    except Exception as exc:  # a bug: one clear line, no traceback
        sys.stderr.write(
            f"promspec: internal error: {type(exc).__name__}: {exc}\n"
            "please report this at https://github.com/promspec/promspec/issues\n"
        )
        return 3
    if code == INTERRUPTED:  # typer returns Ctrl-C as this code
        sys.stderr.write("promspec: interrupted\n")
    return code if isinstance(code, int) else 0
