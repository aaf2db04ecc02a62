"""``Client``: every PROMINENCE operation promspec uses, for scripts and notebooks.

```python
from prominence_spec.client import Client

with Client() as client:                      # URL and token as the CLI resolves them
    job_id = client.create_job({"name": "pi", "resources": {...}, "tasks": [...]})
    print(client.describe_job(job_id)["status"])
    print(client.stdout(job_id).decode())
```

Answers are plain dicts (the server's JSON) and small dataclasses; failures raise one
exception class per failure class (:mod:`prominence_spec.client.errors`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from prominence_spec.client.config import resolve_url
from prominence_spec.client.credentials import Token, check_expiry, load_token, token_from_value
from prominence_spec.client.errors import (
    AmbiguousSubmissionError,
    ClientError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
    ServerError,
    TransportError,
)
from prominence_spec.client.http import LOG, Reply, RetryPolicy, Transport, retry_after_note
from prominence_spec.client.identity import ID_LABEL
from prominence_spec.client.polling import until
from prominence_spec.client.responses import (
    expect_json,
    expect_list,
    fail,
    looks_like_html_page,
    page_title,
    summary,
)

TERMINAL = frozenset({"completed", "failed", "deleted", "killed"})
_GATEWAY = frozenset({502, 504})  # a proxy's answer: the server itself may still act on it
_CHUNK = 100  # ids per ?id= query


@dataclass(frozen=True)
class Submitted:
    """A created job or workflow; ``found`` when it was found by label after an ambiguity."""

    id: int
    found: bool = False


def _kind_path(workflows: bool) -> str:
    return "/workflows" if workflows else "/jobs"


class Client:
    """A PROMINENCE API client: one pooled session, retries, no token ever shown."""

    def __init__(
        self,
        url: str | None = None,
        *,
        token: str | None = None,
        token_file: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: tuple[float, float] = (10.0, 150.0),
        concurrency: int = 8,
        policy: RetryPolicy | None = None,
    ) -> None:
        environ = os.environ if env is None else env
        self.url = resolve_url(url, environ)
        self.token = self._token(token, token_file, environ)
        self.policy = policy or RetryPolicy()
        self.transport = Transport(
            self.url,
            self.token,
            timeout=timeout,
            pool_size=concurrency,
            policy=self.policy,
            user_agent=_user_agent(),
        )

    @staticmethod
    def _token(token: str | None, token_file: str | None, env: Mapping[str, str]) -> Token:
        if token is not None:
            found = token_from_value(token, "the token argument")
            check_expiry(found)
            return found
        return load_token(token_file, env)

    def __repr__(self) -> str:
        return f"Client({self.url!r}, token=***)"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.transport.close()

    # -- submission ------------------------------------------------------------------------
    def create_job(self, job: Mapping[str, Any] | bytes) -> int:
        """POST /jobs; the new id. An ambiguous outcome raises (no label to check by)."""
        return self.submit(_body(job), workflow=False).id

    def create_workflow(self, workflow: Mapping[str, Any] | bytes) -> int:
        return self.submit(_body(workflow), workflow=True).id

    def submit(
        self,
        body: bytes,
        *,
        workflow: bool,
        identity: str | None = None,
        known_ids: Iterable[int] = (),
        should_stop: Callable[[], bool] | None = None,
        before_resend: Callable[[], None] | None = None,
    ) -> Submitted:
        """POST a body, never creating two jobs for it.

        ``identity`` is the body's ``promspecid`` label: after an ambiguous failure (reset,
        read timeout, 500/502/503/504) the server is asked by that label before the body is
        sent again. ``known_ids`` are earlier attempts' jobs, which do not count as found.
        ``before_resend`` is called before each sending after the first.
        """
        submission = _Submission(self, body, workflow, identity, set(known_ids), should_stop)
        submission.before_resend = before_resend or (lambda: None)
        return submission.run()

    def in_flight_seconds(self) -> float:
        """How long after it is sent a request can still reach the server."""
        return float(sum(self.transport.timeout))

    # -- reading -----------------------------------------------------------------------------
    def describe_job(self, job_id: int) -> dict[str, Any]:
        return self._describe(job_id, workflows=False)

    def describe_workflow(self, workflow_id: int) -> dict[str, Any]:
        return self._describe(workflow_id, workflows=True)

    def _describe(self, ident: int, *, workflows: bool) -> dict[str, Any]:
        what = f"{'workflow' if workflows else 'job'} {ident}"
        reply = self.transport.call("GET", f"{_kind_path(workflows)}/{int(ident)}")
        found = expect_list(reply, token=self.token, what=what)
        if not found:
            raise NotFoundError(f"no such {what}", status=reply.status, kind="no-job")
        return found[0]

    def list_jobs(self, **filters: Any) -> list[dict[str, Any]]:
        """GET /jobs. Filters: completed, num, all, status, constraint ("k=v"), name, ids,
        workflow (a workflow id: its jobs), detail."""
        return self._list(False, **filters)

    def list_workflows(self, **filters: Any) -> list[dict[str, Any]]:
        """GET /workflows, with the same filters as :meth:`list_jobs` (no ``workflow``)."""
        return self._list(True, **filters)

    def _list(self, workflows: bool, **filters: Any) -> list[dict[str, Any]]:
        params = list_params(**filters)
        reply = self.transport.call("GET", _kind_path(workflows), params=params)
        what = "list workflows" if workflows else "list jobs"
        return expect_list(reply, token=self.token, what=what)

    def find(
        self, key: str, value: str, *, workflows: bool = False, detail: bool = False
    ) -> list[dict[str, Any]]:
        """Every job (or workflow), active or finished, whose label ``key`` is ``value``."""
        return self._list(workflows, all=True, constraint=f"{key}={value}", detail=detail)

    def statuses(
        self, ids: Iterable[int], *, workflows: bool = False, detail: bool = False
    ) -> dict[int, dict[str, Any]]:
        """The current records of many jobs, a few ``?id=`` queries; unknown ids are absent."""
        wanted = sorted({int(i) for i in ids})
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            filters: dict[str, Any] = {"ids": chunk, "detail": detail}
            if workflows:
                filters["all"] = True
            for item in self._list(workflows, **filters):
                if isinstance(item.get("id"), int) and item["id"] in chunk:
                    found[item["id"]] = item
        return found

    def stdout(self, job_id: int, *, node: int = 0, offset: int = 0) -> bytes:
        return self._stream(f"/jobs/{int(job_id)}/stdout", node, offset, f"job {job_id}")

    def stderr(self, job_id: int, *, node: int = 0, offset: int = 0) -> bytes:
        return self._stream(f"/jobs/{int(job_id)}/stderr", node, offset, f"job {job_id}")

    def workflow_output(
        self,
        workflow_id: int,
        job_name: str,
        instance: int | None = None,
        *,
        stream: str = "stdout",
        offset: int = 0,
    ) -> bytes:
        """stdout/stderr of a workflow's job by name (and factory instance)."""
        from urllib.parse import quote

        path = f"/workflows/{int(workflow_id)}/{quote(job_name, safe='')}"
        if instance is not None:
            path += f"/{int(instance)}"
        return self._stream(f"{path}/{stream}", None, offset, f"workflow {workflow_id}")

    def _stream(self, path: str, node: int | None, offset: int, what: str) -> bytes:
        params = {"offset": str(offset)}
        if node:
            params["node"] = str(node)
        reply = self.transport.call("GET", path, params=params)
        if reply.status != 200:
            fail(reply, token=self.token, what=what)
        data = reply.json() if reply.content[:1] == b"{" else None
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            fail(reply, token=self.token, what=what)
        if looks_like_html_page(reply.content):
            self._check_api(reply, what)
        return reply.content

    def _check_api(self, reply: Reply, what: str) -> None:
        """An HTML page as a job's output: the job's own, if the URL is the API's at all
        (its /health answers 204 or JSON); else a portal or proxy answered, not the API."""
        probe = self.transport.call("GET", "/health")
        if probe.status == 204 or probe.decoded()[1] is None:
            return
        title = page_title(reply.content)
        raise ServerError(
            f"{what}: HTTP 200 with an HTML page{f' ({title})' if title else ''} instead of "
            f"the output, and {self.url}/health is not the API's answer either: is the URL "
            "right? (it should end in /api/v1)",
            status=reply.status,
        )

    # -- changing --------------------------------------------------------------------------
    def delete_job(self, job_id: int) -> None:
        self.delete([job_id])

    def delete_workflow(self, workflow_id: int) -> None:
        self.delete([workflow_id], workflows=True)

    def delete(self, ids: Iterable[int], *, workflows: bool = False) -> None:
        """DELETE one or several; NotFoundError when none of them could be deleted."""
        wanted = [int(i) for i in ids]
        if not wanted:
            return
        path = _kind_path(workflows)
        if len(wanted) == 1:
            reply = self.transport.call("DELETE", f"{path}/{wanted[0]}")
        else:
            reply = self.transport.call("DELETE", path, params={"id": _ids(wanted)})
        what = f"delete {'workflow' if workflows else 'job'} {_ids(wanted)}"
        expect_json(reply, (200,), token=self.token, what=what)

    def rerun_workflow(self, workflow_id: int) -> int:
        """``PUT /workflows/<id>``: re-run a finished workflow's failed jobs and the jobs
        that never ran because of them, as a new workflow (its id); its completed jobs
        stay done. Sent once: a PUT that may have arrived is not sent again."""
        what = f"re-run workflow {int(workflow_id)}"
        self.transport.wait_gate()
        reply = self.transport.send("PUT", f"/workflows/{int(workflow_id)}")
        data = expect_json(reply, (200, 201), token=self.token, what=what)
        if not isinstance(data, dict) or type(data.get("id")) is not int:
            raise ServerError(f"{what}: HTTP {reply.status} without a new id", status=reply.status)
        return int(data["id"])

    # -- waiting ---------------------------------------------------------------------------
    def wait(
        self,
        ids: Iterable[int],
        *,
        workflows: bool = False,
        interval: float = 2.0,
        timeout: float | None = None,
        on_update: Callable[[dict[int, dict[str, Any]]], None] | None = None,
    ) -> dict[int, dict[str, Any]]:
        """Poll until every job is terminal (or ``timeout`` s pass); the last records."""
        wanted = {int(i) for i in ids}
        records: dict[int, dict[str, Any]] = {}
        for records in until(
            lambda: self.statuses(wanted, workflows=workflows),
            lambda found: all(found.get(i, {}).get("status") in TERMINAL for i in wanted),
            interval=interval,
            timeout=timeout,
        ):
            if on_update is not None:
                on_update(records)
        return records

    def health(self) -> bool:
        reply = self.transport.call("GET", "/health")
        return reply.status == 204


