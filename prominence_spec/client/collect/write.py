"""Writing a collected table: CSV, JSON, JSON lines (:mod:`prominence_spec.report.rows`)
or Parquet (through pyarrow, the optional extra ``promspec[parquet]``)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, TextIO

from prominence_spec.client.collect.table import Collected
from prominence_spec.client.errors import ConfigError
from prominence_spec.report.rows import write_rows

FORMATS = ("csv", "json", "jsonl", "parquet")
_EXTENSIONS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".parquet": "parquet"}
NO_PYARROW = "writing .parquet needs pyarrow: pip install 'promspec[parquet]' (or pyarrow)"


def format_for(output: str | None, fmt: str | None) -> str | None:
    """``-f`` when given, else ``-o``'s extension (None: not one collect writes), else csv."""
    if fmt is not None:
        return fmt
    if output is None:
        return "csv"
    return _EXTENSIONS.get(Path(output).suffix.lower())


def write_text(table: Collected, stream: TextIO, fmt: str) -> None:
    """CSV, JSON or JSON lines: every row has every column (empty where it has no value)."""
    rows = ({c: row.get(c) for c in table.columns} for row in table.rows)
    write_rows(rows, stream, fmt, columns=table.columns)


def write_parquet(table: Collected, path: str) -> None:
    """``path`` as a Parquet file, replaced only when complete; a column of mixed types
    is written as text (JSON for lists and mappings)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ConfigError(NO_PYARROW) from None
    columns = {c: _column(pa, [row.get(c) for row in table.rows]) for c in table.columns}
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".promspec-", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        pq.write_table(pa.table(columns), temporary)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _column(pa: Any, values: list[Any]) -> Any:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else _text(v) for v in values], type=pa.string())


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


__all__ = ["FORMATS", "NO_PYARROW", "format_for", "write_parquet", "write_text"]
