"""One pooled HTTP session per client: timeouts, retries of idempotent requests, redaction.

* ``trust_env`` is off (no ``~/.netrc``, no proxy or CA variables from the environment) and
  the token travels only as ``Authorization: Bearer`` through :class:`BearerAuth`.
* Redirects are never followed, so no header goes anywhere but the configured server.
* :meth:`Transport.send` makes exactly one attempt and says, on failure, whether the request
  certainly did not leave (``sent=False``: refused, DNS, connect timeout) or may have reached
  the server (``sent=True``: reset, read timeout). Only :meth:`Transport.call`, for
  idempotent requests, retries by itself; a POST's retries are the caller's decision.
* Every log record passes a filter that replaces the token's value with ``***``.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.retry import Retry

from prominence_spec.client.config import is_loopback
from prominence_spec.client.credentials import Token
from prominence_spec.client.deadline import BoundedAdapter, bounded, expired
from prominence_spec.client.errors import ConfigError, TransportError

LOG = logging.getLogger("prominence_spec.client")
RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Delays are ``backoff * 2**(n-1)``, capped, with 50-100% jitter."""

    attempts: int = 5
    backoff: float = 0.5
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0
    budget: int = 500  # retries across the whole client, so a dead server costs little
    reconcile_gap: float = 2.0  # wait before asking by label after an ambiguous failure
    reconcile_reads: int = 2

    def delay(self, attempt: int) -> float:
        raw = min(self.backoff_cap, self.backoff * 2.0 ** max(0, attempt - 1))
        return raw * random.uniform(0.5, 1.0)


@dataclass(frozen=True)
class Reply:
    """One HTTP answer, fully read."""

    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    elapsed: float
    note: str = ""  # what the client made of it (a Retry-After it did not wait for)

    def json(self) -> Any:
        """The decoded JSON body, or ``None`` when the body is not JSON."""
        return self.decoded()[0]

    def decoded(self) -> tuple[Any, str | None]:
        """(the JSON body, None), or (None, why it is not one)."""
        try:
            return json.loads(self.content), None
        except RecursionError:  # the decoder recurses per level: [[[[... of a hostile body
            return None, "JSON nested more deeply than any answer of the API"
        except ValueError:
            return None, "not JSON"

    def retry_after(self, cap: float) -> float | None:
        return parse_retry_after(self.headers.get("Retry-After"), cap)


def retry_after_note(reply: Reply, cap: float) -> str:
    """What the answer's Retry-After asked for, and that it was more than promspec waits."""
    asked = reply.retry_after(float("inf"))
    if asked is None or asked <= cap:
        return ""
    return (
        f"; the server asks to retry after {asked:g} s (Retry-After), more than the "
        f"{cap:g} s promspec waits: not retried, try again later"
    )


def parse_retry_after(value: str | None, cap: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), capped."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), cap)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, min(moment.timestamp() - time.time(), cap))


class BearerAuth(requests.auth.AuthBase):
    """Sets the Authorization header; a set ``auth`` also keeps requests away from netrc."""

    def __init__(self, token: Token | None) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._token is not None:
            request.headers["Authorization"] = "Bearer " + self._token.secret.reveal()
        return request

    def __repr__(self) -> str:
        return "BearerAuth(***)"


class RedactFilter(logging.Filter):
    """Replaces a secret's value in every record that reaches the client's logger."""

    def __init__(self, token: Token) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._token.redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        return True