def list_params(
    *,
    completed: bool = False,
    num: int | None = None,
    all: bool = False,  # noqa: A002 - the API's own name
    status: str | None = None,
    constraint: str | None = None,
    name: str | None = None,
    ids: Iterable[int] | None = None,
    workflow: int | None = None,
    detail: bool = False,
) -> dict[str, str]:
    params: dict[str, str] = {}
    if completed:
        params["completed"] = "true"
        if num is not None:
            params["num"] = str(num)
    if all:
        params["all"] = "true"
    if status:
        params["status"] = status
    if constraint:
        params["constraint"] = constraint
    if name:
        params["name"] = name
    if workflow is not None:
        params["workflow"] = "true"
        params["id"] = str(int(workflow))
    elif ids is not None:
        params["id"] = _ids(ids)
    if detail:
        params["detail"] = "true"
    return params


def _ids(ids: Iterable[int]) -> str:
    return ",".join(str(int(i)) for i in ids)


def _body(document: Mapping[str, Any] | bytes) -> bytes:
    if isinstance(document, bytes):
        return document
    from prominence_spec.client.source import body_bytes

    return body_bytes(document)


def _user_agent() -> str:
    from prominence_spec.version import __version__

    return f"promspec/{__version__}"


class _Submission:
    """The POST protocol for one body: send, classify, reconcile by label, re-send."""

    def __init__(
        self,
        client: Client,
        body: bytes,
        workflow: bool,
        identity: str | None,
        known: set[int],
        should_stop: Callable[[], bool] | None,
    ) -> None:
        self.client, self.body, self.workflow = client, body, workflow
        self.identity, self.known = identity, known
        self.transport = client.transport
        self.policy = client.policy
        self.should_stop = should_stop or (lambda: False)
        self.path = _kind_path(workflow)
        self.what = f"POST {self.path}"
        self.before_resend: Callable[[], None] = lambda: None

    def run(self) -> Submitted:
        attempt = 0
        while True:
            attempt += 1
            self.transport.wait_gate()
            if attempt > 1:
                self.before_resend()
            answered = False
            try:
                reply = self.transport.send("POST", self.path, body=self.body)
            except TransportError as exc:
                error: ClientError = exc
                ambiguous = exc.sent
                answered = exc.kind != "timeout"  # closed or reset: the server is done with it
            else:
                created = _created(reply)
                if created is not None:
                    return Submitted(created)
                error, ambiguous = self._judge(reply)
                answered = reply.status not in _GATEWAY
            if ambiguous:
                found = self._reconcile(error)
                if found is not None:
                    return found
                if not answered:
                    raise self._in_doubt(error)
            self._backoff_or_raise(attempt, error)

    def _judge(self, reply: Reply) -> tuple[ClientError, bool]:
        """(error, ambiguous) for an answer worth retrying; raises the final ones."""
        if self.transport.asks_too_long(reply):  # not waited for: this point fails now
            cap = self.policy.retry_after_cap
            fail(
                replace(reply, note=retry_after_note(reply, cap)),
                token=self.client.token,
                what=self.what,
            )
        line = summary(reply, self.client.token)
        if reply.status == 429:
            self.transport.pause(reply)
            wait = reply.retry_after(self.policy.retry_after_cap)
            return RateLimitedError(f"{self.what}: {line}", status=429, retry_after=wait), False
        if outcome_ambiguous(reply):
            self.transport.pause(reply)
            return ServerError(f"{self.what}: {line}", status=reply.status), True
        fail(reply, token=self.client.token, what=self.what)

    def _backoff_or_raise(self, attempt: int, error: ClientError) -> None:
        if self.should_stop() or attempt >= self.policy.attempts:
            raise error
        if not self.transport.spend_retry():
            raise error
        self.transport.sleep(self.policy.delay(attempt))

    def _reconcile(self, error: ClientError) -> Submitted | None:
        """Ask the server by label whether the ambiguous POST created the job."""
        if self.identity is None:
            raise AmbiguousSubmissionError(
                f"{error.message}: the server may have created it; check with `promspec list`",
                status=error.status,
            )
        LOG.info("%s: %s; asking the server by label", self.identity, error.message)
        for _ in range(max(1, self.policy.reconcile_reads)):
            if self.policy.reconcile_gap:
                self.transport.sleep(self.policy.reconcile_gap)
            found = self.lookup()
            if found is not None:
                LOG.info("%s: found as %d by label %s", self.identity, found, ID_LABEL)
                return Submitted(found, found=True)
        LOG.info("%s: not on the server; sending again", self.identity)
        return None

    def _in_doubt(self, error: ClientError) -> AmbiguousSubmissionError:
        """No answer in time (a read timeout, a 502/504 from a proxy): the server may still be
        working on the POST and create the job later, so it is not sent again; the next
        submit asks. (A connection closed or reset without an answer is not this case: the
        server is done with the request, as with a stale keep-alive connection.)"""
        LOG.info("%s: not on the server yet, may still arrive: not sent again", self.identity)
        return AmbiguousSubmissionError(
            f"{error.message}; the job is not on the server yet, but the request may still "
            "reach it: not sent twice (the next submit asks by label first)",
            status=error.status,
        )

    def lookup(self) -> int | None:
        if self.identity is None:
            return None
        try:
            jobs = self.client.find(ID_LABEL, self.identity, workflows=self.workflow)
        except (TransportError, ServerError, RejectedError) as exc:
            raise AmbiguousSubmissionError(
                f"could not check by label whether {self.identity} exists ({exc.message})",
                status=exc.status,
            ) from None
        ids = sorted(
            j["id"] for j in jobs if type(j.get("id")) is int and j["id"] not in self.known
        )
        return ids[0] if ids else None


def _created(reply: Reply) -> int | None:
    if reply.status not in (200, 201):
        return None
    data = reply.json()
    if isinstance(data, dict) and type(data.get("id")) is int and "error" not in data:
        return int(data["id"])
    return None


def outcome_ambiguous(reply: Reply) -> bool:
    """Answers after which the job may exist: 5xx, or a success without a usable id."""
    if reply.status >= 500:
        return True
    return reply.status in (200, 201)


logging.getLogger("prominence_spec.client").addHandler(logging.NullHandler())
