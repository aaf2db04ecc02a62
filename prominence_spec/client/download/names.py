"""Names from the server made into paths inside a folder, or refused."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._+=@,-]+")
#: The suffix of a file being written; never a final name.
PART_SUFFIX = ".promspec-part"


def relative(name: str) -> PurePosixPath | None:
    """``name`` as a path that stays inside its folder, or None: empty, absolute, a ``..``
    part, a NUL or a backslash (a Windows separator) are refused; ``.`` parts dropped."""
    if not name or "\0" in name or "\\" in name or name.startswith("/"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts) or parts[-1].endswith(PART_SUFFIX):
        return None
    return PurePosixPath(*parts)


def inside(root: Path, path: Path) -> bool:
    """True when ``path``, with every link already on disk followed, is inside ``root``."""
    return path.resolve().is_relative_to(root.resolve())


def folder_part(text: str) -> str:
    """One path component made of ``text``: separators and unusual characters become
    ``_``; never empty, ``.`` or ``..``."""
    cleaned = _UNSAFE_CHARS.sub("_", text).strip("_") or "_"
    return "_" if set(cleaned) == {"."} else cleaned


def default_folder(index: int | None, name: str | None, job_id: int) -> str:
    """``<index>-<job name>`` for a point of a spec, ``<job id>-<job name>`` for an id."""
    first = str(index) if index is not None else str(job_id)
    return f"{first}-{folder_part(name)}" if name else first


def layout_folder(template: str, params: dict[str, object], index: int | None) -> str | None:
    """``--layout`` filled in with a point's parameters (and ``index``); None when it
    names a missing parameter or would leave the folder."""
    values = {k: folder_part(str(v)) for k, v in params.items()}
    values.setdefault("index", "" if index is None else str(index))
    try:
        text = template.format_map(values)
    except (KeyError, IndexError, ValueError, AttributeError):
        return None
    path = relative(text)
    return None if path is None else str(path)
