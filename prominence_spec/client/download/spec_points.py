"""A spec's points to download, from the per-point view (:mod:`prominence_spec.client.points`):
each point with a server record in ``<index>-<job name>/`` (or ``--layout`` filled in with
its own values), in jobs, workflow and factory modes alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prominence_spec.client.api import Client
from prominence_spec.client.download.names import default_folder, layout_folder
from prominence_spec.client.download.sources import Selection, add
from prominence_spec.client.errors import ConfigError
from prominence_spec.client.points import PointStatus, point_statuses
from prominence_spec.client.source import SpecSource


def from_spec(
    client: Client,
    source: SpecSource,
    *,
    state: Any = None,
    layout: str | None = None,
    include_all: bool = False,
) -> Selection:
    """The points of the spec's latest run that have a job; the others count as left out."""
    points = point_statuses(client, source, state=state)
    return selection_of(points, layout=layout, include_all=include_all)


def selection_of(
    points: Iterable[PointStatus], *, layout: str | None = None, include_all: bool = False
) -> Selection:
    """These points, each in its folder; the points without a job count as left out."""
    selection = Selection()
    for point in points:
        if point.record is None or point.id is None:
            selection.left_out += 1
            continue
        folder = _folder(layout, point)
        add(selection, point.record, folder, index=point.index, params=point.params,
            include_all=include_all)  # fmt: skip
    return selection


def _folder(layout: str | None, point: PointStatus) -> str:
    name = point.name.rsplit("/", 1)[-1] if point.name else None
    if layout is None:
        return default_folder(point.index, name, int(point.id or 0))
    folder = layout_folder(layout, point.params, point.index)
    if folder is None:
        names = ", ".join(point.params) or "none"
        raise ConfigError(f"--layout {layout!r} names a parameter that point {point.index} "
                          f"does not have, or leaves DIR (its parameters: {names})")  # fmt: skip
    return folder
