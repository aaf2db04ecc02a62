"""Reading the values a point's output holds: JSON, YAML, CSV, ``key=value`` lines or
a regular expression's named groups. Nested keys are joined with ``.``; a problem is a
:class:`ParseError` value, never an exception."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

PARSERS = ("auto", "json", "yaml", "csv", "kv")
_BY_EXTENSION = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}
_KV = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(?:=|:\s)\s*(.*?)\s*$")


class ParseError(ValueError):
    """Why a text gave no values: ``code`` is stable (``parse-error``, ``no-match``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


Values = dict[str, Any]
Parser = Callable[[str], Values]


def check_parser(spec: str) -> str | None:
    """Why ``--parse`` text is unusable (None: it is fine)."""
    if spec in PARSERS:
        return None
    if spec.startswith("regex:"):
        try:
            pattern = re.compile(spec[len("regex:") :])
        except re.error as exc:
            return f"not a regular expression: {exc}"
        return None if pattern.groupindex else "the regular expression has no named group"
    return f"choose {', '.join(PARSERS)} or regex:EXPR"


def parser_for(spec: str, file_name: str) -> Parser:
    """The parser ``--parse spec`` means for ``file_name`` (``auto``: by its extension,
    key=value lines for anything else)."""
    if spec.startswith("regex:"):
        return _regex(re.compile(spec[len("regex:") :]))
    if spec == "auto":
        dot = file_name.rfind(".")
        spec = _BY_EXTENSION.get(file_name[dot:].lower(), "kv") if dot >= 0 else "kv"
    return {"json": parse_json, "yaml": parse_yaml, "csv": parse_csv, "kv": parse_kv}[spec]


def flatten(value: Any, prefix: str = "") -> Values:
    """Nested mappings as one level, keys joined with ``.``; a non-mapping is ``value``."""
    if not isinstance(value, Mapping):
        return {prefix or "value": value}
    out: Values = {}
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(item, Mapping) and item:
            out.update(flatten(item, name))
        else:
            out[name] = item
    return out


def parse_json(text: str) -> Values:
    try:
        return flatten(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ParseError("parse-error", f"line {exc.lineno}:{exc.colno}: {exc.msg}") from None


def parse_yaml(text: str) -> Values:
    import yaml

    try:
        return flatten(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}:{mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ParseError("parse-error", f"{where}{problem}") from None


def parse_csv(text: str) -> Values:
    """A header and one row (a point's own table row); values typed as numbers when
    they are numbers."""
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if r]
    if len(rows) != 2:
        got = max(len(rows) - 1, 0)
        raise ParseError("parse-error", f"expected a header and 1 row, got {got} rows")
    header, row = rows
    if len(row) != len(header):
        raise ParseError("parse-error", f"the row has {len(row)} cells, the header {len(header)}")
    return {name: typed(cell) for name, cell in zip(header, row, strict=True)}


def parse_kv(text: str) -> Values:
    """``key=value`` or ``key: value`` lines (others are ignored); the last one wins."""
    found: Values = {}
    for line in text.splitlines():
        match = _KV.match(line)
        if match:
            found[match.group(1)] = typed(match.group(2))
    if not found:
        raise ParseError("no-match", "no key=value or key: value line")
    return found


def _regex(pattern: re.Pattern[str]) -> Parser:
    def parse(text: str) -> Values:
        match = pattern.search(text)
        if match is None:
            raise ParseError("no-match", f"no match for {pattern.pattern!r}")
        return {k: typed(v) if v is not None else None for k, v in match.groupdict().items()}

    return parse


def typed(text: str) -> Any:
    """An integer or a float when the text is one, else the text."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    return number if number == number and abs(number) != float("inf") else text


__all__ = [
    "PARSERS",
    "ParseError",
    "check_parser",
    "flatten",
    "parse_csv",
    "parse_json",
    "parse_kv",
    "parse_yaml",
    "parser_for",
    "typed",
]
