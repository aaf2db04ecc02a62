"""Reading the files a spec names (templates' ``read_file``, sweep row files): paths that
must stay inside the repository, regular files only, a size limit, UTF-8 text."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PureWindowsPath

UTF8_BOM = b"\xef\xbb\xbf"


def resolve_inside(path_text: str, *, base_dir: Path, root: Path) -> tuple[str | None, str | None]:
    """``(real path, None)``, or ``(None, problem)`` when the path may not be used."""
    if not path_text.strip():
        return None, "is an empty path"
    if "\x00" in path_text:
        return None, "contains a NUL character"
    if os.path.isabs(path_text) or PureWindowsPath(path_text).anchor:
        return None, "is an absolute path; name it relative to the spec's directory"
    real_root = Path(os.path.realpath(root))
    joined = os.path.join(os.path.abspath(base_dir), path_text)
    real = Path(os.path.realpath(joined))
    if real.is_relative_to(real_root):
        return str(real), None
    lexical = Path(os.path.normpath(joined))
    if not (lexical.is_relative_to(os.path.abspath(root)) or lexical.is_relative_to(real_root)):
        return None, f"leads outside the repository root {str(root)!r} (through '..')"
    return None, f"resolves through a symbolic link to {str(real)!r}, outside the repository root"


class ReadError(Exception):
    """A file cannot be used: ``problem`` is ``missing``, ``unreadable`` (``detail`` says
    why), ``not-regular`` or ``too-large`` (``size`` in bytes)."""

    def __init__(self, problem: str, detail: str = "", size: int = 0) -> None:
        super().__init__(problem)
        self.problem, self.detail, self.size = problem, detail, size


def read_regular(real: str, max_bytes: int) -> bytes:
    """The bytes of the regular file ``real`` (never a FIFO or a device, never following a
    final symbolic link), at most ``max_bytes`` of them. Raises ReadError."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(real, flags)
    except FileNotFoundError:
        raise ReadError("missing") from None
    except OSError as exc:
        raise ReadError("unreadable", exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ReadError("not-regular")
        if info.st_size > max_bytes:
            raise ReadError("too-large", size=info.st_size)
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ReadError("unreadable", exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ReadError("too-large", size=len(data))
    return data


class NotUtf8Error(Exception):
    """Where UTF-8 decoding failed: 1-based line and column, the byte, and why."""

    def __init__(self, line: int, column: int, byte: int, reason: str) -> None:
        super().__init__(reason)
        self.line, self.column, self.byte, self.reason = line, column, byte, reason


def utf8_text(data: bytes, *, strip_bom: bool = True) -> str:
    """The text of UTF-8 ``data`` (a leading BOM dropped). Raises NotUtf8Error."""
    if strip_bom:
        data = data.removeprefix(UTF8_BOM)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise NotUtf8Error(line, column, data[exc.start], exc.reason) from None


__all__ = ["UTF8_BOM", "NotUtf8Error", "ReadError", "read_regular", "resolve_inside", "utf8_text"]
