"""GitHub Actions workflow commands (``::error file=...::message``), then the summary.

The message is ``message [document N] (at /pointer) — hint: ...``; stdin gets no ``file``.

Escaping follows the Actions toolkit (``@actions/core`` ``command.ts``): in the data
``%``, ``\\r`` and ``\\n``; in property values also ``:`` and ``,``.
"""

from __future__ import annotations

from typing import TextIO

from prominence_spec.codes import title
from prominence_spec.diagnostics import CheckReport, Diagnostic, FileReport, Severity
from prominence_spec.report.common import (
    STDIN_NAMES,
    ReportOptions,
    described,
    display_path,
    summary_line,
    visible,
    with_hint,
)

COMMANDS: dict[Severity, str] = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _properties(file: FileReport, diagnostic: Diagnostic) -> str:
    path = display_path(file, diagnostic)
    props: list[tuple[str, str]] = [] if path in STDIN_NAMES else [("file", path)]
    if diagnostic.line is not None:
        props.append(("line", str(diagnostic.line)))
        if diagnostic.column is not None:
            props.append(("col", str(diagnostic.column)))
    props.append(("title", f"{diagnostic.code} {title(diagnostic.code)}".rstrip()))
    return ",".join(f"{key}={escape_property(value)}" for key, value in props)


def command(file: FileReport, diagnostic: Diagnostic) -> str:
    """One workflow command line for one diagnostic."""
    data = escape_data(with_hint(described(file, diagnostic), diagnostic))
    return f"::{COMMANDS[diagnostic.severity]} {_properties(file, diagnostic)}::{data}"


def write_github(report: CheckReport, stream: TextIO, options: ReportOptions) -> None:
    for file in report.files:
        for diagnostic in visible(file.diagnostics, options):
            stream.write(command(file, diagnostic) + "\n")
    if not options.quiet:
        stream.write(summary_line(report) + "\n")
