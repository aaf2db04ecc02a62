"""`promspec collect` (issue 17): one table of a study's results from what each job
wrote, against a real sandbox (host executor); parsers over real files."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from client_support import cli
from points_support import fetch_like_download, study
from sandbox_support import shared_sandbox


def _run_study(
    tmp_path: Path, points: int, fail: tuple[int, ...], mode: str = "jobs", *, fetched: bool = True
) -> tuple[Path, dict[str, str]]:
    """Submit the study, wait, and (``fetched``) download the completed points to
    tmp_path/results."""
    from prominence_spec.client import Client
    from prominence_spec.client.ops import poll, spec_targets
    from prominence_spec.client.points import point_statuses
    from prominence_spec.client.source import SpecSource
    from prominence_spec.client.submit import Submit

    box = shared_sandbox("host")
    spec = study(tmp_path / "study", points, fail=fail)
    with Client(box.url, token=box.token) as client:
        mode_given = None if mode == "jobs" else mode  # as `promspec collect` without -m
        assert Submit(client, SpecSource(spec, mode=mode_given)).run().ok
        for _ in poll(client, spec_targets(client, spec), interval=0.1, timeout=60):
            pass
        found = point_statuses(client, SpecSource(spec, mode=mode_given))
        if fetched:
            fetch_like_download(client, found, tmp_path / "results")
    env = {"PROMINENCE_URL": box.url, "PROMINENCE_TOKEN": box.token, "HOME": str(tmp_path)}
    return spec, env


def _collect(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    spec: Path,
    env: dict[str, str],
    *args: str,
) -> tuple[int, str, str]:
    results = str(spec.parent.parent / "results")
    return cli(monkeypatch, capsys, ["collect", str(spec), "-d", results, *args], env)


@pytest.mark.parametrize("mode", ["jobs", "factory"])
def test_collect_gives_each_point_the_values_its_job_computed(
    tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, env = _run_study(tmp_path, 4, (1,), mode)
    args = ["--from", "result.json"] + ([] if mode == "jobs" else ["-m", mode])
    code, out, err = _collect(monkeypatch, capsys, spec, env, *args)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["index", "i", "status", "exit_code", "square", "stats.half"]
    assert rows == [
        {
            "index": "0",
            "i": "0",
            "status": "completed",
            "exit_code": "0",
            "square": "0",
            "stats.half": "0.0",
        },
        {
            "index": "1",
            "i": "1",
            "status": "failed",
            "exit_code": "3",
            "square": "",
            "stats.half": "",
        },
        {
            "index": "2",
            "i": "2",
            "status": "completed",
            "exit_code": "0",
            "square": "4",
            "stats.half": "1.0",
        },
        {
            "index": "3",
            "i": "3",
            "status": "completed",
            "exit_code": "0",
            "square": "9",
            "stats.half": "1.5",
        },
    ]


def test_collect_writes_the_format_of_the_output_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, env = _run_study(tmp_path, 3, (2,))
    table = tmp_path / "table"
    code, _, err = _collect(
        monkeypatch, capsys, spec, env, "--from", "result.json", "-o", f"{table}.json"
    )
    assert code == 0, err
    rows = json.loads(Path(f"{table}.json").read_text())
    assert rows[1] == {
        "index": 1,
        "i": 1,
        "status": "completed",
        "exit_code": 0,
        "square": 1,
        "stats.half": 0.5,
    }
    assert rows[2] == {
        "index": 2,
        "i": 2,
        "status": "failed",
        "exit_code": 3,
        "square": None,
        "stats.half": None,
    }
    code, _, err = _collect(
        monkeypatch, capsys, spec, env, "--from", "result.json", "-o", f"{table}.jsonl"
    )
    assert code == 0, err
    lines = Path(f"{table}.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == rows
    import pyarrow.parquet as pq

    code, _, err = _collect(
        monkeypatch, capsys, spec, env, "--from", "result.json", "-o", f"{table}.parquet"
    )
    assert code == 0, err
    assert pq.read_table(f"{table}.parquet").to_pylist() == rows
    code, _, err = _collect(
        monkeypatch, capsys, spec, env, "--from", "result.json", "-o", f"{table}.xlsx"
    )
    assert code == 2 and ".parquet" in err


def test_parquet_without_pyarrow_is_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, env = _run_study(tmp_path, 2, ())
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    out = tmp_path / "t.parquet"
    code, _, err = _collect(monkeypatch, capsys, spec, env, "--from", "result.json", "-o", str(out))
    assert code == 2
    assert "needs pyarrow: pip install 'promspec[parquet]'" in err
    assert not out.exists()


@pytest.mark.slow
def test_collect_reads_stdout_with_kv_and_regex(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, env = _run_study(tmp_path, 3, (0,))
    code, out, err = _collect(
        monkeypatch, capsys, spec, env, "--from", "stdout", "--parse", "kv", "-f", "jsonl"
    )
    assert code == 0, err
    assert [json.loads(x).get("square") for x in out.splitlines()] == [None, 1, 4]
    regex = "regex:square=(?P<sq>\\d+)"
    code, out, err = _collect(
        monkeypatch, capsys, spec, env, "--from", "stdout", "--parse", regex, "-f", "jsonl"
    )
    assert code == 0, err
    assert [json.loads(x).get("sq") for x in out.splitlines()] == [None, 1, 4]
    code, _, err = _collect(
        monkeypatch, capsys, spec, env, "--from", "stdout", "--parse", "regex:("
    )
    assert code == 2 and "not a regular expression" in err


def test_a_parse_error_is_reported_with_its_point_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, env = _run_study(tmp_path, 3, ())
    broken = tmp_path / "results" / "1-p-1" / "result.json"
    broken.write_text('{"square": 1,\n  oops}')
    code, out, err = _collect(
        monkeypatch, capsys, spec, env, "--from", "result.json", "-f", "jsonl"
    )
    assert code == 1
    rows = [json.loads(x) for x in out.splitlines()]
    assert [r.get("square") for r in rows] == [0, None, 4]  # the other rows are whole
    message = "line 2:3: Expecting property name enclosed in double quotes"
    assert f"point 1: {broken}: {message} [parse-error]" in err
    (tmp_path / "results" / "2-p-2" / "result.json").unlink()
    code, _, err = _collect(monkeypatch, capsys, spec, env, "--from", "result.json", "--offline")
    assert code == 1 and "point 2: " in err and "no such file [no-file]" in err
    code, out, err = _collect(
        monkeypatch, capsys, spec, env, "--from", "result.json", "-f", "jsonl"
    )
    assert code == 1 and "point 2: " not in err  # fetched again: the file is back
    assert [json.loads(x).get("square") for x in out.splitlines()] == [0, None, 4]
    code, _, err = _collect(monkeypatch, capsys, spec, env, "--from", "../result.json")
    assert code == 2 and "inside each point's folder" in err


def test_points_without_a_folder_take_their_status_from_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Failed points are not downloaded by default: their row still says how they ended."""
    import shutil

    spec, env = _run_study(tmp_path, 3, (1,))
    assert not (tmp_path / "results" / "1-p-1").exists()
    shutil.move(tmp_path / "results" / "2-p-2", tmp_path / "results" / "elsewhere")  # any layout
    code, out, err = _collect(
        monkeypatch, capsys, spec, env, "--from", "result.json", "-f", "jsonl"
    )
    assert code == 0, err
    rows = [json.loads(x) for x in out.splitlines()]
    assert [(r["status"], r["exit_code"], r["square"]) for r in rows] == [
        ("completed", 0, 0),
        ("failed", 3, None),
        ("completed", 0, 4),
    ]


