"""Reporters: write a :class:`CheckReport` to a text stream in the format CI wants.

Every reporter is a pure function ``(report, stream, options) -> None``: it only writes
to ``stream`` (never prints, never exits). Formats:

``text``
    ``path:line:col: error[CODE] message [document N] (at /pointer)``, ``hint:`` and
    ``context:`` lines, then a summary line. Notes only when verbose.
``json``
    ``json.dumps(report.as_dict(), indent=2)``; notes included.
``github``
    GitHub Actions workflow commands (``::error file=...::message``), then the summary.
    Notes (``::notice``) only when verbose.
``junit``
    JUnit XML, one testcase per file, one ``<failure>`` per error diagnostic.
``sarif``
    SARIF 2.1.0 for GitHub code scanning; notes included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from prominence_spec.diagnostics import CheckReport
from prominence_spec.report.common import ReportOptions, summary_line
from prominence_spec.report.github import write_github
from prominence_spec.report.json_ import write_json
from prominence_spec.report.junit import write_junit
from prominence_spec.report.sarif import write_sarif
from prominence_spec.report.text import write_text

Reporter = Callable[[CheckReport, TextIO, ReportOptions], None]

REPORTERS: dict[str, Reporter] = {
    "text": write_text,
    "json": write_json,
    "github": write_github,
    "junit": write_junit,
    "sarif": write_sarif,
}

FORMATS: tuple[str, ...] = tuple(REPORTERS)


def report(report: CheckReport, stream: TextIO, fmt: str, options: ReportOptions) -> None:
    """Write ``report`` to ``stream`` in format ``fmt``; ValueError for an unknown format."""
    try:
        reporter = REPORTERS[fmt]
    except KeyError:
        choices = ", ".join(FORMATS)
        raise ValueError(f"unknown report format {fmt!r} (choose from {choices})") from None
    reporter(report, stream, options)


__all__ = ["FORMATS", "REPORTERS", "ReportOptions", "Reporter", "report", "summary_line"]
