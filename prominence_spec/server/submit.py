"""What ``POST /jobs`` and ``POST /workflows`` do before anything is stored: the server's
validator, then what its backend would fail on, answered as production answers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prominence_spec.server.dag import workflow_jobs
from prominence_spec.server.errors import ApiError, ProductionError, error
from prominence_spec.server.factories import workflow_size
from prominence_spec.server.staging import input_name_ok
from prominence_spec.server.validator import (
    Answer,
    Check,
    Failure,
    backend_verdict,
    validator_verdict,
)

SUBMISSION_FAILED = "Workflow submission failed"
#: The most jobs one workflow may create in the sandbox (all its factories' instances).
MAX_WORKFLOW_JOBS = 100_000
HANG = (
    "a parameterSweep whose step never reaches its end: the production server never "
    "answers this request (its counting loop does not end), so the sandbox refuses it"
)

#: The 400 message production answers for each backend failure kind: (for a job, for a
#: workflow); "" where that kind cannot happen.
_MESSAGES: dict[Answer, tuple[str, str]] = {
    Answer.UP_TO_4D: ("", "Currently only parameter sweeps up to 4D are supported"),
    Answer.HANGS: (HANG, HANG),
    Answer.SUBMISSION_FAILED: ("", SUBMISSION_FAILED),
    Answer.SANDBOX_DIRS: ("", "Unable to create job sandbox directories"),
    Answer.INPUT_FILE: ("Unable to write input file to disk", "Unable to write input file to disk"),
    Answer.SUBMIT_DESCRIPTION: (
        "Job submission failed with an exception: invalid submit description",
        SUBMISSION_FAILED,
    ),
    Answer.INTEGER_RANGE: (
        "Job submission failed with an exception: integer out of range",
        SUBMISSION_FAILED,
    ),
    Answer.PRIORITY: (
        "Job submission failed with an exception: invalid priority expression",
        SUBMISSION_FAILED,
    ),
}


def _backend_answer(failure: Failure, kind: str) -> Exception | None:
    """The answer to a backend failure: an :class:`ApiError`, a
    :class:`ProductionError`, or None when production accepts it (201)."""
    if failure.answer is Answer.ACCEPTED:
        return None
    if failure.answer is Answer.NO_OBJECT:
        return error(400, failure.message)
    job_message, workflow_message = _MESSAGES.get(failure.answer, ("", ""))
    message = job_message if kind == "job" else workflow_message
    return error(400, message) if message else ProductionError(failure.reason)


def _check_size(doc: Any) -> None:
    """Refuse a workflow of more jobs than the sandbox creates in one request (counted
    as the backend expands factories, before anything is expanded or stored)."""
    size = workflow_size(doc)
    if size > MAX_WORKFLOW_JOBS:
        raise error(
            400,
            f"the workflow would create {size:,} jobs; the sandbox creates at most "
            f"{MAX_WORKFLOW_JOBS:,} per workflow",
        )


def check_submission(doc: Any, kind: str) -> None:
    """Raise what production answers for a document it does not run (400, or its HTML
    500); return if the sandbox should store and run it."""
    if doc is None:
        raise ProductionError(
            "the body is not JSON of type application/json: "
            "get_json() gives None and the validator raises"
        )
    verdict = validator_verdict(doc, kind)
    if verdict.check is Check.RAISES:
        raise ProductionError("the validator raises: " + verdict.message)
    if verdict.check is Check.REJECTED:
        raise error(400, verdict.message)
    if kind == "workflow":
        _check_size(doc)
    failure = backend_verdict(doc, kind, extended=True, missing=sandbox_lacks)
    answer = None if failure is None else _backend_answer(failure, kind)
    if answer is not None:
        raise answer
    _check_inputs([doc] if kind == "job" else workflow_jobs(doc))


def sandbox_lacks(name: str) -> bool:
    """The sandbox has no object storage: every uploaded object is missing, except that
    it reads local paths (``/...``, ``file://``) itself."""
    return not (name.startswith("/") or name.startswith("file://"))


def _check_inputs(jobs: Iterable[dict[str, Any]]) -> None:
    """Input files the sandbox cannot write where the server could not either."""
    for job in jobs:
        for entry in job.get("inputs", []) or []:
            if isinstance(entry, dict) and not input_name_ok(entry.get("filename")):
                raise error(400, "Unable to write input file to disk")


__all__ = [
    "HANG",
    "SUBMISSION_FAILED",
    "ApiError",
    "check_submission",
    "sandbox_lacks",
]
