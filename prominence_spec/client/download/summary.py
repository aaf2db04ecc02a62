"""The closing line of a download: ``downloaded 4,812 files (1.2 GB) for 1,000 points to
results/; 12 already there``."""

from __future__ import annotations

from prominence_spec.client.download.model import Report


def human_bytes(count: int) -> str:
    """``1.2 GB``, ``512 kB``, ``12 B`` (decimal units)."""
    value = float(count)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def closing_line(report: Report, root_shown: str) -> str:
    line = (
        f"downloaded {_plural(report.fetched, 'file')} ({human_bytes(report.fetched_bytes)}) "
        f"for {_plural(report.points, 'point')} to {root_shown}"
    )
    if report.kept:
        line += f"; {report.kept:,} already there"
    return line


def notes(report: Report) -> list[str]:
    """The lines after it: what was not fetched, and why."""
    lines = []
    if report.unavailable:
        lines.append(f"{_plural(report.unavailable, 'output')} had no URL (stage-out failed, "
                     "or the job wrote to its own storage)")  # fmt: skip
    if report.left_out:
        lines.append(f"{_plural(report.left_out, 'job')} not completed left out "
                     "(--all includes failed, killed and deleted ones)")  # fmt: skip
    return lines
