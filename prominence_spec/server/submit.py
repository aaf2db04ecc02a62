"""What ``POST /jobs`` and ``POST /workflows`` do before anything is stored: the server's
validator, then what its backend would fail on, answered as production answers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prominence_spec.server.dag import workflow_jobs
from prominence_spec.server.errors import ApiError, ProductionError, error
from prominence_spec.server.factories import workflow_size
from prominence_spec.server.staging import input_name_ok
from prominence_spec.server.validator import backend_failure, server_validate

SUBMISSION_FAILED = "Workflow submission failed"
#: The most jobs one workflow may create in the sandbox (all its factories' instances).
MAX_WORKFLOW_JOBS = 100_000
HANG = (
    "a parameterSweep whose step never reaches its end: the production server never "
    "answers this request (its counting loop does not end), so the sandbox refuses it"
)

#: Backend failures answered with a 400 ``{"error": ...}``: (part of the model's reason,
#: message for a job, message for a workflow).
_ANSWERED: tuple[tuple[str, str, str], ...] = (
    (
        "Currently only parameter sweeps up to 4D",
        "",
        "Currently only parameter sweeps up to 4D are supported",
    ),
    ("never finishes (request hangs)", HANG, HANG),
    ("empty or whitespace workflow name", "", SUBMISSION_FAILED),
    ("breaks the DAG JOB line", "", SUBMISSION_FAILED),
    ("duplicate DAG node names", "", SUBMISSION_FAILED),
    ("is not valid DAG syntax", "", SUBMISSION_FAILED),
    ("line break in a workflow label", "", SUBMISSION_FAILED),
    ("has whitespace or a double quote", "", SUBMISSION_FAILED),
    ("breaks --param", "", SUBMISSION_FAILED),
    ("breaks the DAG VARS line", "", SUBMISSION_FAILED),
    ("job sandbox directories collide", "", "Unable to create job sandbox directories"),
    (
        "inputs filename names a directory",
        "Unable to write input file to disk",
        "Unable to write input file to disk",
    ),
    (
        "breaks the HTCondor submit description",
        "Job submission failed with an exception: invalid submit description",
        SUBMISSION_FAILED,
    ),
    (
        "64-bit ClassAd integers",
        "Job submission failed with an exception: integer out of range",
        SUBMISSION_FAILED,
    ),
    (
        "not a valid ClassAd expression",
        "Job submission failed with an exception: invalid priority expression",
        SUBMISSION_FAILED,
    ),
)
#: Backend failures production only meets after it has accepted the document.
_ACCEPTED = ("dependency cycle", "notification without both event and type")


def _backend_answer(reason: str, kind: str) -> Exception | None:
    """The answer to a backend failure: an :class:`ApiError`, a
    :class:`ProductionError`, or None when production accepts it (201)."""
    if any(part in reason for part in _ACCEPTED):
        return None
    for part, job_message, workflow_message in _ANSWERED:
        message = job_message if kind == "job" else workflow_message
        if part in reason and message:
            return error(400, message)
    return ProductionError(reason)


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
    ok, message = server_validate(doc, kind)
    if not ok:
        if message.startswith("HTTP 500: "):
            raise ProductionError("the validator raises: " + message[len("HTTP 500: ") :])
        raise error(400, message)
    if kind == "workflow":
        _check_size(doc)
    reason = backend_failure(doc, kind, extended=True)
    answer = None if reason is None else _backend_answer(reason, kind)
    if answer is not None:
        raise answer
    jobs = [doc] if kind == "job" else workflow_jobs(doc)
    _check_objects(jobs)


def is_object_image(image: str) -> bool:
    """An image naming an uploaded object (production's ``prominence/backend/create_job.py``)."""
    return (
        "http" not in image
        and not image.startswith("/")
        and any(ext in image for ext in (".tar", ".tgz", ".simg", ".sif"))
    )


def is_object_artifact(url: str) -> bool:
    """An artifact naming an uploaded object: not a URL and not a local absolute path
    (the sandbox reads local paths itself)."""
    return "://" not in url and not url.startswith("/")


def _check_objects(jobs: Iterable[dict[str, Any]]) -> None:
    """What the server's job sandbox step refuses: input files it cannot write, and, as
    the sandbox has no object storage, any reference to an uploaded object."""
    for job in jobs:
        for entry in job.get("inputs", []) or []:
            if isinstance(entry, dict) and not input_name_ok(entry.get("filename")):
                raise error(400, "Unable to write input file to disk")
        for task in job.get("tasks", []):
            if isinstance(task, dict) and is_object_image(str(task.get("image", ""))):
                raise error(400, f"Image {task['image']} does not exist")
        for artifact in job.get("artifacts", []) or []:
            url = artifact.get("url") if isinstance(artifact, dict) else None
            if isinstance(url, str) and is_object_artifact(url):
                raise error(400, f"Artifact {url} does not exist")


__all__ = [
    "HANG",
    "SUBMISSION_FAILED",
    "ApiError",
    "check_submission",
    "is_object_artifact",
    "is_object_image",
]