class Transport:
    """A session bound to one base URL and token."""

    def __init__(
        self,
        base_url: str,
        token: Token | None,
        *,
        timeout: tuple[float, float] = (10.0, 150.0),
        pool_size: int = 8,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "promspec",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self._budget = self.policy.budget
        self._lock = threading.Lock()
        self._not_before = 0.0
        self.session = pooled_session(token, pool_size, user_agent)
        self._more_filters: list[RedactFilter] = []
        if token is not None:
            self._filter = RedactFilter(token)
            LOG.addFilter(self._filter)

    def __repr__(self) -> str:
        return f"Transport({self.base_url!r}, token=***)"

    def close(self) -> None:
        self.session.close()
        if hasattr(self, "_filter"):
            LOG.removeFilter(self._filter)
        for more in self._more_filters:
            LOG.removeFilter(more)

    def url(self, path: str) -> str:
        return self.base_url + path

    def set_token(self, token: Token) -> None:
        """Send ``token`` from now on (a token re-read after a 401); both values stay
        redacted in the log."""
        self.token = token
        self.session.auth = BearerAuth(token)
        self._more_filters.append(RedactFilter(token))
        LOG.addFilter(self._more_filters[-1])

    def redact(self, text: str) -> str:
        return self.token.redact(text) if self.token is not None else text

    # -- one attempt ---------------------------------------------------------------------
    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Reply:
        url = self.url(path)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        started = time.monotonic()
        LOG.debug("%s %s%s", method, url, _query(params))
        if self.token is not None:
            LOG.debug("  Authorization: Bearer ***")
        try:
            with bounded(self.timeout[1]):  # the whole answer, not only each read
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=body,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
                content = response.content
        except requests.exceptions.RequestException as exc:
            raise self._failure(method, url, exc) from None
        elapsed = time.monotonic() - started
        LOG.debug("%s %s -> %d (%.3f s)", method, url, response.status_code, elapsed)
        return Reply(method, url, response.status_code, response.headers, content, elapsed)

    def _failure(self, method: str, url: str, exc: Exception) -> Exception:
        if isinstance(exc, requests.exceptions.SSLError):
            return ConfigError(f"{method} {url}: TLS verification failed ({_reason(exc)})")
        if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
            return ConfigError(f"{method} {url}: {_reason(exc)}")
        sent = not _not_sent(exc)
        if expired():
            why = f"no complete answer within {self.timeout[1]:g} s (the server answers too slowly)"
        elif isinstance(exc, requests.exceptions.ReadTimeout):
            why = f"no answer within {self.timeout[1]:g} s"
        elif isinstance(exc, requests.exceptions.ConnectTimeout):
            why = f"could not connect within {self.timeout[0]:g} s"
        else:
            why = _reason(exc)
        timed_out = expired() or isinstance(exc, requests.exceptions.ReadTimeout)
        kind = "refused" if why == "connection refused" else ("timeout" if timed_out else None)
        if kind and is_loopback(urlsplit(url).hostname or ""):
            why += " (is `promspec sandbox` running? start it with `promspec sandbox`)"
        message = self.redact(f"{method} {url}: {why}")
        LOG.info("%s", message)
        return TransportError(message, sent=sent, kind=kind)

    # -- retries and pacing --------------------------------------------------------------
    def call(self, method: str, path: str, *, params: Mapping[str, str] | None = None) -> Reply:
        """An idempotent request (GET, DELETE), retried with backoff; 429/503 wait as told."""
        attempt = 0
        while True:
            attempt += 1
            self.wait_gate()
            try:
                reply = self.send(method, path, params=params)
            except TransportError:
                if not self._may_retry(attempt):
                    raise
                self.sleep(self.policy.delay(attempt))
                continue
            if reply.status not in RETRY_STATUSES or not self._may_retry(attempt):
                return reply
            if self.asks_too_long(reply):
                return replace(reply, note=retry_after_note(reply, self.policy.retry_after_cap))
            self.pause(reply)
            self.sleep(self.policy.delay(attempt))

    def _may_retry(self, attempt: int) -> bool:
        return attempt < self.policy.attempts and self.spend_retry()

    def spend_retry(self) -> bool:
        with self._lock:
            if self._budget <= 0:
                return False
            self._budget -= 1
            return True

    def asks_too_long(self, reply: Reply) -> bool:
        """A Retry-After beyond the cap: not waited for (the answer says so, see
        :func:`retry_after_note`), so that one header cannot hold a command for hours."""
        if reply.status not in (429, 503):
            return False
        asked = reply.retry_after(float("inf"))
        return asked is not None and asked > self.policy.retry_after_cap

    def pause(self, reply: Reply) -> float | None:
        """Hold every request of this client for the reply's Retry-After (429, 503)."""
        wait = reply.retry_after(self.policy.retry_after_cap)
        if wait is None or reply.status not in (429, 503):
            return None
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + wait)
        LOG.info("HTTP %d: waiting %.1f s as Retry-After asks", reply.status, wait)
        return wait

    def wait_gate(self) -> None:
        while True:
            with self._lock:
                left = self._not_before - time.monotonic()
            if left <= 0:
                return
            self.sleep(min(left, 0.5))


def pooled_session(token: Token | None, pool_size: int, user_agent: str) -> requests.Session:
    """A session that reads nothing from the environment, retries nothing by itself and
    sends ``token`` (if any) as a bearer token."""
    session = requests.Session()
    session.trust_env = False
    session.auth = BearerAuth(token)
    session.headers["User-Agent"] = user_agent
    adapter = BoundedAdapter(
        pool_connections=2,
        pool_maxsize=max(1, pool_size),
        pool_block=True,
        max_retries=Retry(total=0, connect=0, read=False, redirect=False, status=0),
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _not_sent(exc: Exception) -> bool:
    """True when the request certainly never reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    seen: set[int] = set()
    current: Any = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (NewConnectionError, ConnectTimeoutError)):
            return True
        nested = getattr(current, "reason", None)
        if nested is None and getattr(current, "args", None):
            first = current.args[0]
            nested = first if isinstance(first, BaseException) else None
        current = nested or current.__cause__ or current.__context__
    return False


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def _reason(exc: Exception) -> str:
    text = str(exc)
    found = _ERRNO.search(text)
    if found:
        return found.group(1).strip().lower()
    if "RemoteDisconnected" in text or "closed connection without response" in text:
        return "the server closed the connection without answering"
    if "Connection aborted" in text or "reset" in text.lower():
        return "the connection was reset"
    return type(exc).__name__


def _query(params: Mapping[str, str] | None) -> str:
    if not params:
        return ""
    return "?" + "&".join(f"{k}={v}" for k, v in params.items())
