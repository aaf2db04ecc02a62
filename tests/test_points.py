"""The per-point view (issue 17) against a real sandbox (host executor) on loopback:
each point's index, values, job and server record in jobs, workflow and factory modes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from client_support import cli
from points_support import executions, study
from sandbox_support import Sandbox, make_job, poll_until, shared_sandbox, start_sandbox

if TYPE_CHECKING:
    from prominence_spec.client import Client
    from prominence_spec.client.journal import PointRecord
    from prominence_spec.client.points import PointStatus
    from prominence_spec.client.submit import SubmitReport

    from fault_proxy import FaultProxy

MODES = ["jobs", "workflow", "factory"]


def _client(box: Sandbox) -> Client:
    from prominence_spec.client import Client

    return Client(box.url, token=box.token)


def _submit_and_wait(client: Client, spec: Path, mode: str) -> SubmitReport:
    from prominence_spec.client.ops import poll, spec_targets
    from prominence_spec.client.source import SpecSource
    from prominence_spec.client.submit import Submit

    source = SpecSource(spec, mode=mode)
    report = Submit(client, source).run()
    assert report.ok, report
    for _ in poll(client, spec_targets(client, spec), interval=0.1, timeout=60):
        pass
    return report


def _statuses(client: Client, spec: Path, mode: str) -> list[PointStatus]:
    from prominence_spec.client.points import point_statuses
    from prominence_spec.client.source import SpecSource

    return point_statuses(client, SpecSource(spec, mode=mode))


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_every_point_has_its_values_job_and_status(tmp_path: Path, mode: str) -> None:
    box = shared_sandbox("host")
    spec = study(tmp_path, 5, fail=(1, 3))
    with _client(box) as client:
        _submit_and_wait(client, spec, mode)
        points = _statuses(client, spec, mode)
    assert [p.index for p in points] == [0, 1, 2, 3, 4]
    assert [p.params for p in points] == [{"i": i} for i in range(5)]
    assert [p.status for p in points] == ["completed", "failed", "completed", "failed", "completed"]
    assert [p.exit_code for p in points] == [0, 3, 0, 3, 0]
    assert all(p.attempts == 1 for p in points)
    assert all(isinstance(p.walltime, float) for p in points)
    assert len({p.id for p in points}) == 5
    if mode == "jobs":
        assert [p.name for p in points] == [f"p-{i}" for i in range(5)]
        assert {p.workflow for p in points} == {None}
    elif mode == "workflow":
        assert [p.name for p in points] == [f"p-{i}" for i in range(5)]
        assert len({p.workflow for p in points} - {None}) == 1
    else:
        assert [(p.name, p.instance) for p in points] == [("study", i) for i in range(5)]
        assert len({p.workflow for p in points} - {None}) == 1
    assert sorted(executions(tmp_path)) == [0, 1, 2, 3, 4]


def _env(box: Sandbox, home: Path) -> dict[str, str]:
    return {"PROMINENCE_URL": box.url, "PROMINENCE_TOKEN": box.token, "HOME": str(home)}


@pytest.mark.parametrize("mode", ["jobs", "factory"])
def test_status_spec_prints_a_row_per_point_in_each_format(
    tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv
    import io
    import json

    box = shared_sandbox("host")
    spec = study(tmp_path, 4, fail=(2,))
    with _client(box) as client:
        _submit_and_wait(client, spec, mode)
    env = _env(box, tmp_path)
    args = ["status", str(spec), "-m", mode]
    code, out, err = cli(monkeypatch, capsys, [*args, "-f", "json"], env)
    assert code == 1, err  # a point failed
    rows = json.loads(out)
    assert [(r["index"], r["params"], r["status"], r["exit_code"]) for r in rows] == [
        (0, {"i": 0}, "completed", 0),
        (1, {"i": 1}, "completed", 0),
        (2, {"i": 2}, "failed", 3),
        (3, {"i": 3}, "completed", 0),
    ]
    expected_keys = {"index", "params", "name", "id", "status", "reason", "exit_code"}
    assert expected_keys | {"attempts", "walltime", "workflow", "instance"} == set(rows[0])
    code, out, _ = cli(monkeypatch, capsys, [*args, "-f", "jsonl"], env)
    assert [json.loads(line) for line in out.splitlines()] == rows
    code, out, _ = cli(monkeypatch, capsys, [*args, "-f", "csv"], env)
    table = list(csv.DictReader(io.StringIO(out)))
    assert list(table[0])[:2] == ["index", "i"]
    assert [(t["index"], t["i"], t["status"], t["exit_code"]) for t in table] == [
        (str(r["index"]), str(r["params"]["i"]), r["status"], str(r["exit_code"])) for r in rows
    ]
    code, out, _ = cli(monkeypatch, capsys, args, env)
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["INDEX", "i", "NAME"]
    assert lines[-1] == "4 points: 3 completed, 1 failed"
    assert lines[3].split()[:2] == ["2", "2"] and " failed " in lines[3]


def test_status_ids_keep_working_and_spec_only_options_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    box = shared_sandbox("host")
    spec = study(tmp_path, 2)
    with _client(box) as client:
        report = _submit_and_wait(client, spec, "jobs")
    ident = str(report.submitted[0].id)
    code, out, err = cli(monkeypatch, capsys, ["status", ident], _env(box, tmp_path))
    assert code == 0, err
    assert out.split()[:3] == ["ID", "NAME", "STATUS"]
    code, out, err = cli(monkeypatch, capsys, ["status", ident, "-f", "csv"], _env(box, tmp_path))
    assert code == 2 and "go with one SPEC" in err


def _retry_failed(client: Client, spec: Path, mode: str) -> SubmitReport:
    from prominence_spec.client.ops import poll, spec_targets
    from prominence_spec.client.source import SpecSource
    from prominence_spec.client.submit import Submit

    report = Submit(client, SpecSource(spec, mode=mode), retry_failed=True).run()
    for _ in poll(client, spec_targets(client, spec), interval=0.1, timeout=60):
        pass
    return report


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_retry_failed_runs_only_the_failed_jobs_again(tmp_path: Path, mode: str) -> None:
    box = shared_sandbox("host")
    spec = study(tmp_path, 5, fail=(1, 3))
    with _client(box) as client:
        first = _submit_and_wait(client, spec, mode)
        before = _statuses(client, spec, mode)
        (tmp_path / "fail").write_text("")  # the cause is fixed: the re-run succeeds
        report = _retry_failed(client, spec, mode)
        after = _statuses(client, spec, mode)
        again = _retry_failed(client, spec, mode)  # nothing failed: nothing runs
    assert report.ok and report.retried == (2 if mode == "jobs" else 1)
    assert again.retried == 0
    runs = executions(tmp_path)
    assert sorted(runs[:5]) == [0, 1, 2, 3, 4] and sorted(runs[5:]) == [1, 3]
    assert [p.status for p in after] == ["completed"] * 5
    assert [p.attempts for p in after] == [1, 2, 1, 2, 1]
    for old, new in zip(before, after, strict=True):
        if new.index in (1, 3):
            assert new.id != old.id
        else:
            assert (new.id, new.workflow) == (old.id, old.workflow)
    if mode != "jobs":  # the server's re-run: a new workflow for the jobs that ran again
        (workflow,) = {p.workflow for p in before}
        rerun = report.submitted[0].id
        assert rerun != workflow and first.submitted[0].id == workflow
        assert {p.workflow for p in after if p.index in (1, 3)} == {rerun}


def test_a_rerun_of_a_running_workflow_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    from prominence_spec.client.errors import RejectedError

    box = shared_sandbox("host")
    with _client(box) as client:
        sleeper = {"name": "sleeper", **make_job("sleep 30")}
        workflow = client.create_workflow({"name": "slow", "jobs": [sleeper]})
        with pytest.raises(RejectedError) as refused:
            client.rerun_workflow(workflow)
        assert "not in a suitable state" in refused.value.message
        assert client.describe_workflow(workflow)["status"] in ("idle", "pending", "running")
        client.delete_workflow(workflow)


@pytest.mark.slow
def test_a_job_the_server_lost_is_missing_and_a_stranger_under_its_id_is_not_shown(
    tmp_path: Path,
) -> None:
    """The sandbox's data is reset (a new data folder on the same URL): its ids start again,
    and another job (no promspec labels) now has the id the journal gave point 0."""
    from urllib.parse import urlsplit

    from prominence_spec.client import Client

    spec = study(tmp_path / "study", 2)
    reuses_ids = "--no-id-floor"  # as a server that lost its data may (docs/sandbox.md)
    with start_sandbox(tmp_path / "before", executor="host", args=[reuses_ids]) as first:
        with Client(first.url, token=first.token) as client:
            report = _submit_and_wait(client, spec, "jobs")
        port = str(urlsplit(first.url).port)
    journal_ids = {p.index: p.id for p in report.submitted if p.id is not None}  # in any order
    assert len(journal_ids) == len(report.submitted)  # every point was sent, with its id
    args = ["--port", port, reuses_ids]
    with start_sandbox(tmp_path / "after", executor="host", args=args) as second:
        token = second.token
        with Client(second.url, token=token) as client:
            stranger = client.create_job({"name": "p-0", **make_job("true")})
            assert stranger == min(journal_ids.values())  # a journal id, someone else's job
            points = _statuses(client, spec, "jobs")
    assert [(p.index, p.status, p.id) for p in points] == [
        (0, "missing", journal_ids[0]),
        (1, "missing", journal_ids[1]),
    ]
    assert all(p.record is None and p.exit_code is None for p in points)


def test_run_and_stdout_json_carry_each_jobs_index_and_params(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    box = shared_sandbox("host")
    spec = study(tmp_path, 3, fail=(1,))
    env = _env(box, tmp_path)
    code, out, err = cli(
        monkeypatch, capsys, ["run", str(spec), "-f", "json", "--interval", "0.1"], env
    )
    assert code == 1, err  # point 1 failed
    rows = json.loads(out)
    assert [(r["index"], r["params"], r["name"], r["status"]) for r in rows] == [
        (0, {"i": 0}, "p-0", "completed"),
        (1, {"i": 1}, "p-1", "failed"),
        (2, {"i": 2}, "p-2", "completed"),
    ]
    code, out, err = cli(monkeypatch, capsys, ["stdout", str(spec), "-f", "json"], env)
    assert code == 0, err
    shown = json.loads(out)
    assert [(s["id"], s["index"], s["params"]) for s in shown] == [
        (r["id"], r["index"], r["params"]) for r in rows
    ]
    assert [s["text"] for s in shown] == ["square=0\n", "square=1\n", "square=4\n"]


@pytest.mark.slow
def test_status_watch_refreshes_until_every_point_has_ended(tmp_path: Path) -> None:
    """Through a pipe --watch says the summary line whenever it changes, then prints the
    final table once: the first line has points still going, the last has none."""
    from client_support import promspec

    box = shared_sandbox("host")
    spec = study(tmp_path, 3)
    text = spec.read_text().replace("cmd: ", "cmd: sleep 2; ", 1)
    spec.write_text(text)
    env = _env(box, tmp_path)
    assert promspec(["submit", str(spec)], cwd=tmp_path, env=env).returncode == 0
    proc = promspec(
        ["status", str(spec), "--watch", "--interval", "0.2"], cwd=tmp_path, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    changes = proc.stderr.splitlines()
    assert len(changes) >= 2 and changes[0].startswith("3 points: ")
    assert "3 completed" not in changes[0]  # the first refresh saw points still going
    assert changes[-1] == "3 points: 3 completed"
    assert proc.stdout.splitlines()[-1] == "3 points: 3 completed"
    assert len([line for line in proc.stdout.splitlines() if " completed " in line]) == 3


def test_points_after_a_failed_setup_job_did_not_run_and_a_rerun_runs_them(
    tmp_path: Path,
) -> None:
    """Workflow mode with a setup job that fails: no point job runs (`not run`); the
    server's re-run runs the setup and the jobs that never ran, once each."""
    spec = study(tmp_path, 3)
    gate = tmp_path / "setup-fails"
    gate.write_text("")
    setup = (
        "  workflow:\n    setup:\n      name: prepare\n"
        "      resources: {cpus: 1, memory: 1, disk: 1}\n"
        f"      tasks: [{{image: busybox, runtime: singularity, cmd: 'test ! -e {gate}'}}]\n"
    )
    spec.write_text(spec.read_text().replace("  name: ", setup + "  name: ", 1))
    box = shared_sandbox("host")
    with _client(box) as client:
        _submit_and_wait(client, spec, "workflow")
        before = _statuses(client, spec, "workflow")
        ran_before = executions(tmp_path)
        gate.unlink()
        report = _retry_failed(client, spec, "workflow")
        after = _statuses(client, spec, "workflow")
    assert [(p.status, p.id, p.attempts) for p in before] == [("not run", None, 0)] * 3
    assert ran_before == []
    assert report.ok and report.retried == 1
    assert [(p.status, p.attempts) for p in after] == [("completed", 1)] * 3
    assert {p.workflow for p in after} == {report.submitted[0].id}
    assert sorted(executions(tmp_path)) == [0, 1, 2]


