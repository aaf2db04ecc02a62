"""``promspec collect``: one table of a study's results (issue 17).

``folders`` finds each point's downloaded folder, ``parse`` reads values out of a file,
``table`` builds the rows; :mod:`prominence_spec.report.rows` and ``write`` write them.
"""

from __future__ import annotations

from prominence_spec.client.collect.parse import PARSERS, ParseError, check_parser
from prominence_spec.client.collect.table import (
    Collected,
    CollectProblem,
    PointInput,
    check_source,
    collect,
)

__all__ = [
    "PARSERS",
    "CollectProblem",
    "Collected",
    "ParseError",
    "PointInput",
    "check_parser",
    "check_source",
    "collect",
]
