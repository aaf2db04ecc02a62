"""The OpenAPI 3.1 document of the sandbox's routes (kept in ``docs/openapi.json``)."""

from __future__ import annotations

from typing import Any


def openapi_document() -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "promspec sandbox", "version": "1"}, "paths": {}}


__all__ = ["openapi_document"]
