"""One table of a study's results: a row per point with its index, each parameter, its
status and exit code, and the values read from its downloaded output.

A point's values come from the files of its folder that ``--from`` matches (a name or a
glob inside the folder; ``stdout`` for ``stdout.txt``), parsed as ``--parse`` says; later
files win a key. Points that did not complete keep their row with empty values. What goes
wrong is a :class:`CollectProblem` (a stable code, the point's index and the file).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prominence_spec.client.collect.folders import STDOUT_FILE, point_folders, read_params
from prominence_spec.client.collect.parse import ParseError, parser_for

FIXED = ("status", "exit_code")
_MAGIC = frozenset("*?[")


@dataclass(frozen=True)
class CollectProblem:
    """``code``: ``not-downloaded``, ``no-file``, ``unreadable``, ``parse-error``, ``no-match``."""

    code: str
    index: int
    file: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"point {self.index}: {where}{self.message} [{self.code}]"


@dataclass(frozen=True)
class PointInput:
    """What collect knows of a point before reading its files."""

    index: int
    params: dict[str, Any]
    name: str | None
    status: str | None = None  # the server's, when the folder has none
    exit_code: int | None = None


@dataclass
class Collected:
    columns: list[str]
    rows: list[dict[str, Any]]
    problems: list[CollectProblem] = field(default_factory=list)
    #: What ``Client.collect`` downloaded first (a download ``Report``; None: nothing).
    download: Any = None


def collect(points: Iterable[PointInput], root: Path, source: str, parse: str) -> Collected:
    """The table of ``points`` from the folders under ``root``."""
    listed = list(points)
    folders = point_folders(root, ((p.index, p.name) for p in listed))
    names = _parameter_names(listed)
    fixed = ["index", *names, *FIXED]
    taken = set(fixed)
    values: dict[str, None] = {}
    out = Collected(fixed, [])
    for point in listed:
        row = _fixed(point, names, folders.get(point.index))
        if row["status"] is None and point.index not in folders:
            why = "no folder (and --offline: not asked of the server): download it"
            out.problems.append(CollectProblem("not-downloaded", point.index, None, why))
        elif row["status"] == "completed":
            found = _values(point.index, folders.get(point.index), source, parse, out.problems)
            for key, value in found.items():
                column = f"output.{key}" if key in taken else key
                values.setdefault(column)
                row[column] = value
        out.rows.append(row)
    out.columns = [*fixed, *values]
    return out


def _parameter_names(points: list[PointInput]) -> list[str]:
    names: dict[str, None] = {}
    for point in points:
        names.update(dict.fromkeys(point.params))
    return list(names)


def _fixed(point: PointInput, names: list[str], folder: Path | None) -> dict[str, Any]:
    saved: Mapping[str, Any] = read_params(folder) if folder is not None else {}
    row: dict[str, Any] = {"index": point.index}
    row.update((n, point.params.get(n)) for n in names)
    row["status"] = saved.get("status", point.status)
    row["exit_code"] = saved.get("exit_code", point.exit_code)
    return row


def _values(
    index: int, folder: Path | None, source: str, parse: str, problems: list[CollectProblem]
) -> dict[str, Any]:
    if folder is None:
        problems.append(CollectProblem("not-downloaded", index, None, "no folder: download it"))
        return {}
    files = source_files(folder, source)
    if not files:
        problems.append(CollectProblem("no-file", index, str(folder / source), "no such file"))
        return {}
    found: dict[str, Any] = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(CollectProblem("unreadable", index, str(path), str(exc)))
            continue
        try:
            found.update(parser_for(parse, path.name)(text))
        except ParseError as exc:
            problems.append(CollectProblem(exc.code, index, str(path), exc.message))
    return found


def source_files(folder: Path, source: str) -> list[Path]:
    """The files of ``folder`` that ``--from`` names, in name order."""
    if source == "stdout":
        path = folder / STDOUT_FILE
        return [path] if path.is_file() else []
    if _MAGIC.isdisjoint(source):
        path = folder / source
        return [path] if path.is_file() else []
    return sorted(p for p in folder.glob(source) if p.is_file())


def check_source(source: str) -> str | None:
    """Why ``--from`` is unusable: it must stay inside the point's folder."""
    parts = Path(source).parts
    if not source or Path(source).is_absolute() or ".." in parts:
        return "a file name or glob inside each point's folder (no absolute path, no ..)"
    return None


__all__ = ["CollectProblem", "Collected", "PointInput", "check_source", "collect", "source_files"]
