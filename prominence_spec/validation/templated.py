"""Rendering a templated spec with every body checked: the render stage driven with this
stage's :class:`~prominence_spec.validation.points.PointChecker`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.loading.loader import Document
from prominence_spec.render import points
from prominence_spec.render.entry import new_findings, open_spec, render, sweep_points
from prominence_spec.render.findings import Findings
from prominence_spec.render.floats import may_write_floats
from prominence_spec.render.points import Point
from prominence_spec.render.prepare import Prepared
from prominence_spec.render.progress import Progress
from prominence_spec.render.rendered import Rendered
from prominence_spec.sweep.space import RESERVED_NAMES
from prominence_spec.template.body import Path as SlotPath
from prominence_spec.validation.points import PointChecker
from prominence_spec.validation.rules import JOB_RULES, Rule, varying_job_rules


class TemplatedRun:
    """One prepared templated spec: its point count, its checked bodies, its diagnostics
    (complete once the bodies have been iterated). ``progress`` is told how many points
    each pass over the bodies has seen."""

    def __init__(self, prepared: Prepared, progress: Progress | None = None) -> None:
        self.prepared = prepared
        self.progress = progress
        self.findings = self._new_findings()
        self.check = PointChecker(_varying_slot_paths(prepared), swept=prepared.sweep is not None)

    def restart(self) -> None:
        """Forget what earlier passes found (each pass finds it again)."""
        self.findings = self._new_findings()

    def _new_findings(self) -> Findings:
        findings = new_findings(self.prepared)
        findings.progress = self.progress
        return findings

    @property
    def mode(self) -> str:
        return self.prepared.mode

    @property
    def data_files(self) -> set[str]:
        return self.prepared.data_files

    def count(self) -> int:
        return points.count(self.prepared, self.findings)

    def documents(self, only: int | None = None) -> Iterator[Rendered]:
        """The checked bodies: render's own stream (lazy, as every generator is), with no
        generator of this method's own in between (a step less for every point)."""
        return render(self.prepared, self.findings, self.check, only=only)

    def points(self, only: int | None = None) -> Iterator[Point]:
        """``(index, params)`` of each point the bodies would come from; none is built."""
        yield from sweep_points(self.prepared, self.findings, only=only)

    def may_write_floats(self) -> bool:
        """Whether a body of this spec may hold a float (True when unsure)."""
        return may_write_floats(self.prepared)

    def diagnostics(self) -> list[Diagnostic]:
        return self.findings.diagnostics()


def _varying_slot_paths(prepared: Prepared) -> list[SlotPath]:
    """The paths of the body's slots whose value may differ between points: every slot but
    a simple one (text and bare ``{{ name }}`` references, formatted the same way every
    time) that names only the spec's own values, which no point replaces. A rule reading
    only constant slots then runs once (see PointChecker), unless that would change the
    order in which a point's findings are listed."""
    paths = [path for path, _ in prepared.body.slots]
    sweep = prepared.sweep
    if sweep is None:
        return paths
    swept = {*sweep.parameters, *RESERVED_NAMES}
    for entry in sweep.include:
        swept.update(entry.values)
    fixed = set(prepared.context) - swept
    varying = [
        path
        for path, compiled in prepared.body.slots
        if not (compiled.simple and compiled.variables and compiled.variables <= fixed)
    ]
    before, after = varying_job_rules(paths), varying_job_rules(varying)
    if _listed(before) != _listed(after):  # a rule's findings would move in the list
        return paths
    return varying


def _listed(varying: tuple[Rule, ...]) -> list[Rule]:
    """The order of a swept job point's rule findings: the varying rules', then the rest."""
    return [*varying, *(rule for rule in JOB_RULES if rule not in varying)]


def open_templated(
    document: Document,
    *,
    values: Mapping[str, Any] | None = None,
    mode: str | None = None,
    root: Path | None = None,
    kind: str | None = None,
    max_points: int | None = None,
    origins: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> tuple[TemplatedRun | None, list[Diagnostic]]:
    """Open a templated spec for checked rendering; ``None`` with the reasons when it
    cannot render."""
    prepared, problems = open_spec(
        document,
        values=values,
        mode=mode,
        root=root,
        kind=kind,
        max_points=max_points,
        origins=origins,
    )
    return (None if prepared is None else TemplatedRun(prepared, progress)), problems


@dataclass(frozen=True)
class TemplatedCheck:
    """What checking every point of a templated spec found, and how many points it checked."""

    diagnostics: list[Diagnostic]
    points: int


def check_templated(
    document: Document,
    *,
    values: Mapping[str, Any] | None = None,
    root: Path | None = None,
    kind: str | None = None,
    data_files: set[str] | None = None,
    max_points: int | None = None,
    origins: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> TemplatedCheck:
    """Validate every point of a templated spec (what `promspec validate` does with one).

    The real paths of the row files its sweep reads are added to ``data_files``.
    """
    run, problems = open_templated(
        document,
        values=values,
        root=root,
        kind=kind,
        max_points=max_points,
        origins=origins,
        progress=progress,
    )
    if run is None:
        return TemplatedCheck(problems, 0)
    if data_files is not None:
        data_files |= run.data_files
    for _ in run.documents():
        pass
    return TemplatedCheck(run.diagnostics(), run.findings.seen)


__all__ = ["TemplatedCheck", "TemplatedRun", "check_templated", "open_templated"]
