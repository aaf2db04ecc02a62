"""Check files and directories: load every document, validate it, collect every diagnostic."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import CheckReport, Diagnostic, FileReport
from prominence_spec.loading.loader import SPEC_SUFFIXES, LoadResult, load, load_bytes
from prominence_spec.spec.settings import is_templated, stray_template
from prominence_spec.validation.document import check_document
from prominence_spec.validation.patterns import compile_pattern

#: ``render.progress.Progress``, spelled out: checking a plain document imports no
#: templated stage.
Progress = Callable[[str, int, "int | None"], None]

STDIN = "-"
IO_CODES = frozenset({"PS100", "PS113"})


EMPTY_DIRECTORY = "\x00empty:"

#: Files that are never promspec specs, whatever a repository configures: hidden files
#: and folders (.github/, .gitlab-ci.yml, .pre-commit-config.yaml, .promspec.yaml, ...),
#: and other tools' well-known YAML and JSON files.
BUILTIN_EXCLUDE: tuple[str, ...] = (
    ".*",
    "node_modules/",
    "docker-compose*.yml",
    "docker-compose*.yaml",
    "compose.yml",
    "compose.yaml",
    "compose.*.yml",
    "compose.*.yaml",
    "mkdocs.yml",
    "mkdocs.yaml",
    "package.json",
    "package-lock.json",
    "pnpm-lock.yaml",
    "tsconfig.json",
    "renovate.json",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    "codecov.yml",
)


@dataclass(frozen=True)
class Selection:
    """Which files under ``root`` are specs: gitignore-style patterns relative to ``root``
    (see :mod:`prominence_spec.validation.patterns`). Files outside ``root`` and standard
    input are always checked."""

    root: Path
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    builtin_exclude: tuple[str, ...] = BUILTIN_EXCLUDE

    def relative(self, path: str) -> str | None:
        """``path`` relative to the root, in POSIX form; None outside the root (or the root)."""
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(self.root))
        if relative in (os.curdir, os.pardir) or relative.startswith(os.pardir + os.sep):
            return None
        return relative.replace(os.sep, "/")

    def skip_reason(self, path: str, *, is_dir: bool = False) -> str | None:
        """Why ``path`` is not checked, or None when it is."""
        relative = self.relative(path)
        if relative is None:
            return None
        for text in self.builtin_exclude:
            if compile_pattern(text).matches(relative, is_dir=is_dir):
                return f"not a promspec spec (built-in exclude `{text}`)"
        for text in self.exclude:
            if compile_pattern(text).matches(relative, is_dir=is_dir):
                return f"matches exclude pattern `{text}`"
        included = (compile_pattern(t).matches(relative) for t in self.include)
        if self.include and not is_dir and not any(included):
            return "matches no include pattern"
        return None


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class Selected:
    """What :func:`select_paths` keeps (in :func:`check_paths`' terms) and what it leaves out."""

    paths: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def select_paths(paths: Iterable[str], selection: Selection | None) -> Selected:
    """Files named on the command line, unless ``selection`` leaves them out (then they are
    ``skipped``, with the reason); directories searched recursively, excluded folders and
    files left out of the search. Without a selection, every named file is kept.

    A directory without any spec file gives a marker, reported as an error: in CI it
    usually means a wrong path, which must not pass silently. One whose spec files are
    all excluded is skipped instead.
    """
    selected = Selected()
    for raw in paths:
        if raw == STDIN or not os.path.isdir(raw):
            reason = selection.skip_reason(raw) if selection and raw != STDIN else None
            if reason:
                selected.skipped.append(Skipped(raw, reason))
            else:
                selected.paths.append(raw)
            continue
        found, excluded = _walk(raw, selection)
        if found:
            selected.paths.extend(found)
        elif excluded:
            selected.skipped.append(Skipped(raw, "every spec file in it is excluded"))
        else:
            selected.paths.append(EMPTY_DIRECTORY + raw)
    return selected


def discover(paths: Iterable[str], selection: Selection | None = None) -> Iterator[str]:
    """The files :func:`select_paths` keeps."""
    yield from select_paths(paths, selection).paths


def _walk(root: str, selection: Selection | None) -> tuple[list[str], int]:
    """The spec files under ``root`` and how many the selection left out."""
    found: list[str] = []
    excluded = 0

    def kept(path: str, is_dir: bool) -> bool:
        nonlocal excluded
        if selection is None or selection.skip_reason(path, is_dir=is_dir) is None:
            return True
        excluded += not is_dir
        return False

    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and kept(os.path.join(folder, d), True)
        )
        found.extend(
            os.path.join(folder, f)
            for f in files
            if f.lower().endswith(SPEC_SUFFIXES)
            and not f.startswith(".")
            and kept(os.path.join(folder, f), False)
        )
    return sorted(found), excluded


def apply_codes(
    report: CheckReport, *, ignore: Collection[str] = (), strict: bool = False
) -> CheckReport:
    """``report`` without the diagnostics whose code is in ``ignore``; with ``strict``,
    warnings become errors (so every format, and the exit code, fail on them)."""
    files = [
        dataclasses.replace(
            file,
            diagnostics=[
                _strict(d) if strict else d for d in file.diagnostics if d.code not in ignore
            ],
        )
        for file in report.files
    ]
    return CheckReport(files)


def _strict(diagnostic: Diagnostic) -> Diagnostic:
    if diagnostic.severity != "warning":
        return diagnostic
    return dataclasses.replace(diagnostic, severity="error")


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
    selection: Selection | None = None,
    progress: Progress | None = None,
) -> CheckReport:
    """Check files and directories; templated specs are checked at every sweep point.

    With a ``selection``, only the files it keeps are checked (see :func:`select_paths`).
    ``progress`` is told how far checking each sweep has come.

    Files that a templated spec of the same run reads as sweep rows are data, not specs:
    they are checked as rows by that spec, and left out of the report as specs.
    """
    report = CheckReport()
    data_files: set[str] = set()
    for path in discover(paths, selection):
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
                progress=progress,
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
    progress: Progress | None = None,
) -> FileReport:
    diagnostics: list[Diagnostic] = list(loaded.diagnostics)
    many = len(loaded.documents) > 1 or any(d.document is not None for d in diagnostics)
    templated = points = 0
    for document in loaded.documents:
        if is_templated(document.data):
            # Jinja only when needed
            from prominence_spec.validation.templated import check_templated

            checked = check_templated(
                document,
                values=values,
                root=root,
                kind=kind,
                data_files=data_files,
                max_points=max_points,
                origins=origins,
                progress=progress,
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
