"""`promspec download` and the download engine against a real sandbox (host executor) on
loopback: outputs byte-equal to what the jobs wrote, directories unpacked, nothing
rewritten by a second run, kill -9 midway then resume, hostile names and archives refused,
an expired URL fetched anew, a token changed during the download, and the official CLI's
`download` getting the same bytes. Real processes where the process is what is tested
(kill -9, the official CLI); the CLI in the test process elsewhere."""

from __future__ import annotations

import http.server
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_sandbox_run import HOST_ARGS

from prominence_spec.client import Client
from prominence_spec.client.download.engine import Downloader
from prominence_spec.client.download.model import Point
from prominence_spec.client.download.sources import from_ids

from client_support import cli, make_token, promspec, sweep_spec
from sandbox_support import Sandbox, make_job, poll_until, shared_sandbox, start_sandbox
from support import serving

#: A job that writes what it is told into one.txt and res/sub/a.txt, then exits with CODE.
WRITER = "mkdir -p res/sub && printf 'one {n}' > one.txt && printf 'a {n}' > res/sub/a.txt && echo said {n} && echo warn {n} >&2 && exit {code}"  # noqa: E501


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return shared_sandbox("host", HOST_ARGS)


def _jobs(box: Sandbox, count: int, *, failing: tuple[int, ...] = ()) -> list[int]:
    ids = []
    for n in range(count):
        cmd = WRITER.format(n=n, code=3 if n in failing else 0)
        job = make_job(cmd, name=f"w{n}", outputFiles=["one.txt"], outputDirs=["res"])
        ids.append(box.submit(job))
    for job_id in ids:
        box.wait_job(job_id)
    return ids


def _env(box: Sandbox) -> dict[str, str]:
    return {"PROMINENCE_URL": box.url, "PROMINENCE_TOKEN_FILE": str(box.token_file)}


def _download(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], box: Sandbox, *args: str
) -> tuple[int, str, str]:
    return cli(
        monkeypatch, capsys, ["download", "--token-file", str(box.token_file), *args], _env(box)
    )


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _mtimes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for p in root.rglob("*")
        if p.is_file() and p.name != "manifest.jsonl"
    }


