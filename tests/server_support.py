"""Builders of documents the production server runs, for tests of the validator model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DROP = object()  # as an override value: remove the key


def merged(base: dict[str, Any], over: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of ``base`` with ``over``'s keys set (DROP as a value removes the key)."""
    out = dict(base)
    for key, value in (over or {}).items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def make_task(**over: Any) -> dict[str, Any]:
    return merged({"image": "busybox", "runtime": "singularity"}, over)


def make_job(
    res: dict[str, Any] | None = None, task: dict[str, Any] | None = None, **over: Any
) -> dict[str, Any]:
    """A job the server runs; ``res``/``task`` override resources / the single task."""
    base = {
        "resources": merged({"cpus": 1, "memory": 1, "disk": 10}, res),
        "tasks": [make_task(**(task or {}))],
    }
    return merged(base, over)


_DEFAULT = object()


def make_workflow(jobs: Any = _DEFAULT, **over: Any) -> dict[str, Any]:
    """A workflow the server runs: jobs ``a`` and ``b`` unless given (DROP removes jobs)."""
    if jobs is _DEFAULT:
        jobs = [make_job(name="a"), make_job(name="b")]
    return merged({"name": "wf"}, {"jobs": jobs, **over})


# -- factories, and the one-liners the tables are written with -----------------------------
def pol(**policies: Any) -> dict[str, Any]:
    """A job with these ``policies``."""
    return make_job(policies=policies)


def fac(*factories: dict[str, Any], jobs: Any = None) -> dict[str, Any]:
    """A workflow with these factories (over jobs ``a`` and ``b`` unless ``jobs`` is given)."""
    if jobs is None:
        return make_workflow(factories=list(factories))
    return make_workflow(jobs=jobs, factories=list(factories))


def sweep(*params: dict[str, Any], jobs: Sequence[str] = ("a",)) -> dict[str, Any]:
    """A parameterSweep factory ``f`` over ``jobs``."""
    return {"type": "parameterSweep", "name": "f", "jobs": list(jobs), "parameters": list(params)}


def zipf(*params: dict[str, Any], jobs: Sequence[str] = ("a",)) -> dict[str, Any]:
    """A zip factory ``f`` over ``jobs``."""
    return {"type": "zip", "name": "f", "jobs": list(jobs), "parameters": list(params)}


def rep(n: Any = 2, jobs: Sequence[str] = ("a",)) -> dict[str, Any]:
    """A repeat factory ``r`` of ``n`` instances over ``jobs``."""
    return {"type": "repeat", "name": "r", "jobs": list(jobs), "number": n}


def par(name: str = "x", **fields: Any) -> dict[str, Any]:
    """A parameterSweep parameter, 1 to 3 step 1 unless overridden (DROP removes a field)."""
    return merged({"name": name, "start": 1, "end": 3, "step": 1}, fields)


def zpar(name: str = "x", values: Any = (1, 2)) -> dict[str, Any]:
    """A zip parameter."""
    return {"name": name, "values": list(values)}
