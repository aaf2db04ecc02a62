"""Parameter values from the command line: ``--values FILE.yaml`` and ``--set key=value``.

Values are YAML-typed with the same YAML 1.2 rules as spec files (``--set cpus=4`` gives
the integer 4, ``--set tag=yes`` the string "yes", ``--set 'sizes=[1, 2]'`` a list).
Dotted keys set nested values: ``--set env.DEBUG=1``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.loading.loader import Document, load, load_text

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


def parse_set(item: str) -> tuple[str, Any] | Diagnostic:
    """``key=value`` -> (key, typed value)."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not _KEY.match(key):
        return Diagnostic(
            "PS607",
            f"--set {item!r}: expected key=value with a name such as frames=10 or env.DEBUG=1",
            path="--set",
        )
    if raw.strip() == "":
        return key, ""
    if raw.strip() in ("~", "null", "Null", "NULL"):
        return key, None
    loaded = load_text(raw, path=f"--set {key}")
    errors = [d for d in loaded.diagnostics if d.is_error]
    if errors or not loaded.documents:
        return key, raw  # not YAML on its own (e.g. "a: b: c"): keep the text
    return key, loaded.documents[0].data


def load_values_file(path: str) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The mapping a values file holds, or the problems that stop it being read."""
    layer, _, problems = read_values_file(path)
    return layer, problems


def read_values_file(path: str) -> tuple[dict[str, Any], dict[str, str], list[Diagnostic]]:
    """A values file, read once: its mapping, where each name in it is defined
    (``--values FILE at LINE:COL``; names inside mappings dotted, ``res.cpus``, as
    ``--set`` writes them), and the problems that stop it being read."""
    loaded = load(path)
    errors = [d for d in loaded.diagnostics if d.is_error]
    if errors:
        return {}, {}, errors
    if len(loaded.documents) != 1 or not isinstance(loaded.documents[0].data, dict):
        problem = Diagnostic(
            "PS607",
            "a values file must hold one mapping of names to values",
            path=path,
            line=1,
            column=1,
        )
        return {}, {}, [problem]
    document = loaded.documents[0]
    return dict(document.data), _places(document, path), []


def _places(document: Document, path: str) -> dict[str, str]:
    places: dict[str, str] = {}
    pending: list[tuple[tuple[str, ...], Any]] = [((str(k),), v) for k, v in document.data.items()]
    while pending and len(places) < _MAX_PLACES:
        keys, value = pending.pop(0)
        position = document.source.locate(keys)
        at = f" at {position[0]}:{position[1]}" if position and position[0] else ""
        places[".".join(keys)] = f"--values {path}{at}"
        if isinstance(value, dict):
            pending.extend(((*keys, str(k)), v) for k, v in value.items())
    return places


#: At most this many names of one values file are placed (the rest: by file only).
_MAX_PLACES = 1000


def merge(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Later layers win; nested mappings merge key by key."""
    result: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            current = result.get(key)
            if isinstance(current, dict) and isinstance(value, Mapping):
                result[key] = merge(current, value)
            else:
                result[key] = copy.deepcopy(value)
    return result


def set_layer(items: Iterable[str]) -> tuple[dict[str, Any], list[Diagnostic]]:
    """All ``--set`` items as one layer, later items winning."""
    layer: dict[str, Any] = {}
    problems: list[Diagnostic] = []
    for item in items:
        parsed = parse_set(item)
        if isinstance(parsed, Diagnostic):
            problems.append(parsed)
            continue
        key, value = parsed
        layer = merge(layer, _nested(key.split("."), value))
    return layer, problems


def _nested(parts: list[str], value: Any) -> dict[str, Any]:
    result: dict[str, Any] = {parts[-1]: value}
    for part in reversed(parts[:-1]):
        result = {part: result}
    return result
