"""Positions of the values and keys of a JSON text that ``json.loads`` has already accepted.

JSON documents are loaded by the standard library (fast, strict); this scanner only runs
when a diagnostic needs a line and column. It walks the tokens without recursion.
Lines are counted at ``\\n`` (as JSON and ``json.JSONDecodeError`` count them), columns in
code points, both from 1.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass

from prominence_spec.loading.sourcemap import Path, Position, SourceMap

_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|([{}\[\],:])|([^\s{}\[\],:"]+))', re.DOTALL)


@dataclass
class _Container:
    path: Path
    is_list: bool
    count: int = 0
    key: str | None = None


def json_source_map(text: str) -> SourceMap:
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def position(offset: int) -> Position:
        line = bisect.bisect_left(newlines, offset)
        start = newlines[line - 1] + 1 if line else 0
        return (line + 1, offset - start + 1)

    values: dict[Path, Position] = {}
    keys: dict[Path, Position] = {}
    stack: list[_Container] = []
    expect_key = False
    offset = 0
    while True:
        match = _TOKEN.match(text, offset)
        if match is None or match.end() == offset:
            break
        offset = match.end()
        string, punct, scalar = match.groups()
        start = match.start(1) if string else match.start(2) if punct else match.start(3)
        if punct in ("}", "]"):
            stack.pop()
            continue
        if punct in (",", ":"):
            if punct == "," and stack and not stack[-1].is_list:
                expect_key = True
            continue
        top = stack[-1] if stack else None
        if top is not None and not top.is_list and expect_key and string is not None:
            top.key = json.loads(string)
            key_path = (*top.path, top.key)
            keys[key_path] = position(start)
            expect_key = False
            continue
        path = _child(top)
        values[path] = position(start)
        if punct in ("{", "["):
            stack.append(_Container(path, punct == "["))
            expect_key = punct == "{"
    return SourceMap(values, keys)


def _child(top: _Container | None) -> Path:
    if top is None:
        return ()
    if top.is_list:
        top.count += 1
        return (*top.path, top.count - 1)
    return (*top.path, top.key or "")
