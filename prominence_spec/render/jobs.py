"""Jobs mode: one document per point (a job, or a workflow if the body is one); and the
checked points that workflow mode gathers into one workflow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from prominence_spec.diagnostics import Diagnostic, has_errors
from prominence_spec.render import points as point_of
from prominence_spec.render.findings import Findings
from prominence_spec.render.places import Locator
from prominence_spec.render.prepare import Prepared
from prominence_spec.render.rendered import Check, Rendered
from prominence_spec.template.body import BuildError, plain_value


class CheckedPoint(NamedTuple):
    number: int | None
    params: dict[str, Any]
    document: dict[str, Any]
    found: list[Diagnostic]


def jobs_mode(
    prepared: Prepared, findings: Findings, check: Check, only: int | None
) -> Iterator[Rendered]:
    kind = prepared.spec.kind
    locator = prepared.places.body()
    quick = point_of.quick_named(prepared)
    for index, params in point_of.points(prepared, findings, only):
        built = quick(index, params) if quick is not None and index is not None else None
        if built is None:  # the general path
            point = _checked_point(prepared, findings, check, kind, locator, index, params)
            if point is not None and not (point.found and has_errors(point.found)):
                kept = point.params if point.number is not None else None
                yield Rendered(point.document, kind, point.number, kept)
            continue
        document, plain = built  # what the general path gives this point (see quick_named)
        found = check(document, kind, plain)
        if found:
            findings.record(found, locator, index, params)
            if has_errors(found):
                continue
        yield Rendered(document, kind, index, params)


def checked_points(
    prepared: Prepared,
    findings: Findings,
    check: Check,
    only: int | None,
    kind: str,
    *,
    width: int = 0,
    unnamed_index: int | None = None,
) -> Iterator[CheckedPoint | None]:
    """Each point's document, named and checked (problems recorded in ``findings``); None
    where it could not be built."""
    locator = prepared.places.body()
    quick = point_of.quick_named(prepared)
    for index, params in point_of.points(prepared, findings, only):
        built = quick(index, params) if quick is not None and index is not None else None
        if built is None:  # the general path
            yield _checked_point(
                prepared, findings, check, kind, locator, index, params, width, unnamed_index
            )
            continue
        document, plain = built
        found = check(document, kind, plain)
        if found:
            findings.record(found, locator, index, params)
        yield CheckedPoint(index, params, document, found)


def _checked_point(
    prepared: Prepared,
    findings: Findings,
    check: Check,
    kind: str,
    locator: Locator,
    index: int | None,
    params: dict[str, Any],
    width: int = 0,
    unnamed_index: int | None = None,
) -> CheckedPoint | None:
    """One point's document built, named and checked by the general path (problems
    recorded in ``findings``); None where it could not be built."""
    named = index if index is not None else unnamed_index
    try:
        ctx = point_of.context(prepared, index, params)  # one for the body and the name
        document, plain = point_of.build(prepared, index, params, ctx)
        document = point_of.named(prepared, document, named, params, width, ctx)
    except BuildError as exc:
        rest = _rest_checked(prepared, exc, check, kind, named, params)
        found = [*exc.diagnostics(), *rest]
        findings.record(found, locator, index, params)
        return None
    plain = plain and plain_value(document.get("name"))
    found = check(document, kind, plain)
    if found:
        findings.record(found, locator, index, params)
    return CheckedPoint(index, params, document, found)


def _rest_checked(
    prepared: Prepared,
    failure: BuildError,
    check: Check,
    kind: str,
    index: int | None,
    params: dict[str, Any],
) -> list[Diagnostic]:
    """The problems of the rest of a document that could not be built in full (a missing
    ``read_file`` must not hide a schema error elsewhere): the partial document checked,
    without what is said about the failed values themselves or anything inside them."""
    if not isinstance(failure.partial, dict):
        return []
    try:
        document = point_of.named(prepared, failure.partial, index, params)
    except BuildError:
        document = failure.partial
    failed = failure.failed_pointers()
    return [d for d in check(document, kind, False) if not _inside(d.pointer, failed)]


def _inside(pointer: str | None, failed: frozenset[str]) -> bool:
    if pointer is None:
        return False
    return any(pointer == f or pointer.startswith(f + "/") for f in failed)


__all__ = ["CheckedPoint", "checked_points", "jobs_mode"]
