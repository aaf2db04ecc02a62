"""An output directory's ``<name>.tgz`` unpacked in place, safely: every member is checked
before anything is written, and an archive holding a link, a device, an absolute name or
a ``..`` is refused whole. Each file is written under a temporary name and renamed; one
whose bytes are already there is left as it is (not rewritten)."""

from __future__ import annotations

import hashlib
import os
import tarfile
import threading
from dataclasses import dataclass
from pathlib import Path

from prominence_spec.client.download.names import inside, relative
from prominence_spec.client.download.transfer import CHUNK, StoppedError, file_digest, temporary


class ArchiveError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    sha256: str


def unpack(archive: Path, folder: Path, *, stop: threading.Event) -> list[Member]:
    """Unpack ``archive`` into ``folder``; the files it holds. Raises :class:`ArchiveError`."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = _checked(tar.getmembers())
            return [m for m in (_extract(tar, m, folder, stop) for m in members) if m]
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveError("bad-archive", f"cannot unpack the archive ({exc})") from None


def _checked(members: list[tarfile.TarInfo]) -> list[tarfile.TarInfo]:
    for member in members:
        if relative(member.name) is None:
            raise ArchiveError("unsafe-archive", f"the archive holds {member.name!r}, "
                               "which would leave the folder; nothing was unpacked")  # fmt: skip
        if not (member.isfile() or member.isdir()):
            what = "a link" if member.issym() or member.islnk() else "a special file"
            raise ArchiveError("unsafe-archive", f"the archive holds {member.name!r}, "
                               f"{what}; nothing was unpacked")  # fmt: skip
    return members


def _extract(
    tar: tarfile.TarFile, member: tarfile.TarInfo, folder: Path, stop: threading.Event
) -> Member | None:
    if stop.is_set():
        raise StoppedError
    name = relative(member.name)
    assert name is not None
    target = folder / name
    if member.isdir():
        target.mkdir(parents=True, exist_ok=True)
        _confine(folder, target)
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    _confine(folder, target.parent)
    source = tar.extractfile(member)
    assert source is not None
    part = temporary(target)
    try:
        size, sha = _copy(source, part)
        if target.is_file() and target.stat().st_size == size and file_digest(target) == sha:
            part.unlink()
        else:
            os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return Member(str(name), size, sha)


def _confine(folder: Path, path: Path) -> None:
    if not inside(folder, path):
        raise ArchiveError("unsafe-archive", f"{path.name} leads outside the folder")


def _copy(source: object, part: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    read = source.read  # type: ignore[attr-defined]
    with part.open("wb") as out:
        for chunk in iter(lambda: read(CHUNK), b""):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
