"""Bulk submission: every point's job exactly once, whatever the network does.

A fault-injecting TCP proxy sits between the client and a real ``promspec sandbox``
subprocess (noop executor). After each fault and a re-run of the submit, the server holds
every point's job exactly once and the journal agrees with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from prominence_spec.client import Client, JournalError
from prominence_spec.client.errors import ChangedSpecError
from prominence_spec.client.journal import Journal, state_dir_for
from prominence_spec.client.source import SpecSource
from prominence_spec.client.submit import Submit, SubmitReport

from client_support import (
    FakeProminence,
    assert_exactly_once,
    fast_policy,
    make_token,
    sweep_spec,
)
from fault_proxy import FaultProxy
from sandbox_support import Sandbox, shared_sandbox

POINTS = 24
TOKEN = ""  # the sandbox's, set by the fixture
FAKE_TOKEN = make_token()


@pytest.fixture(scope="module")
def server() -> Sandbox:
    global TOKEN
    box = shared_sandbox("noop")
    TOKEN = box.token
    return box


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProminence]:
    """For what a sandbox cannot be made to do on demand (a completed job turning failed)."""
    found = FakeProminence(FAKE_TOKEN)
    yield found
    found.close()


def _port(url: str) -> int:
    return int(url.split(":")[2].split("/")[0])


@pytest.fixture
def proxy(server: Sandbox) -> Iterator[FaultProxy]:
    found = FaultProxy(("127.0.0.1", _port(server.url)))
    yield found
    found.close()


def client_for(url: str, timeout: float = 1.0, token: str | None = None) -> Client:
    return Client(url, token=token or TOKEN, policy=fast_policy(attempts=4), timeout=(0.3, timeout))


def submit(url: str, spec: Path, token: str | None = None, **options: object) -> SubmitReport:
    with client_for(url, token=token) as client:
        options.setdefault("concurrency", 4)
        return Submit(client, SpecSource(spec), **options).run()  # type: ignore[arg-type]


FAULTS = {
    "500 after creating": [
        ("status_after", {"status": 500, "body": b"<html>x</html>", "times": 3, "skip": 2})
    ],
    "502/504 after creating": [
        ("status_after", {"status": 502, "times": 2, "skip": 1}),
        ("status_after", {"status": 504, "times": 2, "skip": 6}),
    ],
    "429 then fine": [("status", {"status": 429, "headers": {"Retry-After": "0"}, "times": 4})],
    "503 not processed": [
        ("status", {"status": 503, "headers": {"Retry-After": "0"}, "times": 3, "skip": 3})
    ],
    "reset before the server sees it": [("reset_before", {"times": 4, "skip": 1})],
    "reset after the server answered": [("reset_after", {"times": 4, "skip": 2})],
    "accepted, then silent": [("hang_after", {"times": 2, "skip": 5, "seconds": 2.0})],
    "slow answers": [("delay", {"times": 6, "seconds": 0.3})],
    "server dies mid-sweep": [("die", {"skip": 10})],
}


@pytest.mark.slow
@pytest.mark.parametrize("faults", list(FAULTS.values()), ids=list(FAULTS))
def test_faults_then_rerun_give_each_job_exactly_once(
    tmp_path: Path, proxy: FaultProxy, faults: list[tuple[str, dict[str, object]]]
) -> None:
    spec = sweep_spec(tmp_path, POINTS)
    for action, options in faults:
        proxy.add("POST /jobs", action, **options)
    first = submit(proxy.url, spec)
    assert all(fault.used for fault in proxy.faults), "a fault was never injected"
    if not proxy.listening:
        assert not first.ok  # the server died under it
        proxy.start_listening()
    proxy.clear()
    again = submit(proxy.url, spec)
    assert again.ok, again.failed
    assert again.run == first.run
    assert len(again.submitted) + len(again.existing) == POINTS
    with client_for(proxy.url) as client:
        assert_exactly_once(client, spec, again.run, POINTS)


def test_ambiguous_failures_are_checked_by_label_not_resent(
    tmp_path: Path, proxy: FaultProxy
) -> None:
    spec = sweep_spec(tmp_path, 6)
    proxy.add("POST /jobs", "reset_after", times=6)
    report = submit(proxy.url, spec)
    assert report.ok and report.found_by_label == 6
    assert len(proxy.posts()) == 6  # each body sent once: the label check found every job


def test_rerun_sends_only_what_is_missing(tmp_path: Path, proxy: FaultProxy) -> None:
    spec = sweep_spec(tmp_path, 10)
    proxy.add(
        "POST /jobs",
        "status",
        status=400,
        body=b'{"error":"Unable to create job sandbox"}',
        times=3,
    )
    first = submit(proxy.url, spec)
    assert not first.ok and len(first.failed) == 3 and len(first.submitted) == 7
    assert all("Unable to create job sandbox" in (p.error or "") for p in first.failed)
    posts = len(proxy.posts())
    again = submit(proxy.url, spec)
    assert again.ok and len(again.existing) == 7 and len(again.submitted) == 3
    assert len(proxy.posts()) - posts == 3


def test_401_stops_the_batch_and_a_resume_sends_the_rest(tmp_path: Path, proxy: FaultProxy) -> None:
    spec = sweep_spec(tmp_path, 30)
    proxy.add(
        "POST /jobs",
        "status",
        status=401,
        body=b'{"error":"Authentication failure"}',
        skip=5,
        times=1000,
    )
    first = submit(proxy.url, spec)
    assert first.fatal and "prominence login" in first.fatal
    assert len(first.submitted) == 5 and not first.ok
    assert len(proxy.posts()) < 5 + 4 + 2  # stopped at once, not 25 more 401s
    proxy.clear()
    again = submit(proxy.url, spec)
    assert again.ok and len(again.existing) == 5
    with client_for(proxy.url) as client:
        assert_exactly_once(client, spec, again.run, 30)


def test_changed_spec_under_the_same_run_is_refused(tmp_path: Path, proxy: FaultProxy) -> None:
    spec = sweep_spec(tmp_path, 4)
    first = submit(proxy.url, spec)
    # a file the spec reads changes, but the run id (from the spec's bytes) does not: simulate
    # by editing the journal's digest of one point
    with Journal.open(state_dir_for(spec)) as journal:
        journal._db.execute("UPDATE points SET digest = 'x' WHERE key = 2")
    with pytest.raises(ChangedSpecError, match="--new-run"):
        submit(proxy.url, spec)
    assert submit(proxy.url, spec, new_run=True).run != first.run


def test_changing_values_makes_a_new_run(tmp_path: Path, proxy: FaultProxy) -> None:
    spec = sweep_spec(tmp_path, 3)
    first = submit(proxy.url, spec)
    with client_for(proxy.url) as client:
        other = Submit(client, SpecSource(spec, values={"unused": 1})).run()
    assert other.run != first.run and len(other.submitted) == 3
    again = submit(proxy.url, spec)
    assert again.run == first.run and len(again.existing) == 3


@pytest.mark.slow
def test_new_run_then_resume_continues_the_new_run(tmp_path: Path, proxy: FaultProxy) -> None:
    spec = sweep_spec(tmp_path, 5)
    first = submit(proxy.url, spec)
    proxy.add("POST /jobs", "die", skip=2)
    # one request at a time: the first two are answered before the third kills the server
    second = submit(proxy.url, spec, new_run=True, concurrency=1)
    proxy.start_listening()
    proxy.clear()
    resumed = submit(proxy.url, spec)
    assert resumed.run == second.run != first.run
    assert resumed.ok and len(resumed.existing) >= 2 and resumed.submitted
    assert len(resumed.existing) + len(resumed.submitted) == 5


def test_lost_journal_adopts_jobs_by_run_label(tmp_path: Path, proxy: FaultProxy) -> None:
    spec = sweep_spec(tmp_path, 5)
    first = submit(proxy.url, spec)
    for item in state_dir_for(spec).iterdir():
        item.unlink()
    again = submit(proxy.url, spec)
    assert again.run == first.run and again.ok
    assert len(again.existing) == 5 and not again.submitted


def test_a_second_submit_on_the_same_state_is_locked(tmp_path: Path) -> None:
    folder = tmp_path / ".promspec"
    with Journal.open(folder), pytest.raises(JournalError, match="run locked") as locked:
        Journal.open(folder)
    assert "another --state" not in locked.value.message  # that would send points twice
    assert "wait for it to finish, then run this one again" in locked.value.message


def test_state_folder_is_private_and_ignored_by_git(tmp_path: Path, proxy: FaultProxy) -> None:
    spec = sweep_spec(tmp_path, 1)
    submit(proxy.url, spec)
    folder = state_dir_for(spec)
    assert (folder / ".gitignore").read_text() == "*\n"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (folder / "journal.sqlite").stat().st_mode & 0o077 == 0


def test_invalid_point_sends_nothing(tmp_path: Path, proxy: FaultProxy) -> None:
    spec = sweep_spec(tmp_path, 5)
    spec.write_text(spec.read_text().replace("cpus: 1", 'cpus: "{{ 0 if i == 3 else 1 }}"'))
    report = submit(proxy.url, spec)
    assert report.diagnostics and not report.ok
    assert proxy.posts() == []


def test_retry_failed_makes_a_new_attempt_of_failed_points(
    tmp_path: Path, fake: FakeProminence
) -> None:
    spec = sweep_spec(tmp_path, 5)
    proxy = FaultProxy(("127.0.0.1", _port(fake.url)))
    first = submit(proxy.url, spec, FAKE_TOKEN)
    failed_ids = {first.submitted[1].id, first.submitted[3].id}
    for ident in failed_ids:
        assert ident is not None
        fake.jobs[ident]["status"] = "failed"
    assert not submit(
        proxy.url, spec, FAKE_TOKEN
    ).submitted  # without the flag: they have their jobs
    proxy.add("POST /jobs", "reset_after", times=1)  # the new attempt's answer is lost
    retried = submit(proxy.url, spec, FAKE_TOKEN, retry_failed=True)
    assert retried.retried == 2 and len(retried.submitted) == 2 and retried.ok
    new_ids = {p.id for p in retried.submitted}
    assert not new_ids & failed_ids  # the old failed job did not count as the new one
    again = submit(proxy.url, spec, FAKE_TOKEN, retry_failed=True)
    assert again.retried == 0 and not again.submitted
    with Journal.open(state_dir_for(spec)) as journal:
        points = journal.points(proxy.url, first.run)
        history = journal.known_ids(proxy.url, first.run)
    assert points[1].attempt == 2 and history[1][0] in failed_ids and len(history[1]) == 2
    proxy.close()


def test_workflow_mode_is_one_labelled_post(tmp_path: Path, proxy: FaultProxy) -> None:
    spec = sweep_spec(tmp_path, 4)
    proxy.add("POST /workflows", "status_after", status=502)
    with client_for(proxy.url) as client:
        report = Submit(client, SpecSource(spec, mode="workflow")).run()
    assert report.ok and report.found_by_label == 1 and len(report.submitted) == 1
    with client_for(proxy.url) as client:
        workflow_id = report.submitted[0].id
        assert workflow_id is not None
        workflow = client.describe_workflow(workflow_id)
    assert workflow["labels"]["promspecid"] == f"{report.run}-0"
    assert len(workflow["jobs"]) == 4
    assert [r.path for r in proxy.posts()] == ["/workflows"]


def test_a_workflow_is_checked_by_the_workflows_listing(tmp_path: Path, proxy: FaultProxy) -> None:
    """The label check of a workflow-mode run lists /workflows (with detail, the only form
    that carries labels): a re-run without its journal adopts the workflow."""
    spec = sweep_spec(tmp_path, 3)
    with client_for(proxy.url) as client:
        first = Submit(client, SpecSource(spec, mode="workflow")).run()
    assert first.ok and len(first.submitted) == 1
    import shutil

    shutil.rmtree(state_dir_for(spec))
    with client_for(proxy.url) as client:
        again = Submit(client, SpecSource(spec, mode="workflow")).run()
    assert again.ok and again.submitted == [] and again.existing[0].id == first.submitted[0].id
    listed = [r.path for r in proxy.requests if r.method == "GET"]
    assert f"/workflows?all=true&constraint=promspecrun%3D{first.run}&detail=true" in listed
    assert [r.path for r in proxy.posts()] == ["/workflows"]


def test_a_connection_closed_before_an_answer_is_resent_in_the_same_submit(
    tmp_path: Path, proxy: FaultProxy
) -> None:
    """A reset with no answer (a stale keep-alive connection, a proxy dropping it) means
    the server is done with the request: after the label check finds nothing, the point is
    sent again at once, not left unknown. Only a timeout leaves a point unknown."""
    spec = sweep_spec(tmp_path, 6)
    proxy.add("POST /jobs", "reset_before", times=3)
    report = submit(proxy.url, spec)
    assert report.ok and report.unknown == [] and len(report.submitted) == 6
    assert len(proxy.posts()) == 9  # three dropped, each sent again once
    with client_for(proxy.url) as client:
        assert_exactly_once(client, spec, report.run, 6)


@pytest.mark.slow
def test_a_timeout_with_no_job_yet_leaves_the_point_unknown(
    tmp_path: Path, proxy: FaultProxy
) -> None:
    spec = sweep_spec(tmp_path, 2)
    proxy.add("POST /jobs", "hang_after", times=1, seconds=3.0, skip=1)
    proxy.add("GET /jobs?all", "status", status=200, body=b"[]", times=3, skip=1)
    report = submit(proxy.url, spec)
    assert len(report.unknown) == 1 and len(report.submitted) == 1 and not report.ok
    assert "the request may still reach it: not sent twice" in (report.unknown[0].error or "")
    assert len(proxy.posts()) == 2  # the point in doubt was not sent again
