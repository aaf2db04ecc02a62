"""Builders of documents the production server runs, for tests of the validator model."""

from __future__ import annotations

from typing import Any

DROP = object()  # as an override value: remove the key


def _merged(base: dict[str, Any], over: dict[str, Any] | None) -> dict[str, Any]:
    out = dict(base)
    for key, value in (over or {}).items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def make_task(**over: Any) -> dict[str, Any]:
    return _merged({"image": "busybox", "runtime": "singularity"}, over)


def make_job(
    res: dict[str, Any] | None = None, task: dict[str, Any] | None = None, **over: Any
) -> dict[str, Any]:
    """A job the server runs; ``res``/``task`` override resources / the single task."""
    base = {
        "resources": _merged({"cpus": 1, "memory": 1, "disk": 10}, res),
        "tasks": [make_task(**(task or {}))],
    }
    return _merged(base, over)


_DEFAULT = object()


def make_workflow(jobs: Any = _DEFAULT, **over: Any) -> dict[str, Any]:
    """A workflow the server runs: jobs ``a`` and ``b`` unless given (DROP removes jobs)."""
    if jobs is _DEFAULT:
        jobs = [make_job(name="a"), make_job(name="b")]
    return _merged({"name": "wf"}, {"jobs": jobs, **over})
