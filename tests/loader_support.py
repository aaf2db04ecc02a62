"""Shared helpers of the loader tests."""

from __future__ import annotations

from typing import Any

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.loading.loader import LoadResult, load_text


def codes(result: LoadResult) -> list[str]:
    return [d.code for d in result.diagnostics]


def only(result: LoadResult, code: str) -> Diagnostic:
    found = [d for d in result.diagnostics if d.code == code]
    assert len(found) == 1, result.diagnostics
    return found[0]


def data_of(text: str, fmt: str = "yaml") -> Any:
    result = load_text(text, fmt=fmt)
    assert result.ok, result.diagnostics
    assert len(result.documents) == 1
    return result.documents[0].data
