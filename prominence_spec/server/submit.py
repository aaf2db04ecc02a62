"""What ``POST /jobs`` and ``POST /workflows`` do before anything is stored: the server's
validator, then what its backend would fail on, answered as production answers."""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from typing import Any

from prominence_spec.server.dag import workflow_jobs
from prominence_spec.server.errors import ApiError, ProductionError, error
from prominence_spec.server.factories import expand, factory_of
from prominence_spec.server.staging import input_name_ok
from prominence_spec.server.validator import (
    Answer,
    Check,
    Failure,
    backend_verdict,
    validator_verdict,
)

SUBMISSION_FAILED = "Workflow submission failed"
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
    failure = backend_verdict(doc, kind, extended=True)
    answer = None if failure is None else _backend_answer(failure, kind)
    if answer is not None:
        raise answer
    if kind == "job":
        _check_objects(None, [doc])
    else:
        _check_objects(doc, workflow_jobs(doc))


def is_object_image(image: str) -> bool:
    """An image naming an uploaded object (production's ``prominence/backend/create_job.py``)."""
    return (
        "http" not in image
        and not image.startswith("/")
        and any(ext in image for ext in (".tar", ".tgz", ".simg", ".sif"))
    )


def is_object_artifact(url: str, custom_storage: bool = False) -> bool:
    """An artifact the backend turns into a presigned object URL (``'http' not in url``
    with the default storage); local paths (``/...``, ``file://``) are the sandbox's own
    and it reads them itself."""
    local = url.startswith("/") or url.startswith("file://")
    return "http" not in url and not custom_storage and not local


def _custom_storage(job: dict[str, Any]) -> bool:
    storage = job.get("storage")
    return isinstance(storage, dict) and bool(storage.get("default"))


def _missing_artifact(job: dict[str, Any], factory: Mapping[str, Any] | None) -> str | None:
    """The object artifact production finds missing, as its message names it. A factory
    job's are not looked up when it is created; a zip or parameterSweep job's are, after
    the first instance's values are put in, if the name has a ``$`` in it."""
    for artifact in job.get("artifacts", []) or []:
        url = artifact.get("url") if isinstance(artifact, dict) else None
        if not isinstance(url, str) or not is_object_artifact(url, _custom_storage(job)):
            continue
        if factory is None:
            return url
        instances = expand(factory) if factory.get("type") != "repeat" else []
        if "$" in url and instances:
            name = url
            for key, value in instances[0].parameters:
                name = string.Template(name).safe_substitute({key: value})
            return name.split("/")[-1]
    return None


def _check_objects(wf: Mapping[str, Any] | None, jobs: Iterable[dict[str, Any]]) -> None:
    """What the server's job sandbox step refuses: input files it cannot write, and, as
    the sandbox has no object storage, any reference to an uploaded object it looks up."""
    for job in jobs:
        for entry in job.get("inputs", []) or []:
            if isinstance(entry, dict) and not input_name_ok(entry.get("filename")):
                raise error(400, "Unable to write input file to disk")
        for task in job.get("tasks", []):
            if isinstance(task, dict) and is_object_image(str(task.get("image", ""))):
                raise error(400, f"Image {task['image']} does not exist")
        factory = None if wf is None else factory_of(wf, str(job.get("name")))
        missing = _missing_artifact(job, factory)
        if missing is not None:
            raise error(400, f"Artifact {missing} does not exist")


__all__ = [
    "HANG",
    "SUBMISSION_FAILED",
    "ApiError",
    "check_submission",
    "is_object_artifact",
    "is_object_image",
]
