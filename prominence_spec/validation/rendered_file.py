"""Rendering a whole spec file: plain and templated documents, in order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import Diagnostic, has_errors
from prominence_spec.loading.loader import Document, LoadResult
from prominence_spec.render.floats import holds_float
from prominence_spec.render.progress import Progress
from prominence_spec.render.rendered import Rendered
from prominence_spec.spec.settings import is_templated, stray_template
from prominence_spec.validation.document import check_document, detect_kind
from prominence_spec.validation.templated import TemplatedRun, open_templated


@dataclass(frozen=True)
class PointRow:
    """One point of a file: the document of the file it belongs to (from 0), its index in
    that document's sweep (0 without a sweep) and its parameters (empty without one)."""

    document: int
    index: int
    params: dict[str, Any]


class RenderRun:
    """The documents of one loaded file, rendered and checked.

    ``diagnostics`` holds what the last operation found: ``count()``, or one pass over
    ``documents()``. Read before either, it checks every point first, so the order of the
    calls cannot make it incomplete. ``progress`` is told how far each pass over a sweep
    has come.
    """

    def __init__(
        self,
        loaded: LoadResult,
        values: Mapping[str, Any],
        *,
        mode: str | None = None,
        root: Path | None = None,
        max_points: int | None = None,
        origins: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self._opened: list[Diagnostic] = list(loaded.diagnostics)
        self._found: list[Diagnostic] | None = None
        self.items: list[Document | TemplatedRun] = []
        #: the position in the file of each of ``items``, and how many documents it has
        self.positions: list[int] = []
        self.documents_in_file = len(loaded.documents)
        for position, document in enumerate(loaded.documents):
            if not is_templated(document.data):
                self.items.append(document)
                self.positions.append(position)
                continue
            run, problems = open_templated(
                document,
                values=values,
                mode=mode,
                root=root,
                max_points=max_points,
                origins=origins,
                progress=progress,
            )
            self._opened.extend(problems)
            if run is not None:
                self.items.append(run)
                self.positions.append(position)

    @property
    def opened(self) -> list[Diagnostic]:
        """What loading and opening the file found, before any point is rendered."""
        return list(self._opened)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every problem found, located; complete whatever was called before."""
        if self._found is None:
            for _ in self.documents():
                pass
        assert self._found is not None
        return self._found

    def count(self) -> int:
        """How many documents the file renders to (sweep points; nothing is rendered)."""
        total = 0
        found = list(self._opened)
        for item in self.items:
            if isinstance(item, TemplatedRun):
                item.restart()
                total += item.count()
                found.extend([*item.findings.settings, *item.findings.problems])
            else:
                total += 1
        self._found = found
        return total

    @property
    def swept(self) -> bool:
        """Whether a document of the file has a sweep."""
        return any(
            isinstance(item, TemplatedRun) and item.prepared.sweep is not None
            for item in self.items
        )

    def points(self, only: int | None = None) -> Iterator[PointRow]:
        """The point of each document ``documents(only)`` would give, in the same order, with
        no body built or checked; when the pass is over, ``diagnostics`` holds what the
        sweeps' set-up and filters found."""
        found = list(self._opened)
        for position, item in zip(self.positions, self.items, strict=True):
            if not isinstance(item, TemplatedRun):
                yield PointRow(position, 0, {})
                continue
            item.restart()
            try:
                for index, params in item.points(only):
                    yield PointRow(position, index or 0, params)
            except IndexError as exc:
                path = item.prepared.spec.path
                item.findings.problems.append(Diagnostic("PS604", str(exc), path=path))
            found.extend(item.diagnostics())
        self._found = found

    def may_write_floats(self) -> bool:
        """Whether a body of this file may hold a float (True when unsure): what the JSON
        writer may leave unchecked (see report.documents.compact_encoder)."""
        return any(
            item.may_write_floats() if isinstance(item, TemplatedRun) else holds_float(item.data)
            for item in self.items
        )

    def single(self, point: int | None) -> bool:
        """Whether the output is one document (else a list of them)."""
        if len(self.items) != 1:
            return False
        item = self.items[0]
        if not isinstance(item, TemplatedRun):
            return True
        return item.prepared.sweep is None or point is not None or item.mode != "jobs"

    def documents(self, point: int | None = None) -> Iterator[Rendered]:
        """The valid bodies, in order (only point ``point`` of a sweep); when the pass is
        over, ``diagnostics`` holds what it found."""
        found = list(self._opened)
        for item in self.items:
            if isinstance(item, TemplatedRun):
                yield from self._templated(item, point, found)
            else:
                yield from self._plain(item, found)
        self._found = found

    @staticmethod
    def _templated(
        run: TemplatedRun, point: int | None, found: list[Diagnostic]
    ) -> Iterator[Rendered]:
        run.restart()
        try:
            yield from run.documents(point)
        except IndexError as exc:
            path = run.prepared.spec.path
            run.findings.problems.append(Diagnostic("PS604", str(exc), path=path))
        found.extend(run.diagnostics())

    @staticmethod
    def _plain(document: Document, found: list[Diagnostic]) -> Iterator[Rendered]:
        problems = [*check_document(document), *stray_template(document)]
        found.extend(problems)
        if not has_errors(problems):
            yield Rendered(document.data, detect_kind(document.data))
