"""``promspec sandbox --storage-rate MB``: each output download sent at MB megabytes a
second at most (a slow object store or link), through the fast path and through Flask
alike, Range requests included, with the same bytes; a negative rate is exit 2."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from test_sandbox_run import HOST_ARGS

from prominence_spec.server.outputs import PIECE, paced

from sandbox_support import make_job, start_sandbox

SIZE = 600_000


@pytest.mark.slow
def test_each_download_is_paced_and_whole(tmp_path: Path) -> None:
    with start_sandbox(
        tmp_path / "data", executor="host", args=(*HOST_ARGS, "--storage-rate", "1")
    ) as box:
        job_id = box.submit(make_job(f"head -c {SIZE} /dev/urandom > f.bin", outputFiles=["f.bin"]))
        box.wait_job(job_id)
        (record,) = box.get(f"/jobs/{job_id}?detail=1").json()
        url = record["outputFiles"][0]["url"]
        (kept,) = (tmp_path / "data" / "jobs" / str(job_id) / "outputs").rglob("f.bin")
        written = kept.read_bytes()
        for variant in (url, url + "&flask=1"):  # the fast path, then Flask's route
            start = time.monotonic()
            answer = requests.get(variant, timeout=30)
            took = time.monotonic() - start
            assert answer.status_code == 200 and answer.content == written
            # the first piece goes at once, every later one waits its turn: a lower bound
            assert took >= (SIZE - PIECE) / 1e6, took
        tail = requests.get(url, headers={"Range": f"bytes={SIZE - 1000}-"}, timeout=30)
        assert tail.status_code == 206 and tail.content == written[-1000:]


def test_a_paced_answer_closes_its_source_when_the_client_goes() -> None:
    closed: list[bool] = []

    class Source:
        def __iter__(self) -> Iterator[bytes]:
            yield b"x" * (3 * PIECE)

        def close(self) -> None:
            closed.append(True)

    pieces = paced(Source(), rate=1e9)
    assert next(pieces) == b"x" * PIECE
    pieces.close()  # waitress closes the answer's iterable when the connection ends
    assert closed == [True]
    assert b"".join(paced([b"ab", b"", b"c" * (PIECE + 1)], rate=1e9)) == b"ab" + b"c" * (PIECE + 1)


@pytest.mark.parametrize("rate", ["-1", "nan"])
def test_a_negative_rate_is_exit_2_with_the_rule(tmp_path: Path, rate: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "prominence_spec", "sandbox", "--port", "0",
         "--data", str(tmp_path / "data"), "--storage-rate", rate],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done
    assert "--storage-rate must not be negative (0: no limit)" in done.stderr
    assert not (tmp_path / "data").exists()
