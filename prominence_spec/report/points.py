"""Writing the points of a sweep (`promspec render --points`): an aligned table of each
point's index and parameter values, or the same rows as JSON, JSON lines or YAML."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol, TextIO

#: The widest a value is shown in the table; longer ones end in "...".
MAX_CELL = 60


class PointRow(Protocol):
    """What the writers need of a point: its document in the file, its index, its values."""

    @property
    def document(self) -> int: ...
    @property
    def index(self) -> int: ...
    @property
    def params(self) -> dict[str, Any]: ...


def write_points(
    rows: Iterable[PointRow],
    stream: TextIO,
    fmt: str | None,
    *,
    with_document: bool,
    color: bool = False,
) -> None:
    """Write ``rows`` as ``fmt`` (None: the table); ``with_document``: say which document
    of the file each point belongs to (for files of several documents)."""
    if fmt is None:
        _write_table(rows, stream, with_document, color)
    elif fmt == "jsonl":
        for row in rows:
            stream.write(_compact(_record(row, with_document)) + "\n")
    elif fmt == "yaml":
        _write_yaml(rows, stream, with_document)
    else:
        _write_json(rows, stream, with_document)


def _record(row: PointRow, with_document: bool) -> dict[str, Any]:
    record: dict[str, Any] = {"document": row.document} if with_document else {}
    record.update(index=row.index, params=row.params)
    return record


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), allow_nan=False)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _write_json(rows: Iterable[PointRow], stream: TextIO, with_document: bool) -> None:
    """A JSON array, one point per line."""
    stream.write("[")
    first = True
    for row in rows:
        stream.write("\n  " if first else ",\n  ")
        stream.write(_json(_record(row, with_document)))
        first = False
    stream.write("]\n" if first else "\n]\n")


def _write_yaml(rows: Iterable[PointRow], stream: TextIO, with_document: bool) -> None:
    import yaml

    from prominence_spec.report.yaml_writer import Yaml12Dumper

    for row in rows:
        stream.write(
            yaml.dump(
                [_record(row, with_document)],
                Dumper=Yaml12Dumper,
                sort_keys=False,
                allow_unicode=True,
                default_flow_style=None,
            )
        )


def _write_table(
    rows: Iterable[PointRow], stream: TextIO, with_document: bool, color: bool
) -> None:
    listed = list(rows)
    if not listed:  # a sweep refused before its points: no table at all
        return
    names = _parameter_names(listed)
    columns = ["document"] if with_document else []
    columns += ["index", *names]
    cells = [_cells(row, names, with_document) for row in listed]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    right = [all(_numeric(r[i]) for r in cells) for i in range(len(columns))]
    header = _line(columns, widths, right)
    stream.write((f"\x1b[1m{header}\x1b[0m" if color else header) + "\n")
    stream.writelines(_line(r, widths, right) + "\n" for r in cells)


def _parameter_names(rows: list[PointRow]) -> list[str]:
    """Every parameter name, in the order the points first give them."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row.params))
    return list(names)


def _cells(row: PointRow, names: list[str], with_document: bool) -> list[str]:
    values = [_cell(row.params[n]) if n in row.params else "" for n in names]
    return [*([str(row.document)] if with_document else []), str(row.index), *values]


def _cell(value: Any) -> str:
    """A value as the table shows it: text as it is (quoted when empty or padded with
    spaces, so that it can be seen), anything else as JSON."""
    kind = type(value)
    if kind is int or kind is float:  # as JSON writes them, without its cost per call
        text = repr(value)
    elif kind is str and value and value == value.strip() and "\n" not in value:
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 3] + "..."


def _line(cells: list[str], widths: list[int], right: list[bool]) -> str:
    """One row, each cell padded to its column's width: on the left in a column of numbers
    only (``right``), else on the right."""
    padded = (c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True))
    return "  ".join(padded).rstrip()


def _numeric(cell: str) -> bool:
    """A number (or an empty cell, which a column of numbers may have)."""
    if not cell:
        return True
    try:
        float(cell)
    except ValueError:
        return False
    return True


__all__ = ["MAX_CELL", "PointRow", "write_points"]