def test_status_follows_a_rerun_made_with_the_official_cli(tmp_path: Path) -> None:
    """`prominence rerun ID` (PUT /workflows/<id>) runs only the failed instances; the
    re-run carries the workflow's labels, so status SPEC follows it without the journal."""
    import shutil
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("prominence")
    if not exe.exists():
        pytest.skip("the official prominence CLI is not installed (test extra)")
    box = shared_sandbox("host")
    spec = study(tmp_path, 4, fail=(0, 2))
    with _client(box) as client:
        _submit_and_wait(client, spec, "factory")
        (workflow,) = {p.workflow for p in _statuses(client, spec, "factory")}
        (tmp_path / "fail").write_text("")
        home = tmp_path / "home"
        (home / ".prominence").mkdir(parents=True)
        shutil.copy(box.token_file, home / ".prominence" / "token")
        env = {"HOME": str(home), "PROMINENCE_URL": box.url, "PATH": "/usr/bin:/bin"}
        done = subprocess.run(
            [str(exe), "rerun", str(workflow)], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.stdout.startswith("Workflow created with id"), done.stdout + done.stderr
        rerun = int(done.stdout.split()[-1])
        box.wait_workflow(rerun)
        after = _statuses(client, spec, "factory")
    assert sorted(executions(tmp_path)[4:]) == [0, 2]
    assert [(p.status, p.workflow, p.attempts) for p in after] == [
        ("completed", rerun, 2),
        ("completed", workflow, 1),
        ("completed", rerun, 2),
        ("completed", workflow, 1),
    ]


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[Sandbox, FaultProxy]]:
    """The shared host sandbox behind a fault proxy (the journal is the proxy URL's)."""
    from fault_proxy import FaultProxy

    box = shared_sandbox("host")
    proxy = FaultProxy(("127.0.0.1", int(box.url.split(":")[2].split("/")[0])))
    yield box, proxy
    proxy.close()


