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

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from typing import TextIO

from prominence_spec.diagnostics import CheckReport
from prominence_spec.report.common import ReportOptions, summary_line

Reporter = Callable[[CheckReport, TextIO, ReportOptions], None]

#: Each format's reporter: (module, function), imported when the format is first used
#: (a run writes one format; the XML library, for one, is loaded only for JUnit).
_WHERE = {
    "text": ("prominence_spec.report.text", "write_text"),
    "json": ("prominence_spec.report.json_", "write_json"),
    "github": ("prominence_spec.report.github", "write_github"),
    "junit": ("prominence_spec.report.junit", "write_junit"),
    "sarif": ("prominence_spec.report.sarif", "write_sarif"),
}


class _Reporters(Mapping[str, Reporter]):
    """The reporters by format name, each imported on first use."""

    def __getitem__(self, fmt: str) -> Reporter:
        module, name = _WHERE[fmt]
        reporter: Reporter = getattr(import_module(module), name)
        return reporter

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


REPORTERS: Mapping[str, Reporter] = _Reporters()

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
