"""Validate documents: the bundled schema, then the rules a schema cannot say."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from prominence_spec.diagnostics import Diagnostic, parts_of, pointer_of
from prominence_spec.load.loader import Document
from prominence_spec.validate.rules import Rule, run_rules
from prominence_spec.validate.schema_errors import translate
from prominence_spec.validate.schemas import KINDS, fast_validator, validator

_INT64 = 2**63


def detect_kind(data: Any) -> str:
    """A document with a top-level ``jobs`` key is a workflow, anything else a job."""
    return "workflow" if isinstance(data, dict) and "jobs" in data else "job"


def validate(
    data: Any,
    kind: str | None = None,
    *,
    verbose: bool = False,
    plain: bool | None = None,
    rules: Iterable[Rule] | None = None,
    cache: SchemaCache | None = None,
) -> list[Diagnostic]:
    """Every problem in one job or workflow description (no source positions).

    ``plain`` may pass on what the caller already knows of :func:`fast_path_applies`;
    ``rules`` may restrict the cross-field rules to those that can find something new.
    """
    kind = kind or detect_kind(data)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if not isinstance(data, dict):
        shown = "a list" if isinstance(data, list) else type(data).__name__
        return [Diagnostic("PS106", f"a {kind} description must be a mapping, not {shown}")]
    diagnostics = schema_diagnostics(data, kind, verbose=verbose, plain=plain, cache=cache)
    diagnostics.extend(run_rules(data, kind, rules))
    return diagnostics


#: Diagnostics by the compiled validator's account of a document's errors (paths and
#: messages, which quote the failing values): documents with the same account get the same
#: diagnostics, so a sweep whose points fail alike is translated once, not per point.
SchemaCache = dict[tuple[tuple[Any, ...], ...], list[Diagnostic]]
_CACHE_LIMIT = 10_000


def schema_diagnostics(
    data: Any,
    kind: str,
    *,
    verbose: bool = False,
    plain: bool | None = None,
    cache: SchemaCache | None = None,
) -> list[Diagnostic]:
    """Schema problems; a valid document is recognised by the compiled validator alone."""
    fast = fast_validator(kind)
    if plain is None:
        plain = fast_path_applies(data)
    if fast is None or not plain:
        return _python_diagnostics(data, kind, verbose)
    if fast.is_valid(data):
        return []
    if cache is None:
        return _python_diagnostics(data, kind, verbose)
    key = tuple(
        (tuple(e.instance_path), tuple(e.schema_path), e.message) for e in fast.iter_errors(data)
    )
    if key not in cache:
        found = _python_diagnostics(data, kind, verbose)
        if len(cache) >= _CACHE_LIMIT:
            return found
        cache[key] = found
    return list(cache[key])


def _python_diagnostics(data: Any, kind: str, verbose: bool) -> list[Diagnostic]:
    try:
        found = translate(validator(kind).iter_errors(data), kind, verbose=verbose)
    except ValueError:  # jsonschema formats a huge integer into its message
        return [Diagnostic("PS112", "the document holds a number too large to check or send")]
    return [*non_finite_numbers(data), *found]


def non_finite_numbers(data: Any) -> list[Diagnostic]:
    """NaN and infinities: JSON cannot carry them (a rendered value can produce them)."""
    found = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            found.append(
                Diagnostic(
                    "PS112",
                    f"{value} is not a finite number and cannot be sent as JSON",
                    pointer=pointer_of(path),
                )
            )
        elif isinstance(value, dict):
            stack.extend((v, (*path, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
    return found


def fast_path_applies(data: Any) -> bool:
    """Whether the compiled validator's verdict is exactly the Python validator's.

    They differ in three places, all avoided here: jsonschema-rs counts 2.0 as an integer
    (the server does not), its regex engine has other Unicode classes than Python's ``re``
    (which the server uses), and it cannot take integers beyond 64 bits.
    """
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if not value.isascii():
                return False
        elif isinstance(value, dict):
            for key in value:
                if not isinstance(key, str) or not key.isascii():
                    return False
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, float):
            if value.is_integer() or not math.isfinite(value):
                return False
        elif isinstance(value, int) and not -_INT64 <= value < _INT64:
            return False
    return True


def check_document(
    document: Document, kind: str | None = None, *, verbose: bool = False, many: bool = False
) -> list[Diagnostic]:
    """Validate a loaded document and give each diagnostic its file, line and column."""
    found = validate(document.data, kind, verbose=verbose)
    return [locate(d, document, many) for d in found]


def locate(diagnostic: Diagnostic, document: Document, many: bool = False) -> Diagnostic:
    parts = parts_of(diagnostic.pointer)
    path = tuple(
        int(p) if p.isdigit() and _is_index(document.data, parts, i) else p
        for i, p in enumerate(parts)
    )
    prefer_key = diagnostic.code in ("PS201", "PS501") or _is_container(document.data, path)
    position = document.source.locate(path, prefer_key=prefer_key)
    located = diagnostic.with_path(document.path, document.index if many else None)
    return located.located(*position) if position else located


def _is_container(data: Any, path: tuple[str | int, ...]) -> bool:
    """Problems with a whole mapping or list are shown at its key (``resources:``)."""
    node = data
    for p in path:
        try:
            node = node[p]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(node, (dict, list))


def _is_index(data: Any, parts: tuple[str, ...], i: int) -> bool:
    node = data
    for p in parts[:i]:
        if isinstance(node, list) and p.isdigit() and int(p) < len(node):
            node = node[int(p)]
        elif isinstance(node, dict):
            node = node.get(p)
        else:
            return False
    return isinstance(node, list)
