"""One file per rendered body (`promspec render --output-dir DIR`): the file's name, made
from the job's or workflow's name, and its text in the render format."""

from __future__ import annotations

import io
import re
from typing import Any

from prominence_spec.report.documents import write_documents

#: The longest name given to a file, before its suffix and any ``-N`` that keeps it apart.
MAX_STEM = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_stem(name: object) -> str:
    """``name`` as the stem of a file name: ASCII letters, digits, '.', '_' and '-' only
    (every other run of characters, '/' and spaces included, becomes one '_'), never
    starting with '.' or '-', at most :data:`MAX_STEM` characters; ``document`` when
    nothing is left."""
    text = _UNSAFE.sub("_", name) if isinstance(name, str) else ""
    text = text.lstrip(".-")[:MAX_STEM].rstrip(".")
    return text or "document"


def suffix(fmt: str) -> str:
    return ".yaml" if fmt == "yaml" else ".json"


class FileNames:
    """Gives each body of one render its own file name: the body's name, then ``-<index>``
    (the point's index) or ``-2``, ``-3``, ... when an earlier body took it. Names that
    differ only in case count as taken, as they are on case-insensitive file systems."""

    def __init__(self, fmt: str) -> None:
        self._suffix = suffix(fmt)
        self._taken: set[str] = set()

    def name(self, document: dict[str, Any], index: int | None) -> str:
        stem = safe_stem(document.get("name"))
        candidates = [stem]
        if index is not None:
            candidates.append(f"{stem}-{index}")
        for candidate in candidates:
            if self._take(candidate):
                return candidate + self._suffix
        counter = 2
        while not self._take(f"{stem}-{counter}"):
            counter += 1
        return f"{stem}-{counter}{self._suffix}"

    def _take(self, stem: str) -> bool:
        key = (stem + self._suffix).lower()
        if key in self._taken:
            return False
        self._taken.add(key)
        return True


def document_text(document: dict[str, Any], fmt: str) -> str:
    """One body as a file holds it: pretty JSON, one compact JSON line (``jsonl``: exactly
    what is sent), or a YAML document."""
    stream = io.StringIO()
    write_documents([document], stream, fmt, single=True)
    return stream.getvalue()


__all__ = ["MAX_STEM", "FileNames", "document_text", "safe_stem", "suffix"]
