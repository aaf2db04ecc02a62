"""Files a template may read with ``read_file()`` / ``read_file_b64()``.

A path is named relative to the spec's directory and must resolve (symbolic links
included) to a regular file inside the repository root; the file itself may not be a
symbolic link at all. Files over ``MAX_FILE_BYTES`` (the server's whole request limit)
are refused. Contents are cached per :class:`TemplateFiles` instance.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Final

from prominence_spec.loading.files import (
    NotUtf8Error,
    ReadError,
    read_regular,
    resolve_inside,
    utf8_text,
)

MAX_FILE_BYTES: Final[int] = 1_048_576


class FileProblemError(Exception):
    """A file a template names cannot be used; ``code`` is PS609 or PS610."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


class TemplateFiles:
    """Reads files for templates: inside ``root``, relative to ``base_dir``, cached."""

    def __init__(self, *, root: Path, base_dir: Path, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.root = root
        self.base_dir = base_dir
        self.max_bytes = max_bytes
        self._bytes: dict[str, bytes] = {}
        self._text: dict[str, str] = {}

    def read_bytes(self, path_text: object) -> bytes:
        name = _path_argument(path_text)
        data = self._bytes.get(name)
        if data is None:
            data = self._load(name)
            self._bytes[name] = data
        return data

    def read_text(self, path_text: object) -> str:
        name = _path_argument(path_text)
        text = self._text.get(name)
        if text is None:
            text = _decode(name, self.read_bytes(name))
            self._text[name] = text
        return text

    def read_b64(self, path_text: object) -> str:
        return base64.b64encode(self.read_bytes(path_text)).decode("ascii")

    def _load(self, name: str) -> bytes:
        real, problem = resolve_inside(name, base_dir=self.base_dir, root=self.root)
        if real is None:
            raise FileProblemError("PS609", f"file {name!r} {problem}", _HINT)
        joined = os.path.join(os.path.abspath(self.base_dir), name)
        if os.path.islink(joined):
            message = f"file {name!r} is a symbolic link; name the file itself"
            raise FileProblemError("PS609", message, _HINT)
        return _read_regular(name, real, self.max_bytes)


_HINT = "templates read only regular files inside the repository, named relative to the spec"


def _path_argument(path_text: object) -> str:
    if not isinstance(path_text, str):
        raise FileProblemError("PS609", f"a file path must be text, not {type(path_text).__name__}")
    return path_text


def _read_regular(name: str, real: str, max_bytes: int) -> bytes:
    try:
        return read_regular(real, max_bytes)
    except ReadError as exc:
        if exc.problem == "missing":
            raise FileProblemError("PS609", f"file {name!r} does not exist", _HINT) from None
        if exc.problem == "not-regular":
            raise FileProblemError("PS609", f"file {name!r} is not a regular file") from None
        if exc.problem == "too-large":
            raise _too_large(name, exc.size, max_bytes) from None
        message = f"file {name!r} cannot be read: {exc.detail}"
        raise FileProblemError("PS609", message) from None


def _too_large(name: str, size: int, max_bytes: int) -> FileProblemError:
    message = f"file {name!r} is {size} bytes; the limit is {max_bytes} bytes"
    return FileProblemError("PS610", message, "the server accepts at most 1 MiB per request")


def _decode(name: str, data: bytes) -> str:
    try:
        return utf8_text(data, strip_bom=False)
    except NotUtf8Error as bad:
        message = f"file {name!r} is not UTF-8 text (invalid byte on line {bad.line})"
        raise FileProblemError("PS609", message, "use read_file_b64() for binary files") from None
