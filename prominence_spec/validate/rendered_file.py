"""Rendering a whole spec file: plain and templated documents, in order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import Diagnostic, has_errors
from prominence_spec.load.loader import Document, LoadResult
from prominence_spec.render.progress import Progress
from prominence_spec.render.rendered import Rendered
from prominence_spec.spec.settings import is_templated, stray_template
from prominence_spec.validate.document import check_document, detect_kind
from prominence_spec.validate.templated import TemplatedRun, open_templated


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
        for document in loaded.documents:
            if not is_templated(document.data):
                self.items.append(document)
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
                found.extend(item.findings.problems)
            else:
                total += 1
        self._found = found
        return total

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
