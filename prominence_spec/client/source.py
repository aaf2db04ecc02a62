"""The one place the client touches the render pipeline (repoint these imports after moves).

* :func:`body_bytes`: the request body, the same bytes ``render -f jsonl`` prints per line;
  :func:`body_encoder` gives the same text for a stream of bodies, faster;
* :class:`SpecSource`: a spec file with its values and mode, rendered point by point, the
  files its rendering reads (for the run hash), and positions of fields for server errors.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from prominence_spec.diagnostics import Diagnostic, has_errors
from prominence_spec.loading.loader import load
from prominence_spec.loading.locate import locate
from prominence_spec.report.documents import api_json, compact_encoder
from prominence_spec.validation.rendered_file import RenderRun
from prominence_spec.validation.templated import TemplatedRun


def body_text(document: Any) -> str:
    """Compact JSON, keys in spec order: the line ``render -f jsonl`` prints."""
    return api_json(document)


def body_encoder(*, floats: bool = True) -> Callable[[Any], str]:
    """:func:`body_text` for one stream of bodies, encoded by one thread (the render
    writer's encoder: the same text, without setting up an encoder per body);
    ``floats=False``: no body holds a float (:attr:`SpecSource.floats`)."""
    return compact_encoder(floats=floats)


def body_bytes(document: Any) -> bytes:
    """Exactly the bytes the POST carries: :func:`body_text` in UTF-8."""
    return api_json(document).encode("utf-8")


class RenderedPoint(NamedTuple):
    """One valid document of the spec and the key that numbers it in the run (a named
    tuple: one is made per point of a sweep, and a frozen dataclass costs several times
    as much to make)."""

    key: int
    kind: str  # "job" or "workflow"
    document: dict[str, Any]
    params: dict[str, Any] | None


@dataclass
class SpecSource:
    """A spec file plus everything else that decides what it renders to."""

    path: Path
    values: Mapping[str, Any] = field(default_factory=dict)
    mode: str | None = None
    root: Path | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: whether a body may hold a float: set by :meth:`points` before its first point
    floats: bool = True
    _kept: RenderRun | None = field(default=None, repr=False, compare=False)

    def open(self) -> RenderRun:
        return RenderRun(load(str(self.path)), dict(self.values), mode=self.mode, root=self.root)

    def points(self) -> Iterator[RenderedPoint]:
        """Every valid point in order; afterwards :attr:`diagnostics` has every problem.

        A file with one document numbers points by their sweep index (0 without a sweep);
        a file with several documents numbers them in order.
        """
        run = self._opened_once()
        self.floats = run.may_write_floats()
        single = len(run.items) == 1
        for ordinal, item in enumerate(run.documents()):
            key = (item.index or 0) if single else ordinal
            yield RenderedPoint(key, item.kind, item.document, item.params)
        self.diagnostics = list(run.diagnostics)

    def bodies(
        self, label: Callable[[dict[str, Any], str, int], dict[str, Any]], run_id: str
    ) -> Iterator[tuple[str, str]]:
        """``(kind, body text)`` of what :meth:`points` gives, each document passed through
        ``label(document, run_id, key)`` first (the dry run's path: one loop, no tuple of
        its own per point); afterwards :attr:`diagnostics` has every problem."""
        run = self._opened_once()
        self.floats = run.may_write_floats()
        encode = body_encoder(floats=self.floats)
        single = len(run.items) == 1
        for ordinal, item in enumerate(run.documents()):
            key = (item.index or 0) if single else ordinal
            yield item.kind, encode(label(item.document, run_id, key))
        self.diagnostics = list(run.diagnostics)

    def _opened_once(self) -> RenderRun:
        """The run :meth:`input_files` opened, if it has not been used since (the same
        file, values and mode: what opening it again gives), else a new one."""
        run, self._kept = self._kept, None
        return run if run is not None else self.open()

    def check(self) -> bool:
        return not has_errors(self.diagnostics)

    def spec_bytes(self) -> bytes:
        return self.path.read_bytes()

    def input_files(self) -> list[Path]:
        """Files besides the spec that rendering reads up front: templates, row files."""
        run = self._kept = self.open()  # kept for the points: one load, not two
        self.diagnostics = run.opened  # rendering every point is for points() to do
        found: set[str] = set()
        for item in run.items:
            if isinstance(item, TemplatedRun):
                body_path = item.prepared.spec.body_origin.path
                if body_path and os.path.realpath(body_path) != os.path.realpath(self.path):
                    found.add(os.path.realpath(body_path))
                found |= set(item.data_files)
        return [Path(p) for p in sorted(found)]

    def position(self, pointer: str) -> tuple[str, int, int] | None:
        """``(file, line, column)`` of a field of the rendered bodies, when it can be found."""
        run = self.open()
        if len(run.items) != 1:
            return None
        item = run.items[0]
        for candidate in _pointers(pointer):
            probe = Diagnostic("PS900", "", pointer=candidate)
            found = (
                item.prepared.places.in_body(probe)
                if isinstance(item, TemplatedRun)
                else locate(probe, item)
            )
            if found.line is not None and found.path:
                return found.path, found.line, found.column or 1
        return None


def _pointers(pointer: str) -> list[str]:
    """The pointer, and without a leading /jobs/N (a workflow made of the spec's job)."""
    parts = pointer.split("/")
    if len(parts) > 3 and parts[1] == "jobs" and parts[2].isdigit():
        return [pointer, "/" + "/".join(parts[3:])]
    return [pointer]