def test_parsers_read_real_files(tmp_path: Path) -> None:
    from prominence_spec.client.collect.parse import ParseError, parser_for

    files = {
        "a.yaml": ("x: 1\nnested: {y: two}\n", {"x": 1, "nested.y": "two"}),
        "a.csv": ("loss,acc\n0.5,9\n", {"loss": 0.5, "acc": 9}),
        "a.txt": ("noise\nloss = 0.25\nacc: 3\n", {"loss": 0.25, "acc": 3}),
        "a.json": ("[1, 2]", {"value": [1, 2]}),
    }
    for name, (text, expected) in files.items():
        (tmp_path / name).write_text(text)
        assert parser_for("auto", name)((tmp_path / name).read_text()) == expected, name
    with pytest.raises(ParseError) as bad:
        parser_for("csv", "x")("a,b\n1,2\n3,4\n")
    assert bad.value.code == "parse-error" and "got 2 rows" in bad.value.message
    with pytest.raises(ParseError) as none:
        parser_for("kv", "x")("nothing here\n")
    assert none.value.code == "no-match"


class _Requests:
    """Every request the client sends, in this process: urllib3's
    ``HTTPConnectionPool.urlopen`` wrapped, which the API's session (requests) and the
    download's pool for presigned URLs both go through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from urllib3.connectionpool import HTTPConnectionPool

        self.urls: list[str] = []
        urlopen = HTTPConnectionPool.urlopen

        def counted(pool: HTTPConnectionPool, method: str, url: str, *args: Any, **kw: Any) -> Any:
            origin = f"{pool.scheme}://{pool.host}:{pool.port}" if url.startswith("/") else ""
            self.urls.append(origin + url)
            return urlopen(pool, method, url, *args, **kw)

        monkeypatch.setattr(HTTPConnectionPool, "urlopen", counted)

    def count(self, part: str) -> int:
        return sum(1 for url in self.urls if part in url)

    def clear(self) -> None:
        self.urls.clear()


def test_collect_without_a_download_fetches_only_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No prior `download`: collect fetches each completed point's result.json (and
    nothing else), gives the values each job computed; a second collect fetches nothing."""
    spec, env = _run_study(tmp_path, 4, (1,), fetched=False)
    sent = _Requests(monkeypatch)
    code, out, err = _collect(
        monkeypatch, capsys, spec, env, "--from", "result.json", "-f", "jsonl"
    )
    assert code == 0, err
    rows = [json.loads(x) for x in out.splitlines()]
    assert [(r["index"], r["status"], r["exit_code"], r.get("square")) for r in rows] == [
        (0, "completed", 0, 0),
        (1, "failed", 3, None),
        (2, "completed", 0, 4),
        (3, "completed", 0, 9),
    ]
    assert sent.count("/storage/") == 3  # one result.json per completed point
    assert sent.count("/stdout") == sent.count("/stderr") == 0  # --from names a file
    results = tmp_path / "results"
    assert json.loads((results / "2-p-2" / "result.json").read_text())["square"] == 4
    assert json.loads((results / "2-p-2" / "params.json").read_text())["index"] == 2
    assert not (results / "1-p-1").exists()  # failed: nothing to fetch
    assert "downloaded 3 files" in err
    assert not list(results.rglob("*.promspec-part"))
    sent.clear()
    code, again, err = _collect(
        monkeypatch, capsys, spec, env, "--from", "result.json", "-f", "jsonl"
    )
    assert code == 0, err
    assert again == out
    assert sent.count("/storage/") == sent.count("/stdout") == sent.count("/stderr") == 0


