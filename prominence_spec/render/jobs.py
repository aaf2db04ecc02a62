"""Jobs mode: one document per point (a job, or a workflow if the body is one); and the
checked points that workflow mode gathers into one workflow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from prominence_spec.diagnostics import Diagnostic, has_errors
from prominence_spec.render import points as point_of
from prominence_spec.render.findings import Findings
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
    for point in checked_points(prepared, findings, check, only, kind):
        if point is not None and not has_errors(point.found):
            params = point.params if point.number is not None else None
            yield Rendered(point.document, kind, point.number, params)


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
    build, name = point_of.build, point_of.named  # looked up once: this loop is hot
    for index, params in point_of.points(prepared, findings, only):
        named = index if index is not None else unnamed_index
        try:
            document, plain = build(prepared, index, params)
            document = name(prepared, document, named, params, width)
        except BuildError as exc:
            findings.record(exc.diagnostics(), locator, index, params)
            yield None
            continue
        plain = plain and plain_value(document.get("name"))
        found = check(document, kind, plain)
        if found:
            findings.record(found, locator, index, params)
        yield CheckedPoint(index, params, document, found)


__all__ = ["CheckedPoint", "checked_points", "jobs_mode"]
