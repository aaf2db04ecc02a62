"""Shared helpers of the render tests: a repository in tmp_path, spec files, and running
the library's render pipeline on them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import Diagnostic, has_errors
from prominence_spec.loading.loader import load
from prominence_spec.render.rendered import Rendered
from prominence_spec.validation.templated import TemplatedRun, open_templated

TASK = """\
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: busybox
    runtime: singularity
"""


def opened(
    path: Path, values: dict[str, Any] | None = None, mode: str | None = None
) -> tuple[TemplatedRun | None, list[Diagnostic]]:
    loaded = load(path)
    assert loaded.ok and len(loaded.documents) == 1, loaded.diagnostics
    return open_templated(loaded.documents[0], values=values, mode=mode)


def renderer_of(
    path: Path, values: dict[str, Any] | None = None, mode: str | None = None
) -> TemplatedRun:
    renderer, problems = opened(path, values, mode)
    assert renderer is not None, problems
    return renderer


def run(
    path: Path,
    values: dict[str, Any] | None = None,
    only: int | None = None,
    mode: str | None = None,
) -> tuple[list[Rendered], list[Diagnostic]]:
    renderer, problems = opened(path, values, mode)
    if renderer is None:
        return [], problems
    documents = list(renderer.documents(only))
    return documents, renderer.diagnostics()


def ok(
    path: Path,
    values: dict[str, Any] | None = None,
    only: int | None = None,
    mode: str | None = None,
) -> list[dict[str, Any]]:
    documents, diagnostics = run(path, values, only, mode)
    assert not has_errors(diagnostics), diagnostics
    return [item.document for item in documents]


def where(diag: Diagnostic) -> tuple[str, int | None, int | None]:
    return diag.code, diag.line, diag.column


def names(documents: list[dict[str, Any]]) -> list[str]:
    return [document["name"] for document in documents]
