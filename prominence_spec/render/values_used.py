"""Where each value of a templated spec comes from, and values given that nothing uses.

A value comes from the spec's ``promspec.params`` (or its template's), from a ``--values``
file or from ``--set``; the later wins, and a sweep parameter of the same name wins over
all of them. promspec says where a value that a diagnostic is about was defined, and
warns about ``--set``/``--values`` names that the spec never uses (a typo, usually) or
that its sweep overrides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from prominence_spec.diagnostics import Diagnostic, did_you_mean, pointer_of
from prominence_spec.render.places import Places
from prominence_spec.spec.settings import SETTINGS_KEY, Spec
from prominence_spec.template.body import Compiled
from prominence_spec.template.environment import Var

Path = tuple[str | int, ...]


def value_origins(
    spec: Spec, places: Places, context: Mapping[str, Any], given: Mapping[str, str]
) -> dict[str, str]:
    """For each value of the context, where it was defined: ``--set NAME``, ``--values
    FILE`` (``given``, from the command line) or ``promspec.params.NAME at L:C``."""
    origins: dict[str, str] = {}
    for name in context:
        if name in given:
            origins[name] = given[name]
        elif name in spec.params:
            at = Diagnostic("PS000", "", pointer=pointer_of((SETTINGS_KEY, "params", name)))
            located = places.in_spec(at)
            where = f" at {located.line}:{located.column}" if located.line else ""
            origins[name] = f"promspec.params.{name}{where}"
    return origins


def value_notes(
    body: Compiled, context: Mapping[str, Any], origins: Mapping[str, str]
) -> dict[str, str]:
    """For each body pointer whose whole value is one ``{{ name }}`` of the context, the note
    that says which value it is and where it was defined."""
    notes: dict[str, str] = {}
    for path, compiled in body.slots:
        parts = compiled.parts
        if len(parts) == 1 and isinstance(parts[0], Var) and parts[0].name in origins:
            name = parts[0].name
            shown = json.dumps(context[name], ensure_ascii=False, default=str)
            if len(shown) > 40:
                shown = shown[:37] + "..."
            notes[pointer_of(path)] = f"value {shown} from {origins[name]}"
    return notes


def unused_values(
    given: Mapping[str, str], used: set[str], sweep_names: Iterable[str]
) -> list[Diagnostic]:
    """Warnings for command-line values that nothing uses, or that the sweep overrides."""
    found: list[Diagnostic] = []
    sweep = set(sweep_names)
    for name, origin in given.items():
        if name in sweep:
            message = (
                f"{origin} sets {name}, which is also a sweep parameter: the sweep's value "
                "wins at every point"
            )
            hint = f"remove {origin}, or the {name} axis from the sweep"
            found.append(Diagnostic("PS612", message, severity="warning", hint=hint))
        elif name not in used:
            message = (
                f"{origin}: the spec never uses {name}"
                if origin.startswith("--set")
                else f"{origin} sets {name}, which the spec never uses"
            )
            hint = did_you_mean(name, sorted(used)) or "check the name against the spec"
            found.append(Diagnostic("PS612", message, severity="warning", hint=hint))
    return found


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def words(texts: Iterable[Any]) -> set[str]:
    """Every name-like word in the strings of ``texts`` (nested), for expressions such as
    ``where:`` that are compiled only when they run."""
    found: set[str] = set()
    stack = list(texts)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.update(_WORD.findall(value))
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


__all__ = ["unused_values", "value_notes", "value_origins", "words"]
