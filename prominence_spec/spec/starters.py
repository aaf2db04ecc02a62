"""Starter templates shipped with promspec (the repository's ``templates/`` folder)."""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Starter:
    name: str
    files: tuple[Path, ...]
    summary: str
    notes: tuple[str, ...]


def template_dir() -> Path:
    packaged = resources.files("prominence_spec") / "_data" / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "templates"


def starters() -> dict[str, Starter]:
    """Every starter by name: ``job``, ``mpi``, ``range-sweep``, ..."""
    folder = template_dir()
    found: dict[str, Starter] = {}
    for spec in sorted(folder.glob("*.yaml")):
        companions = sorted(p for p in folder.glob(spec.stem + ".*") if p != spec)
        notes = _header(spec)
        summary = (
            re.split(r"[.;:] ", notes[0].removeprefix("Starter: "))[0].rstrip(".:;")
            if notes
            else spec.stem
        )
        found[spec.stem] = Starter(spec.stem, (spec, *companions), summary, tuple(notes))
    return found


def _header(path: Path) -> list[str]:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return lines


class StarterError(Exception):
    pass


def copy_starter(name: str, destination: Path, *, force: bool = False) -> list[Path]:
    """Copy a starter's files into ``destination``; never overwrite unless ``force``."""
    available = starters()
    if name not in available:
        raise StarterError(f"no starter named {name!r}; choose one of {', '.join(available)}")
    targets = [(src, destination / src.name) for src in available[name].files]
    existing = [str(dst) for _, dst in targets if dst.exists()]
    if existing and not force:
        raise StarterError(f"{', '.join(existing)} already exists (use --force to overwrite)")
    destination.mkdir(parents=True, exist_ok=True)
    for src, dst in targets:
        shutil.copyfile(src, dst)
    return [dst for _, dst in targets]


def notes_for(starter: Starter, written: Sequence[Path]) -> list[str]:
    """The starter's notes, each ``promspec ...`` command naming the files as written.

    The header of a starter names its files as seen from the starter's own folder
    (``promspec render job.yaml``); after ``init`` into another folder, the commands must
    name the copies as the user reaches them from where ``init`` ran.
    """
    names = {path.name: command_path(path) for path in written}
    return [_retarget(line, names) for line in starter.notes]


def command_path(path: Path) -> str:
    """A path as a shell command should name it (quoted when it needs to be)."""
    return shlex.quote(str(path))


def _retarget(line: str, names: Mapping[str, str]) -> str:
    if not line.startswith("promspec "):
        return line
    command, hash_mark, comment = line.partition("#")
    words = [names.get(word, word) for word in command.split(" ")]
    return " ".join(words) + hash_mark + comment
