"""Download benchmark (issue 17): promspec download against a sequential requests loop.

    python benchmarks/bench_download.py [--points 1000] [--size 100000] [--repeat 3]
                                        [--storage-latency 0 20 50] [-j 8] [--big 1000000000]
                                        [--before SRC] [--no-big] [--json OUT]

* ``--points`` jobs each write one ``--size``-byte file, run by a sandbox (host executor)
  on loopback. For each ``--storage-latency`` in turn the sandbox is restarted on the same
  jobs with that delay before each output download (an object store's first byte), and in
  every repetition, in turns, each into a fresh folder: the baseline, a sequential loop of
  ``requests.get`` over every URL promspec fetches (each point's presigned output URL, and
  its stdout and stderr from the API with the token; each answer written to a file, as a
  user's script would), and ``promspec download ID... -d DIR`` as a whole subprocess
  (start-up, the records, params.json, stdout.txt and stderr.txt of every point
  included). Medians. Target: promspec at least 5 times faster. With ``--before SRC``
  the promspec of another source tree runs in the same turns (before/after). The folders
  are removed at the end of the run, not between turns (see ``_compare``). Also printed:
  the CPU seconds of the loop and of promspec, and of the sandbox while each ran (what
  bounds the ratio when there is no storage latency: see docs/performance.md).
* Peak memory: ``promspec download`` of one job's ``--big``-byte file against the same
  command for one 100 kB file: the peak RSS of the subprocess (``wait4``), which must not
  grow with the file (target: under 1.5 times the small file's).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from sandbox_support import start_sandbox  # noqa: E402

JOB: dict[str, Any] = {
    "resources": {"cpus": 1, "memory": 1, "disk": 10},
    "tasks": [{"image": "busybox", "runtime": "singularity"}],
}


def _job(cmd: str, name: str, output: str) -> dict[str, Any]:
    return {**JOB, "name": name, "tasks": [{**JOB["tasks"][0], "cmd": cmd}],
            "outputFiles": [output]}  # fmt: skip


def make_jobs(box: Any, points: int, size: int) -> list[int]:
    from concurrent.futures import ThreadPoolExecutor

    cmd = f"head -c {size} /dev/urandom > out.bin"
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: box.submit(_job(cmd, f"p{i}", "out.bin")), range(points)))
    for job_id in ids:
        box.wait_job(job_id, timeout=600)
    return ids


def urls(box: Any, ids: list[int]) -> list[tuple[str, bool]]:
    """What promspec fetches, (URL, whether it is the API's): every point's output file
    (a presigned URL, no token), its stdout and its stderr (the API, with the token)."""
    found = []
    for start in range(0, len(ids), 100):
        chunk = ",".join(map(str, ids[start : start + 100]))
        for record in box.get(f"/jobs?id={chunk}&detail=1").json():
            found += [(item["url"], False) for item in record["outputFiles"]]
            found += [(f"{box.url}/jobs/{record['id']}/{s}", True) for s in ("stdout", "stderr")]
    return found


def baseline(box: Any, found: list[tuple[str, bool]], folder: Path) -> float:
    """A user's script: one ``requests.get`` after another, each answer written to a file."""
    import requests

    folder.mkdir(parents=True)
    headers = box.headers()
    start = time.perf_counter()
    for n, (url, api) in enumerate(found):
        answer = requests.get(url, timeout=60, headers=headers if api else None)
        answer.raise_for_status()
        (folder / f"{n}.bin").write_bytes(answer.content)
    return time.perf_counter() - start


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds process ``pid`` has used so far (``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: CPU seconds of the last `promspec download` run: (its own, the sandbox's meanwhile).
LAST_CPU: list[tuple[float, float]] = []


def promspec(
    box: Any, ids: list[int], folder: Path, jobs: int = 8, source: Path | None = None
) -> tuple[float, int]:
    """Wall seconds and peak RSS (kB) of `promspec download` as a whole subprocess; with
    ``source``, the promspec of that source tree (another commit's, for before/after).
    Its CPU seconds and the sandbox's in that time are appended to :data:`LAST_CPU`."""
    env = {**os.environ, "PYTHONPATH": str(source)} if source else None
    argv = [sys.executable, "-m", "prominence_spec", "download", *map(str, ids), "-d",
            str(folder), "-q", "-j", str(jobs), "--url", box.url,
            "--token-file", str(box.token_file)]  # fmt: skip
    sandbox_before = cpu_seconds(box.proc.pid)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    sandbox = cpu_seconds(box.proc.pid) - sandbox_before
    LAST_CPU.append((usage.ru_utime + usage.ru_stime, sandbox))
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"promspec download failed: {err}")
    return elapsed, usage.ru_maxrss


def _compare(
    box: Any, ids: list[int], found: list[tuple[str, bool]], args: Any, tmp: Path
) -> dict[str, Any]:
    """The loop and promspec (and ``--before``'s promspec) in turns, each into a fresh
    folder; medians."""
    base, mine, before = [], [], []
    cpu: list[tuple[float, float]] = []
    base_cpu: list[tuple[float, float]] = []
    tmp = tmp / f"latency-{box._args[-1] if '--storage-latency' in box._args else 0}"
    for turn in range(args.repeat):
        sandbox_before, own_before = cpu_seconds(box.proc.pid), time.process_time()
        base.append(baseline(box, found, tmp / f"base{turn}"))
        base_cpu.append((time.process_time() - own_before,
                         cpu_seconds(box.proc.pid) - sandbox_before))  # fmt: skip
        mine.append(promspec(box, ids, tmp / f"mine{turn}", args.jobs)[0])
        cpu.append(LAST_CPU[-1])
        if args.before:
            before.append(promspec(box, ids, tmp / f"old{turn}", args.jobs, args.before)[0])
    # The folders are removed at the end of the run, not between turns: on this machine's
    # ext4 a file created within a minute or so of many deletions costs far more system
    # time (the inode allocator steps over recently deleted inodes: 38% of promspec's
    # samples in `perf` when the folders were removed between turns), whoever creates it.
    b, m = statistics.median(base), statistics.median(mine)
    latency = box._args[-1] if "--storage-latency" in box._args else "0"
    print(f"storage latency {latency} ms, {args.points:,} points x {args.size:,} B "
          f"({len(found):,} URLs): promspec download -j {args.jobs} {m:.2f} s, "
          f"requests.get loop {b:.2f} s: {b / m:.1f}x faster (target >= 5x)",
          flush=True)  # fmt: skip
    client_cpu = statistics.median(c for c, _ in cpu)
    sandbox_cpu = statistics.median(s for _, s in cpu)
    loop_cpu = statistics.median(c for c, _ in base_cpu)
    loop_sandbox_cpu = statistics.median(s for _, s in base_cpu)
    print(f"  CPU seconds: the loop {loop_cpu:.2f}, the sandbox {loop_sandbox_cpu:.2f} meanwhile; "
          f"promspec {client_cpu:.2f}, the sandbox {sandbox_cpu:.2f} meanwhile "
          f"(5x the loop would be {b / 5:.2f} s of wall time, on {os.cpu_count()} cores)",
          flush=True)  # fmt: skip
    figures = {"promspec_s": m, "baseline_s": b, "ratio": b / m,
               "promspec_cpu_s": client_cpu, "sandbox_cpu_s": sandbox_cpu,
               "loop_cpu_s": loop_cpu, "loop_sandbox_cpu_s": loop_sandbox_cpu,
               "runs": {"promspec": mine, "baseline": base}}  # fmt: skip
    if before:
        o = statistics.median(before)
        print(f"  --before's promspec download {o:.2f} s: {b / o:.1f}x faster than the loop; "
              f"this tree {o / m:.2f}x faster than --before", flush=True)  # fmt: skip
        figures.update(before_s=o, before_ratio=b / o)
        figures["runs"]["before"] = before
    return figures


def _memory(box: Any, args: Any, tmp: Path) -> dict[str, Any]:
    """Peak RSS of promspec download for one ``--big``-byte file against one 100 kB file."""
    small = make_jobs(box, 1, 100_000)
    _, small_rss = promspec(box, small, tmp / "small")
    print(f"making one job of a {args.big:,}-byte file ...", flush=True)
    big = [box.submit(_job(f"head -c {args.big} /dev/zero > big.bin", "big", "big.bin"))]
    box.wait_job(big[0], timeout=600)
    seconds, big_rss = promspec(box, big, tmp / "big")
    assert (tmp / "big" / f"{big[0]}-big" / "big.bin").stat().st_size == args.big
    print(f"peak RSS: {big_rss / 1024:.0f} MB for a {args.big / 1e9:g} GB file "
          f"({seconds:.1f} s), {small_rss / 1024:.0f} MB for a 100 kB file: "
          f"{big_rss / small_rss:.2f}x (target < 1.5x)")  # fmt: skip
    return {"big_rss_kb": big_rss, "small_rss_kb": small_rss,
            "big_bytes": args.big, "big_s": seconds}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big", type=int, default=1_000_000_000)
    parser.add_argument(
        "--storage-latency",
        type=int,
        nargs="+",
        default=[0, 20, 50],
        metavar="MS",
        help="The sandbox's --storage-latency, each in turn.",
    )
    parser.add_argument("--jobs", "-j", type=int, default=8, help="promspec's -j.")  # fmt: skip
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    parser.add_argument("--before", type=Path, metavar="SRC",
                        help="Also time the promspec of this source tree (e.g. `git archive "
                             "main` unpacked), in the same turns: before/after.")  # fmt: skip
    parser.add_argument("--no-big", action="store_true", help="Skip the peak-memory check.")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-download-"))
    figures: dict[str, Any] = {}
    try:
        options = ["--max-jobs", "4"]
        box = start_sandbox(tmp / "data", executor="host", args=options)
        try:
            print(f"making {args.points:,} jobs of one {args.size:,}-byte file ...", flush=True)
            ids = make_jobs(box, args.points, args.size)
            figures["download"] = {}
            for latency in args.storage_latency:
                box = box.restart(["--storage-latency", str(latency)])
                found = urls(box, ids)  # the port is new: so are the URLs
                figures["download"][latency] = _compare(box, ids, found, args, tmp)
            if not args.no_big:
                figures["memory"] = _memory(box, args, tmp)
        finally:
            box.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
