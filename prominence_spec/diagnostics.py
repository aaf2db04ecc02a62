"""Diagnostics: every problem promspec finds is a value of this module's types.

A :class:`Diagnostic` carries a stable code, a message, a severity, the JSON pointer of
the value it is about, the value's source position (1-based line and column, filled in
once the document's source map is known) and, where one is obvious, a hint.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    severity: Severity = "error"
    pointer: str = ""
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    path: str | None = None
    document: int | None = None
    context: tuple[tuple[str, str], ...] = field(default=())

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def located(self, line: int | None, column: int | None) -> Diagnostic:
        return dataclasses.replace(self, line=line, column=column)

    def with_path(self, path: str | None, document: int | None = None) -> Diagnostic:
        return dataclasses.replace(self, path=path, document=document)

    def sort_key(self) -> tuple[int, int, str, str]:
        return (self.line or 0, self.column or 0, self.pointer, self.code)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "pointer": self.pointer,
            "hint": self.hint,
            "document": self.document,
            "context": dict(self.context),
        }


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def pointer_of(parts: Sequence[str | int]) -> str:
    """JSON pointer (RFC 6901) of a path given as keys and indices."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def parts_of(pointer: str) -> tuple[str, ...]:
    if not pointer:
        return ()
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/"))


@dataclass
class FileReport:
    """Everything found in one input file (or stdin)."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    documents: int = 0
    templated: int = 0  # documents that are templates (with a promspec: block)
    is_file: bool = True  # False for a folder reported because it holds no spec file
    points: int = 0  # what was checked: 1 per plain document, every point of a template

    @property
    def valid(self) -> bool:
        return not has_errors(self.diagnostics)


@dataclass
class CheckReport:
    """The outcome of checking a set of files."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return all(f.valid for f in self.files)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for f in self.files for d in f.diagnostics]

    def as_dict(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "files": [
                {
                    "path": f.path,
                    "valid": f.valid,
                    "documents": f.documents,
                    "points": f.points,
                    "diagnostics": [d.as_dict() for d in f.diagnostics],
                }
                for f in self.files
            ],
        }


#: How close (difflib's ratio) a template variable's name must be to a known one for
#: "did you mean": names are short, and at 0.6 `frame` would suggest `range`.
NAME_CUTOFF = 0.75


def closest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate nearest to ``word`` (difflib's ratio of at least ``cutoff``), if any."""
    import difflib

    near = difflib.get_close_matches(word, list(dict.fromkeys(candidates)), n=1, cutoff=cutoff)
    return near[0] if near else None


def did_you_mean(word: object, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The hint "did you mean `x`?" for the candidate nearest to ``word``, if any."""
    near = closest(word, candidates, cutoff) if isinstance(word, str) else None
    return f"did you mean `{near}`?" if near else None
