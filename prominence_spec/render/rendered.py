"""What rendering hands on: API bodies, each with the point it came from; and what
rendering asks of the stage that checks bodies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from prominence_spec.diagnostics import Diagnostic


@dataclass(slots=True)
class Rendered:
    """One API body and the point it came from (``index`` is None without a sweep)."""

    document: dict[str, Any]
    kind: str
    index: int | None = None
    params: dict[str, Any] | None = None


class Check(Protocol):
    """Validates one rendered body (``plain``: what the builder already knows of it, see
    :func:`prominence_spec.loading.plain.plain_data`); diagnostics carry body pointers."""

    def __call__(self, document: Any, kind: str, plain: bool) -> list[Diagnostic]: ...


__all__ = ["Check", "Rendered"]
