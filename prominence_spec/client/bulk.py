"""Concurrent submission of many bodies: bounded threads over one pooled session.

The journal line ``sending`` is durable before each POST, the id after it. Memory stays
bounded: the producer (the caller's iterator, typically re-rendering the sweep) blocks on a
queue of twice the concurrency. A fatal answer (401, 403, a wrong URL) stops the whole batch,
since every later point would fail the same way. Ctrl-C stops taking new points; requests in
flight finish (a second Ctrl-C abandons them: their ``sending`` lines make the next run ask
the server by label).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from prominence_spec.client.api import Client
from prominence_spec.client.errors import (
    AmbiguousSubmissionError,
    AuthenticationError,
    ClientError,
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
    RejectedError,
    ServerError,
    TransportError,
)
from prominence_spec.client.identity import point_id
from prominence_spec.client.journal import Journal
from prominence_spec.client.locate import pointer_for

FATAL = (AuthenticationError, PermissionDeniedError, ConfigError, NotFoundError)


@dataclass(frozen=True)
class Outgoing:
    """One body to POST, and what the journal needs to know about it."""

    key: int
    name: str | None
    kind: str
    body: bytes
    digest: str
    attempt: int = 1
    known_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Sent:
    key: int
    name: str | None
    id: int
    found: bool = False  # found by label after an ambiguous failure


@dataclass(frozen=True)
class Failed:
    key: int
    name: str | None
    error: str
    ambiguous: bool = False
    pointer: str | None = None  # the field the server's message is about


@dataclass
class BulkOutcome:
    sent: list[Sent] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    in_flight_abandoned: int = 0
    interrupted: bool = False
    fatal: str | None = None
    seconds: float = 0.0


Progress = Callable[[int, int], None]  # (done, failed)


class BulkSender:
    def __init__(
        self,
        client: Client,
        journal: Journal,
        run: str,
        *,
        concurrency: int = 8,
        on_progress: Progress | None = None,
    ) -> None:
        self.client, self.journal, self.run = client, journal, run
        self.url = client.url
        self.concurrency = max(1, concurrency)
        self.on_progress = on_progress
        self.stop = threading.Event()
        self.outcome = BulkOutcome()
        self._lock = threading.Lock()
        self._queue: queue.Queue[Outgoing | None] = queue.Queue(maxsize=2 * self.concurrency)
        self._busy = 0

    def send_all(self, items: Iterable[Outgoing]) -> BulkOutcome:
        started = time.monotonic()
        workers = [
            threading.Thread(target=self._work, name=f"promspec-submit-{n}", daemon=True)
            for n in range(self.concurrency)
        ]
        for worker in workers:
            worker.start()
        try:
            self._feed(items)
        except KeyboardInterrupt:
            self.outcome.interrupted = True
            self.stop.set()
        finally:
            self._finish(workers)
        self.outcome.seconds = time.monotonic() - started
        return self.outcome

    def _feed(self, items: Iterable[Outgoing]) -> None:
        for item in items:
            if self.stop.is_set():
                return
            while True:
                try:
                    self._queue.put(item, timeout=0.2)
                    break
                except queue.Full:
                    if self.stop.is_set():
                        return

    def _finish(self, workers: list[threading.Thread]) -> None:
        if self.stop.is_set():
            self._drain()
        for _ in workers:
            self._put_sentinel()
        try:
            for worker in workers:
                while worker.is_alive():
                    worker.join(timeout=0.2)
        except KeyboardInterrupt:
            self.outcome.interrupted = True
            self.stop.set()
            self._drain()
            with self._lock:
                self.outcome.in_flight_abandoned = self._busy

    def _drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _put_sentinel(self) -> None:
        while True:
            try:
                self._queue.put(None, timeout=0.2)
                return
            except queue.Full:
                if self.stop.is_set():
                    self._drain()

    # -- one worker ------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self.stop.is_set():
                continue
            with self._lock:
                self._busy += 1
            try:
                self._send(item)
            finally:
                with self._lock:
                    self._busy -= 1

    def _send(self, item: Outgoing) -> None:
        ident = point_id(self.run, item.key)
        window = self.client.in_flight_seconds()
        self.journal.mark_sending(
            self.url,
            self.run,
            item.key,
            item.name,
            item.kind,
            item.digest,
            item.attempt,
            time.time() + window,
        )

        def extend() -> None:
            self.journal.extend_deadline(self.url, self.run, item.key, time.time() + window)

        try:
            result = self.client.submit(
                item.body,
                workflow=item.kind == "workflow",
                identity=ident,
                known_ids=item.known_ids,
                should_stop=self.stop.is_set,
                before_resend=extend,
            )
        except ClientError as exc:
            self._failed(item, exc)
            return
        except Exception as exc:  # a bug must not lose the journal's truth: ambiguous
            self._failed(item, ServerError(f"internal error: {type(exc).__name__}: {exc}"))
            return
        self.journal.mark_submitted(self.url, self.run, item.key, result.id, found=result.found)
        with self._lock:
            self.outcome.sent.append(Sent(item.key, item.name, result.id, result.found))
        self._progress()

    def _failed(self, item: Outgoing, exc: ClientError) -> None:
        ambiguous = _maybe_created(exc)
        self.journal.mark_failed(self.url, self.run, item.key, exc.message, ambiguous=ambiguous)
        if ambiguous:  # it may still arrive: the next run lists it no sooner than a window on
            later = time.time() + self.client.in_flight_seconds()
            self.journal.extend_deadline(self.url, self.run, item.key, later)
        pointer = _pointer(exc, item.body)
        with self._lock:
            self.outcome.failed.append(Failed(item.key, item.name, exc.message, ambiguous, pointer))
            if isinstance(exc, FATAL) and self.outcome.fatal is None:
                self.outcome.fatal = exc.message
                self.stop.set()
        self._progress()

    def _progress(self) -> None:
        if self.on_progress is None:
            return
        with self._lock:
            done, failed = len(self.outcome.sent), len(self.outcome.failed)
        self.on_progress(done, failed)


def _pointer(exc: ClientError, body: bytes) -> str | None:
    if not isinstance(exc, RejectedError):
        return None
    message = exc.message.split(": ", 1)[-1]
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return pointer_for(message, document)


def _maybe_created(exc: ClientError) -> bool:
    """Whether the job may exist after this failure (then the next run asks by label)."""
    if isinstance(exc, AmbiguousSubmissionError):
        return True
    if isinstance(exc, TransportError):
        return exc.sent
    return isinstance(exc, ServerError)
