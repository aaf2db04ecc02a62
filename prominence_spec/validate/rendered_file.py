"""Rendering a whole spec file: plain and templated documents, in order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import Diagnostic, has_errors
from prominence_spec.load.loader import Document, LoadResult
from prominence_spec.render.rendered import Rendered
from prominence_spec.spec.settings import is_templated, stray_template
from prominence_spec.validate.document import check_document, detect_kind
from prominence_spec.validate.templated import TemplatedRun, open_templated


class RenderRun:
    """The documents of one loaded file; diagnostics accumulate as rendering proceeds."""

    def __init__(
        self,
        loaded: LoadResult,
        values: Mapping[str, Any],
        *,
        mode: str | None = None,
        root: Path | None = None,
        max_points: int | None = None,
        origins: Mapping[str, str] | None = None,
    ) -> None:
        self.diagnostics: list[Diagnostic] = list(loaded.diagnostics)
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
            )
            self.diagnostics.extend(problems)
            if run is not None:
                self.items.append(run)

    def count(self) -> int:
        total = 0
        for item in self.items:
            if isinstance(item, TemplatedRun):
                total += item.count()
                self.diagnostics.extend(item.findings.problems)
            else:
                total += 1
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
        for item in self.items:
            if isinstance(item, TemplatedRun):
                yield from self._templated(item, point)
            else:
                yield from self._plain(item)

    def _templated(self, run: TemplatedRun, point: int | None) -> Iterator[Rendered]:
        try:
            yield from run.documents(point)
        except IndexError as exc:
            path = run.prepared.spec.path
            run.findings.problems.append(Diagnostic("PS604", str(exc), path=path))
        self.diagnostics.extend(run.diagnostics())

    def _plain(self, document: Document) -> Iterator[Rendered]:
        found = [*check_document(document), *stray_template(document)]
        self.diagnostics.extend(found)
        if not has_errors(found):
            yield Rendered(document.data, detect_kind(document.data))
