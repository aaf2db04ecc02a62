"""``submit``: render and check every point, find what the server already has, send the rest.

1. The run id is computed from the inputs (:mod:`identity`); the journal's latest run for
   it is resumed unless ``new_run``.
2. Pass one renders every point, adds the identity labels and checks each body (valid,
   at most 1 MiB, and the same as the journal's digest for points already sent). Nothing
   is sent if anything is wrong. Only a small summary per point is kept.
3. One listing by the run's label (:mod:`run_jobs`) settles every point: a journal id the
   server still shows under its point is "already there"; one it does not show was lost
   by the server and the point is sent again; a point the journal lacks, or has as
   ``sending``/``ambiguous``, is adopted when the listing has it (a POST that may still be
   in flight is waited for until its deadline, then listed again).
4. Pass two renders again and streams the points still missing to the bulk sender.
5. When anything was sent, one more listing finds points with two jobs (another submit of
   the same run at the same time): they are reported, never hidden.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prominence_spec.client.api import Client
from prominence_spec.client.bulk import BulkOutcome, BulkSender, Outgoing, Progress
from prominence_spec.client.errors import ChangedSpecError, ClientError
from prominence_spec.client.journal import Journal, PointRecord, RunRecord, state_dir_for
from prominence_spec.client.plan import (
    MAX_BODY_BYTES,
    PointSummary,
    labelled_points,
    run_identity,
)
from prominence_spec.client.run_jobs import RunListing, list_run
from prominence_spec.client.source import SpecSource
from prominence_spec.diagnostics import Diagnostic, has_errors

_UNSURE = frozenset({"sending", "ambiguous"})
_RETRY_STATES = frozenset({"failed", "killed"})


@dataclass(frozen=True)
class PointResult:
    index: int
    name: str | None
    id: int | None = None
    error: str | None = None
    where: str | None = None  # file:line:col of the field a server message is about


@dataclass
class SubmitReport:
    run: str
    url: str
    total: int = 0
    submitted: list[PointResult] = field(default_factory=list)
    existing: list[PointResult] = field(default_factory=list)
    failed: list[PointResult] = field(default_factory=list)
    lost: list[PointResult] = field(default_factory=list)  # ids the server no longer has
    unknown: list[PointResult] = field(default_factory=list)  # may exist: not sent twice
    duplicates: list[tuple[int, list[int]]] = field(default_factory=list)
    label_checks: int = 0  # listings by the run's label
    unchecked: str | None = None  # why the listing after sending failed
    retried: int = 0
    found_by_label: int = 0
    not_sent: int = 0
    in_flight_abandoned: int = 0
    interrupted: bool = False
    fatal: str | None = None
    resumed: bool = False
    seconds: float = 0.0
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        complete = len(self.submitted) + len(self.existing) == self.total
        clean = not self.failed and not self.unknown and not self.duplicates
        return complete and clean and not has_errors(self.diagnostics)

    def as_dict(self) -> dict[str, Any]:
        def rows(items: list[PointResult], *, error: bool) -> list[dict[str, Any]]:
            if error:
                return [{"index": p.index, "name": p.name, "error": p.error} for p in items]
            return [{"index": p.index, "name": p.name, "id": p.id} for p in items]

        return {
            "run": self.run,
            "submitted": rows(self.submitted, error=False),
            "existing": rows(self.existing, error=False),
            "failed": rows(self.failed, error=True),
            "unknown": rows(self.unknown, error=True),
            "lost": rows(self.lost, error=False),
            "duplicates": [{"index": key, "ids": ids} for key, ids in self.duplicates],
        }


class Submit:
    """One ``promspec submit`` of one spec."""

    def __init__(
        self,
        client: Client,
        source: SpecSource,
        *,
        state: str | Path | None = None,
        new_run: bool = False,
        retry_failed: bool = False,
        concurrency: int = 8,
        on_progress: Progress | None = None,
        on_phase: Callable[[str, int], None] | None = None,
    ) -> None:
        self.client, self.source = client, source
        self.url = client.url
        self.folder = state_dir_for(source.path, state)
        self.new_run, self.retry_failed = new_run, retry_failed
        self.concurrency = concurrency
        self.on_progress = on_progress
        self.on_phase = on_phase or (lambda phase, count: None)

    def run(self) -> SubmitReport:
        started = time.monotonic()
        with Journal.open(self.folder) as journal:
            report = self._run(journal)
        report.seconds = time.monotonic() - started
        return report

    def _run(self, journal: Journal) -> SubmitReport:
        ident = run_identity(self.source, self.url, journal, new_run=self.new_run)
        report = SubmitReport(ident.run, self.url, resumed=ident.record is not None)
        if has_errors(self.source.diagnostics):
            report.diagnostics = self.source.diagnostics
            return report
        known = journal.points(self.url, ident.run) if ident.record else {}
        self.on_phase("checking", 0)
        summaries = self._first_pass(ident.run, known, report)
        report.total = len(summaries)
        if has_errors(report.diagnostics):
            return report
        journal.add_run(
            RunRecord(
                self.url,
                ident.run,
                ident.base,
                ident.nonce,
                str(self.source.path.resolve()),
                self.source.mode,
                len(summaries),
                ident.record.created if ident.record else time.time(),
            )
        )
        work = _Work(self, journal, ident.run, summaries, known, report)
        work.settle()
        self.on_phase("sending", len(work.to_send))
        outcome = BulkSender(
            self.client,
            journal,
            ident.run,
            concurrency=self.concurrency,
            on_progress=self.on_progress,
        ).send_all(work.outgoing())
        work.finish(outcome)
        if outcome.sent:
            work.check_duplicates()
        return report

    def _first_pass(
        self, run: str, known: dict[int, PointRecord], report: SubmitReport
    ) -> list[PointSummary]:
        summaries: list[PointSummary] = []
        changed: list[int] = []
        for summary, body in labelled_points(self.source, run):
            if len(body) > MAX_BODY_BYTES:
                report.diagnostics.append(_too_large(self.source, summary, len(body)))
            record = known.get(summary.key)
            if record and record.state != "rejected" and record.digest != summary.digest:
                changed.append(summary.key)
            summaries.append(summary)
        report.diagnostics[:0] = self.source.diagnostics
        if changed and not has_errors(report.diagnostics):
            raise ChangedSpecError(_changed_message(run, changed))
        return summaries


class _Work:
    """Which points exist, which to check, which to send; then the report.

    One listing by the run's label (:mod:`run_jobs`) is the truth: a journal id the
    listing does not show under its point was lost by the server (it may now be someone
    else's job) and the point is sent again; any point the journal does not show as
    confirmed is looked up in the same listing before it is sent.
    """

    def __init__(
        self,
        submit: Submit,
        journal: Journal,
        run: str,
        summaries: list[PointSummary],
        known: dict[int, PointRecord],
        report: SubmitReport,
    ) -> None:
        self.submit, self.journal, self.run = submit, journal, run
        self.client, self.url = submit.client, submit.url
        self.summaries = {s.key: s for s in summaries}
        self.known, self.report = known, report
        self.history = journal.known_ids(self.url, run)
        self.existing: dict[int, int] = {}
        self.status: dict[int, str | None] = {}
        self.to_send: dict[int, int] = {}  # key -> attempt

    def settle(self) -> None:
        self.submit.on_phase("asking the server", len(self.summaries))
        listing = self.listing()
        in_flight = [key for key in self.summaries if self._classify(key, listing)]
        self._after_deadlines(in_flight)
        self.report.duplicates = self.duplicates(listing)
        if self.submit.retry_failed:
            self._retry_failed()

    def listing(self) -> RunListing:
        kinds = {s.kind for s in self.summaries.values()}
        found = list_run(self.client, self.run, jobs="job" in kinds, workflows="workflow" in kinds)
        self.report.label_checks += found.requests
        return found

    def _classify(self, key: int, listing: RunListing) -> bool:
        """Decide what the point needs; True when its POST may still be in flight."""
        record = self.known.get(key)
        confirmed = record.job_id if record is not None and record.state == "submitted" else None
        if confirmed is not None and listing.has(key, confirmed):
            self._exists(key, confirmed, listing)
            return False
        earlier = set(self.history.get(key, ()))
        if confirmed is not None:
            earlier.add(confirmed)
        job = listing.current(key, earlier)
        if job is not None:
            self._found(key, job.id, job.status)
            return False
        attempt = record.attempt if record is not None else 1
        if confirmed is not None:  # the server lost it: a new attempt
            self.report.lost.append(PointResult(key, self.summaries[key].name, confirmed))
            self.history.setdefault(key, []).append(confirmed)
            self.to_send[key] = attempt + 1
            return False
        if record is not None and record.state in _UNSURE and (record.deadline or 0) > time.time():
            return True
        self.to_send[key] = attempt
        return False

    def _exists(self, key: int, job_id: int, listing: RunListing) -> None:
        self.existing[key] = job_id
        self.status[key] = next((j.status for j in listing.of(key) if j.id == job_id), None)

    def _after_deadlines(self, keys: list[int]) -> None:
        """Points whose POST may still be on its way: wait until it cannot be, list again."""
        if not keys:
            return
        until = max(self.known[k].deadline or 0 for k in keys)
        self.submit.on_phase("waiting for requests that may still be in flight", len(keys))
        time.sleep(max(0.0, until - time.time()))
        listing = self.listing()
        for key in keys:
            job = listing.current(key, self.history.get(key, ()))
            if job is not None:
                self._found(key, job.id, job.status)
            else:
                self.to_send[key] = self.known[key].attempt

    def duplicates(self, listing: RunListing) -> list[tuple[int, list[int]]]:
        """Jobs-mode points with more than one job of the current attempt (a concurrent
        submit). A workflow point's later labelled workflows are what a re-run makes
        (``prominence rerun``, ``--retry-failed``), so they are not duplicates."""
        found = []
        for key, jobs in sorted(listing.by_key().items()):
            summary = self.summaries.get(key)
            if summary is None or summary.kind == "workflow":
                continue
            earlier = set(self.history.get(key, ())) - {self.existing.get(key)}
            ids = [job.id for job in jobs if job.id not in earlier]
            if len(ids) > 1:
                found.append((key, ids))
        return found

    def check_duplicates(self) -> None:
        """After sending: one more listing; a failing one leaves the report as it is."""
        try:
            self.report.duplicates = self.duplicates(self.listing())
        except ClientError as exc:
            self.report.unchecked = exc.message
        for key, ids in self.report.duplicates:  # every submitter keeps the same one: the first
            self.journal.mark_submitted(self.url, self.run, key, ids[0], found=True)

    def _found(self, key: int, job_id: int, status: str | None = None) -> None:
        summary = self.summaries[key]
        record = self.known.get(key)
        attempt = record.attempt if record else 1
        self.journal.mark_submitted(
            self.url,
            self.run,
            key,
            job_id,
            found=True,
            name=summary.name,
            kind=summary.kind,
            digest=summary.digest,
            attempt=attempt,
        )
        self.to_send.pop(key, None)
        self.existing[key] = job_id
        self.status[key] = status
        self.report.found_by_label += 1

    def _retry_failed(self) -> None:
        for key, job_id in list(self.existing.items()):
            if self.status.get(key) in _RETRY_STATES:
                del self.existing[key]
                if self.summaries[key].kind == "workflow":
                    self._rerun(key, job_id)
                    continue
                record = self.known.get(key)
                self.to_send[key] = (record.attempt if record else 1) + 1
                self.history.setdefault(key, []).append(job_id)
                self.report.retried += 1

    def _rerun(self, key: int, workflow_id: int) -> None:
        """A failed workflow runs again as the server re-runs it (only what failed)."""
        from prominence_spec.client.rerun import rerun_point

        record = self.known.get(key)
        summary = self.summaries[key]
        done = rerun_point(
            self.client,
            self.journal,
            self.run,
            summary,
            workflow_id,
            record.attempt if record else 1,
        )
        self.report.retried += 1
        if done.id is None:
            self.report.failed.append(PointResult(key, summary.name, None, done.error))
        else:
            self.report.submitted.append(PointResult(key, summary.name, done.id))

    def outgoing(self) -> Iterator[Outgoing]:
        if not self.to_send:
            return
        for summary, body in labelled_points(self.submit.source, self.run):
            attempt = self.to_send.get(summary.key)
            if attempt is None:
                continue
            if summary.digest != self.summaries[summary.key].digest:
                raise ChangedSpecError(
                    f"point {summary.key} rendered differently on the second pass (a file the "
                    "spec reads changed during the submit); run the submit again"
                )
            yield Outgoing(
                summary.key,
                summary.name,
                summary.kind,
                body,
                summary.digest,
                attempt,
                tuple(self.history.get(summary.key, ())),
            )

    def finish(self, outcome: BulkOutcome) -> None:
        report = self.report
        for key in sorted(self.existing):
            report.existing.append(PointResult(key, self.summaries[key].name, self.existing[key]))
        for sent in sorted(outcome.sent, key=lambda s: s.key):
            report.submitted.append(PointResult(sent.key, sent.name, sent.id))
            report.found_by_label += int(sent.found)
        for failed in sorted(outcome.failed, key=lambda f: f.key):
            where = self._where(failed.pointer)
            result = PointResult(failed.key, failed.name, None, failed.error, where)
            (report.unknown if failed.ambiguous else report.failed).append(result)
        report.interrupted = outcome.interrupted
        report.fatal = outcome.fatal
        report.in_flight_abandoned = outcome.in_flight_abandoned
        done = len(outcome.sent) + len(outcome.failed) + outcome.in_flight_abandoned
        report.not_sent = max(0, len(self.to_send) - done)

    def _where(self, pointer: str | None) -> str | None:
        if pointer is None:
            return None
        found = self.submit.source.position(pointer)
        return f"{found[0]}:{found[1]}:{found[2]}" if found else None


def _too_large(source: SpecSource, summary: PointSummary, size: int) -> Diagnostic:
    return Diagnostic(
        "PS413",
        f"point {summary.key}: the request body with promspec's identity labels is "
        f"{size:,} bytes, more than the server's 1 MiB limit (HTTP 413)",
        path=str(source.path),
        hint="make inputs smaller, or move files into artifacts",
    )


def _changed_message(run: str, keys: list[int]) -> str:
    shown = ", ".join(str(k) for k in keys[:5]) + (
        f" and {len(keys) - 5} more" if len(keys) > 5 else ""
    )
    return (
        f"run {run} already sent point(s) {shown} with a different body: the spec, a file it "
        "reads, or the way promspec renders it changed since; pass --new-run to submit the "
        "spec as a new run (its jobs are sent again), or restore the spec to resume"
    )
