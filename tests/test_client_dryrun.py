"""`submit --dry-run`: exactly the bytes a real submit sends, as text, JSON or curl."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client_support import cli, dry_run_bodies, sweep_spec
from fault_proxy import FaultProxy
from sandbox_support import Sandbox, shared_sandbox

TOKEN = ""  # the sandbox's, set by the server fixture
REPO = Path(__file__).resolve().parent.parent


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


def sent(proxy: FaultProxy) -> list[tuple[str, bytes]]:
    base = proxy.url
    return [(base + r.path, r.body) for r in proxy.posts()]


@pytest.fixture
def repo_specs(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    shutil.copytree(REPO / "specs", root / "specs")
    return root


@pytest.mark.parametrize(
    "spec", ["specs/pi-sweep.yaml", "specs/calculate-pi.yaml", "specs/sweep-factory-workflow.yaml"]
)
@pytest.mark.parametrize("mode", [None, "workflow"])
def test_dry_run_bytes_are_what_submit_sends(
    repo_specs: Path,
    proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    spec: str,
    mode: str | None,
) -> None:
    env = env_for(proxy.url, repo_specs)
    args = [str(repo_specs / spec)] + (["--mode", mode] if mode else [])
    code, out, err = cli(monkeypatch, capsys, ["submit", *args, "--dry-run"], env)
    assert code == 0, err
    shown = dry_run_bodies(out)
    assert proxy.posts() == []
    code, out, err = cli(monkeypatch, capsys, ["submit", *args], env)
    assert code == 0, err
    assert sorted(sent(proxy)) == sorted(shown)
    assert TOKEN not in out + err


def test_dry_run_matches_render_plus_labels(
    repo_specs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = str(repo_specs / "specs/pi-sweep.yaml")
    env = env_for("https://example.org/api/v1", repo_specs)
    code, rendered, _ = cli(monkeypatch, capsys, ["render", spec, "-f", "jsonl"], env)
    assert code == 0
    code, out, _ = cli(monkeypatch, capsys, ["submit", spec, "--dry-run"], env)
    assert code == 0
    for line, (url, body) in zip(rendered.splitlines(), dry_run_bodies(out), strict=True):
        assert url == "https://example.org/api/v1/jobs"
        plain, labelled = json.loads(line), json.loads(body)
        run = labelled["labels"].pop("promspecrun")
        ident = labelled["labels"].pop("promspecid")
        assert ident.startswith(run + "-") and len(run) == 16
        assert labelled == plain
        # the bytes too: the same compact encoding, labels appended to the spec's own
        assert body.decode().replace(f',"promspecrun":"{run}","promspecid":"{ident}"', "") == line


def test_dry_run_needs_no_token(
    repo_specs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"HOME": str(repo_specs), "PROMINENCE_URL": "https://example.org/api/v1"}
    code, out, err = cli(
        monkeypatch,
        capsys,
        ["submit", str(repo_specs / "specs/calculate-pi.yaml"), "--dry-run"],
        env,
    )
    assert code == 0 and out.startswith("POST https://example.org/api/v1/jobs\n"), err


def test_dry_run_json_is_an_array_of_requests(
    repo_specs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = env_for("https://example.org/api/v1", repo_specs)
    spec = str(repo_specs / "specs/pi-sweep.yaml")
    _, text, _ = cli(monkeypatch, capsys, ["submit", spec, "--dry-run"], env)
    code, out, _ = cli(monkeypatch, capsys, ["submit", spec, "--dry-run", "-f", "json"], env)
    assert code == 0
    requests = json.loads(out)
    assert [set(r) for r in requests] == [{"method", "url", "body"}] * 9
    pairs = dry_run_bodies(text)
    for request, (url, body) in zip(requests, pairs, strict=True):
        assert request["method"] == "POST" and request["url"] == url
        assert request["body"] == json.loads(body)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_script_sends_the_same_bytes(
    tmp_path: Path,
    proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = sweep_spec(tmp_path, 3)
    spec.write_text(spec.read_text().replace("echo point", "echo it\\'s point %s $HOME"))
    env = env_for(proxy.url, tmp_path)
    _, text, _ = cli(monkeypatch, capsys, ["submit", str(spec), "--dry-run"], env)
    code, script, _ = cli(monkeypatch, capsys, ["submit", str(spec), "--dry-run", "--curl"], env)
    assert code == 0 and TOKEN not in script and '"$PROMINENCE_TOKEN" > "$auth"' in script
    path = tmp_path / "send.sh"
    path.write_text(script)
    shim, scratch = _curl_shim(tmp_path)
    run = subprocess.run(
        ["sh", str(path)],
        env={
            **os.environ,
            "PROMINENCE_TOKEN": TOKEN,
            "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}",
            "TMPDIR": str(scratch),
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.count('"id"') == 3
    assert sorted(sent(proxy)) == sorted(dry_run_bodies(text))
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in proxy.posts())
    argv = (tmp_path / "curl-argv").read_text()
    assert argv.count("--data-binary") == 3  # curl ran three times, through the shim...
    assert TOKEN not in argv and "Authorization" not in argv  # ...never with the token
    assert list(scratch.iterdir()) == []  # the header's temporary file is removed


def _curl_shim(tmp_path: Path) -> tuple[Path, Path]:
    """A `curl` first on PATH that records its argv (what `ps` shows), then runs curl."""
    real = shutil.which("curl")
    folder = tmp_path / "bin"
    folder.mkdir()
    shim = folder / "curl"
    shim.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path / "curl-argv"}\nexec {real} "$@"\n')
    shim.chmod(0o755)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return shim, scratch


def test_curl_script_refuses_to_run_without_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = sweep_spec(tmp_path, 1)
    env = env_for("https://example.org/api/v1", tmp_path)
    _, script, _ = cli(monkeypatch, capsys, ["submit", str(spec), "--dry-run", "--curl"], env)
    path = tmp_path / "send.sh"
    path.write_text(script)
    clean = {k: v for k, v in os.environ.items() if k != "PROMINENCE_TOKEN"}
    run = subprocess.run(["sh", str(path)], env=clean, capture_output=True, text=True)
    assert run.returncode != 0 and "PROMINENCE_TOKEN" in run.stderr


@pytest.mark.slow
def test_dry_run_writes_every_point_of_a_big_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """20,000 points, each its request line and its body (its rate is measured in
    benchmarks/bench_render.py, not here)."""
    spec = sweep_spec(tmp_path, 20_000)
    env = env_for("https://example.org/api/v1", tmp_path)
    code, _, err = cli(
        monkeypatch,
        capsys,
        ["submit", str(spec), "--dry-run", "-o", str(tmp_path / "out.txt")],
        env,
    )
    assert code == 0, err
    lines = (tmp_path / "out.txt").read_text().splitlines()
    assert len(lines) == 40_000 and lines[0] == "POST https://example.org/api/v1/jobs"
    assert json.loads(lines[-1])["name"] == "p-19999"


def test_a_dry_run_renders_each_point_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from prominence_spec.render import points

    built: list[int] = []
    real_build, real_quick = points.build, points.quick_named

    def counting_build(*args: Any, **kwargs: Any) -> tuple[Any, bool]:
        built.append(1)
        return real_build(*args, **kwargs)

    def counting_quick(prepared: Any) -> Any:  # the one-step build of a swept point (None: build's)
        quick = real_quick(prepared)
        if quick is None:
            return None

        def counted(index: int, params: Any) -> Any:
            done = quick(index, params)
            if done is not None:
                built.append(1)
            return done

        return counted

    monkeypatch.setattr(points, "build", counting_build)
    monkeypatch.setattr(points, "quick_named", counting_quick)
    spec = str(sweep_spec(tmp_path, 7))
    code, out, err = cli(
        monkeypatch, capsys, ["submit", spec, "--dry-run"], {"HOME": str(tmp_path)}
    )
    assert code == 0, err
    assert len(dry_run_bodies(out)) == 7
    assert len(built) == 7  # the run's identity is decided without rendering the sweep
