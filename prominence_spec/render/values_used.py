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
from collections.abc import Callable, Iterable, Mapping
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
    body: Compiled,
    context: Mapping[str, Any],
    origins: Mapping[str, str],
    *,
    prefix: Path = (),
    nested: Callable[[str, Path], str | None] | None = None,
) -> dict[str, str]:
    """For each pointer whose whole value is one ``{{ name }}`` of the context (``prefix``
    before the body's paths), the note that says which value it is and where it was
    defined; and, for a mapping or list value, the same for each value inside it, where
    ``nested(name, path)`` says where that one was defined (else the name's origin)."""
    notes: dict[str, str] = {}
    for path, compiled in body.slots:
        parts = compiled.parts
        if len(parts) == 1 and isinstance(parts[0], Var) and parts[0].name in origins:
            name = parts[0].name
            for inner, value in _values_in(context[name]):
                where = (nested(name, inner) if inner and nested else None) or origins[name]
                notes[pointer_of((*prefix, *path, *inner))] = f"value {_shown(value)} from {where}"
    return notes


#: At most this many values inside one mapping or list value get a note.
_MAX_NESTED_NOTES = 200


def _values_in(value: Any) -> list[tuple[Path, Any]]:
    """``value`` itself at ``()``, then the values inside it (breadth first, bounded)."""
    found: list[tuple[Path, Any]] = []
    queue: list[tuple[Path, Any]] = [((), value)]
    while queue and len(found) < _MAX_NESTED_NOTES:
        path, item = queue.pop(0)
        found.append((path, item))
        if isinstance(item, dict):
            queue.extend(((*path, str(k)), v) for k, v in item.items())
        elif isinstance(item, list):
            queue.extend(((*path, i), v) for i, v in enumerate(item))
    return found


def _shown(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= 40 else shown[:37] + "..."


_ABSENT: Any = object()


def _inside(data: Any, path: Path) -> Any:
    """The value at ``path`` in ``data``, or ``_ABSENT``."""
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]  # noqa: SIM114 - the two lookups have different types
        else:
            return _ABSENT
    return data


def param_origin(spec: Spec, places: Places, name: str, inner: Path) -> str | None:
    """Where a value inside the parameter ``name`` was defined, when ``name`` comes from
    ``promspec.params``: ``promspec.params.res.cpus at L:C``."""
    if _inside(spec.params, (name, *inner)) is _ABSENT:
        return None
    pointer = pointer_of((SETTINGS_KEY, "params", name, *inner))
    located = places.in_spec(Diagnostic("PS000", "", pointer=pointer))
    if not located.line:
        return None
    label = name + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in inner)
    return f"promspec.params.{label} at {located.line}:{located.column}"


def inside_origin(
    spec: Spec,
    places: Places,
    given: Mapping[str, str],
    context: Mapping[str, Any],
    name: str,
    inner: Path,
) -> str | None:
    """Where a value inside the parameter ``name`` was defined (``None``: where ``name``
    was). A dotted name the command line gave (``--set res.cpus``, or a values file's
    ``res: {cpus: ...}`` at its line:col) wins; else, when the value is still the one in
    ``promspec.params``, its place there (``promspec.params.res.cpus at L:C``)."""
    keys = [name, *(str(p) for p in inner)]
    for depth in range(len(keys), 1, -1):
        found = given.get(".".join(keys[:depth]))
        if found is not None:
            return found
    value = _inside(context.get(name, _ABSENT), inner)
    in_spec = _inside(spec.params.get(name, _ABSENT), inner)
    if name in given and (type(value) is not type(in_spec) or value != in_spec):
        return None  # the command line replaced it (2.0 for 2 too)
    return param_origin(spec, places, name, inner)


def unused_values(
    given: Mapping[str, str], used: set[str], sweep_names: Iterable[str]
) -> list[Diagnostic]:
    """Warnings for command-line values that nothing uses, or that the sweep overrides."""
    found: list[Diagnostic] = []
    sweep = set(sweep_names)
    for name, origin in given.items():
        if "." in name:
            continue  # a value inside a mapping: its top-level name is judged
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


__all__ = [
    "inside_origin",
    "param_origin",
    "unused_values",
    "value_notes",
    "value_origins",
    "words",
]
