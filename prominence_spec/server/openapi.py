"""The OpenAPI 3.1 document of every route the sandbox serves, with the answers production
gives (handled errors as JSON, Flask's HTML pages for 400/404/413/500). It is served at
``/api/v1/openapi.json`` and kept in ``docs/openapi.json``."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from prominence_spec.server.errors import REASON_HEADER

JSON = "application/json"
Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _content(schema: Schema, media: str = JSON) -> dict[str, Any]:
    return {media: {"schema": schema}}


HTML_PAGE: Schema = {"type": "string", "description": "Flask's HTML error page"}
S3_ERROR: Schema = {"type": "string", "description": "S3's XML <Error> with Code and Message"}
R_401 = {"description": "Authentication failure (a missing, malformed, badly signed or "
         "expired token), or an area the sandbox has switched off",
         "content": _content(_ref("Error"))}  # fmt: skip
R_404 = {"description": "No such route: a non-integer id in the path (Flask's HTML page)",
         "content": _content(HTML_PAGE, "text/html")}  # fmt: skip
R_500 = {
    "description": "Flask's HTML 500 page, where the production server raises; a JSON "
    "error for a fault of the sandbox's own (not production's); the "
    f"`{REASON_HEADER}` header says why",
    "headers": {REASON_HEADER: {"schema": {"type": "string"}}},
    "content": {**_content(HTML_PAGE, "text/html"), **_content(_ref("Error"))},
}
R_400_JSON_OR_HTML = {
    "description": "The server's handled error, or Flask's page for a body that is not JSON",
    "content": {**_content(_ref("Error")), **_content(HTML_PAGE, "text/html")},
}
R_413 = {"description": "The body is over 1 MiB (Flask's HTML page)",
         "content": _content(HTML_PAGE, "text/html")}  # fmt: skip


def _error(description: str, status_note: str = "") -> dict[str, Any]:
    return {"description": description + status_note, "content": _content(_ref("Error"))}


def _q(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"},
            "description": description}  # fmt: skip


def _path_id(name: str = "id") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 0}}  # fmt: skip


def _path_str(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "string", "pattern": "^[^/]+$", "minLength": 1}}  # fmt: skip


LIST_PARAMS = [
    _q("completed", "`true`: completed items only; with it, `num` is read"),
    _q("num", "How many completed items (default 1, -1 for all); only with `completed`"),
    _q("all", "Present: active and completed items"),
    _q("status", "`idle` or `running`; anything else is an error answered with 200"),
    _q("name", "Exact name"),
    _q("constraint", "`key=value`: label equality (the first one only)"),
    _q("id", "Comma-separated ids"),
    _q("detail", "Present: the full detail objects"),
]
STREAM_PARAMS = [_q("node", "Node of a multi-node job (default 0)"),
                 _q("offset", "Byte offset to read from (default 0)")]  # fmt: skip


def _op(summary: str, responses: dict[str, Any], *, params: list[Any] | None = None,
        body: Schema | None = None, auth: bool = True) -> dict[str, Any]:  # fmt: skip
    op: dict[str, Any] = {"summary": summary, "responses": dict(responses)}
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True, "content": _content(body)}
    if auth:
        op["security"] = [{"bearer": []}]
        op["responses"].setdefault("401", R_401)
    return op


def _stream(kind: str, params: list[Any]) -> dict[str, Any]:
    return _op(
        f"Standard {kind} (raw bytes from `offset`), also while the job runs",
        {
            "200": {"description": f"The {kind}", "content": _content(HTML_PAGE, "text/html")},
            "400": _error(f"No such job or workflow, or `{kind} does not exist`"),
            "403": _error("Not your job or workflow"),
            "404": R_404,
            "500": R_500,
        },
        params=params,
    )


def _created(what: str) -> dict[str, Any]:
    return {"description": f"{what} created", "content": _content(_ref("Id"))}


def _jobs_paths() -> dict[str, Any]:
    submit = {"201": _created("Job"), "400": R_400_JSON_OR_HTML, "413": R_413, "500": R_500}
    listing = {"200": {"description": "Jobs (or the `status` error, with 200)",
                       "content": _content({"anyOf": [{"type": "array",
                                                       "items": _ref("Job")},
                                                      _ref("Error")]})},  # fmt: skip
               "400": _error("`Invalid constraint`"), "500": R_500}  # fmt: skip
    delete = {"200": {"description": "Removed", "content": _content(_ref("Empty"))},
              "400": _error("`No such job(s)`, or no `id` given"), "404": R_404,
              "500": R_500}  # fmt: skip
    one = {"200": {"description": "The job, or [] if it is not yours or does not exist",
                   "content": _content({"type": "array", "items": _ref("Job")})},
           "404": R_404}  # fmt: skip
    owned = {"400": _error("`Job does not exist` / `Job is no longer in the queue`"),
             "403": _error("Not your job"), "404": R_404}  # fmt: skip
    jid = [_path_id()]
    return {
        "/api/v1/jobs": {
            "post": _op("Submit a job", submit, body=_ref("Description")),
            "get": _op(
                "List jobs",
                listing,
                params=[*LIST_PARAMS, _q("workflow", "`true` with `id=W`: the jobs of workflow W")],
            ),  # fmt: skip
            "delete": _op("Delete jobs", delete, params=[_q("id", "Comma-separated ids")]),
        },
        "/api/v1/jobs/{id}": {
            "get": _op("Describe a job", one, params=jid),
            "delete": _op("Delete a job", delete, params=jid),
        },
        "/api/v1/jobs/{id}/remove": {
            "put": _op(
                "Let a finished leaveInQueue job leave the queue",
                {"200": {"description": "Done", "content": _content(_ref("Empty"))}, **owned},
                params=jid,
            )
        },  # fmt: skip
        "/api/v1/jobs/{id}/clone": {
            "put": _op("Submit the job again", {"201": _created("Job"), **owned}, params=jid)
        },  # fmt: skip
        "/api/v1/jobs/{id}/stdout": {"get": _stream("output", [*jid, *STREAM_PARAMS])},
        "/api/v1/jobs/{id}/stderr": {"get": _stream("error", [*jid, *STREAM_PARAMS])},
    }


def _workflow_paths() -> dict[str, Any]:
    submit = {"201": _created("Workflow"), "400": R_400_JSON_OR_HTML, "413": R_413,
              "500": R_500}  # fmt: skip
    listing = {"200": {"description": "Workflows (or the `status` error, with 200)",
                       "content": _content({"anyOf": [{"type": "array",
                                                       "items": _ref("Workflow")},
                                                      _ref("Error")]})},  # fmt: skip
               "400": _error("`Invalid constraint`"), "500": R_500}  # fmt: skip
    delete = {"200": {"description": "Removed", "content": _content(_ref("Empty"))},
              "400": _error("`No such workflow(s)`, or no `id` given"), "404": R_404,
              "500": R_500}  # fmt: skip
    one = {"200": {"description": "The workflow, or []",
                   "content": _content({"type": "array", "items": _ref("Workflow")})},
           "404": R_404}  # fmt: skip
    owned = {
        "400": _error("`Workflow does not exist` / `Workflow is no longer in the queue`"),
        "403": _error("Not your workflow"),
        "404": R_404,
    }
    wid = [_path_id()]
    rerun = {"200": {"description": "The re-run workflow", "content": _content(_ref("Id"))},
             "400": _error("Not a finished workflow of yours"), "404": R_404}  # fmt: skip
    named = [*wid, _path_str("job")]
    instance = [*named, _path_id("instance")]
    offset = [_q("offset", "Byte offset to read from (default 0)")]
    return {
        "/api/v1/workflows": {
            "post": _op("Submit a workflow", submit, body=_ref("Description")),
            "get": _op("List workflows", listing, params=LIST_PARAMS),
            "delete": _op("Delete workflows", delete, params=[_q("id", "Comma-separated ids")]),
        },
        "/api/v1/workflows/{id}": {
            "get": _op("Describe a workflow", one, params=wid),
            "delete": _op("Delete a workflow", delete, params=wid),
            "put": _op(
                "Re-run the failed and unrun jobs of a finished workflow", rerun, params=wid
            ),  # fmt: skip
        },
        "/api/v1/workflows/{id}/remove": {
            "put": _op(
                "Let a finished leaveInQueue workflow leave the queue",
                {"200": {"description": "Done", "content": _content(_ref("Empty"))}, **owned},
                params=wid,
            )
        },  # fmt: skip
        "/api/v1/workflows/{id}/clone": {
            "put": _op(
                "Submit the workflow again", {"201": _created("Workflow"), **owned}, params=wid
            )
        },  # fmt: skip
        "/api/v1/workflows/{id}/{job}/stdout": {"get": _stream("output", [*named, *offset])},
        "/api/v1/workflows/{id}/{job}/stderr": {"get": _stream("error", [*named, *offset])},
        "/api/v1/workflows/{id}/{job}/{instance}/stdout": {
            "get": _stream("output", [*instance, *offset])
        },
        "/api/v1/workflows/{id}/{job}/{instance}/stderr": {
            "get": _stream("error", [*instance, *offset])
        },
    }


DISABLED = [
    ("/api/v1/jobs/{id}/exec", ("post",), [_path_id()]),
    ("/api/v1/jobs/{id}/snapshot", ("get", "put"), [_path_id()]),
    ("/api/v1/data", ("get", "post"), []),
    ("/api/v1/data/upload", ("post",), []),
    ("/api/v1/data/output", ("post",), []),
    ("/api/v1/data/{name}", ("get", "delete"), [_path_str("name")]),
    ("/api/v1/kv", ("get",), []),
    ("/api/v1/kv/{key}", ("get", "post", "delete"), [_path_str("key")]),
    ("/api/v1/ts", ("post",), []),
    ("/api/v1/ts/{id}", ("get",), [_path_id()]),
]


def _other_paths() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/api/v1/health": {
            "get": _op("Health (no token needed)", {"204": {"description": "Healthy"}}, auth=False)
        },
        "/api/v1/openapi.json": {
            "get": _op(
                "This document",
                {"200": {"description": "OpenAPI 3.1", "content": _content({"type": "object"})}},
                auth=False,
            )
        },  # fmt: skip
        "/api/v1/resources": {
            "get": _op(
                "Capacity of this machine",
                {
                    "200": {
                        "description": "Capacity and free resources",
                        "content": _content(_ref("Resources")),
                    }
                },
            )
        },  # fmt: skip
        "/api/v1/accounting": {
            "get": _op(
                "Usage in hours",
                {
                    "200": {"description": "Usage", "content": _content(_ref("Usage"))},
                    "400": _error("A start or end date is missing"),
                    "500": R_500,
                },
                params=[
                    _q("start", "YYYY-MM-DD"),
                    _q("end", "YYYY-MM-DD"),
                    _q("by_group", "`true`: the group's total"),
                    _q("show_all_users", "`true`: every user"),
                ],
            )
        },  # fmt: skip
        "/api/v1/token": {
            "post": _op(
                "HTCondor token (the sandbox has no pool: 400 {})",
                {"400": {"description": "Not available", "content": _content(_ref("Empty"))}},
            )
        },
        "/storage/{id}/{object}": {
            "get": _op(
                "An output file (presigned URL from GET)",
                {
                    "200": {
                        "description": "The file",
                        "content": {"application/octet-stream": {"schema": {"type": "string"}}},
                    },
                    "403": {
                        "description": "An expired URL (AccessDenied, 'Request has "
                        "expired') or a bad signature (SignatureDoesNotMatch), as S3 answers",
                        "content": _content(S3_ERROR, "application/xml"),
                    },
                    "404": {
                        "description": "No such object (S3's NoSuchKey), or a non-integer "
                        "id in the path (Flask's HTML page)",
                        "content": {
                            **_content(S3_ERROR, "application/xml"),
                            **_content(HTML_PAGE, "text/html"),
                        },
                    },
                },
                params=[
                    _path_id(),
                    {
                        "name": "object",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1},
                    },
                    _q("expires", "Expiry (epoch seconds)"),
                    _q("signature", "HMAC"),
                ],
                auth=False,
            )
        },  # fmt: skip
    }
    for path, methods, params in DISABLED:
        paths[path] = {
            m: _op(
                "Switched off in the sandbox: 401 `Functionality disabled`",
                {"404": R_404},
                params=params or None,
            )
            for m in methods
        }
    return paths


def _schemas() -> dict[str, Any]:
    events = {"type": "object", "required": ["createTime"], "properties": {
        k: {"type": "integer"} for k in ("createTime", "startTime", "endTime")}}  # fmt: skip
    status = {"type": "string", "enum": ["pending", "running", "completed", "failed",
                                         "deleted", "killed"]}  # fmt: skip
    output = {
        "type": "object",
        "required": ["name", "url"],
        "properties": {
            "name": {"type": "string"},
            "url": {"type": "string"},
            "size": {"type": "integer"},
        },
    }
    counts = {k: {"type": "integer"} for k in ("total", "done", "failed", "queued", "waiting")}
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}},
        },  # fmt: skip
        "Id": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
        "Empty": {"type": "object", "maxProperties": 0},
        "Description": {
            "type": "object",
            "description": "A job or workflow description "
            "(checked by the production server's validator)",
        },  # fmt: skip
        "Job": {
            "type": "object",
            "required": ["id", "status", "name", "tasks", "events"],
            "properties": {
                "id": {"type": "integer"},
                "status": status,
                "name": {"type": "string"},
                "statusReason": {"type": "string"},
                "tasks": {"type": "array"},
                "events": events,
                "parameters": {"type": "object"},
                "outputFiles": {"type": "array", "items": output},
                "outputDirs": {"type": "array", "items": output},
                "execution": {"type": "object", "required": ["runtimeVersion"]},
            },
        },  # fmt: skip
        "Workflow": {
            "type": "object",
            "required": ["id", "status", "events", "progress"],
            "properties": {
                "id": {"type": "integer"},
                "status": {
                    "type": "string",
                    "enum": ["pending", "running", "completed", "failed", "deleted"],
                },
                "statusReason": {"type": "string"},
                "events": events,
                "progress": {"type": "object", "required": list(counts), "properties": counts},
            },
        },  # fmt: skip
        "Resources": {"type": "object", "required": ["existing"]},
        "Usage": {"type": "object", "required": ["usage"]},
    }


@cache
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "promspec sandbox: the PROMINENCE REST API",
            "version": "1",
            "description": "A PROMINENCE-compatible server on the user's machine. Handled "
            'errors are `{"error": ...}`; where production raises, the answer is Flask\'s '
            "HTML 500 page and the sandbox names the reason in a header.",
        },
        "servers": [{"url": "/"}],
        "paths": {**_jobs_paths(), **_workflow_paths(), **_other_paths()},
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },  # fmt: skip
        },
    }


def openapi_document() -> dict[str, Any]:
    """The document (a fresh copy)."""
    return copy.deepcopy(_document())


__all__ = ["openapi_document"]
