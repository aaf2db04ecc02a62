"""Tables of rows (``status SPEC``, ``collect``) as JSON, JSON lines or CSV.

A row is a mapping; the CSV writer flattens the mappings it is told to (``params`` of a
point becomes a column per parameter) and writes nested values as JSON text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

ROW_FORMATS = ("json", "jsonl", "csv")


def write_rows(
    rows: Iterable[Mapping[str, Any]],
    stream: TextIO,
    fmt: str,
    *,
    columns: Sequence[str] = (),
    flatten: Sequence[str] = (),
) -> None:
    """``rows`` as ``fmt``. For CSV, ``columns`` are the header (every key of the first
    row when empty), and each key in ``flatten`` holds a mapping whose keys are columns
    of their own (named as in the mapping, where ``columns`` lists them)."""
    if fmt == "jsonl":
        for row in rows:
            stream.write(_compact(row) + "\n")
    elif fmt == "csv":
        _write_csv(rows, stream, columns, flatten)
    else:
        _write_json(rows, stream)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _write_json(rows: Iterable[Mapping[str, Any]], stream: TextIO) -> None:
    """One JSON array, a row per line."""
    stream.write("[")
    first = True
    for row in rows:
        stream.write("\n  " if first else ",\n  ")
        stream.write(json.dumps(row, ensure_ascii=False, separators=(", ", ": "), allow_nan=False))
        first = False
    stream.write("]\n" if first else "\n]\n")


def flat(row: Mapping[str, Any], flatten: Sequence[str]) -> dict[str, Any]:
    """``row`` with each mapping named in ``flatten`` replaced by its own keys."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in flatten and isinstance(value, Mapping):
            out.update(value)
        else:
            out[key] = value
    return out


def _write_csv(
    rows: Iterable[Mapping[str, Any]],
    stream: TextIO,
    columns: Sequence[str],
    flatten: Sequence[str],
) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    header: list[str] | None = list(columns) or None
    if header is not None:
        writer.writerow(header)
    for row in rows:
        cells = flat(row, flatten)
        if header is None:
            header = list(cells)
            writer.writerow(header)
        writer.writerow([csv_cell(cells.get(c)) for c in header])


def csv_cell(value: Any) -> str:
    """A value as CSV text: nothing for None, JSON for lists and mappings."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return _compact(value)
    return str(value)


__all__ = ["ROW_FORMATS", "csv_cell", "flat", "write_rows"]
