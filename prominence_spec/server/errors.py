"""The two ways a route ends early: an answer the server gives as JSON, and a failure the
production server turns into Flask's HTML 500 page."""

from __future__ import annotations

from typing import Any

#: Response header naming why the sandbox answered a production-faithful 500.
REASON_HEADER = "X-Promspec-Sandbox-Reason"


class ApiError(Exception):
    """Answer ``body`` (JSON) with ``status``; production's handled errors."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


#: The largest integer SQLite stores (and so the largest id, count or offset it can use).
INT64_MAX = 2**63 - 1


def bounded(value: int, name: str) -> int:
    """``value`` of query parameter ``name``, if SQLite and the OS can use it; else 400
    (never an OverflowError's 500)."""
    if abs(value) > INT64_MAX:
        raise error(400, f"{name}={value} is out of range (at most {INT64_MAX})")
    return value


def error(status: int, message: str) -> ApiError:
    """``{"error": message}`` with ``status``."""
    return ApiError(status, {"error": message})


class ProductionError(Exception):
    """The production server raises here, so it answers its HTML 500 page; ``reason``
    goes in the :data:`REASON_HEADER` header so that a user can see why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


__all__ = ["INT64_MAX", "REASON_HEADER", "ApiError", "ProductionError", "bounded", "error"]
