"""Checking rendered bodies, point after point: what the render stage's ``check`` is.

A job of a sweep is checked against the schema and the rules whose inputs vary between
points; the rules whose inputs are the same in every point run once, on the first.
Identical schema failures are translated once (``SchemaCache``). Every body is measured
against the server's 1 MiB limit where it could be near it.
"""

from __future__ import annotations

import json
from typing import Any

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.template.body import Path
from prominence_spec.validation.document import SchemaCache, validate
from prominence_spec.validation.rules import JOB_RULES, Rule, run_rules, varying_job_rules
from prominence_spec.validation.schemas import fast_validator

MAX_BODY_BYTES = 1024 * 1024


class PointChecker:
    """Checks the bodies rendered from one spec (pass it as the render stage's ``check``)."""

    def __init__(self, slot_paths: list[Path], swept: bool) -> None:
        self.swept = swept
        self.varying_rules = varying_job_rules(slot_paths)
        self.static_results: list[Diagnostic] | None = None
        self.schema_cache: SchemaCache = {}
        self.job_validator: Any = None  # jsonschema-rs, from the first job point on
        #: the same, when no job rule varies between points (the short cut's condition)
        self.quick_validator: Any = None

    def __call__(self, document: Any, kind: str, plain: bool) -> list[Diagnostic]:
        fast = self.quick_validator  # set by the sweep's first job point
        if (  # the common case, shortly: a plain, small job that the schema accepts
            fast is not None
            and plain
            and kind == "job"
            and type(document) is dict
            and "inputs" not in document  # else it may be big (see document_may_be_big)
            and "jobs" not in document
            and fast.is_valid(document)
        ):
            static = self.static_results  # what the general path below finds
            return list(static) if static else []
        if kind == "job" and self.swept:
            found = self._job_point(document, plain)
        else:
            found = validate(document, kind, plain=plain)
        size = _body_size(document) if document_may_be_big(document) else 0
        if size > MAX_BODY_BYTES:
            found.append(
                Diagnostic(
                    "PS413",
                    f"the request body is {size:,} bytes: the server "
                    "rejects bodies over 1 MiB (HTTP 413)",
                    hint="use expand: factory, or split the sweep",
                )
            )
        return found

    def _job_point(self, document: Any, plain: bool) -> list[Diagnostic]:
        if self.static_results is None:
            static: list[Rule] = [r for r in JOB_RULES if r not in self.varying_rules]
            self.static_results = run_rules(document, "job", static)
            self.job_validator = fast_validator("job")
            if not self.varying_rules:
                self.quick_validator = self.job_validator
        if plain and self._schema_accepts(document):  # what validate() decides first
            found = run_rules(document, "job", self.varying_rules) if self.varying_rules else []
        else:
            found = validate(
                document, "job", plain=plain, rules=self.varying_rules, cache=self.schema_cache
            )
        found.extend(self.static_results)
        return found

    def _schema_accepts(self, document: Any) -> bool:
        """The compiled validator's verdict on a plain job."""
        fast = self.job_validator
        return fast is not None and type(document) is dict and bool(fast.is_valid(document))


def _body_size(document: Any) -> int:
    """Bytes of the request body (NaN and infinities, reported elsewhere, are measured too)."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode())


def document_may_be_big(document: Any) -> bool:
    """Cheap pre-test before serialising a document to measure it."""
    if not isinstance(document, dict):
        return False
    jobs = document.get("jobs")
    return (isinstance(jobs, list) and len(jobs) > 100) or "inputs" in document


__all__ = ["MAX_BODY_BYTES", "PointChecker", "document_may_be_big"]
