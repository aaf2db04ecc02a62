"""What a submit will send, decided without the network: run identity and labelled bodies.

Kept apart from :mod:`submit` so that ``--dry-run`` never imports ``requests``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from prominence_spec.client.identity import (
    base_run_id,
    body_digest,
    new_nonce,
    run_id_with_nonce,
    spec_inputs,
    with_labels,
)
from prominence_spec.client.journal import Journal, RunRecord
from prominence_spec.client.source import RenderedPoint, SpecSource, body_encoder

MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class PointSummary:
    key: int
    name: str | None
    kind: str
    digest: str


@dataclass
class Identity:
    base: str
    run: str
    nonce: str | None
    record: RunRecord | None


def run_identity(
    source: SpecSource, url: str, journal: Journal | None, *, new_run: bool
) -> Identity:
    """The run id for this spec and values: the journal's latest for it, or a new one."""
    files = spec_inputs(source.path, source.input_files())
    base = base_run_id(source.spec_bytes(), files, source.values, source.mode)
    record = None if new_run or journal is None else journal.latest_run(url, base)
    nonce = new_nonce() if new_run else (record.nonce if record else None)
    return Identity(base, run_id_with_nonce(base, nonce), nonce, record)


def request_bodies(source: SpecSource, run: str) -> Iterator[tuple[str, str]]:
    """(kind, body text) of each valid point, identity labels included: the dry run's path
    (the text :func:`_labelled_bodies` gives, in one loop: it runs once per point)."""
    return source.bodies(with_labels, run)


def labelled_points(source: SpecSource, run: str) -> Iterator[tuple[PointSummary, bytes]]:
    """Each valid point's summary and exact request body, identity labels included."""
    for point, text in _labelled_bodies(source, run):
        body = text.encode("utf-8")
        name = point.document.get("name")
        summary = PointSummary(
            point.key, name if isinstance(name, str) else None, point.kind, body_digest(body)
        )
        yield summary, body


def _labelled_bodies(source: SpecSource, run: str) -> Iterator[tuple[RenderedPoint, str]]:
    """Each valid point and its request body's text, identity labels included."""
    points = source.points()
    first = next(points, None)
    if first is None:
        return
    encode = body_encoder(floats=source.floats)  # known once the points have begun
    for point in itertools.chain((first,), points):
        yield point, encode(with_labels(point.document, run, point.key))
