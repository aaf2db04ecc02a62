"""From a loaded templated spec to rendered, validated API bodies."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.expand import expand
from prominence_spec.loader import Document
from prominence_spec.render import Rendered, Renderer
from prominence_spec.spec import SETTINGS_KEY, parse_spec
from prominence_spec.validation import locate


def open_spec(
    document: Document,
    *,
    values: Mapping[str, Any] | None = None,
    mode: str | None = None,
    root: Path | None = None,
    kind: str | None = None,
) -> tuple[Renderer | None, list[Diagnostic]]:
    """Parse and compile a templated spec; ``None`` with the reasons when it cannot render."""
    spec, problems = parse_spec(document, root=root, kind=kind)
    located = [locate(p, document) if not p.path else p for p in problems]
    if spec is None:
        return None, located
    renderer = Renderer(spec, document, values or {}, mode=mode)
    renderer.problems[:0] = located
    return renderer, []


def render(renderer: Renderer, *, only: int | None = None) -> Iterator[Rendered]:
    """Stream the spec's valid documents; afterwards ``renderer.diagnostics()`` has the rest."""
    yield from expand(renderer, only)


def check_templated(
    document: Document,
    *,
    values: Mapping[str, Any] | None = None,
    root: Path | None = None,
    kind: str | None = None,
    data_files: set[str] | None = None,
) -> list[Diagnostic]:
    """Validate every point of a templated spec (what `promspec validate` does with one).

    The real paths of the row files its sweep reads are added to ``data_files``.
    """
    renderer, problems = open_spec(document, values=values, root=root, kind=kind)
    if renderer is None:
        return problems
    if data_files is not None:
        data_files |= renderer.data_files
    sweep = renderer.sweep
    if sweep is not None and sweep.size > renderer.spec.max_points:
        renderer.problems.append(
            renderer.in_spec(
                Diagnostic(
                    "PS604",
                    f"the sweep has {sweep.size:,} points, more than max_points "
                    f"({renderer.spec.max_points:,}) allows checking",
                    pointer=f"/{SETTINGS_KEY}/sweep",
                    hint="raise promspec.max_points, or check a part with render --point N",
                )
            )
        )
        return renderer.diagnostics()
    for _ in render(renderer):
        pass
    return renderer.diagnostics()
