"""A spec's points to download: its latest run's jobs-mode points in ``<index>-<name>/``
(or ``--layout``) with their own values, a workflow's jobs as :func:`.sources.from_ids`
gives them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prominence_spec.client.api import Client
from prominence_spec.client.download.names import default_folder, layout_folder
from prominence_spec.client.download.sources import Selection, add, from_ids
from prominence_spec.client.errors import ConfigError


def from_spec(
    client: Client,
    spec: Path,
    *,
    state: str | Path | None = None,
    layout: str | None = None,
    include_all: bool = False,
) -> Selection:
    """The points of the spec's latest run: a jobs-mode point in ``<index>-<name>/`` (or
    ``layout`` filled in with its parameters) with its own values in ``params.json``; a
    workflow's jobs in ``<job id>-<name>/`` with the parameters the server reports."""
    from prominence_spec.client.ops import spec_targets

    targets = spec_targets(client, spec, state=state)
    keyed = _journal_keys(client, spec, state)
    values = _point_values(spec) if keyed else {}
    selection = Selection()
    job_ids = [t.id for t in targets if not t.workflow]
    records = client.statuses(job_ids, detail=True) if job_ids else {}
    for target in targets:
        if target.workflow:
            workflow = from_ids(client, [target.id], workflows=True, include_all=include_all)
            selection.points += workflow.points
            selection.left_out += workflow.left_out
            continue
        record = records.get(target.id)
        if record is None:
            selection.missing.append(target.id)
            continue
        index = keyed.get(target.id)
        params = values.get(index, {}) if index is not None else {}
        folder = _folder(layout, params, index, record)
        if folder is None:
            names = ", ".join(params) or "none"
            raise ConfigError(f"--layout {layout!r} names a parameter that point {index} does "
                              f"not have, or leaves DIR (its parameters: {names})")  # fmt: skip
        add(selection, record, folder, index=index, params=params, include_all=include_all)
    return selection


def _folder(
    layout: str | None, params: dict[str, Any], index: int | None, record: Mapping[str, Any]
) -> str | None:
    if layout is None:
        return default_folder(index, record.get("name"), int(record["id"]))
    return layout_folder(layout, params, index)


def _journal_keys(client: Client, spec: Path, state: str | Path | None) -> dict[int, int]:
    """Job id -> point index, from the journal of the spec's latest run."""
    from prominence_spec.client.journal import Journal, state_dir_for

    journal = Journal.read(state_dir_for(spec, state))
    if journal is None:
        return {}
    with journal:
        record = journal.latest_for_spec(client.url, str(spec.resolve()))
        if record is None:
            return {}
        points = journal.points(client.url, record.run)
    return {p.job_id: key for key, p in points.items() if p.job_id is not None}


def _point_values(spec: Path) -> dict[int, dict[str, Any]]:
    """Each point's own values (as ``render --points`` gives them), by index."""
    from prominence_spec.client.source import SpecSource

    return {p.key: dict(p.params or {}) for p in SpecSource(spec).points()}
