"""Validate documents: the bundled schema, then the rules a schema cannot say."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from prominence_spec.diagnostics import Diagnostic, pointer_of
from prominence_spec.loading.loader import Document
from prominence_spec.loading.locate import locate
from prominence_spec.loading.plain import plain_data
from prominence_spec.validation.rules import Rule, run_rules
from prominence_spec.validation.schema_errors import translate
from prominence_spec.validation.schemas import KINDS, fast_validator, validator

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

    ``plain`` may pass on what the caller already knows of
    :func:`prominence_spec.loading.plain.plain_data`;
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
        plain = plain_data(data)
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


def check_document(
    document: Document, kind: str | None = None, *, verbose: bool = False, many: bool = False
) -> list[Diagnostic]:
    """Validate a loaded document and give each diagnostic its file, line and column."""
    found = validate(document.data, kind, verbose=verbose)
    return [locate(d, document, many) for d in found]
