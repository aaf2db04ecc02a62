"""``submit --retry-failed`` for a workflow point: the server's own re-run.

``PUT /workflows/<id>`` makes a new workflow (a new id, the same name and labels) in which
only the failed jobs, and those that never ran because of them, run again. The new id is
the point's next attempt in the journal, recorded as ``sending`` before the PUT leaves: a
crash or a lost answer is settled by the next submit's listing by label (the re-run carries
the point's ``promspecid``; earlier attempts' ids are excluded). A refused re-run (400:
nothing was made) puts the point back to the workflow it had.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from prominence_spec.client.api import Client
from prominence_spec.client.errors import ClientError, ServerError, TransportError
from prominence_spec.client.journal import Journal
from prominence_spec.client.plan import PointSummary


@dataclass(frozen=True)
class Rerun:
    """How a re-run went: the new workflow's id, or why there is none."""

    key: int
    id: int | None
    error: str | None = None


def rerun_point(
    client: Client,
    journal: Journal,
    run: str,
    point: PointSummary,
    workflow_id: int,
    attempt: int,
) -> Rerun:
    """Re-run ``point``'s workflow ``workflow_id`` (its attempt ``attempt``) as attempt + 1."""
    url = client.url
    deadline = time.time() + client.in_flight_seconds()
    journal.mark_sending(
        url, run, point.key, point.name, point.kind, point.digest, attempt + 1, deadline
    )
    try:
        new_id = client.rerun_workflow(workflow_id)
    except (TransportError, ServerError) as exc:
        if isinstance(exc, TransportError) and not exc.sent:
            journal.restore(url, run, point.key, workflow_id, attempt)
            return Rerun(point.key, None, exc.message)
        journal.mark_failed(url, run, point.key, exc.message, ambiguous=True)
        note = "the re-run may exist: submit again to find it by label"
        return Rerun(point.key, None, f"{exc.message}; {note}")
    except ClientError as exc:  # refused: the server made nothing
        journal.restore(url, run, point.key, workflow_id, attempt)
        return Rerun(point.key, None, exc.message)
    journal.mark_submitted(url, run, point.key, new_id)
    return Rerun(point.key, new_id)


__all__ = ["Rerun", "rerun_point"]
