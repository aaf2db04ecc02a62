"""Rows for ``rows:`` sweep nodes: safe path resolution and the CSV/JSON/JSONL/YAML readers.

A row file is named relative to the spec's directory and must resolve (symlinks
included) to a regular file inside the repository root. Files over ``MAX_ROWS_BYTES``
are refused. Every problem is a ``PS605`` diagnostic at the ``rows`` node's pointer; the
message starts with ``file:line`` where a line is known.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.loading import loader
from prominence_spec.loading.files import (
    NotUtf8Error,
    ReadError,
    read_regular,
    resolve_inside,
    utf8_text,
)
from prominence_spec.sweep.space import name_problem

MAX_ROWS_BYTES = 50 * 1024 * 1024
#: At most this many problems are reported per row file (then a count of the rest).
MAX_FILE_ERRORS = 20
ROW_SUFFIXES = (".csv", ".json", ".jsonl", ".yaml", ".yml")

# group 1: an int; otherwise a float literal
_NUMBER = re.compile(r"([-+]?[0-9]+)|[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?")
_NUMBER_START = frozenset("+-.0123456789")
_JSON_TYPES = (str, int, float, bool, type(None), list, dict)
_PLAIN = frozenset({str, int, bool, type(None)})

#: ``locate(row, key)`` -> (pointer, message prefix) of a problem in row ``row``.
Locator = Callable[[int, str | None], tuple[str, str]]


@dataclass(frozen=True)
class RowTable:
    names: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


class _Problems:
    """Collects one file's problems, keeping the first ``MAX_FILE_ERRORS``."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.items: list[Diagnostic] = []
        self.dropped = 0

    def add(self, pointer: str, message: str, hint: str | None = None) -> None:
        if len(self.items) < MAX_FILE_ERRORS:
            self.items.append(Diagnostic(self.code, message, pointer=pointer, hint=hint))
        else:
            self.dropped += 1

    def result(self, pointer: str) -> list[Diagnostic]:
        if self.dropped:
            more = f"{self.dropped} more problems in the same rows were not listed"
            return [*self.items, Diagnostic(self.code, more, pointer=pointer)]
        return self.items


def read_rows(
    path_text: str, *, base_dir: Path, root: Path, pointer: str
) -> tuple[RowTable | None, list[Diagnostic]]:
    """Read the row file ``path_text`` (relative to ``base_dir``, inside ``root``)."""
    real, problem = resolve_inside(path_text, base_dir=base_dir, root=root)
    suffix = os.path.splitext(path_text)[1].lower()
    if problem is None and suffix not in ROW_SUFFIXES:
        problem = f"has the unsupported type {suffix or '(none)'!r}"
    text = None
    if real is not None and problem is None:
        text, problem = _read_text(real)
    if text is None:
        hint = "row files are .csv, .json, .jsonl, .yaml or .yml inside the repository"
        return None, [
            Diagnostic("PS605", f"rows file {path_text!r} {problem}", pointer=pointer, hint=hint)
        ]
    if suffix == ".csv":
        return _csv_table(text, path_text, pointer)
    if suffix == ".jsonl":
        return _jsonl_table(text, path_text, pointer)
    return _document_table(text, path_text, pointer, "json" if suffix == ".json" else "yaml")


def _read_text(real: str) -> tuple[str | None, str | None]:
    """``(text, None)`` or ``(None, problem)``."""
    try:
        data = read_regular(real, MAX_ROWS_BYTES)
    except ReadError as exc:
        return None, _read_problem(exc)
    try:
        return utf8_text(data), None
    except NotUtf8Error as bad:
        return None, f"is not UTF-8 text (invalid byte 0x{bad.byte:02x} on line {bad.line})"


def _read_problem(exc: ReadError) -> str:
    if exc.problem == "missing":
        return "does not exist"
    if exc.problem == "not-regular":
        return "is not a regular file"
    if exc.problem == "too-large":
        return f"is {exc.size} bytes; the limit is {MAX_ROWS_BYTES} (50 MiB)"
    return f"cannot be read: {exc.detail}"


def csv_value(cell: str) -> int | float | str:
    """A CSV cell typed: int if ``[-+]?[0-9]+``, float if a float literal, else the text.
    Raises ``ValueError`` for numbers Python cannot hold (too many digits, overflow)."""
    if cell[:1] not in _NUMBER_START:
        return cell
    match = _NUMBER.fullmatch(cell)
    if match is None:
        return cell
    if match.group(1) is not None:
        return int(cell)
    value = float(cell)
    if not math.isfinite(value):
        raise ValueError(f"{cell} is too large for a float")
    return value


def _csv_table(text: str, source: str, pointer: str) -> tuple[RowTable | None, list[Diagnostic]]:
    problems = _Problems("PS605")
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    rows: list[tuple[Any, ...]] = []
    header: list[str] | None = None
    try:
        for record in reader:
            if not record:
                continue
            where = f"{source}:{reader.line_num}"
            if header is None:
                header = record
                for problem in _name_problems(header):
                    problems.add(pointer, f"{where}: header: {problem}")
            else:
                rows.append(_csv_row(record, header, len(rows) + 1, where, problems, pointer))
    except csv.Error as exc:
        problems.add(pointer, f"{source}:{reader.line_num}: CSV error: {exc}")
    if header is None and not problems.items:
        problems.add(pointer, f"{source}: the file is empty; the first row must name the columns")
    result = problems.result(pointer)
    return (None if result else RowTable(tuple(header or ()), tuple(rows))), result


