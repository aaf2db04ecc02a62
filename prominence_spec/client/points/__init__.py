"""Per point: each sweep point of a spec, its values and its server record (issue 17).

``layout`` places the points (no network), ``records`` reads the run's records, ``view``
joins them into :class:`PointStatus` rows.
"""

from __future__ import annotations

from prominence_spec.client.points.layout import Layout, Slot, spec_layout
from prominence_spec.client.points.view import (
    FINAL,
    PointStatus,
    PointView,
    point_of_job,
    point_statuses,
    summary,
)

__all__ = [
    "FINAL",
    "Layout",
    "PointStatus",
    "PointView",
    "Slot",
    "point_of_job",
    "point_statuses",
    "spec_layout",
    "summary",
]
