"""The human format: one line per diagnostic, then a summary line."""

from __future__ import annotations

from typing import TextIO

from prominence_spec.diagnostics import CheckReport
from prominence_spec.report.common import (
    ReportOptions,
    diagnostic_lines,
    summary_line,
    visible,
)


def write_text(report: CheckReport, stream: TextIO, options: ReportOptions) -> None:
    for file in report.files:
        for diagnostic in visible(file.diagnostics, options):
            for line in diagnostic_lines(file, diagnostic, options.color):
                stream.write(line + "\n")
    stream.write(summary_line(report) + "\n")
