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

from pathlib import Path
from typing import TYPE_CHECKING, Any

from prominence_spec.diagnostics import CheckReport, Diagnostic, FileReport
from prominence_spec.load.loader import Document, LoadResult, load, load_bytes, load_text
from prominence_spec.validate.document import check_document, detect_kind, validate
from prominence_spec.validate.paths import check_file, check_paths

if TYPE_CHECKING:
    from prominence_spec.validate.rendered_file import RenderRun

__version__ = "0.1.0"


def render_file(
    path: str,
    *,
    values: dict[str, Any] | None = None,
    mode: str | None = None,
    root: Path | None = None,
) -> RenderRun:
    """Load a spec file for rendering: ``.count()``, ``.documents(point=None)``,
    ``.diagnostics``. Jinja is imported only when this is called."""
    from prominence_spec.validate.rendered_file import RenderRun

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