@pytest.mark.slow
def test_completed_jobs_byte_equal_then_all_then_nothing_rewritten(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = _jobs(box, 3, failing=(1,))
    out = tmp_path / "results"
    code, _, err = _download(monkeypatch, capsys, box, *map(str, ids), "-d", str(out))
    assert code == 0, err
    assert "downloaded 8 files" in err and "for 2 points" in err  # 2 outputs, stdout, stderr
    assert "1 job not completed left out (--all includes" in err
    first, third = f"{ids[0]}-w0", f"{ids[2]}-w2"
    assert sorted(p.name for p in out.iterdir()) == sorted([first, third, "manifest.jsonl"])
    tree = _tree(out / third)
    assert tree == {
        "one.txt": b"one 2",
        "res/sub/a.txt": b"a 2",
        "stdout.txt": b"said 2\n",
        "stderr.txt": b"warn 2\n",
        "params.json": tree["params.json"],
    }
    params = json.loads(tree["params.json"])
    assert params == {
        "index": None,
        "params": {},
        "id": ids[2],
        "status": "completed",
        "exit_code": 0,
    }
    assert not list(out.rglob("*.tgz")), "the archive is not kept"

    code, _, err = _download(monkeypatch, capsys, box, *map(str, ids), "-d", str(out), "--all")
    assert code == 0, err
    assert "downloaded 4 files" in err and "for 3 points" in err and "; 8 already there" in err
    failed = out / f"{ids[1]}-w1"
    assert (failed / "one.txt").read_bytes() == b"one 1"
    assert json.loads((failed / "params.json").read_text())["exit_code"] == 3
    assert (failed / "stderr.txt").read_bytes() == b"warn 1\n"

    before = _mtimes(out)
    code, _, err = _download(monkeypatch, capsys, box, *map(str, ids), "-d", str(out), "--all")
    assert code == 0 and "downloaded 0 files (0 B) for 3 points" in err and "12 already" in err
    assert _mtimes(out) == before
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [m["id"] for m in manifest] == ids
    item = {f["name"]: f for f in manifest[2]["files"]}
    import hashlib

    assert item["one.txt"]["sha256"] == hashlib.sha256(b"one 2").hexdigest()
    assert item["res/sub/a.txt"]["size"] == 3

    code, _, err = _download(
        monkeypatch, capsys, box, *map(str, ids), "-d", str(out), "--all", "--force"
    )
    assert code == 0 and "downloaded 12 files" in err
    assert _tree(out / third)["one.txt"] == b"one 2"


def test_every_fetch_in_one_pool_lands_byte_equal_with_a_true_manifest(
    box: Sandbox, tmp_path: Path
) -> None:
    """Outputs, stdout and stderr of many points fetched as tasks of one pool (-j 8): every
    file byte-equal, one manifest line per point once all its files are there, its items
    in order (outputs, params.json, stdout.txt, stderr.txt) with the size, sha256 and mtime
    of the file on disk, no temporary file left; a second run finds all of it unchanged."""
    import hashlib

    ids = _jobs(box, 12)
    root = tmp_path / "many"
    with Client(box.url, token_file=str(box.token_file)) as client:
        report = Downloader(client, root, jobs=8).run(from_ids(client, ids).points)
    assert report.ok and report.fetched == 48, report.problems  # 2 outputs, stdout, stderr
    lines = [json.loads(x) for x in (root / "manifest.jsonl").read_text().splitlines()]
    assert sorted(m["id"] for m in lines) == ids
    for n, job_id in enumerate(ids):
        folder = root / f"{job_id}-w{n}"
        assert (folder / "stdout.txt").read_bytes() == f"said {n}\n".encode()
        assert (folder / "stderr.txt").read_bytes() == f"warn {n}\n".encode()
        assert (folder / "one.txt").read_bytes() == f"one {n}".encode()
        (entry,) = [m for m in lines if m["id"] == job_id]
        names = [f["name"] for f in entry["files"]]
        assert names == ["one.txt", "res/sub/a.txt", "params.json", "stdout.txt", "stderr.txt"]
        for item in entry["files"]:
            path, stat = folder / item["name"], (folder / item["name"]).stat()
            assert (item["size"], item["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns)
            assert item["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not list(root.rglob("*.promspec-part"))
    with Client(box.url, token_file=str(box.token_file)) as client:
        again = Downloader(client, root, jobs=8).run(from_ids(client, ids).points)
    assert again.ok and (again.fetched, again.kept) == (0, 48)


def test_unknown_id_is_exit_1_with_the_workflow_hint(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = _download(monkeypatch, capsys, box, "999999", "-d", str(tmp_path / "r"))
    assert code == 1
    assert "promspec: no such job: 999999 (for a workflow, add -w)" in err


def test_usage_errors_are_exit_2(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = _download(monkeypatch, capsys, box, "1", "--layout", "{i}")
    assert code == 2 and "--layout takes a spec's parameters" in err
    code, _, err = _download(monkeypatch, capsys, box, "no-such.yaml")
    assert code == 2 and "no-such.yaml: neither a job id nor a spec file" in err


def test_workflow_and_factory_jobs(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def job(name: str, cmd: str) -> dict[str, Any]:
        return make_job(cmd, name=name, outputFiles=["out.txt"])

    workflow = {
        "name": "wfdl",
        "jobs": [job("a", "printf A > out.txt"), job("f", "printf 'F$x' > out.txt")],
        "factories": [
            {
                "name": "sweep",
                "jobs": ["f"],
                "type": "parameterSweep",
                "parameters": [{"name": "x", "start": 1, "end": 3, "step": 1}],
            }
        ],
    }
    reply = box.post("/workflows", json=workflow)
    assert reply.status_code == 201, reply.text
    wf_id = reply.json()["id"]
    box.wait_workflow(wf_id, timeout=60)
    out = tmp_path / "wf"
    code, _, err = _download(monkeypatch, capsys, box, "-w", str(wf_id), "-d", str(out))
    assert code == 0, err
    got = sorted((p.parent.name.split("-", 1)[1], p.read_bytes()) for p in out.rglob("out.txt"))
    assert [b for _, b in got] == [b"A", b"F1", b"F2", b"F3"], got
    params = sorted(
        json.dumps(json.loads(p.read_text())["params"]) for p in out.rglob("params.json")
    )
    assert params == ['{"x": 1}', '{"x": 2}', '{"x": 3}', "{}"], params


@pytest.mark.slow
def test_spec_points_in_index_folders_with_their_values(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = sweep_spec(tmp_path, 3)
    text = (
        spec.read_text().replace("cmd: echo point {{ i }}", "cmd: printf 'v{{ i }}' > v.txt\n    ")
        + "outputFiles: [v.txt]\n"
    )
    spec.write_text(text)
    code, _, err = cli(
        monkeypatch,
        capsys,
        ["run", str(spec), "--token-file", str(box.token_file), "--no-results"],
        _env(box),
    )
    assert code == 0, err
    out = tmp_path / "r"
    code, _, err = _download(monkeypatch, capsys, box, str(spec), "-d", str(out))
    assert code == 0, err
    for i in range(3):
        folder = out / f"{i}-p-{i}"
        assert (folder / "v.txt").read_bytes() == f"v{i}".encode()
        params = json.loads((folder / "params.json").read_text())
        assert params["index"] == i and params["params"] == {"i": i}
    code, _, err = _download(
        monkeypatch, capsys, box, str(spec), "-d", str(tmp_path / "l"), "--layout", "i={i}"
    )
    assert code == 0, err
    assert (tmp_path / "l" / "i=2" / "v.txt").read_bytes() == b"v2"
    code, _, err = _download(monkeypatch, capsys, box, str(spec), "--layout", "{nope}")
    assert code == 2 and "--layout '{nope}' names a parameter that point" in err


# -- crash safety ------------------------------------------------------------------------------
def _part_under_way(out: Path) -> bool:
    for part in out.rglob("*.promspec-part"):
        try:
            if part.stat().st_size > 1 << 20:
                return True
        except FileNotFoundError:
            pass
    return False


@pytest.mark.slow
def test_ctrl_c_and_kill_9_midway_then_resume_leaves_no_partial_file(tmp_path: Path) -> None:
    big = 8 * 1024 * 1024
    # each file takes 2 s to send (a slow store), so a download is seen midway however
    # busy the machine is
    args = (*HOST_ARGS, "--storage-rate", "4")
    with start_sandbox(tmp_path / "data", executor="host", args=args) as own:
        cmd = f"head -c {big} /dev/urandom > big.bin"
        ids = [own.submit(make_job(cmd, name=f"b{n}", outputFiles=["big.bin"])) for n in range(3)]
        for job_id in ids:
            own.wait_job(job_id, timeout=60)
        out = tmp_path / "out"
        argv = [sys.executable, "-m", "prominence_spec", "download", *map(str, ids),
                "-d", str(out), "-j", "1", "--url", own.url,
                "--token-file", str(own.token_file)]  # fmt: skip
        # Ctrl-C: exit 130 with the command that resumes, and no temporary file left
        proc: subprocess.Popen[Any]  # text first, then bytes
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        poll_until(lambda: _part_under_way(out), timeout=30, what="a download under way")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "download interrupted; run the same command again to resume: promspec" in err
        assert "Traceback" not in err and not list(out.rglob("*.promspec-part"))
        # kill -9: the temporary file stays, never a partial file under a final name
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        poll_until(lambda: _part_under_way(out), timeout=30, what="a download under way")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        for final in out.rglob("big.bin"):
            assert final.stat().st_size == big, "a final name holds a partial file"
        assert list(out.rglob("*.promspec-part")), "the kill left its temporary file"
        done = promspec(["download", *map(str, ids), "-d", str(out), "--url", own.url,
                         "--token-file", str(own.token_file)], cwd=tmp_path, env={})  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert not list(out.rglob("*.promspec-part"))
        for n, job_id in enumerate(ids):
            (written,) = (tmp_path / "data" / "jobs" / str(job_id) / "outputs").rglob("big.bin")
            assert (out / f"{job_id}-b{n}" / "big.bin").read_bytes() == written.read_bytes()


# -- hostile names -----------------------------------------------------------------------------
class _Files(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        body = self.files.get(self.path.split("?")[0])
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")


def _archive(members: list[tuple[str, bytes | str]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if isinstance(content, str):
                info.type, info.linkname = tarfile.SYMTYPE, content
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@pytest.fixture()
def files_server() -> Iterator[tuple[str, dict[str, bytes]]]:
    with serving(_Files) as base:
        yield base, _Files.files


def test_hostile_names_and_archives_are_refused(
    box: Sandbox, files_server: tuple[str, dict[str, bytes]], tmp_path: Path
) -> None:
    base, files = files_server
    files.update(
        {
            "/f": b"data",
            "/link.tgz": _archive([("d/ok", b"x"), ("d/l", "/etc/passwd")]),
            "/climb.tgz": _archive([("../../escaped", b"x")]),
            "/good.tgz": _archive([("g/inner.txt", b"inner")]),
        }
    )
    record = {
        "id": 1,
        "status": "completed",
        "outputFiles": [
            {"name": n, "url": f"{base}/f", "size": 4}
            for n in ("../x", "/abs/y", "ok/../../z", "fine.txt")
        ],
        "outputDirs": [
            {"name": "d", "url": f"{base}/link.tgz"},
            {"name": "c", "url": f"{base}/climb.tgz"},
            {"name": "g", "url": f"{base}/good.tgz"},
        ],
    }
    root = tmp_path / "inner" / "root"
    with Client(box.url, token_file=str(box.token_file)) as client:
        report = Downloader(client, root).run([Point("p", 1, record, {}, streams=False)])
    refused = sorted((p.kind, p.name) for p in report.problems)
    assert refused == [
        ("unsafe-archive", "c"),
        ("unsafe-archive", "d"),
        ("unsafe-name", "../x"),
        ("unsafe-name", "/abs/y"),
        ("unsafe-name", "ok/../../z"),
    ]
    link = next(p for p in report.problems if p.name == "d")
    assert "'d/l', a link; nothing was unpacked" in link.message
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "inner/root/manifest.jsonl",
        "inner/root/p/fine.txt",
        "inner/root/p/g/inner.txt",
        "inner/root/p/params.json",
    ]
    with Client(box.url, token_file=str(box.token_file)) as client:
        bad = Downloader(client, root).run([Point("../out", 1, record, {}, streams=False)])
    assert [(p.kind, p.folder) for p in bad.problems] == [("unsafe-name", "../out")]
    assert not (tmp_path / "inner" / "out").exists()


class _CutShort(http.server.BaseHTTPRequestHandler):
    """Says 100 bytes, sends 10 and closes the connection."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.wfile.flush()
        self.close_connection = True


def test_an_answer_cut_short_is_a_network_problem_and_leaves_no_file(
    box: Sandbox, tmp_path: Path
) -> None:
    with serving(_CutShort) as base:
        url = f"{base}/f"
        record = {"id": 1, "status": "completed", "outputFiles": [
            {"name": n, "url": url, "size": 100} for n in ("a.bin", "b.bin")]}  # fmt: skip
        with Client(box.url, token_file=str(box.token_file)) as client:
            report = Downloader(client, tmp_path).run([Point("p", 1, record, {}, streams=False)])
    assert sorted((p.kind, p.name) for p in report.problems) == [
        ("network", "a.bin"),
        ("network", "b.bin"),
    ]
    assert "the download failed (ConnectionError)" in report.problems[0].message
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["params.json"]


# -- expiry and tokens -------------------------------------------------------------------------
@pytest.mark.slow
def test_expired_url_is_s3_403_and_fetched_anew_from_the_record(tmp_path: Path) -> None:
    with start_sandbox(
        tmp_path / "data", executor="host", args=[*HOST_ARGS, "--output-url-lifetime", "1"]
    ) as own:
        job_id = own.submit(make_job("printf fresh > f.txt", outputFiles=["f.txt"]))
        own.wait_job(job_id)
        with Client(own.url, token_file=str(own.token_file)) as client:
            stale = from_ids(client, [job_id])
            url = stale.points[0].record["outputFiles"][0]["url"]
            time.sleep(2.1)
            import requests

            answer = requests.get(url, timeout=10)
            assert answer.status_code == 403
            assert "<Code>AccessDenied</Code><Message>Request has expired</Message>" in answer.text
            report = Downloader(client, tmp_path / "out").run(stale.points)
        assert report.ok, report.problems
        assert (tmp_path / "out" / str(job_id) / "f.txt").read_bytes() == b"fresh"


def test_expired_again_is_a_problem_that_says_so(
    box: Sandbox, expired_server: str, tmp_path: Path
) -> None:
    server = expired_server
    record = {
        "id": 1,
        "status": "completed",
        "outputFiles": [{"name": "f", "url": server, "size": 1}],
    }
    with Client(box.url, token_file=str(box.token_file)) as client:
        job = box.submit(make_job("true"))
        box.wait_job(job)
        report = Downloader(client, tmp_path).run([Point("p", job, record, {}, streams=False)])
    (problem,) = report.problems
    assert problem.kind == "expired" and "no longer lists this output" in problem.message


class _Expired(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        body = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
        self.send_response(403)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def expired_server() -> Iterator[str]:
    with serving(_Expired) as base:
        yield f"{base}/x"


def test_token_refused_midway_is_read_again_then_login_needed(box: Sandbox, tmp_path: Path) -> None:
    ids = _jobs(box, 2)
    token_file = tmp_path / "token"
    shutil.copy(box.token_file, token_file)
    with Client(box.url, token_file=str(token_file)) as client:
        selection = from_ids(client, ids)
        refused = make_token("alice")  # signed with another secret: the sandbox says 401
        from prominence_spec.client.credentials import token_from_value

        client.token = token_from_value(refused, "the test")
        client.transport.set_token(client.token)
        report = Downloader(client, tmp_path / "a").run(selection.points)
        assert report.ok, (report.problems, report.login_needed)
        assert (tmp_path / "a" / f"{ids[1]}-w1" / "stdout.txt").read_bytes() == b"said 1\n"

        token_file.write_text(refused)
        client.token = token_from_value(make_token("bob"), "the test")
        client.transport.set_token(client.token)
        report = Downloader(client, tmp_path / "b").run(selection.points)
    assert report.login_needed is not None
    assert "refused the token from --token-file" in report.login_needed
    assert "log in again with `prominence login`" in report.login_needed
    assert "run the same command again" in report.login_needed
    assert refused not in report.login_needed


# -- the official CLI --------------------------------------------------------------------------
def test_official_cli_download_gets_the_same_bytes(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exe = Path(sys.executable).with_name("prominence")
    if not exe.exists():
        pytest.skip("the official prominence CLI is not installed (test extra)")
    (job_id,) = _jobs(box, 1)
    home = tmp_path / "home"
    (home / ".prominence").mkdir(parents=True)
    shutil.copy(box.token_file, home / ".prominence" / "token")
    env = {**os.environ, "HOME": str(home), "PROMINENCE_URL": box.url}
    env.pop("PROMINENCE_TOKEN", None)
    done = subprocess.run(
        [str(exe), "download", str(job_id)],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    code, _, err = _download(monkeypatch, capsys, box, str(job_id), "-d", str(tmp_path / "p"))
    assert code == 0, err
    mine = tmp_path / "p" / f"{job_id}-w0"
    assert (home / "one.txt").read_bytes() == (mine / "one.txt").read_bytes() == b"one 0"
    with tarfile.open(home / "res.tgz") as tar:
        member = tar.extractfile("res/sub/a.txt")
        assert member is not None and member.read() == (mine / "res/sub/a.txt").read_bytes()


MODE_SPEC = """\
promspec:
  sweep: {i: [0, 1, 2]}
  name: "m-{{ i }}"
name: modes
resources: {cpus: 1, memory: 1, disk: 10, walltime: 5}
outputFiles: [v.txt]
tasks:
  - image: busybox
    runtime: singularity
    cmd: printf 'v{{ i }}' > v.txt; test {{ i }} -ne 1 || exit 3
"""


@pytest.mark.parametrize("mode", ["jobs", "workflow", "factory"])
def test_a_sweep_with_a_failing_point_in_each_mode(
    box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mode: str,
) -> None:
    (tmp_path / ".git").mkdir()
    spec = tmp_path / "modes.yaml"
    spec.write_text(f"# {mode} {tmp_path.name}\n" + MODE_SPEC)
    env = _env(box)
    for command in (
        ["submit", str(spec), "--mode", mode],
        ["wait", str(spec), "--interval", "0.1"],
    ):
        cli(monkeypatch, capsys, [*command, "--token-file", str(box.token_file)], env)
    out = tmp_path / "r"
    code, _, err = _download(monkeypatch, capsys, box, str(spec), "--mode", mode, "-d", str(out))
    assert code == 0, err
    assert "for 2 points" in err and "1 job not completed left out" in err
    assert sorted(p.name for p in out.iterdir() if p.is_dir())[0].startswith("0-")
    code, _, err = _download(
        monkeypatch, capsys, box, str(spec), "--mode", mode, "-d", str(out), "--all"
    )
    assert code == 0, err
    for i in range(3):
        (folder,) = [p for p in out.iterdir() if p.name.startswith(f"{i}-")]
        assert (folder / "v.txt").read_bytes() == f"v{i}".encode(), folder
        params = json.loads((folder / "params.json").read_text())
        assert (params["index"], params["params"]) == (i, {"i": i})
        assert params["status"] == ("failed" if i == 1 else "completed")
        assert params["exit_code"] == (3 if i == 1 else 0)
