"""Helpers every route uses: the sandbox behind the app, the caller's identity, JSON
answers in Flask's ``jsonify`` form, request bodies read as the server reads them."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, abort, current_app, g, request

from prominence_spec.server.errors import INT64_MAX, ApiError, ProductionError, bounded, error
from prominence_spec.server.service import Sandbox

F = TypeVar("F", bound=Callable[..., Any])
EXTENSION = "promspec_sandbox"


def sandbox() -> Sandbox:
    return cast(Sandbox, current_app.extensions[EXTENSION])


def user() -> str:
    return cast(str, g.user)


def authenticated(view: F) -> F:
    """The view needs a valid Bearer token (else 401 ``Authentication failure``)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        name = sandbox().tokens.user(request.headers.get("Authorization"))
        if name is None:
            raise error(401, "Authentication failure")
        g.user = name
        return view(*args, **kwargs)

    return cast(F, wrapper)


def respond(body: Any, status: int = 200) -> Response:
    """JSON as Flask's ``jsonify`` writes it: sorted keys, compact, a final newline."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n"
    return Response(text, status=status, mimetype="application/json")


def request_json() -> Any:
    """The body as the server's ``get_json()`` reads it (Flask <= 2.0, production): no
    JSON content type gives None; malformed JSON is Flask's 400 page."""
    if not request.is_json:
        return None
    data = request.get_data(cache=False)
    try:
        return json.loads(data)
    except RecursionError:
        raise ProductionError("the JSON nests too deeply for the decoder") from None
    except ValueError:
        abort(400, description="Failed to decode JSON object")


def id_fits(obj_id: int) -> bool:
    """SQLite stores 64-bit ids; a larger id in a path names nothing."""
    return obj_id <= INT64_MAX


def owned(table: str, obj_id: int, kind: str) -> sqlite3.Row:
    """The row for a single-resource action, checked as the server checks ownership:
    400 ``<Kind> does not exist`` or 403 ``Not authorized to access this <kind>``."""
    row = (
        sandbox().store.row(f"SELECT * FROM {table} WHERE id = ?", (obj_id,))
        if id_fits(obj_id)
        else None
    )
    if row is None:
        raise error(400, f"{kind.capitalize()} does not exist")
    if row["owner"] != user():
        raise error(403, f"Not authorized to access this {kind}")
    return row


def id_list(text: str) -> list[int]:
    """A comma-separated id list; a non-integer element is the server's 500."""
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise ProductionError(f"id list {text!r}: int() raises") from None


def int_arg(name: str, default: int) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ProductionError(f"{name}={text!r}: int() raises") from None
    return bounded(value, name)


__all__ = [
    "ApiError",
    "authenticated",
    "id_fits",
    "id_list",
    "int_arg",
    "owned",
    "request_json",
    "respond",
    "sandbox",
    "user",
]
