"""The client's operations against a real host-executor sandbox: the output of a
workflow's jobs, following a running job, factory instances, workflow listings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_sandbox_run import HOST_ARGS

from client_support import cli, sweep_spec
from sandbox_support import Sandbox, shared_sandbox


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return shared_sandbox("host", HOST_ARGS)


def env_for(box: Sandbox, home: Path) -> dict[str, str]:
    return {"PROMINENCE_URL": box.url, "PROMINENCE_TOKEN": box.token, "HOME": str(home)}


def _submit(monkeypatch, capsys, env: dict[str, str], spec: Path, *extra: str) -> dict:
    code, out, err = cli(monkeypatch, capsys, ["submit", str(spec), "-f", "json", *extra], env)
    assert code == 0, err
    return dict(json.loads(out))


def _wait(monkeypatch, capsys, env: dict[str, str], *targets: str) -> None:
    code, _, err = cli(monkeypatch, capsys, ["wait", *targets, "--interval", "0.1"], env)
    assert code == 0, err


def test_stdout_of_a_spec_submitted_as_a_workflow_shows_every_job(
    box: Sandbox, tmp_path: Path, monkeypatch, capsys
) -> None:
    spec = sweep_spec(tmp_path, 3)
    env = env_for(box, tmp_path)
    (workflow,) = _submit(monkeypatch, capsys, env, spec, "--mode", "workflow")["submitted"]
    _wait(monkeypatch, capsys, env, str(spec))
    code, out, err = cli(monkeypatch, capsys, ["stdout", str(spec)], env)
    assert code == 0, err
    assert out.splitlines() == ["point 0", "point 1", "point 2"]
    headers = [line for line in err.splitlines() if line.startswith("==> job ")]
    assert [h.split()[3] for h in headers] == [f"{workflow['name']}/p-{i}" for i in range(3)]
    code, out, err = cli(monkeypatch, capsys, ["stderr", str(spec)], env)
    assert code == 0 and out == "", err
    code, out, _ = cli(monkeypatch, capsys, ["stdout", str(spec), "-f", "json"], env)
    assert [item["text"] for item in _json_objects(out)] == [f"point {i}\n" for i in range(3)]


def _json_objects(text: str) -> list[dict]:
    """The JSON objects written one after the other (one per job)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while text[at:].strip():
        item, end = decoder.raw_decode(text, at + len(text[at:]) - len(text[at:].lstrip()))
        found.append(item)
        at = end
    return found
