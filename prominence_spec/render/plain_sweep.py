"""Whether every value of a sweep is plain data, decided once: then no point's parameters
need checking one by one (see :func:`prominence_spec.render.points.build`)."""

from __future__ import annotations

from prominence_spec.sweep.space import ListAxis, RangeAxis, RepeatAxis, Space, TableSpace
from prominence_spec.sweep.sweep import Sweep
from prominence_spec.template.body import all_plain

_INT64 = 2**63


def sweep_values_plain(sweep: Sweep | None) -> bool:
    """Whether every value of every point of the sweep is plain data (see
    :func:`prominence_spec.template.body.plain_value`), so that no point's parameters need
    checking; False when unsure."""
    if sweep is None:
        return True
    if not all(all_plain(entry.values.values()) for entry in sweep.include):
        return False
    return all(_leaf_plain(leaf) for leaf in sweep.space.leaves())


def _leaf_plain(leaf: Space) -> bool:
    if isinstance(leaf, RepeatAxis):
        return leaf.number <= _INT64
    if isinstance(leaf, RangeAxis):
        ends = (leaf.start, leaf.last)
        return leaf.integral and all(v is None or -_INT64 <= v < _INT64 for v in ends)
    if isinstance(leaf, ListAxis):
        return all_plain(leaf.values)
    if isinstance(leaf, TableSpace):
        return all(all_plain(row) for row in leaf.rows)
    return leaf.size == 0  # an axis of a kind not known here


__all__ = ["sweep_values_plain"]
