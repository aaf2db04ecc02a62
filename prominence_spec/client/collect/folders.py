"""Where ``download`` put each point: ``DIR/<index>-<job name>/`` by default, or any
layout, found by the ``params.json`` that every point folder has (its ``index``)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PARAMS_FILE = "params.json"
STDOUT_FILE = "stdout.txt"
_UNSAFE = re.compile(r"[^\w.\-]+")


def default_folder(root: Path, index: int, name: str | None) -> Path:
    """``<index>-<job name>`` (characters other than letters, digits, ``._-`` as ``_``)."""
    return root / (f"{index}-{_UNSAFE.sub('_', name)}" if name else str(index))


def point_folders(root: Path, points: Iterable[tuple[int, str | None]]) -> dict[int, Path]:
    """The folder of each point ``(index, job name)`` that ``root`` has: the default name
    when it holds ``params.json``, else the folder whose ``params.json`` has its index."""
    found: dict[int, Path] = {}
    missing: list[int] = []
    for index, name in points:
        folder = default_folder(root, index, name)
        if (folder / PARAMS_FILE).is_file():
            found[index] = folder
        else:
            missing.append(index)
    if missing and root.is_dir():
        scanned = _scan(root)
        found.update({i: scanned[i] for i in missing if i in scanned})
    return found


def _scan(root: Path) -> dict[int, Path]:
    found: dict[int, Path] = {}
    for folder, _, files in os.walk(root):
        if PARAMS_FILE in files:
            index = read_params(Path(folder)).get("index")
            if type(index) is int:
                found.setdefault(index, Path(folder))
    return found


def read_params(folder: Path) -> dict[str, Any]:
    """The folder's ``params.json`` (index, params, id, status, exit_code); {} if unusable."""
    try:
        data = json.loads((folder / PARAMS_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


__all__ = ["PARAMS_FILE", "STDOUT_FILE", "default_folder", "point_folders", "read_params"]