def test_collect_from_stdout_fetches_stdout_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, env = _run_study(tmp_path, 3, (0,), fetched=False)
    sent = _Requests(monkeypatch)
    code, out, err = _collect(
        monkeypatch, capsys, spec, env, "--from", "stdout", "--parse", "kv", "-f", "jsonl"
    )
    assert code == 0, err
    assert [json.loads(x).get("square") for x in out.splitlines()] == [None, 1, 4]
    assert sent.count("/stdout") == 2 and sent.count("/stderr") == sent.count("/storage/") == 0
    assert (tmp_path / "results" / "2-p-2" / "stdout.txt").is_file()
    assert not (tmp_path / "results" / "2-p-2" / "result.json").exists()


@pytest.mark.slow
def test_offline_collect_never_contacts_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--offline reads DIR only: with the server's URL dead, the downloaded points give
    their values and the others are reported not-downloaded."""
    import shutil

    spec, env = _run_study(tmp_path, 3, (1,))
    shutil.rmtree(tmp_path / "results" / "2-p-2")
    env = {**env, "PROMINENCE_URL": "http://127.0.0.1:9/api/v1"}  # nothing listens there
    sent = _Requests(monkeypatch)
    code, out, err = _collect(
        monkeypatch, capsys, spec, env, "--from", "result.json", "-f", "jsonl", "--offline"
    )
    assert code == 1
    rows = [json.loads(x) for x in out.splitlines()]
    assert [(r["status"], r.get("square")) for r in rows] == [
        ("completed", 0),
        (None, None),
        (None, None),
    ]
    assert "point 1: no folder (and --offline" in err and "[not-downloaded]" in err
    assert "point 2: " in err
    assert sent.urls == []
    code, _, err = _collect(monkeypatch, capsys, spec, env, "--from", "result.json")
    assert code == 1 and sent.count("127.0.0.1:9/") > 0, err  # without --offline it asks


def test_the_python_api_collects_and_fetches(tmp_path: Path) -> None:
    from prominence_spec.client import Client
    from prominence_spec.client.collect.fetch import collect_spec
    from prominence_spec.client.source import SpecSource

    spec, env = _run_study(tmp_path, 3, (2,), fetched=False)
    root = tmp_path / "results"
    with Client(env["PROMINENCE_URL"], token=env["PROMINENCE_TOKEN"]) as client:
        table = collect_spec(client, SpecSource(spec), "result.json", root)
        assert [r.get("square") for r in table.rows] == [0, 1, None]
        assert table.download is not None and table.download.fetched == 2
        assert collect_spec(client, SpecSource(spec), "result.json", root).download is None
        offline = collect_spec(
            client, SpecSource(spec), "result.json", tmp_path / "empty", fetch=False
        )
    assert [p.code for p in offline.problems] == ["not-downloaded"] * 3


def test_only_the_outputs_from_can_be_are_fetched() -> None:
    from prominence_spec.client.collect.fetch import only_for

    exact = only_for("out/result.json")
    assert exact("file", "out/result.json") and exact("file", "./out/result.json")
    assert not exact("file", "result.json") and not exact("file", "out/other.json")
    assert exact("dir", "out") and not exact("dir", "logs") and not exact("dir", "out/result.json")
    assert not exact("stream", "stdout.txt") and not exact("file", "../out/result.json")
    glob = only_for("*.json")
    assert glob("file", "a.json") and not glob("file", "a.csv") and not glob("dir", "a.json")
    deep = only_for("**/r.json")
    assert deep("dir", "anything") and not deep("stream", "stdout.txt")
    stdout = only_for("stdout")
    assert stdout("stream", "stdout.txt") and not stdout("stream", "stderr.txt")
    assert not stdout("file", "stdout")


def test_download_then_collect_share_their_default_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without -d, `download SPEC` and `collect SPEC` both use ./<spec name>-results, so a
    collect after a download reads what it fetched and works offline."""
    spec, env = _run_study(tmp_path, 3, (1,), fetched=False)
    monkeypatch.chdir(tmp_path)
    code, _out, err = cli(monkeypatch, capsys, ["download", str(spec), "--all", "-q"], env)
    assert code == 0, err
    assert (tmp_path / f"{spec.stem}-results" / "manifest.jsonl").is_file()
    args = ["collect", str(spec), "--from", "result.json", "--offline", "-f", "json"]
    code, out, err = cli(monkeypatch, capsys, args, env)
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["index"], r["status"], r.get("square")) for r in rows] == [
        (0, "completed", 0),
        (1, "failed", None),
        (2, "completed", 4),
    ]
