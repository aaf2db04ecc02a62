"""Talking to PROMINENCE: the ``Client``, bulk submission with a journal, dry runs.

The core never prints, never exits and never imports typer: the CLI (``prominence_spec.cli``)
does the showing. See docs/client.md. Names are imported on first use, so that commands
which never talk to a server (``validate``, ``render``) do not pay for ``requests``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Client": "api",
    "Submitted": "api",
    "TERMINAL": "api",
    "DEFAULT_URL": "config",
    "resolve_url": "config",
    "Secret": "credentials",
    "Token": "credentials",
    "load_token": "credentials",
    "RetryPolicy": "http",
    "RunJob": "run_jobs",
    "RunListing": "run_jobs",
    "list_run": "run_jobs",
    "AmbiguousSubmissionError": "errors",
    "AuthenticationError": "errors",
    "ChangedSpecError": "errors",
    "ClientError": "errors",
    "ConfigError": "errors",
    "CredentialsError": "errors",
    "JournalError": "errors",
    "NotFoundError": "errors",
    "PermissionDeniedError": "errors",
    "RateLimitedError": "errors",
    "RejectedError": "errors",
    "ServerError": "errors",
    "TokenExpiredError": "errors",
    "TransportError": "errors",
}

__all__ = [
    "AmbiguousSubmissionError",
    "AuthenticationError",
    "ChangedSpecError",
    "Client",
    "ClientError",
    "ConfigError",
    "CredentialsError",
    "DEFAULT_URL",
    "JournalError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RejectedError",
    "RetryPolicy",
    "RunJob",
    "RunListing",
    "Secret",
    "ServerError",
    "Submitted",
    "TERMINAL",
    "Token",
    "TokenExpiredError",
    "TransportError",
    "list_run",
    "load_token",
    "resolve_url",
]

if TYPE_CHECKING:
    from prominence_spec.client.api import TERMINAL, Client, Submitted
    from prominence_spec.client.config import DEFAULT_URL, resolve_url
    from prominence_spec.client.credentials import Secret, Token, load_token
    from prominence_spec.client.errors import (
        AmbiguousSubmissionError,
        AuthenticationError,
        ChangedSpecError,
        ClientError,
        ConfigError,
        CredentialsError,
        JournalError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitedError,
        RejectedError,
        ServerError,
        TokenExpiredError,
        TransportError,
    )
    from prominence_spec.client.http import RetryPolicy
    from prominence_spec.client.run_jobs import RunJob, RunListing, list_run


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'prominence_spec.client' has no attribute {name!r}")
    return getattr(importlib.import_module(f"prominence_spec.client.{module}"), name)