def _journal_point(spec: Path, url: str) -> tuple[PointRecord, list[int]]:
    from prominence_spec.client.journal import Journal, state_dir_for

    journal = Journal.read(state_dir_for(spec))
    assert journal is not None
    with journal:
        record = journal.latest_for_spec(url, str(spec.resolve()))
        assert record is not None
        return journal.points(url, record.run)[0], journal.known_ids(url, record.run)[0]


def test_a_refused_rerun_leaves_the_point_as_it_was(
    tmp_path: Path, proxied: tuple[Sandbox, FaultProxy]
) -> None:
    from prominence_spec.client import Client

    box, proxy = proxied
    spec = study(tmp_path, 3, fail=(1,))
    with Client(proxy.url, token=box.token) as client:
        _submit_and_wait(client, spec, "factory")
        point, ids = _journal_point(spec, proxy.url)
        refusal = b'{"error":"Workflow resubmission failed"}'
        proxy.add("PUT /workflows", "status", status=400, body=refusal)
        (tmp_path / "fail").write_text("")
        refused = _retry_failed(client, spec, "factory")
        assert [f.index for f in refused.failed] == [0] and refused.retried == 1
        assert "Workflow resubmission failed" in (refused.failed[0].error or "")
        now, history = _journal_point(spec, proxy.url)
        assert (now.state, now.job_id, now.attempt, history) == ("submitted", point.job_id, 1, ids)
        assert sorted(executions(tmp_path)) == [0, 1, 2]
        done = _retry_failed(client, spec, "factory")
        assert done.ok and done.retried == 1
    assert sorted(executions(tmp_path)[3:]) == [1]
    again, history = _journal_point(spec, proxy.url)
    assert (again.attempt, history) == (2, [point.job_id, again.job_id])


