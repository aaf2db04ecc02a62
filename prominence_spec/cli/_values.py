"""--set and --values, shared by render, validate and submit."""

from __future__ import annotations

from typing import Any

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.spec.values import merge, read_values_file, set_layer


def collect_values(
    values_files: list[str] | None, sets: list[str] | None
) -> tuple[dict[str, Any], dict[str, str], list[Diagnostic]]:
    """Values files in order, then --set items (later wins): the merged values, where
    each name was given (``--set NAME`` or ``--values FILE at LINE:COL``; names inside
    mappings dotted, ``res.cpus``), and the problems found reading them."""
    layers: list[dict[str, Any]] = []
    where: dict[str, str] = {}
    problems: list[Diagnostic] = []
    for path in values_files or []:
        layer, places, found = read_values_file(path)
        layers.append(layer)
        where.update(places)
        problems.extend(found)
    layer, found = set_layer(sets or [])
    layers.append(layer)
    problems.extend(found)
    for item in sets or []:
        key = item.partition("=")[0].strip()
        name = key.split(".")[0]
        where[name] = f"--set {name}"
        if key != name:
            where[key] = f"--set {key}"  # a value inside a mapping: res.cpus
    return merge(*layers), where, problems


def spec_values(
    spec: str, values_files: list[str] | None, sets: list[str] | None
) -> dict[str, Any]:
    """The merged values for ``spec``; their problems are shown and exit 2."""
    import typer

    params, _, problems = collect_values(values_files, sets)
    if problems:
        from prominence_spec.cli._diagnostics import show_diagnostics

        show_diagnostics(spec, problems)
        raise typer.Exit(2)
    return params
