"""The per-point view (issue 17) against a real sandbox (host executor) on loopback:
each point's index, values, job and server record in jobs, workflow and factory modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from points_support import executions, study
from sandbox_support import shared_sandbox

MODES = ["jobs", "workflow", "factory"]


def _client(box):  # type: ignore[no-untyped-def]
    from prominence_spec.client import Client

    return Client(box.url, token=box.token)


def _submit_and_wait(client, spec: Path, mode: str):  # type: ignore[no-untyped-def]
    from prominence_spec.client.ops import poll, spec_targets
    from prominence_spec.client.source import SpecSource
    from prominence_spec.client.submit import Submit

    source = SpecSource(spec, mode=mode)
    report = Submit(client, source).run()
    assert report.ok, report
    for _ in poll(client, spec_targets(client, spec), interval=0.1, timeout=60):
        pass
    return report


def _statuses(client, spec: Path, mode: str):  # type: ignore[no-untyped-def]
    from prominence_spec.client.points import point_statuses
    from prominence_spec.client.source import SpecSource

    return point_statuses(client, SpecSource(spec, mode=mode))


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
