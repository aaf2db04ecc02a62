"""Run and point identity: the labels that let promspec find its jobs on the server.

Every job (or workflow) promspec submits carries two labels::

    promspecrun=<run id>           the run: 16 hex digits
    promspecid=<run id>-<key>      the point: its sweep index (or order in the file)

Label keys must be alphanumeric and values match ``^[\\w\\-\\_\\.\\/]+$`` (at most 512
characters): both hold. The run id is a hash of what decides the rendered bodies, computed
before anything is rendered: the spec file's bytes, the bytes of templates and row files
it reads, the effective ``--set``/``--values`` values and the mode. A ``--new-run`` adds a
random nonce (recorded in the journal). promspec's version is deliberately left out, so
that upgrading promspec between a submit and its re-run never duplicates a sweep; the
journal's per-point body digests catch any difference in output instead.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

RUN_LABEL = "promspecrun"
ID_LABEL = "promspecid"
RUN_ID_LENGTH = 16


def base_run_id(
    spec_bytes: bytes,
    files: Iterable[tuple[str, bytes]],
    values: Mapping[str, Any],
    mode: str | None,
) -> str:
    digest = hashlib.sha256(b"promspec-run-v1\0")
    _feed(digest, spec_bytes)
    for name, content in sorted(files):
        _feed(digest, name.encode("utf-8"))
        _feed(digest, content)
    _feed(digest, _canonical(dict(values)))
    _feed(digest, (mode or "").encode("ascii"))
    return digest.hexdigest()[:RUN_ID_LENGTH]


def run_id_with_nonce(base: str, nonce: str | None) -> str:
    if not nonce:
        return base
    return hashlib.sha256(f"{base}:{nonce}".encode("ascii")).hexdigest()[:RUN_ID_LENGTH]


def new_nonce() -> str:
    return secrets.token_hex(8)


def point_id(run_id: str, key: int) -> str:
    return f"{run_id}-{key}"


def point_key(record: Mapping[str, Any], run: str) -> int | None:
    """The point key a record's ``promspecid`` label gives in ``run`` (None: not the run's)."""
    labels = record.get("labels")
    value = labels.get(ID_LABEL) if isinstance(labels, dict) else None
    prefix = f"{run}-"
    if isinstance(value, str) and value.startswith(prefix) and value[len(prefix) :].isdigit():
        return int(value[len(prefix) :])
    return None


def with_labels(document: Mapping[str, Any], run_id: str, key: int) -> dict[str, Any]:
    """A shallow copy with the identity labels added (the spec's own labels kept first)."""
    labelled = dict(document)
    labels = labelled.get("labels")
    if type(labels) is dict:  # the usual case, in the fewest steps: this runs once per point
        labels = labels.copy()
        labels[RUN_LABEL] = run_id
        labels[ID_LABEL] = f"{run_id}-{key}"  # point_id(run_id, key), inline
    else:
        labels = {**(labels or {}), RUN_LABEL: run_id, ID_LABEL: f"{run_id}-{key}"}
    labelled["labels"] = labels
    return labelled


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def spec_inputs(spec: Path, files: Iterable[Path]) -> list[tuple[str, bytes]]:
    """(name relative to the spec's folder, bytes) for each file; moving the folder keeps ids."""
    base = spec.resolve().parent
    found = []
    for path in files:
        try:
            name = path.resolve().relative_to(base).as_posix()
        except ValueError:
            name = path.resolve().as_posix()
        try:
            found.append((name, path.read_bytes()))
        except OSError:
            found.append((name, b""))
    return found


def _feed(digest: Any, data: bytes) -> None:
    digest.update(len(data).to_bytes(8, "big"))
    digest.update(data)


def _canonical(values: dict[str, Any]) -> bytes:
    text = json.dumps(
        values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr
    )
    return text.encode("utf-8")
