"""From a loaded templated spec to rendered, validated API bodies."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.load.loader import Document
from prominence_spec.render.modes import expand
from prominence_spec.render.renderer import Rendered, Renderer
from prominence_spec.spec.settings import SETTINGS_KEY, parse_spec
from prominence_spec.validate.document import locate


def open_spec(
    document: Document,
    *,
    values: Mapping[str, Any] | None = None,
    mode: str | None = None,
    root: Path | None = None,
    kind: str | None = None,
    max_points: int | None = None,
) -> tuple[Renderer | None, list[Diagnostic]]:
    """Parse and compile a templated spec; ``None`` with the reasons when it cannot render.
    ``max_points`` replaces the spec's own ``promspec.max_points`` for this run."""
    spec, problems = parse_spec(document, root=root, kind=kind)
    located = [locate(p, document) if not p.path else p for p in problems]
    if spec is None:
        return None, located
    if max_points is not None:
        spec = dataclasses.replace(spec, max_points=max_points)
    renderer = Renderer(spec, document, values or {}, mode=mode)
    renderer.problems[:0] = located
    return renderer, []


def render(renderer: Renderer, *, only: int | None = None) -> Iterator[Rendered]:
    """Stream the spec's valid documents; afterwards ``renderer.diagnostics()`` has the rest.
    A sweep of more points than ``max_points`` is refused before anything is rendered
    (one point, ``only``, may still be rendered)."""
    if only is None and _too_many(renderer):
        return
    yield from expand(renderer, only)


def _too_many(renderer: Renderer) -> bool:
    sweep = renderer.sweep
    limit = renderer.spec.max_points
    if sweep is None or sweep.size <= limit:
        return False
    renderer.problems.append(
        renderer.in_spec(
            Diagnostic(
                "PS604",
                f"the sweep has {sweep.size:,} points, more than max_points ({limit:,}) allows",
                pointer=f"/{SETTINGS_KEY}/sweep",
                hint="raise promspec.max_points, or --max-points N for one run; "
                "render --point N renders one point",
            )
        )
    )
    return True


def check_templated(
    document: Document,
    *,
    values: Mapping[str, Any] | None = None,
    root: Path | None = None,
    kind: str | None = None,
    data_files: set[str] | None = None,
    max_points: int | None = None,
) -> list[Diagnostic]:
    """Validate every point of a templated spec (what `promspec validate` does with one).

    The real paths of the row files its sweep reads are added to ``data_files``.
    """
    renderer, problems = open_spec(
        document, values=values, root=root, kind=kind, max_points=max_points
    )
    if renderer is None:
        return problems
    if data_files is not None:
        data_files |= renderer.data_files
    for _ in render(renderer):
        pass
    return renderer.diagnostics()
