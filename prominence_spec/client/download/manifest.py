"""``DIR/manifest.jsonl``: one line per point (its folder, job id, status, and every file
with its size and sha256). A line is appended as each point is finished, so that a download
killed midway keeps what it learnt; the file is rewritten in order, one line per folder,
at the end. The previous manifest tells a new run what is already there."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from prominence_spec.client.download.transfer import temporary

NAME = "manifest.jsonl"


class Manifest:
    def __init__(self, root: Path) -> None:
        self.path = root / NAME
        self.previous = _read(self.path)
        self.entries: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._out: TextIO | None = None  # opened at the first line, kept until finish

    def cached_file(self, folder: str, name: str, path: Path) -> str | None:
        """The sha256 the last run recorded for this file, if it is unchanged since."""
        entry = self.previous.get(folder) or {}
        for item in entry.get("files") or []:
            if isinstance(item, dict) and item.get("name") == name:
                return _if_unchanged(item, path)
        return None

    def cached_dir(self, folder: str, name: str) -> dict[str, Any] | None:
        entry = self.previous.get(folder) or {}
        for item in entry.get("dirs") or []:
            if isinstance(item, dict) and item.get("name") == name:
                return item
        return None

    def add(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, sort_keys=False) + "\n"
        with self._lock:
            self.entries[entry["folder"]] = entry
            if self._out is None:
                self._out = self.path.open("a", encoding="utf-8")
            self._out.write(line)
            self._out.flush()  # in the file for a run killed after this point

    def finish(self, order: Iterable[str]) -> None:
        """Rewrite the file: this run's points in ``order``, then the earlier ones kept."""
        with self._lock:
            if self._out is not None:
                self._out.close()
                self._out = None
        merged = {**self.previous}
        lines = [self.entries[f] for f in order if f in self.entries]
        for entry in lines:
            merged.pop(entry["folder"], None)
        lines += list(merged.values())
        part = temporary(self.path)
        with part.open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(e) + "\n" for e in lines)
        os.replace(part, self.path)


def file_item(name: str, path: Path, sha256: str) -> dict[str, Any]:
    return stat_item(name, path.stat(), sha256)


def stat_item(name: str, stat: os.stat_result, sha256: str) -> dict[str, Any]:
    """A file's manifest item from a stat already taken (no second ``stat``)."""
    return {"name": name, "size": stat.st_size, "sha256": sha256, "mtime_ns": stat.st_mtime_ns}


def _if_unchanged(item: Mapping[str, Any], path: Path) -> str | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    same = stat.st_size == item.get("size") and stat.st_mtime_ns == item.get("mtime_ns")
    sha = item.get("sha256")
    return sha if same and isinstance(sha, str) else None


def _read(path: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return found
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut short by a kill
        if isinstance(entry, dict) and isinstance(entry.get("folder"), str):
            found[entry["folder"]] = entry
    return found
