"""`promspec explain [CODE]`: what a diagnostic code means, why it happens, what to do."""

from __future__ import annotations

import sys

import typer

from prominence_spec.cli import _options as shared
from prominence_spec.cli._complete import code_names


def explain(
    code: str | None = typer.Argument(
        None,
        metavar="[CODE]",
        help="A code such as PS204 (ps204 and 204 work too).",
        autocompletion=code_names,
    ),
    color: bool | None = shared.COLOR,
) -> None:
    """Explain a diagnostic code, with an example; without CODE, list every code."""
    from prominence_spec.cli._console import use_color
    from prominence_spec.codes import CODES, entries, entry, normalize
    from prominence_spec.diagnostics import did_you_mean
    from prominence_spec.report.explain import write_code_list, write_explanation

    colored = use_color(color, sys.stdout)
    if code is None:
        write_code_list(entries(), sys.stdout, color=colored)
        return
    wanted = normalize(code)
    if wanted not in CODES:
        near = did_you_mean(wanted, CODES)
        advice = near or "promspec explain lists the codes"
        raise typer.BadParameter(f"unknown code {code!r} ({advice})", param_hint="CODE")
    write_explanation(entry(wanted), sys.stdout, color=colored)
