"""Whether any body of a spec can hold a float, decided once per spec before rendering.

The JSON writer's fast encoder (:func:`prominence_spec.report.documents.compact_encoder`)
checks every document's bytes for what orjson writes differently from the standard
encoder, all of which comes from floats (NaN and infinity, small numbers, short
exponents). Those checks cost about as much as the encoding itself; when no body can
hold a float, they can be left out. A jobs-mode body holds a float only if a constant of
the body does, or a bare ``{{ name }}`` leaf (body or name template) places a value that
does: the spec's parameters, the sweep's values (the index is an integer). Every other
leaf of the fast path renders text. Anything not known this way counts as a float.
"""

from __future__ import annotations

from typing import Any

from prominence_spec.render.prepare import Prepared
from prominence_spec.sweep.space import ListAxis, RangeAxis, RepeatAxis, Space, TableSpace
from prominence_spec.sweep.sweep import Sweep


def holds_float(value: Any) -> bool:
    """Whether ``value`` is a float or contains one (keys included)."""
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(holds_float(k) or holds_float(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(holds_float(v) for v in value)
    return False


def may_write_floats(prepared: Prepared) -> bool:
    """Whether a body rendered from ``prepared`` may hold a float (True when unsure)."""
    if prepared.mode != "jobs":
        return True
    placed = prepared.body.placed_variables()
    template = prepared.name_template
    named = frozenset() if template is None else template.placed_variables()
    if placed is None or named is None:
        return True
    if holds_float(prepared.spec.body) or holds_float(prepared.spec.name):
        return True
    swept = prepared.sweep.parameters if prepared.sweep is not None else ()
    for name in placed | named:
        if name in swept or name == "index":
            continue
        if name not in prepared.context or holds_float(prepared.context[name]):
            return True
    return sweep_floats(prepared.sweep, placed | named)


def sweep_floats(sweep: Sweep | None, names: frozenset[str]) -> bool:
    """Whether a value the sweep gives one of ``names`` may be a float (True when unsure)."""
    if sweep is None:
        return False
    for entry in sweep.include:
        if any(holds_float(v) for k, v in entry.values.items() if k in names):
            return True
    leaves = (leaf for leaf in sweep.space.leaves() if names.intersection(leaf.names))
    return any(_leaf_floats(leaf) for leaf in leaves)


def _leaf_floats(leaf: Space) -> bool:
    if isinstance(leaf, RepeatAxis):
        return False
    if isinstance(leaf, RangeAxis):
        return not leaf.integral
    if isinstance(leaf, ListAxis):
        return holds_float(leaf.values)
    if isinstance(leaf, TableSpace):
        return holds_float(leaf.rows)
    return leaf.size > 0  # an axis of a kind not known here


__all__ = ["holds_float", "may_write_floats", "sweep_floats"]
