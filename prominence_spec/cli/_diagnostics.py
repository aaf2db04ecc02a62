"""Showing a spec's diagnostics on stderr from any command (light to import: the
reporters are imported when there is something to show)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prominence_spec.diagnostics import Diagnostic


def show_diagnostics(spec: str, diagnostics: list[Diagnostic]) -> None:
    """A spec's diagnostics on stderr, as validate shows them."""
    import sys

    from prominence_spec.diagnostics import CheckReport, FileReport
    from prominence_spec.report import ReportOptions, report

    if diagnostics:
        checked = CheckReport([FileReport(spec, list(diagnostics), documents=1)])
        report(checked, sys.stderr, "text", ReportOptions(color=sys.stderr.isatty()))
