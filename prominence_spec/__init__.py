"""promspec: declarative job specs for PROMINENCE.

The public API::

    from prominence_spec import load, validate, check_paths

    result = load("specs/calculate-pi.yaml")      # documents with source positions
    for document in result.documents:
        for diagnostic in validate(document.data, kind="job"):
            print(diagnostic.code, diagnostic.message, diagnostic.pointer)

    report = check_paths(["specs/"])              # every diagnostic of every file, located
    print(report.valid)

    run = render_file("specs/pi-sweep.yaml", values={"image": "centos:7"})
    for rendered in run.documents():              # validated API bodies, streamed
        print(rendered.index, rendered.document["name"])
    print(run.diagnostics)                        # grouped problems, with positions
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prominence_spec.diagnostics import CheckReport, Diagnostic, FileReport
    from prominence_spec.loading.loader import Document, LoadResult, load, load_bytes, load_text
    from prominence_spec.validation.document import check_document, detect_kind, validate
    from prominence_spec.validation.paths import check_file, check_paths
    from prominence_spec.validation.rendered_file import RenderRun

from prominence_spec.version import __version__

#: Where each public name lives: imported on first use, so that ``import prominence_spec``
#: (and every command's start-up) pays only for what it uses.
_PUBLIC = {
    "CheckReport": "prominence_spec.diagnostics",
    "Diagnostic": "prominence_spec.diagnostics",
    "FileReport": "prominence_spec.diagnostics",
    "Document": "prominence_spec.loading.loader",
    "LoadResult": "prominence_spec.loading.loader",
    "load": "prominence_spec.loading.loader",
    "load_bytes": "prominence_spec.loading.loader",
    "load_text": "prominence_spec.loading.loader",
    "check_document": "prominence_spec.validation.document",
    "detect_kind": "prominence_spec.validation.document",
    "validate": "prominence_spec.validation.document",
    "check_file": "prominence_spec.validation.paths",
    "check_paths": "prominence_spec.validation.paths",
}


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'prominence_spec' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def render_file(
    path: str,
    *,
    values: dict[str, Any] | None = None,
    mode: str | None = None,
    root: Path | None = None,
) -> RenderRun:
    """Load a spec file for rendering: ``.count()``, ``.documents(point=None)``,
    ``.diagnostics``. Jinja is imported only when this is called."""
    from prominence_spec.loading.loader import load
    from prominence_spec.validation.rendered_file import RenderRun

    return RenderRun(load(path), values or {}, mode=mode, root=root)


__all__ = [
    "CheckReport",
    "Diagnostic",
    "Document",
    "FileReport",
    "LoadResult",
    "__version__",
    "check_document",
    "check_file",
    "check_paths",
    "detect_kind",
    "load",
    "load_bytes",
    "load_text",
    "render_file",
    "validate",
]
