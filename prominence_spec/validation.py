"""Validate documents: the bundled schema, then the rules a schema cannot say."""

from __future__ import annotations

from typing import Any

from prominence_spec.diagnostics import Diagnostic, parts_of
from prominence_spec.loader import Document
from prominence_spec.rules import run_rules
from prominence_spec.schema_errors import translate
from prominence_spec.schemas import KINDS, validator


def detect_kind(data: Any) -> str:
    """A document with a top-level ``jobs`` key is a workflow, anything else a job."""
    return "workflow" if isinstance(data, dict) and "jobs" in data else "job"


def validate(data: Any, kind: str | None = None, *, verbose: bool = False) -> list[Diagnostic]:
    """Every problem in one job or workflow description (no source positions)."""
    kind = kind or detect_kind(data)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if not isinstance(data, dict):
        shown = "a list" if isinstance(data, list) else type(data).__name__
        return [Diagnostic("PS106", f"a {kind} description must be a mapping, not {shown}")]
    schema_validator = validator(kind)
    diagnostics = translate(schema_validator.iter_errors(data), kind, verbose=verbose)
    diagnostics.extend(run_rules(data, kind))
    return diagnostics


def check_document(document: Document, kind: str | None = None, *,
                   verbose: bool = False, many: bool = False) -> list[Diagnostic]:
    """Validate a loaded document and give each diagnostic its file, line and column."""
    found = validate(document.data, kind, verbose=verbose)
    return [locate(d, document, many) for d in found]


def locate(diagnostic: Diagnostic, document: Document, many: bool = False) -> Diagnostic:
    parts = parts_of(diagnostic.pointer)
    path = tuple(int(p) if p.isdigit() and _is_index(document.data, parts, i) else p
                 for i, p in enumerate(parts))
    position = document.source.locate(path, prefer_key=diagnostic.code in ("PS201", "PS501"))
    located = diagnostic.with_path(document.path, document.index if many else None)
    return located.located(*position) if position else located


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
