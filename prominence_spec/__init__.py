"""promspec: declarative job specs for PROMINENCE.

The public API::

    from prominence_spec import load, validate, check_paths

    result = load("specs/calculate-pi.yaml")      # documents with source positions
    for document in result.documents:
        for diagnostic in validate(document.data, kind="job"):
            print(diagnostic.code, diagnostic.message, diagnostic.pointer)

    report = check_paths(["specs/"])              # every diagnostic of every file, located
    print(report.valid)
"""

from __future__ import annotations

from prominence_spec.checker import check_file, check_paths
from prominence_spec.diagnostics import CheckReport, Diagnostic, FileReport
from prominence_spec.loader import Document, LoadResult, load, load_bytes, load_text
from prominence_spec.validation import check_document, detect_kind, validate

__version__ = "0.1.0"

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
    "validate",
]
