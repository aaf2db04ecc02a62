"""One entry point for the three modes: a loaded templated spec, opened, then rendered
into API bodies.

``open_spec`` parses the spec's settings and prepares it (:mod:`.prepare`); ``render``
streams its bodies in the spec's mode: ``jobs`` (:mod:`.jobs`), ``workflow``
(:mod:`.workflow`) or ``factory`` (:mod:`.factory`). Each body is checked by the ``check``
the caller passes in (the validate stage), and what rendering finds goes to ``findings``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import Diagnostic, has_errors
from prominence_spec.loading.loader import Document
from prominence_spec.loading.locate import locate
from prominence_spec.render import points
from prominence_spec.render.factory import factory_mode
from prominence_spec.render.findings import Findings
from prominence_spec.render.jobs import jobs_mode
from prominence_spec.render.prepare import Prepared, prepare
from prominence_spec.render.rendered import Check, Rendered
from prominence_spec.render.workflow import workflow_mode
from prominence_spec.spec.settings import SETTINGS_KEY, parse_spec


def open_spec(
    document: Document,
    *,
    values: Mapping[str, Any] | None = None,
    mode: str | None = None,
    root: Path | None = None,
    kind: str | None = None,
    max_points: int | None = None,
    origins: Mapping[str, str] | None = None,
) -> tuple[Prepared | None, list[Diagnostic]]:
    """Parse and prepare a templated spec; ``None`` with the reasons when it cannot render.
    ``max_points`` replaces the spec's own ``promspec.max_points`` for this run.

    A spec whose settings have errors is prepared with each bad setting read as its
    default, so that its body is checked too; it renders no body (see :func:`render`)."""
    spec, problems = parse_spec(document, root=root, kind=kind)
    located = [locate(p, document) if not p.path else p for p in problems]
    if spec is None:
        return None, located
    if max_points is not None:
        spec = dataclasses.replace(spec, max_points=max_points)
    prepared = prepare(spec, document, values or {}, mode=mode, origins=origins)
    prepared.settings_problems[:0] = located
    return prepared, []


def new_findings(prepared: Prepared) -> Findings:
    """Where rendering ``prepared`` collects what it finds, starting with its set-up problems."""
    return Findings(
        list(prepared.problems),
        swept=prepared.sweep is not None,
        settings=list(prepared.settings_problems),
    )


def render(
    prepared: Prepared, findings: Findings, check: Check, *, only: int | None = None
) -> Iterator[Rendered]:
    """Stream the spec's valid bodies; what is wrong goes to ``findings``. A sweep of more
    points than ``max_points`` is refused before anything is rendered (one point, ``only``,
    may still be). A spec whose settings have errors is checked, but gives no body."""
    if only is None and _too_many(prepared, findings):
        return
    if not findings.ok:
        return
    bodies = _bodies(prepared, findings, check, only)
    if has_errors(findings.settings):
        for _ in bodies:  # every body is checked, none is given out
            pass
        return
    yield from bodies


def _bodies(
    prepared: Prepared, findings: Findings, check: Check, only: int | None
) -> Iterator[Rendered]:
    if prepared.mode == "workflow":
        return workflow_mode(prepared, findings, check, only)
    if prepared.mode == "factory":
        return factory_mode(prepared, findings, check)
    return jobs_mode(prepared, findings, check, only)


def sweep_points(
    prepared: Prepared, findings: Findings, *, only: int | None = None
) -> Iterator[points.Point]:
    """The points ``render`` would build, as ``(index, params)``, without building any body:
    the same refusal of a sweep over ``max_points``, the same filtering, the same indices."""
    if only is None and _too_many(prepared, findings):
        return
    if not findings.ok:
        return
    yield from points.points(prepared, findings, only)


def _too_many(prepared: Prepared, findings: Findings) -> bool:
    sweep = prepared.sweep
    limit = prepared.spec.max_points
    if sweep is None or sweep.size <= limit:
        return False
    findings.problems.append(
        prepared.places.in_spec(
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


__all__ = ["new_findings", "open_spec", "render", "sweep_points"]
