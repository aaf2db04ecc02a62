"""The human format: one line per diagnostic, then a summary line. With colour, the
severities are styled through rich."""

from __future__ import annotations

from typing import TextIO

from prominence_spec.diagnostics import CheckReport
from prominence_spec.report.common import (
    SEVERITY_STYLES,
    ReportOptions,
    detail_lines,
    diagnostic_lines,
    diagnostic_parts,
    summary_line,
    visible,
)


def write_text(report: CheckReport, stream: TextIO, options: ReportOptions) -> None:
    if options.color:
        _write_colored(report, stream, options)
        return
    for file in report.files:
        for diagnostic in visible(file.diagnostics, options):
            for line in diagnostic_lines(file, diagnostic):
                stream.write(line + "\n")
    if not options.quiet:
        stream.write(summary_line(report) + "\n")


def _write_colored(report: CheckReport, stream: TextIO, options: ReportOptions) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(
        file=stream,
        force_terminal=True,
        color_system="standard",
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )
    for file in report.files:
        for diagnostic in visible(file.diagnostics, options):
            head, severity, tail = diagnostic_parts(file, diagnostic)
            style = SEVERITY_STYLES[diagnostic.severity]
            console.print(Text.assemble(head, (severity, style), tail))
            for line in detail_lines(diagnostic):
                console.print(Text(line))
    if not options.quiet:
        console.print(Text(summary_line(report)))
