"""Give a diagnostic about a document its file, line and column, from the document's
source map."""

from __future__ import annotations

from typing import Any

from prominence_spec.diagnostics import Diagnostic, parts_of
from prominence_spec.loading.loader import Document


def locate(diagnostic: Diagnostic, document: Document, many: bool = False) -> Diagnostic:
    """The diagnostic at its place in ``document`` (``many``: say which document of the file)."""
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
