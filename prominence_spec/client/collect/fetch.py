"""What ``collect`` fetches before it reads: the points whose folder under DIR is missing
or has no file ``--from`` names, and of those only what ``--from`` can be (``stdout``, or
the output files and directories that can hold it), with the download engine. Without a
server (``--offline``) nothing is fetched and a point without a folder is reported."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from prominence_spec.client.api import Client
from prominence_spec.client.collect.folders import STDOUT_FILE, point_folders
from prominence_spec.client.collect.table import Collected, PointInput, collect, source_files
from prominence_spec.client.download.engine import Downloader
from prominence_spec.client.download.model import OnEvent, Only, Report
from prominence_spec.client.download.names import relative
from prominence_spec.client.download.sources import Selection
from prominence_spec.client.download.spec_points import selection_of
from prominence_spec.client.points import PointStatus, point_statuses, spec_layout
from prominence_spec.client.points.layout import Slot
from prominence_spec.client.source import SpecSource

#: Runs the download of a selection (the CLI's shows progress; the API's tells events).
Download = Callable[[Selection, Only], None]


def missing_points(slots: Sequence[Slot], root: Path, source: str) -> set[int]:
    """The indices of the points whose folder is absent or has no file ``source`` names."""
    folders = point_folders(root, ((s.index, s.name) for s in slots))
    return {
        s.index
        for s in slots
        if s.index not in folders or not source_files(folders[s.index], source)
    }


def only_for(source: str) -> Only:
    """Which outputs can hold ``--from source``: stdout only, or the files it matches and
    the directories it reaches into."""
    if source == "stdout":
        return lambda kind, name: kind == "stream" and name == STDOUT_FILE
    wanted = source.split("/")

    def only(kind: str, name: str) -> bool:
        path = relative(name)
        if kind == "stream" or path is None:
            return False
        if "**" in wanted:
            return True
        parts = path.parts
        if kind == "file":
            return len(parts) == len(wanted) and _matches(parts, wanted)
        return len(parts) < len(wanted) and _matches(parts, wanted[: len(parts)])

    return only


def _matches(parts: Sequence[str], patterns: Sequence[str]) -> bool:
    return all(fnmatchcase(part, pattern) for part, pattern in zip(parts, patterns, strict=True))


def gather(
    slots: Sequence[Slot],
    root: Path,
    source: str,
    *,
    statuses: Callable[[], list[PointStatus]] | None,
    download: Download,
) -> list[PointInput]:
    """Each point as collect reads it, after fetching what DIR lacks. ``statuses`` asks the
    server how every point stands (one listing); None is ``--offline``. Nothing is asked
    when every point's file is already there."""
    missing = missing_points(slots, root, source)
    if not missing or statuses is None:
        return [PointInput(s.index, s.params, s.name) for s in slots]
    points = statuses()
    selection = selection_of([p for p in points if p.index in missing])
    if selection.points:
        download(selection, only_for(source))
    return [PointInput(p.index, p.params, p.name, p.status, p.exit_code) for p in points]


def collect_spec(
    client: Client,
    source: SpecSource,
    pattern: str,
    folder: str | os.PathLike[str],
    *,
    parse: str = "auto",
    fetch: bool = True,
    jobs: int = 8,
    state: Any = None,
    on_event: OnEvent | None = None,
) -> Collected:
    """One table of a spec's results, as ``promspec collect`` writes it: the points whose
    folder under ``folder`` lacks the file ``pattern`` names are downloaded first (only
    what ``pattern`` can be); ``fetch=False`` reads ``folder`` only and asks nothing of the
    server. The table's ``download`` is that download's report (None: nothing was fetched);
    what rendering the spec found is in ``source.diagnostics``."""
    root, reports = Path(folder), list[Report]()

    def download(selection: Selection, only: Only) -> None:
        engine = Downloader(client, root, jobs=jobs, on_event=on_event, only=only)
        reports.append(engine.run(selection.points))

    statuses = (lambda: point_statuses(client, source, state=state)) if fetch else None
    slots = spec_layout(source).slots
    inputs = gather(slots, root, pattern, statuses=statuses, download=download)
    table = collect(inputs, root, pattern, parse)
    table.download = reports[0] if reports else None
    return table


__all__ = ["Download", "collect_spec", "gather", "missing_points", "only_for"]
