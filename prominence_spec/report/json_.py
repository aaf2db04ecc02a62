"""The machine format: ``CheckReport.as_dict()`` as indented JSON, notes included."""

from __future__ import annotations

import json
from typing import TextIO

from prominence_spec.diagnostics import CheckReport
from prominence_spec.report.common import ReportOptions


def write_json(report: CheckReport, stream: TextIO, options: ReportOptions) -> None:
    stream.write(json.dumps(report.as_dict(), indent=2) + "\n")
