"""The client commands end to end: output, exit codes, messages at the spec's lines,
Ctrl-C and kill -9 in the middle of a bulk submit."""

from __future__ import annotations

import json
import os
import random
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from prominence_spec.client import Client

from client_support import (
    assert_exactly_once,
    cli,
    fast_policy,
    make_token,
    sweep_spec,
)
from fault_proxy import FaultProxy
from sandbox_support import Sandbox, shared_sandbox

TOKEN = ""  # the sandbox's, set by the server fixture


@pytest.fixture(scope="module")
def server() -> Sandbox:
    global TOKEN
    box = shared_sandbox("noop")
    TOKEN = box.token
    return box


@pytest.fixture
def proxy(server: Sandbox) -> Iterator[FaultProxy]:
    port = int(server.url.split(":")[2].split("/")[0])
    found = FaultProxy(("127.0.0.1", port))
    yield found
    found.close()


def env_for(url: str, home: Path) -> dict[str, str]:
    return {"PROMINENCE_URL": url, "PROMINENCE_TOKEN": TOKEN, "HOME": str(home)}


@pytest.mark.slow
def test_submit_prints_ids_and_rerun_says_all_are_there(
    tmp_path: Path,
    proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = str(sweep_spec(tmp_path, 4))
    env = env_for(proxy.url, tmp_path)
    code, out, err = cli(monkeypatch, capsys, ["submit", spec], env)
    assert code == 0, err
    assert [line.split("\t")[1] for line in out.splitlines()] == ["p-0", "p-1", "p-2", "p-3"]
    assert "4 submitted, 0 already there, 0 failed" in err
    code, out, err = cli(monkeypatch, capsys, ["submit", spec, "-f", "json"], env)
    result = json.loads(out)
    assert code == 0 and result["submitted"] == [] and len(result["existing"]) == 4
    assert set(result) == {"run", "submitted", "existing", "failed"} | {
        "unknown",
        "lost",
        "duplicates",
    }
    assert result["unknown"] == result["lost"] == result["duplicates"] == []
    assert "0 submitted, 4 already there" in err


def test_server_message_is_shown_at_the_spec_line(
    tmp_path: Path,
    proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = sweep_spec(tmp_path, 3)
    proxy.add(
        "POST /jobs", "status", status=400, times=10, body=b'{"error":"memory must be an integer"}'
    )
    code, out, err = cli(
        monkeypatch, capsys, ["submit", str(spec), "-f", "json"], env_for(proxy.url, tmp_path)
    )
    assert code == 1
    failed = json.loads(out)["failed"]
    assert [f["error"] for f in failed] == ["POST /jobs: memory must be an integer"] * 3
    line = next(n for n, text in enumerate(spec.read_text().splitlines(), 1) if "memory" in text)
    assert f"{spec}:{line}:" in err and "point 0 (p-0)" in err


def test_bad_usage_and_configuration_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = str(sweep_spec(tmp_path, 1))
    env = {
        "HOME": str(tmp_path),
        "PROMINENCE_URL": "http://remote.example/api/v1",
        "PROMINENCE_TOKEN": make_token(),
    }
    assert cli(monkeypatch, capsys, ["submit", spec], env)[0] == 2
    assert cli(monkeypatch, capsys, ["submit", spec, "--curl"], env)[0] == 2
    assert cli(monkeypatch, capsys, ["submit", "missing.yaml"], env)[0] == 2
    assert cli(monkeypatch, capsys, ["submit", spec, "--set", "=x"], env)[0] == 2
    no_token = {"HOME": str(tmp_path), "PROMINENCE_URL": "https://example.org/api/v1"}
    code, _, err = cli(monkeypatch, capsys, ["status", "1"], no_token)
    assert code == 2 and "prominence login" in err


def test_operations_by_id_and_by_spec(
    tmp_path: Path,
    proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = str(sweep_spec(tmp_path, 3))
    env = env_for(proxy.url, tmp_path)
    code, out, _ = cli(monkeypatch, capsys, ["submit", spec, "-f", "json"], env)
    run = json.loads(out)["run"]
    ids = [item["id"] for item in json.loads(out)["submitted"]]
    code, out, _ = cli(monkeypatch, capsys, ["wait", spec, "--interval", "0.05"], env)
    assert code == 0 and out.splitlines()[0].split()[:3] == ["ID", "NAME", "STATUS"]
    code, out, _ = cli(monkeypatch, capsys, ["status", spec, "-f", "json"], env)
    assert code == 0 and [r["id"] for r in json.loads(out)] == ids
    assert {r["status"] for r in json.loads(out)} == {"completed"}
    code, out, _ = cli(monkeypatch, capsys, ["status", spec], env)  # a row per point
    assert code == 0
    header = ["INDEX", "i", "NAME", "ID", "STATUS", "REASON", "EXIT", "ATTEMPTS", "WALL"]
    assert out.splitlines()[0].split() == header
    assert out.splitlines()[-1] == "3 points: 3 completed"
    code, out, _ = cli(monkeypatch, capsys, ["status", *map(str, ids)], env)
    assert code == 0
    assert out.splitlines()[0].split() == ["ID", "NAME", "STATUS", "CREATED", "ELAPSED", "REASON"]
    code, out, _ = cli(monkeypatch, capsys, ["describe", str(ids[0])], env)
    assert code == 0 and json.loads(out)["name"] == "p-0"
    code, out, err = cli(monkeypatch, capsys, ["stdout", str(ids[1])], env)
    assert code == 0, err
    constraint = f"promspecid={run}-2"
    code, out, _ = cli(
        monkeypatch, capsys, ["list", "--all", "--constraint", constraint, "-f", "json"], env
    )
    assert code == 0 and [r["id"] for r in json.loads(out)] == [ids[2]]
    code, out, err = cli(monkeypatch, capsys, ["delete", spec], env)
    assert (code, err) == (0, "")  # finished jobs cannot be deleted, and that is no failure
    assert out.splitlines() == [f"{i}: had already finished (completed)" for i in ids]
    code, _, err = cli(monkeypatch, capsys, ["describe", "424242"], env)
    assert code == 1 and "no such job 424242" in err


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_a_rerun_completes(
    tmp_path: Path, proxy: FaultProxy, server: Sandbox
) -> None:
    spec = sweep_spec(tmp_path, 60)
    proxy.add("POST /jobs", "delay", seconds=0.05, times=1000)
    token = tmp_path / "token file"
    token.write_text(json.dumps({"access_token": TOKEN}))
    token.chmod(0o600)
    given = ("--url", proxy.url, "--token-file", str(token), "--state", str(tmp_path / "st"))
    proc = _start_submit(spec, "http://127.0.0.1:9/unused", tmp_path, "-j", "2", *given)
    _wait_for_posts(proxy, 6)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err  # as documented for Ctrl-C
    # the resume hint repeats the options that chose the server and the token, so that
    # following it literally never sends the rest to the default (production) server
    again = shlex.join(["promspec", "submit", str(spec), *given])
    assert f"run `{again}` to resume" in err, err
    assert err.endswith("promspec: interrupted\n") and err.count("promspec: interrupted") == 1
    assert "Traceback" not in err
    proxy.clear()
    rerun = _start_submit(shlex.split(again)[2], proxy.url, tmp_path, *shlex.split(again)[3:])
    _, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, err
    with Client(proxy.url, token=TOKEN, policy=fast_policy()) as client:
        assert_exactly_once(client, spec, _run_of(err), 60, state=tmp_path / "st")


@pytest.mark.slow
def test_kill_9_at_random_moments_never_duplicates(tmp_path: Path, proxy: FaultProxy) -> None:
    points = 300  # the seeded kills land by about 160 posts; the rest go in the final run
    spec = sweep_spec(tmp_path, points)
    chance = random.Random(9)
    for _ in range(3):
        proc = _start_submit(spec, proxy.url, tmp_path, "-j", "8", "--timeout", "0.5")
        _wait_for_posts(proxy, len(proxy.posts()) + chance.randint(5, 60), proc=proc)
        time.sleep(chance.uniform(0, 0.05))
        proc.kill()
        proc.communicate(timeout=10)
    assert len(proxy.posts()) < points, "the kills came too late to interrupt anything"
    final = _start_submit(spec, proxy.url, tmp_path)
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    with Client(proxy.url, token=TOKEN, policy=fast_policy()) as client:
        assert_exactly_once(client, spec, _run_of(err), points)


def _start_submit(spec: Path | str, url: str, home: Path, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMINENCE_")}
    env.update(env_for(url, home))
    return subprocess.Popen(
        [sys.executable, "-m", "prominence_spec", "submit", str(spec), *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_posts(
    proxy: FaultProxy, count: int, proc: subprocess.Popen[str] | None = None
) -> None:
    deadline = time.monotonic() + 30
    while len(proxy.posts()) < count and time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return
        time.sleep(0.005)


def _run_of(stderr: str) -> str:
    line = next(line for line in stderr.splitlines() if line.startswith("run "))
    return line.split()[1].rstrip(":")


def test_a_reader_that_goes_away_is_exit_0_for_client_commands(tmp_path: Path) -> None:
    """`promspec list -f json | head -0`: one policy for a closed pipe, cli.main's (exit 0,
    nothing on stderr); guarded() used to make it exit 1 for every client command."""
    box = shared_sandbox()
    env = {**os.environ, "PROMINENCE_URL": box.url, "PROMINENCE_TOKEN": box.token}
    env["HOME"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "prominence_spec", "list", "--all", "-f", "json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before it has written anything
    err = proc.stderr.read()
    proc.stderr.close()
    assert (proc.wait(60), err) == (0, b"")
