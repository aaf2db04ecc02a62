"""`promspec status SPEC`: every point of a spec, its values and how its job stands.

The text table has a row per point (index, each parameter, name, id, status, reason,
exit code, attempts, wall time) and ends with a ``condor_q -batch``-style summary line;
``-f json`` is one array, ``-f jsonl`` a line per point, ``-f csv`` a column per parameter.
``--watch`` refreshes a live table until every point has ended.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from prominence_spec.cli import _client_common as common

FORMATS = ("text", "json", "jsonl", "csv")
TEXT_ROWS = 10_000  # the text table shows at most this many rows (the summary counts all)
LIVE_ROWS = 40  # and the live table this many (the unfinished first)
FIELDS = ("name", "workflow", "instance", "id", "status", "reason", "exit_code", "attempts")


def show_points(
    client: Any, source: Any, *, state: str | None, fmt: str, watch: bool, interval: float
) -> int:
    """Print the points of ``source``; 0 when every point completed, else 1."""
    from prominence_spec.cli._diagnostics import show_diagnostics
    from prominence_spec.client.points import PointView
    from prominence_spec.diagnostics import has_errors

    view = PointView(client, source, state)
    if has_errors(source.diagnostics):
        show_diagnostics(str(source.path), source.diagnostics)
        return 1
    points = _watch(view, interval) if watch else view.refresh()
    write_points(points, fmt)
    return 0 if points and all(p.status == "completed" for p in points) else 1


def _watch(view: Any, interval: float) -> list[Any]:
    """Refresh until every point is final: a rich Live table on a terminal, else the
    summary line on stderr each time it changes."""
    from prominence_spec.client.points import summary

    live = _live()
    last = ""
    try:
        while True:
            points = view.refresh()
            line = summary(points)
            if live is not None:
                live.update(_live_table(points, line), refresh=True)
            elif line != last:
                common.note(line)
            last = line
            if all(p.final for p in points):
                return list(points)
            time.sleep(interval)
    finally:
        if live is not None:
            live.__exit__(None, None, None)


def _live() -> Any:
    if not common.rich_ok(sys.stderr):
        return None
    from rich.console import Console
    from rich.live import Live

    live = Live(console=Console(file=sys.stderr), transient=True, auto_refresh=False)
    live.__enter__()
    return live


def _live_table(points: list[Any], line: str) -> Any:
    shown = sorted(points, key=lambda p: (p.final, p.index))[:LIVE_ROWS]
    columns, cells = _cells(sorted(shown, key=lambda p: p.index))
    table = common.rich_table(columns, cells)
    table.caption = line
    return table


def write_points(points: list[Any], fmt: str, stream: Any = None) -> None:
    from prominence_spec.client.points import summary
    from prominence_spec.report.rows import write_rows

    out = stream or sys.stdout
    if fmt == "text":
        columns, cells = _cells(points[:TEXT_ROWS])
        if cells:
            common.table(columns, cells, out)
        if len(points) > TEXT_ROWS:
            out.write(f"... {len(points) - TEXT_ROWS:,} more points (-f csv shows them all)\n")
        out.write(summary(points) + "\n")
        return
    rows = [p.as_dict() for p in points]
    names = _parameter_names(points)
    columns = ["index", *names, *FIELDS, "walltime"]
    write_rows(rows, out, fmt, columns=columns, flatten=("params",))


def _parameter_names(points: list[Any]) -> list[str]:
    names: dict[str, None] = {}
    for point in points:
        names.update(dict.fromkeys(point.params))
    return list(names)


def _cells(points: list[Any]) -> tuple[list[str], list[list[str]]]:
    from prominence_spec.report.rows import csv_cell

    names = _parameter_names(points)
    in_workflow = any(p.workflow is not None for p in points)
    factory = any(p.instance is not None for p in points)
    columns = ["INDEX", *names, "NAME"]
    columns += ["WORKFLOW"] if in_workflow else []
    columns += ["INSTANCE"] if factory else []
    columns += ["ID", "STATUS", "REASON", "EXIT", "ATTEMPTS", "WALL"]
    cells = []
    for p in points:
        row = [str(p.index), *(csv_cell(p.params.get(n)) for n in names), p.name or ""]
        row += [csv_cell(p.workflow)] if in_workflow else []
        row += [csv_cell(p.instance)] if factory else []
        row += [csv_cell(p.id), p.status, p.reason, csv_cell(p.exit_code), str(p.attempts)]
        cells.append([*row, common.duration(p.walltime)])
    return columns, cells