@pytest.mark.slow
def test_kill_9_after_the_rerun_was_sent_never_reruns_twice(
    tmp_path: Path, proxied: tuple[Sandbox, FaultProxy]
) -> None:
    """The PUT reaches the server, its answer never comes, the submit is killed: the next
    submit finds the re-run by its label (the journal said `sending` first) and sends no
    second PUT, so the failed job runs again exactly once."""
    import os
    import signal
    import subprocess
    import sys

    from prominence_spec.client import Client

    box, proxy = proxied
    spec = study(tmp_path, 3, fail=(2,))
    with Client(proxy.url, token=box.token) as client:
        _submit_and_wait(client, spec, "factory")
        point, _ = _journal_point(spec, proxy.url)
        (tmp_path / "fail").write_text("")
        proxy.add("PUT /workflows", "hang_after", seconds=60)
        args = ["submit", str(spec), "-m", "factory", "--retry-failed", "--url", proxy.url]
        env = {**os.environ, "PROMINENCE_TOKEN": box.token, "HOME": str(tmp_path)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "prominence_spec", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        label = f"{_run_of(spec, proxy.url)}-0"

        def labelled() -> list[dict[str, Any]]:
            return client.find("promspecid", label, workflows=True)

        poll_until(lambda: len(labelled()) == 2, what="the re-run on the server")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _journal_point(spec, proxy.url)[0].state == "sending"
        proxy.clear()
        report = _retry_failed(client, spec, "factory")
        assert report.found_by_label == 1 and report.retried == 0
        after = _statuses(client, spec, "factory")
    puts = [r for r in proxy.requests if r.method == "PUT"]
    assert len(puts) == 1
    assert sorted(executions(tmp_path)[3:]) == [2]
    (rerun,) = {w["id"] for w in labelled()} - {point.job_id}
    assert [(p.status, p.workflow) for p in after] == [
        ("completed", point.job_id),
        ("completed", point.job_id),
        ("completed", rerun),
    ]


def _run_of(spec: Path, url: str) -> str:
    from prominence_spec.client.journal import Journal, state_dir_for

    journal = Journal.read(state_dir_for(spec))
    assert journal is not None
    with journal:
        record = journal.latest_for_spec(url, str(spec.resolve()))
        assert record is not None
        return record.run


def test_odd_records_in_a_listing_are_not_a_points(tmp_path: Path) -> None:
    """Records without labels (null), with another run's label or a non-integer id are
    left out; the one workflow that carries the point's label is read."""
    import json

    from prominence_spec.client import Client
    from prominence_spec.client.plan import run_identity
    from prominence_spec.client.source import SpecSource

    from client_support import FakeProminence, make_token

    token = make_token()
    fake = FakeProminence(token)
    try:
        spec = study(tmp_path, 2)
        run = run_identity(SpecSource(spec, mode="factory"), fake.url, None, new_run=False).run
        ours = {"promspecrun": run, "promspecid": f"{run}-0"}
        workflows = [
            {"id": 5, "name": "study-sweep", "status": "completed", "labels": None},
            {"id": "6", "name": "study-sweep", "status": "completed", "labels": ours},
            {"id": 7, "name": "study-sweep", "status": "completed", "labels": {"x": "y"}},
            {"id": 9, "name": "study-sweep", "status": "completed", "labels": ours},
        ]
        jobs = [
            {"id": 11, "name": "study-sweep/study/0", "status": "completed"},
            {"id": 12, "name": "study-sweep/study/1", "status": "failed"},
        ]
        fake.script("GET /workflows", 200, json.dumps(workflows))
        fake.script("GET /jobs", 200, json.dumps(jobs))
        with Client(fake.url, token=token) as client:
            points = _statuses(client, spec, "factory")
    finally:
        fake.close()
    assert [(p.workflow, p.id, p.status) for p in points] == [
        (9, 11, "completed"),
        (9, 12, "failed"),
    ]
