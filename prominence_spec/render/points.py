"""A prepared spec's points, and the document each point builds: counted, enumerated,
built and named."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.render.findings import Findings
from prominence_spec.render.prepare import Prepared
from prominence_spec.render.progress import EVERY, Progress
from prominence_spec.template.body import (
    FAST_BUILD_ERRORS,
    INT64,
    BuildError,
    all_plain,
    plain_value,
)
from prominence_spec.template.environment import OMIT, Templater

Point = tuple[int | None, dict[str, Any]]


def count(prepared: Prepared, findings: Findings) -> int:
    """How many points the spec has (1 without a sweep)."""
    if prepared.sweep is None:
        return 1
    found: list[Diagnostic] = []
    total = prepared.sweep.count(diagnostics=found)
    findings.problems.extend(prepared.places.in_spec(d) for d in found)
    return total


def points(prepared: Prepared, findings: Findings, only: int | None = None) -> Iterator[Point]:
    """Every point (index, parameters) in order, or only point ``only``; without a sweep,
    the one point (None, {})."""
    sweep = prepared.sweep
    if sweep is None:
        if only not in (None, 0):
            raise IndexError(f"point {only}: this spec has no sweep, only point 0")
        findings.seen = 1
        yield None, {}
        return
    found: list[Diagnostic] = []
    if only is not None:
        findings.seen = 1
        params = sweep.point(only, diagnostics=found)
        findings.problems.extend(prepared.places.in_spec(d) for d in found)
        yield only, params
        return
    told = findings.progress
    every = sweep.points(diagnostics=found)
    chunks = (every,) if told is None else _told(prepared, findings, told, every)
    for chunk in chunks:  # the loop over the points stays here: no generator in between
        for numbered in chunk:
            findings.seen += 1
            yield numbered
    findings.problems.extend(prepared.places.in_spec(d) for d in found)


def _told(
    prepared: Prepared, findings: Findings, progress: Progress, numbered: Iterator[Point]
) -> Iterator[Iterator[Point]]:
    """The points ``EVERY`` at a time, telling ``progress`` how many have been seen
    before the first, between two runs and at the end."""
    sweep = prepared.sweep
    assert sweep is not None
    label = prepared.spec.path
    total = None if sweep.filtered else sweep.size
    progress(label, findings.seen, total)
    while True:
        began = findings.seen
        yield islice(numbered, EVERY)
        if findings.seen - began < EVERY:
            break
        progress(label, findings.seen, total)
    progress(label, findings.seen, findings.seen)


def context(prepared: Prepared, index: int | None, params: dict[str, Any]) -> dict[str, Any]:
    """What the point's templates see: the spec's parameters, the point's, its index."""
    ctx = {**prepared.context, **params}
    if index is not None:
        ctx["index"] = index
    return ctx


def build(
    prepared: Prepared,
    index: int | None,
    params: dict[str, Any],
    ctx: dict[str, Any] | None = None,
) -> tuple[Any, bool]:
    """The point's document, and whether it is plain data. Raises BuildError. ``ctx``:
    the point's :func:`context`, if the caller has it already (templates never change it)."""
    if ctx is None:
        ctx = context(prepared, index, params)
    plain = prepared.context_plain and (prepared.params_plain or all_plain(params.values()))
    plain = plain and (index is None or index < 2**63)
    return prepared.body.build(ctx, known_plain=plain)


def named(
    prepared: Prepared,
    document: dict[str, Any],
    index: int | None,
    params: dict[str, Any],
    width: int = 0,
    ctx: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A copy of a point's document with its name (name template, or ``<name>-<index>``);
    ``ctx`` as for :func:`build`."""
    if index is None:
        return document
    document = dict(document)
    if prepared.name_template is not None:
        if ctx is None or ctx.get("index") != index:
            ctx = context(prepared, index, params)
        try:
            name, _ = prepared.name_template.build(ctx, known_plain=True)
        except BuildError as exc:  # reported at promspec.name
            raise BuildError(("name",), exc.code, exc.message, exc.hint) from None
        if name is OMIT:
            raise BuildError(
                ("name",),
                "PS601",
                "the name template renders to omit, but every job needs a name",
            )
    else:
        base = document.get("name") or stem(prepared.spec.path)
        name = f"{base}-{index:0{width}d}"
    _set_first(document, "name", name)
    return document


#: A swept point's named document and whether it is plain, or None when the general path
#: (context, build, named) must build it: see :func:`quick_named`.
QuickNamed = Callable[[int, dict[str, Any]], "tuple[dict[str, Any], bool] | None"]


def quick_named(prepared: Prepared) -> QuickNamed | None:
    """What :func:`context`, :func:`build` and :func:`named` give a swept point, in one
    call, when the body and the name template both have a fast path (see
    template.body.Compiled): the same context, the same two expressions, the name set in
    the body's own fresh top-level mapping rather than in a copy. A point either
    expression fails on, or whose name renders to omit, gives None: the general path
    builds it again and reports it, so every error reads as before. None when the spec
    has no such fast path (no name template, or a body that is not a templated mapping)."""
    body, template = prepared.body, prepared.name_template
    if template is None or template.fast is None or body.fast is None or body.root is None:
        return None
    body_fast, name_fast, base = body.fast, template.fast, prepared.context
    static_plain, context_plain = body.static_plain, prepared.context_plain
    params_plain = prepared.params_plain
    fast_errors = FAST_BUILD_ERRORS

    def quick(index: int, params: dict[str, Any]) -> tuple[dict[str, Any], bool] | None:
        ctx = {**base, **params}
        ctx["index"] = index
        try:
            document = body_fast(ctx)
            name = name_fast(ctx)
        except fast_errors:
            return None
        if name is OMIT or type(document) is not dict:
            return None
        if "name" in document:
            document["name"] = name
        else:
            document = {"name": name, **document}
        plain = static_plain and context_plain and index < INT64
        plain = plain and (params_plain or all_plain(params.values())) and plain_value(name)
        return document, plain

    return quick


def default_name(prepared: Prepared) -> str:
    """The body's own literal name, else the spec file's stem."""
    name = prepared.spec.body.get("name")
    if isinstance(name, str) and name and not Templater.is_template(name):
        return name
    return stem(prepared.spec.path)


def stem(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def _set_first(document: dict[str, Any], key: str, value: Any) -> None:
    if key in document:
        document[key] = value
        return
    items = list(document.items())
    document.clear()
    document[key] = value
    document.update(items)


__all__ = [
    "Point",
    "QuickNamed",
    "build",
    "context",
    "count",
    "default_name",
    "named",
    "points",
    "quick_named",
    "stem",
]
