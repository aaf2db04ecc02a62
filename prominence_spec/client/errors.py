"""One exception class per failure class of the client.

Every message is safe to show: none ever holds the token (bodies from the server are
redacted before they become part of a message), and none carries a chained requests
exception, whose attributes hold the request headers.
"""

from __future__ import annotations

#: The kinds an error can carry: ``no-token`` (a CredentialsError: no token anywhere),
#: ``no-output`` (a NotFoundError: the job exists but has no stdout/stderr yet),
#: ``no-job`` (a NotFoundError: no such job or workflow), ``no-route`` (a NotFoundError:
#: an HTML 404, the URL is wrong), ``refused`` (a TransportError: nothing listens there),
#: ``timeout`` (a TransportError: no complete answer in time; the server may still act).
KINDS = ("no-token", "no-output", "no-job", "no-route", "refused", "timeout")


class ClientError(Exception):
    """Base class: ``message`` is one line for a person; ``status`` the HTTP status, if any;
    ``kind`` a stable name for what went wrong within the class (see :data:`KINDS`), for
    code that must tell cases apart without reading the message."""

    def __init__(self, message: str, *, status: int | None = None, kind: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.kind = kind

    def __str__(self) -> str:
        return self.message


class ConfigError(ClientError):
    """A bad URL, option or environment setting: nothing was sent."""


class CredentialsError(ConfigError):
    """No usable token (missing, unreadable, empty, or expired)."""


class TokenExpiredError(CredentialsError):
    """The token's ``exp`` has passed; found before any request."""


class AuthenticationError(ClientError):
    """HTTP 401: the server did not accept the token (or the feature is disabled)."""


class PermissionDeniedError(ClientError):
    """HTTP 403: the job or workflow belongs to someone else."""


class NotFoundError(ClientError):
    """No such job or workflow (``[]``, "No such job(s)"), or no such route (HTML 404)."""


class RejectedError(ClientError):
    """The server refused the request with a message (400, or an error body with 200)."""


class ServerError(ClientError):
    """The server failed (5xx, an HTML error page, an answer that is not what the API gives)."""


class TransportError(ClientError):
    """The network failed; ``sent`` is False when the request certainly did not leave."""

    def __init__(
        self, message: str, *, sent: bool, status: int | None = None, kind: str | None = None
    ) -> None:
        super().__init__(message, status=status, kind=kind)
        self.sent = sent


class AmbiguousSubmissionError(ClientError):
    """A POST may or may not have created a job, and no label allows checking which."""


class RateLimitedError(ClientError):
    """HTTP 429 (or 503) still answered after the retries; ``retry_after`` in seconds."""

    def __init__(self, message: str, *, status: int, retry_after: float | None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class JournalError(ClientError):
    """The local journal cannot be used (locked by another submit, unreadable, changed spec)."""


class ChangedSpecError(JournalError):
    """A point already submitted under this run id now renders to a different body."""