def _csv_row(
    record: list[str], header: list[str], number: int, where: str, problems: _Problems, pointer: str
) -> tuple[Any, ...]:
    if len(record) != len(header):
        problems.add(
            pointer, f"{where}: row {number} has {len(record)} cells; the header has {len(header)}"
        )
        return ()
    if "" not in record:
        try:
            return tuple(map(csv_value, record))
        except ValueError:
            pass  # reported below, with the column
    values: list[Any] = []
    for name, cell in zip(header, record, strict=True):
        if cell == "":
            problems.add(
                pointer,
                f"{where}: row {number}: column {name!r} is empty",
                hint="every cell needs a value; use JSON or YAML rows for empty text",
            )
            continue
        try:
            values.append(csv_value(cell))
        except ValueError as exc:
            problems.add(pointer, f"{where}: row {number}: column {name!r}: {exc}")
    return tuple(values)


def _name_problems(names: list[Any]) -> list[str]:
    found: list[str] = []
    seen: set[str] = set()
    for name in names:
        problem = name_problem(name)
        if problem is None and name in seen:
            problem = f"column {name!r} appears twice"
        if problem is not None:
            found.append(problem)
        seen.add(name)
    return found


def _document_table(
    text: str, source: str, pointer: str, fmt: str
) -> tuple[RowTable | None, list[Diagnostic]]:
    loaded = loader.load_text(text, path=source, fmt=fmt)
    diags = [_from_loader(d, source, pointer) for d in loaded.diagnostics]
    if not loaded.ok:
        return None, diags
    if len(loaded.documents) != 1:
        more = f"{source}: has {len(loaded.documents)} documents; a rows file holds one list"
        return None, [*diags, Diagnostic("PS605", more, pointer=pointer)]
    document = loaded.documents[0]

    def locate(row: int, key: str | None) -> tuple[str, str]:
        place = document.source.locate((row,) if key is None else (row, key))
        return pointer, f"{source}:{place[0]}:{place[1]}: " if place else f"{source}: "

    table, more_diags = table_from_records(
        document.data, code="PS605", pointer=pointer, locate=locate
    )
    return table, diags + more_diags


def _from_loader(diag: Diagnostic, source: str, pointer: str) -> Diagnostic:
    where = f"{source}:{diag.line}:{diag.column}" if diag.line else source
    return Diagnostic(
        "PS605",
        f"{where}: {diag.message}",
        severity=diag.severity,
        pointer=pointer,
        hint=diag.hint,
        context=(("cause", diag.code),),
    )


def _jsonl_table(text: str, source: str, pointer: str) -> tuple[RowTable | None, list[Diagnostic]]:
    records: list[Any] = []
    lines: list[int] = []
    problems = _Problems("PS605")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(
                json.loads(line, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
            )
            lines.append(number)
        except ValueError as exc:
            problems.add(pointer, f"{source}:{number}: {exc}")
    if problems.items:
        return None, problems.result(pointer)

    def locate(row: int, key: str | None) -> tuple[str, str]:
        return pointer, f"{source}:{lines[row]}: " if row < len(lines) else f"{source}: "

    return table_from_records(records, code="PS605", pointer=pointer, locate=locate)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def table_from_records(
    records: object, *, code: str, pointer: str, locate: Locator
) -> tuple[RowTable | None, list[Diagnostic]]:
    """A table from a list of mappings that all have the same keys (the first row's order).
    ``locate`` is only called for problems (positions can be costly to find)."""
    problems = _Problems(code)

    def add(row: int, key: str | None, message: str) -> None:
        where, prefix = locate(row, key)
        problems.add(where, prefix + message)

    if not isinstance(records, list):
        add(-1, None, f"rows must be a list of mappings, not {type(records).__name__}")
        return None, problems.result(pointer)
    names = tuple(records[0]) if records and isinstance(records[0], dict) else ()
    for problem in _name_problems(list(names)):
        add(0, None, problem)
    rows = [_record_row(record, k, names, add) for k, record in enumerate(records)]
    result = problems.result(pointer)
    return (None if result else RowTable(names, tuple(rows))), result


def _record_row(
    record: object, k: int, names: tuple[str, ...], add: Callable[[int, str | None, str], None]
) -> tuple[Any, ...]:
    if not isinstance(record, dict):
        add(k, None, f"row {k} is a {type(record).__name__}, not a mapping")
        return ()
    if len(record) != len(names) or not all(n in record for n in names):
        missing = [n for n in names if n not in record]
        extra = [str(n) for n in record if n not in names]
        parts = ([f"lacks {', '.join(missing)}"] if missing else []) + (
            [f"has unexpected {', '.join(extra)}"] if extra else []
        )
        add(
            k,
            None,
            f"row {k} {' and '.join(parts)}; every row needs exactly the keys of "
            f"row 0: {', '.join(names)}",
        )
        return ()
    values = tuple(record[n] for n in names)
    for name, value in zip(names, values, strict=True):
        problem = None if type(value) in _PLAIN else value_problem(value)
        if problem:
            add(k, name, f"row {k}, {name}: {problem}")
    return values


def value_problem(value: object) -> str | None:
    """Why ``value`` cannot be a parameter value (JSON types, finite numbers), or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if not isinstance(item, _JSON_TYPES):
            return f"a {type(item).__name__} value is not allowed (JSON types only)"
        if isinstance(item, float) and not math.isfinite(item):
            return f"{item} is not a finite number"
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                return "mapping keys inside values must be strings"
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
