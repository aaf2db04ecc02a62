"""A run's jobs as the server has them: one listing by the run's label, with detail.

``GET /jobs?all=true&constraint=promspecrun=<run>&detail=true`` (and ``/workflows`` for a
run of workflows) returns every job of the run, active or finished, with its labels (the
list form has none: only ``detail`` shows them). Each job is filed under the point its
``promspecid`` names; a job whose two labels disagree is not the run's. This is the one
truth about what a run has on the server: a journal's ids are checked against it before
``submit`` calls a point "already there" and before ``status``, ``delete`` and the others
act on them, since a server that lost its data hands the same ids to other jobs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prominence_spec.client.api import Client
from prominence_spec.client.identity import RUN_LABEL, point_key


@dataclass(frozen=True)
class RunJob:
    """One job (or workflow) of a run, as the detail listing shows it."""

    key: int  # the point
    id: int
    workflow: bool
    record: dict[str, Any]

    @property
    def status(self) -> str | None:
        value = self.record.get("status")
        return value if isinstance(value, str) else None

    @property
    def name(self) -> str | None:
        value = self.record.get("name")
        return value if isinstance(value, str) else None


@dataclass
class RunListing:
    """Every job of ``run`` on the server, by point; ``requests`` says what it cost."""

    run: str
    jobs: list[RunJob] = field(default_factory=list)
    requests: int = 0
    _index: dict[int, list[RunJob]] | None = field(default=None, repr=False, compare=False)

    def by_key(self) -> dict[int, list[RunJob]]:
        """Point key -> its jobs in id order (built once: a run may have 100,000 points)."""
        if self._index is None:
            index: dict[int, list[RunJob]] = {}
            for job in self.jobs:
                index.setdefault(job.key, []).append(job)
            self._index = index
        return self._index

    def of(self, key: int) -> list[RunJob]:
        """The point's jobs, in id order."""
        return self.by_key().get(key, [])

    def has(self, key: int, job_id: int) -> bool:
        return any(job.id == job_id for job in self.of(key))

    def current(self, key: int, exclude: Iterable[int] = ()) -> RunJob | None:
        """The point's job: the lowest id not in ``exclude`` (earlier attempts' jobs)."""
        left = set(exclude)
        found = [job for job in self.of(key) if job.id not in left]
        return found[0] if found else None

    def add(self, job: RunJob) -> None:
        self.jobs.append(job)
        self._index = None


def list_run(client: Client, run: str, *, jobs: bool = True, workflows: bool = False) -> RunListing:
    """One listing per kind asked for (jobs, workflows) of everything labelled ``run``."""
    listing = RunListing(run)
    found: dict[tuple[int, bool], RunJob] = {}
    for workflow in [kind for kind, wanted in ((False, jobs), (True, workflows)) if wanted]:
        listing.requests += 1
        for item in client.find(RUN_LABEL, run, workflows=workflow, detail=True):
            key = run_point_key(item, run)
            if key is not None and type(item.get("id")) is int:
                # once each: a job that ends while the server reads its queue and then its
                # history is in both (production's listing has the same race); the later
                # record is the newer one
                found[(item["id"], workflow)] = RunJob(key, item["id"], workflow, item)
    for job in sorted(found.values(), key=lambda job: (job.id, job.workflow)):
        listing.add(job)
    return listing


def run_point_key(item: dict[str, Any], run: str) -> int | None:
    """The point a record's labels name, when both labels are this run's; else None."""
    labels = item.get("labels")
    if not isinstance(labels, dict) or labels.get(RUN_LABEL) != run:
        return None
    return point_key(item, run)


__all__ = ["RunJob", "RunListing", "list_run", "run_point_key"]
