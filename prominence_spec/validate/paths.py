"""Check files and directories: load every document, validate it, collect every diagnostic."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import CheckReport, Diagnostic, FileReport
from prominence_spec.load.loader import SPEC_SUFFIXES, LoadResult, load, load_bytes
from prominence_spec.spec.settings import is_templated, stray_template
from prominence_spec.validate.document import check_document

STDIN = "-"
IO_CODES = frozenset({"PS100", "PS113"})


EMPTY_DIRECTORY = "\x00empty:"


def discover(paths: Iterable[str]) -> Iterator[str]:
    """Files named on the command line as they are; directories searched recursively.

    A directory without any spec file yields a marker, reported as an error: in CI it
    usually means a wrong path, which must not pass silently.
    """
    for raw in paths:
        if raw == STDIN or not os.path.isdir(raw):
            yield raw
            continue
        found = list(_walk(raw))
        yield from found if found else [EMPTY_DIRECTORY + raw]


def _walk(root: str) -> Iterator[str]:
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            os.path.join(folder, f)
            for f in files
            if f.lower().endswith(SPEC_SUFFIXES) and not f.startswith(".")
        )
    yield from sorted(found)


def check_paths(
    paths: Sequence[str],
    *,
    kind: str | None = None,
    verbose: bool = False,
    read_stdin: Callable[[], bytes] | None = None,
    stdin_format: str = "yaml",
    values: Mapping[str, Any] | None = None,
    root: Path | None = None,
    max_points: int | None = None,
    origins: Mapping[str, str] | None = None,
) -> CheckReport:
    """Check files and directories; templated specs are checked at every sweep point.

    Files that a templated spec of the same run reads as sweep rows are data, not specs:
    they are checked as rows by that spec, and left out of the report as specs.
    """
    report = CheckReport()
    data_files: set[str] = set()
    for path in discover(paths):
        if path.startswith(EMPTY_DIRECTORY):
            folder = path[len(EMPTY_DIRECTORY) :]
            message = "no spec files (*.yaml, *.yml, *.json) in this directory"
            diagnostic = Diagnostic("PS113", message, path=folder)
            report.files.append(FileReport(folder, [diagnostic], is_file=False))
            continue
        if path != STDIN and not path.lower().endswith(SPEC_SUFFIXES):
            report.files.append(FileReport(path, [_not_a_spec_file(path)]))
            continue
        if path == STDIN:
            data = read_stdin() if read_stdin else b""
            loaded = load_bytes(data, path="<stdin>", fmt=stdin_format)
        else:
            loaded = load(path)
        report.files.append(
            check_loaded(
                loaded,
                kind=kind,
                verbose=verbose,
                values=values,
                root=root,
                data_files=data_files,
                max_points=max_points,
                origins=origins,
            )
        )
    report.files = [f for f in report.files if os.path.realpath(f.path) not in data_files]
    return report


def check_file(
    path: str | Path,
    *,
    kind: str | None = None,
    verbose: bool = False,
    values: Mapping[str, Any] | None = None,
) -> FileReport:
    return check_loaded(load(path), kind=kind, verbose=verbose, values=values)


def check_loaded(
    loaded: LoadResult,
    *,
    kind: str | None = None,
    verbose: bool = False,
    values: Mapping[str, Any] | None = None,
    root: Path | None = None,
    data_files: set[str] | None = None,
    max_points: int | None = None,
    origins: Mapping[str, str] | None = None,
) -> FileReport:
    diagnostics: list[Diagnostic] = list(loaded.diagnostics)
    many = len(loaded.documents) > 1 or any(d.document is not None for d in diagnostics)
    templated = points = 0
    for document in loaded.documents:
        if is_templated(document.data):
            from prominence_spec.validate.templated import check_templated  # Jinja only when needed

            checked = check_templated(
                document,
                values=values,
                root=root,
                kind=kind,
                data_files=data_files,
                max_points=max_points,
                origins=origins,
            )
            diagnostics.extend(
                d.with_path(d.path or document.path, document.index if many else None)
                for d in checked.diagnostics
            )
            templated += 1
            points += checked.points
            continue
        diagnostics.extend(check_document(document, kind, verbose=verbose, many=many))
        diagnostics.extend(stray_template(document, many))
        points += 1
    diagnostics.sort(key=lambda d: (d.document or 0, *d.sort_key()))
    count = len(loaded.documents)
    return FileReport(loaded.path, diagnostics, count, templated=templated, points=points)


def _not_a_spec_file(path: str) -> Diagnostic:
    suffix = os.path.splitext(path)[1] or "(none)"
    message = f"not a spec file: promspec reads *.yaml, *.yml and *.json, not {suffix}"
    return Diagnostic("PS113", message, path=path, hint="name spec files *.yaml or *.json")


def has_io_errors(report: CheckReport) -> bool:
    return any(d.code in IO_CODES for d in report.diagnostics)
