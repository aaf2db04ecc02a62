"""Load spec files (YAML or JSON) into documents that remember where each value came from.

``load(path)`` never raises for bad input: every problem is a Diagnostic in the result,
positioned at ``line:col`` where one exists.
"""

from __future__ import annotations

import json
import math
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.loading.files import NotUtf8Error, utf8_text
from prominence_spec.loading.json_positions import json_source_map
from prominence_spec.loading.sourcemap import LazySourceMap, SourceMap
from prominence_spec.loading.yaml_compose import MAX_DEPTH, compose

MAX_BYTES = 4 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)
SPEC_SUFFIXES = YAML_SUFFIXES + JSON_SUFFIXES
_OTHER_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


@dataclass
class Document:
    """One loaded document: its data, where its values came from, and load warnings."""

    data: Any
    source: SourceMap
    path: str
    index: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass
class LoadResult:
    path: str
    documents: list[Document] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def load(path: str | Path, *, fmt: str | None = None) -> LoadResult:
    """Load every document of a ``.yaml``/``.yml``/``.json`` file."""
    shown = str(path)
    try:
        info = Path(path).stat()
        if not stat.S_ISREG(info.st_mode):
            return _failed(shown, "PS100", "not a regular file (a directory, FIFO or device)")
        size = info.st_size
        if size > MAX_BYTES:
            return _failed(shown, "PS103", f"file is {size} bytes; the limit is {MAX_BYTES}")
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        return _failed(shown, "PS100", f"cannot read file: {exc.strerror or exc}")
    return load_bytes(data, path=shown, fmt=fmt or format_of(shown))


def format_of(path: str) -> str:
    return "json" if path.lower().endswith(JSON_SUFFIXES) else "yaml"


def load_bytes(data: bytes, *, path: str = "<stdin>", fmt: str = "yaml") -> LoadResult:
    if len(data) > MAX_BYTES:
        return _failed(path, "PS103", f"input is larger than the limit of {MAX_BYTES} bytes")
    text = _decode(data, path)
    if isinstance(text, LoadResult):
        return text
    return load_text(text, path=path, fmt=fmt)


def load_text(text: str, *, path: str = "<string>", fmt: str = "yaml") -> LoadResult:
    if fmt == "json":
        return _load_json(text, path)
    return _load_yaml(text, path)


def _failed(
    path: str,
    code: str,
    message: str,
    line: int | None = None,
    column: int | None = None,
    hint: str | None = None,
) -> LoadResult:
    diag = Diagnostic(code, message, line=line, column=column, hint=hint, path=path)
    return LoadResult(path, [], [diag])


def _decode(data: bytes, path: str) -> str | LoadResult:
    if data.startswith(_OTHER_BOMS) or b"\x00" in data:
        return _failed(
            path,
            "PS102",
            "binary, UTF-16 or UTF-32 data; spec files must be UTF-8",
            hint="save the file as UTF-8",
        )
    try:
        return utf8_text(data)
    except NotUtf8Error as bad:
        return _failed(
            path,
            "PS102",
            f"not UTF-8: invalid byte 0x{bad.byte:02x} ({bad.reason})",
            bad.line,
            bad.column,
            hint="save the file as UTF-8",
        )


def _load_yaml(text: str, path: str) -> LoadResult:
    composed, stream_diags = compose(text)
    result = LoadResult(path)
    many = len(composed) > 1
    for doc in composed:
        document = Document(doc.data, doc.source, path, doc.index, doc.diagnostics)
        result.diagnostics.extend(
            _tag(d, path, doc.index if many else None) for d in doc.diagnostics
        )
        if doc.data is None:
            message = "document is empty" if not many else f"document {doc.index + 1} is empty"
            result.diagnostics.append(
                Diagnostic(
                    "PS105",
                    message,
                    severity="warning" if many else "error",
                    line=1 if not many else None,
                    column=1 if not many else None,
                    path=path,
                    document=doc.index if many else None,
                )
            )
            continue
        if not any(d.is_error for d in doc.diagnostics):
            result.documents.append(document)
    result.diagnostics.extend(_tag(d, path, None) for d in stream_diags)
    if not composed and not stream_diags:
        result.diagnostics.append(
            Diagnostic("PS105", "file is empty (no YAML document)", line=1, column=1, path=path)
        )
    return result


def _tag(diag: Diagnostic, path: str, document: int | None) -> Diagnostic:
    return diag.with_path(path, document)


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKeyError()
    return result


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _DuplicateKeyError()  # fall back to the positioned loader, which reports it
    return value


class _ConstantError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _reject_constant(name: str) -> float:
    raise _ConstantError(name)


_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?(?:NaN|Infinity))')


def _load_json(text: str, path: str) -> LoadResult:
    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_finite,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as exc:
        if not text.strip():
            return _failed(path, "PS105", "file is empty (no JSON value)", 1, 1)
        return _failed(path, "PS101", f"JSON syntax error: {exc.msg}", exc.lineno, exc.colno)
    except _DuplicateKeyError:
        return _load_yaml(text, path)  # reports duplicates and non-finite numbers with positions
    except _ConstantError as exc:
        found = next((m for m in _CONSTANT.finditer(text) if m.group(1)), None)
        index = found.start(1) if found else 0
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        return _failed(
            path,
            "PS112",
            f"{exc.name} is not a JSON number and cannot be sent",
            line,
            column,
            hint="write a number, or quote it as a string",
        )
    except RecursionError:
        return _failed(path, "PS107", f"nesting deeper than {MAX_DEPTH} levels")
    except ValueError:  # an integer of more digits than Python converts
        return _load_yaml(text, path)
    if _too_deep(text, data):
        return _load_yaml(text, path)
    source = LazySourceMap(_positions_of(text))
    result = LoadResult(path, [Document(data, source, path)])
    if data is None:
        result.documents.clear()
        result.diagnostics.append(
            Diagnostic("PS105", "document is null", line=1, column=1, path=path)
        )
    return result


def _positions_of(text: str) -> Callable[[], SourceMap]:
    def build() -> SourceMap:
        return json_source_map(text)

    return build


def _too_deep(text: str, data: Any) -> bool:
    if text.count("{") + text.count("[") <= MAX_DEPTH:
        return False
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return False
