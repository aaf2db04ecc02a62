"""The values the download engine takes, tells and gives: points, their outputs, problems,
progress events and the report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from prominence_spec.client.credentials import Token

Kind = Literal["file", "dir"]


class Api(Protocol):
    """What the engine asks of :class:`~prominence_spec.client.api.Client`."""

    token: Token

    def describe_job(self, job_id: int) -> dict[str, Any]: ...
    def stdout(self, job_id: int, *, node: int = 0, offset: int = 0) -> bytes: ...
    def stderr(self, job_id: int, *, node: int = 0, offset: int = 0) -> bytes: ...
    def reload_token(self) -> bool: ...
    def list_jobs(self, **filters: Any) -> list[dict[str, Any]]: ...
    def statuses(
        self, ids: Iterable[int], *, workflows: bool = False, detail: bool = False
    ) -> dict[int, dict[str, Any]]: ...


#: Stable kinds of :class:`Problem`.
PROBLEM_KINDS = (
    "unsafe-name",  # a name from the server would leave the point's folder
    "unsafe-archive",  # an archive member is a link, a device, absolute or climbs out
    "bad-archive",  # an output directory's archive cannot be read
    "expired",  # the storage still refused the URL after the record was fetched anew
    "http",  # the storage answered with an error status
    "network",  # the connection failed
    "size",  # fewer or more bytes than the record says
    "write",  # the file could not be written
    "api",  # the API refused to give the job's record or output
)


@dataclass(frozen=True)
class Output:
    """One entry of a record's ``outputFiles`` (``file``) or ``outputDirs`` (``dir``):
    ``position`` is its place in that list (how a fresh record's URL is found again)."""

    kind: Kind
    position: int
    name: str
    url: str
    size: int | None


@dataclass(frozen=True)
class Point:
    """What to fetch into one folder: ``folder`` relative to the download's root, the
    job's record (with detail), and ``params`` (written as ``params.json``)."""

    folder: str
    job_id: int
    record: Mapping[str, Any]
    params: Mapping[str, Any]
    #: stdout/stderr are read by job id; None reads nothing (a record without a job).
    streams: bool = True


@dataclass(frozen=True)
class Problem:
    """Something that could not be fetched; ``kind`` is one of :data:`PROBLEM_KINDS`."""

    kind: str
    message: str
    folder: str
    name: str | None = None
    hint: str | None = None

    def line(self) -> str:
        where = f"{self.folder}/{self.name}" if self.name else self.folder
        text = f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


@dataclass(frozen=True)
class Planned:
    """Told once, before fetching: how many points, files (outputs, stdout.txt and
    stderr.txt) and bytes (the outputs', as far as the records give sizes)."""

    points: int
    files: int
    bytes: int


@dataclass(frozen=True)
class Received:
    """Bytes arrived (told per chunk)."""

    bytes: int


@dataclass(frozen=True)
class FileDone:
    """An output, or a stdout.txt or stderr.txt, is in place: fetched, or ``kept``
    (already there); ``size`` counts toward the planned bytes (0 for a stream)."""

    folder: str
    name: str
    size: int
    kept: bool


@dataclass(frozen=True)
class PointDone:
    folder: str
    job_id: int


@dataclass(frozen=True)
class Found:
    """A problem, told as soon as it is met."""

    problem: Problem


Event = Planned | Received | FileDone | PointDone | Found
#: Which of a point's outputs to fetch: called with ``"file"``, ``"dir"`` or ``"stream"``
#: and the name inside the point's folder (``stdout.txt`` for a stream); None fetches all.
Only = Callable[[str, str], bool]
#: Called from the engine's worker threads: it must be thread-safe and quick.
OnEvent = Callable[[Event], None]


@dataclass
class Report:
    """What a download did."""

    root: str
    points: int = 0
    #: Files fetched (outputs, stdout.txt and stderr.txt), and their bytes.
    fetched: int = 0
    fetched_bytes: int = 0
    #: Files already there, left as they were.
    kept: int = 0
    unavailable: int = 0  # outputs whose URL is "" (stage-out failed, or user storage)
    left_out: int = 0  # points not fetched: not completed (and no --all)
    problems: list[Problem] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)  # ids the server does not know
    #: Set when the API refused the token after it was read again: what to do.
    login_needed: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and not self.missing and self.login_needed is None
