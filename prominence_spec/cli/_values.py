"""--set and --values, shared by render, validate and submit."""

from __future__ import annotations

from typing import Any

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.spec.values import load_values_file, merge, set_layer, values_file_places


def collect_values(
    values_files: list[str] | None, sets: list[str] | None
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Values files in order, then --set items; later wins."""
    layers: list[dict[str, Any]] = []
    problems: list[Diagnostic] = []
    for path in values_files or []:
        layer, found = load_values_file(path)
        layers.append(layer)
        problems.extend(found)
    layer, found = set_layer(sets or [])
    layers.append(layer)
    problems.extend(found)
    return merge(*layers), problems


def given_where(values_files: list[str] | None, sets: list[str] | None) -> dict[str, str]:
    """For each name the command line sets, where (the last one wins): ``--set NAME`` or
    ``--values FILE at LINE:COL``; names inside mappings are dotted (``res.cpus``)."""
    where: dict[str, str] = {}
    for path in values_files or []:
        where.update(values_file_places(path))
    for item in sets or []:
        key = item.partition("=")[0].strip()
        name = key.split(".")[0]
        where[name] = f"--set {name}"
        if key != name:
            where[key] = f"--set {key}"  # a value inside a mapping: res.cpus
    return where
