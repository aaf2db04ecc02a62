"""The Flask application: the API under ``/api/v1``, output downloads under
``/storage``, and error handling that never shows a traceback to a client; in front of it,
the download's two GETs when they are plain (:mod:`.fastpath`)."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, InternalServerError

from prominence_spec.server import outputs, routes_jobs, routes_misc, routes_workflows
from prominence_spec.server.config import API_PREFIX, MAX_BODY_BYTES
from prominence_spec.server.errors import REASON_HEADER, ApiError, ProductionError
from prominence_spec.server.fastpath import FastPaths
from prominence_spec.server.service import Sandbox
from prominence_spec.server.web import EXTENSION, respond

log = logging.getLogger("promspec.sandbox")


def _server_error(reason: str) -> Response:
    response = Response(InternalServerError().get_body(), 500, mimetype="text/html")
    text = reason.encode("ascii", "backslashreplace").decode("ascii")
    response.headers[REASON_HEADER] = " ".join(text.split())[:500]
    return response


def _api_error(exc: ApiError) -> Response:
    return respond(exc.body, exc.status)


def _production_failure(exc: ProductionError) -> Response:
    return _server_error(exc.reason)


def _http_error(exc: HTTPException) -> HTTPException | Response:
    return exc


#: The body of a 500 the sandbox answers for a fault of its own (not production's).
UNEXPECTED = "Internal error in the sandbox (not in your request): see the sandbox's log"


def _unexpected(exc: Exception) -> Response:
    """A fault of the sandbox's own: a JSON 500 without the traceback, which goes to the
    log (production would answer its HTML page; a client should see it is not that)."""
    log.exception("unexpected error answering %s %s", request.method, request.path)
    response = respond({"error": UNEXPECTED}, 500)
    response.headers[REASON_HEADER] = f"sandbox error ({type(exc).__name__})"
    return response


def create_app(box: Sandbox) -> Flask:
    """The WSGI application of ``box``."""
    app = Flask("promspec.sandbox", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions[EXTENSION] = box
    for blueprint in (routes_jobs.bp, routes_workflows.bp, routes_misc.bp):
        app.register_blueprint(blueprint, url_prefix=API_PREFIX)
    app.register_blueprint(outputs.bp)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(ProductionError, _production_failure)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    app.wsgi_app = FastPaths(app.wsgi_app, box)  # type: ignore[method-assign]
    latency = box.config.latency_ms / 1000

    if latency:

        @app.before_request
        def _delay() -> None:
            if request.method == "POST":
                time.sleep(latency)

    return app


__all__ = ["create_app"]
