"""Talking to PROMINENCE: the ``Client``, bulk submission with a journal, dry runs.

The core never prints, never exits and never imports typer: the CLI (``prominence_spec.cli``)
does the showing. See docs/client.md.
"""

from __future__ import annotations

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

__all__ = [
    "DEFAULT_URL",
    "TERMINAL",
    "AmbiguousSubmissionError",
    "AuthenticationError",
    "ChangedSpecError",
    "Client",
    "ClientError",
    "ConfigError",
    "CredentialsError",
    "JournalError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RejectedError",
    "RetryPolicy",
    "Secret",
    "ServerError",
    "Submitted",
    "Token",
    "TokenExpiredError",
    "TransportError",
    "load_token",
    "resolve_url",
]
