"""Shared pieces of the reporters: options, the diagnostic line, the summary line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prominence_spec.diagnostics import CheckReport, Diagnostic, FileReport, Severity

#: The rich style of each severity in a coloured report.
SEVERITY_STYLES: dict[Severity, str] = {
    "error": "bold red",
    "warning": "bold yellow",
    "note": "bold cyan",
}
HINT_SEPARATOR = " \u2014 hint: "
STDIN_NAMES = frozenset({"-", "<stdin>"})


@dataclass(frozen=True)
class ReportOptions:
    """How a report is written. ``verbose`` shows notes in the human-oriented formats;
    ``quiet`` leaves their summary line out (only the problems are written, nothing at all
    when there are none)."""

    verbose: bool = False
    color: bool = False
    tool_version: str = "0.1.0"
    quiet: bool = False


def visible(diagnostics: Iterable[Diagnostic], options: ReportOptions) -> list[Diagnostic]:
    """The diagnostics a human-oriented format shows: notes only when verbose."""
    return [d for d in diagnostics if options.verbose or d.severity != "note"]


def display_path(file: FileReport, diagnostic: Diagnostic) -> str:
    """The path a diagnostic is about: its own, else its file's."""
    return diagnostic.path if diagnostic.path is not None else file.path


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _location(path: str, diagnostic: Diagnostic) -> str:
    if diagnostic.line is None:
        return path
    if diagnostic.column is None:
        return f"{path}:{diagnostic.line}"
    return f"{path}:{diagnostic.line}:{diagnostic.column}"


def _document_part(diagnostic: Diagnostic, documents: int) -> str:
    """`` [document N]`` (1-based) when the file holds several documents."""
    if diagnostic.document is None or documents <= 1:
        return ""
    return f" [document {diagnostic.document + 1}]"


def _continued(text: str) -> str:
    """Indent the continuation lines of a multi-line message so each diagnostic stays one
    entry whose first line carries the location."""
    return "\n    ".join(text.splitlines()) if text else text


def described(file: FileReport, diagnostic: Diagnostic) -> str:
    """``message [document N] (at /pointer)``, each part only where it applies."""
    text = diagnostic.message + _document_part(diagnostic, file.documents)
    if diagnostic.pointer:
        text += f" (at {diagnostic.pointer})"
    return text


def with_hint(text: str, diagnostic: Diagnostic) -> str:
    """``text — hint: ...`` for the one-message formats (GitHub, SARIF)."""
    return text + HINT_SEPARATOR + diagnostic.hint if diagnostic.hint else text


def diagnostic_parts(file: FileReport, diagnostic: Diagnostic) -> tuple[str, str, str]:
    """The diagnostic line in three parts: ``path:line:col: ``, the severity, and
    ``[CODE] message [document N] (at /pointer)``."""
    head = _location(display_path(file, diagnostic), diagnostic)
    tail = f"[{diagnostic.code}] {_continued(described(file, diagnostic))}"
    return f"{head}: ", diagnostic.severity, tail


def diagnostic_line(file: FileReport, diagnostic: Diagnostic) -> str:
    """``path:line:col: error[CODE] message [document N] (at /pointer)``."""
    return "".join(diagnostic_parts(file, diagnostic))


def detail_lines(diagnostic: Diagnostic) -> list[str]:
    """The ``hint:`` and ``context:`` lines of a diagnostic that has them. The context of a
    sweep's grouped failure is not repeated: the message says it ("fails for 3 of 10
    points, first at ..."), and the JSON formats carry it as data."""
    lines = []
    if diagnostic.hint:
        lines.append(f"  hint: {_continued(diagnostic.hint)}")
    context = dict(diagnostic.context)
    if context and "points" not in context:
        pairs = ", ".join(f"{key}={value}" for key, value in diagnostic.context)
        lines.append(f"  context: {pairs}")
    return lines


def diagnostic_lines(file: FileReport, diagnostic: Diagnostic) -> list[str]:
    """The diagnostic line, then its ``hint:`` and ``context:`` lines when it has them."""
    return [diagnostic_line(file, diagnostic), *detail_lines(diagnostic)]


def _counts(report: CheckReport) -> tuple[int, int, int]:
    """Errors, warnings, and files with at least one of either."""
    errors = warnings = files = 0
    for file in report.files:
        file_errors = sum(d.severity == "error" for d in file.diagnostics)
        file_warnings = sum(d.severity == "warning" for d in file.diagnostics)
        errors += file_errors
        warnings += file_warnings
        files += file.is_file and bool(file_errors or file_warnings)
    return errors, warnings, files


def summary_line(report: CheckReport) -> str:
    """``N errors, M warnings in K of F files`` or ``F files valid (D documents)``."""
    errors, warnings, failing = _counts(report)
    total = sum(f.is_file for f in report.files)
    if errors or warnings:
        counts = f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
        if not total:
            return f"{counts} (no spec files)"
        return f"{counts} in {failing} of {plural(total, 'file')}"
    documents = sum(f.documents for f in report.files)
    points = sum(f.points for f in report.files)
    checked = plural(documents, "document")
    if points != documents and any(f.templated for f in report.files):
        checked += f", {points:,} point" + ("" if points == 1 else "s")
    return f"{plural(total, 'file')} valid ({checked})"
