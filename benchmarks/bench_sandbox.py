"""Benchmark of ``promspec sandbox`` (noop executor), in one command:

    python benchmarks/bench_sandbox.py            # --posts 4000 --clients 16 --stored 10000

1. POST /jobs throughput and latency (p50, p99) with CLIENTS concurrent clients, each a
   thread with its own keep-alive ``requests.Session``;
2. ``GET /jobs?all=true`` over STORED stored jobs (completed by the noop executor), the
   median of REPEAT requests, with the size of the answer.

The sandbox runs as a subprocess on a free loopback port with a temporary data folder,
as a user would start it. Goals (issue 8): at least 500 submissions a second, and the
listing of 10,000 jobs in under a second.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

JOB = {
    "name": "bench",
    "resources": {"cpus": 1, "memory": 1, "disk": 10, "nodes": 1},
    "tasks": [{"image": "eoscprominence/testpi", "runtime": "singularity", "cmd": "echo hi"}],
    "labels": {"bench": "yes"},
}


def start(data: Path, extra: list[str]) -> tuple[subprocess.Popen[bytes], str, str]:
    log = data.parent / "sandbox.log"
    argv = [sys.executable, "-m", "prominence_spec", "sandbox", "--port", "0", "--data",
            str(data), "--executor", "noop", *extra]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if "serving " in line:
                url = line.split("serving ", 1)[1].strip()
                token = json.loads((data / "token").read_text())["access_token"]
                return proc, url, token
        time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"the sandbox did not start:\n{log.read_text()}")


def post_phase(
    url: str, token: str, posts: int, clients: int, *, health: bool = False
) -> dict[str, float]:
    """POST /jobs ``posts`` times from ``clients`` threads (``health``: GET /health
    instead, the same stack with no work behind it, as a baseline)."""
    local = threading.local()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps(JOB)

    def one(_: int) -> float:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        began = time.perf_counter()
        if health:
            r = session.get(url + "/health", timeout=60)
        else:
            r = session.post(url + "/jobs", data=body, headers=headers, timeout=60)
        took = time.perf_counter() - began
        if r.status_code not in (201, 204):
            raise SystemExit(f"request failed: {r.status_code} {r.text[:200]}")
        return took

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(clients * 4)))  # warm-up: connections and code paths
        began = time.perf_counter()
        latencies = sorted(pool.map(one, range(posts)))
        wall = time.perf_counter() - began
    return {
        "posts": posts,
        "clients": clients,
        "seconds": wall,
        "per_second": posts / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
    }


def fill(url: str, token: str, total: int, clients: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    have = len(requests.get(url + "/jobs", params={"all": "true"}, headers=headers,
                            timeout=120).json())  # fmt: skip
    if have < total:
        post_phase(url, token, total - have, clients)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the noop executor completes them all
        active = requests.get(url + "/jobs", headers=headers, timeout=120).json()
        if not active:
            return
        time.sleep(0.2)
    raise SystemExit("jobs did not complete")


def list_phase(url: str, token: str, repeat: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"}
    times, size, count = [], 0, 0
    with requests.Session() as session:
        for _ in range(repeat + 1):
            began = time.perf_counter()
            r = session.get(url + "/jobs", params={"all": "true"}, headers=headers, timeout=120)
            data = r.json()
            times.append(time.perf_counter() - began)
            size, count = len(r.content), len(data)
    times = times[1:]  # the first request warms the caches
    return {"jobs": count, "bytes": size, "median_s": statistics.median(times),
            "max_s": max(times)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--latency", type=int, default=0, help="the sandbox's --latency MS")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        extra = ["--latency", str(args.latency)] if args.latency else []
        proc, url, token = start(Path(tmp) / "data", extra)
        try:
            baseline = post_phase(url, token, args.posts, args.clients, health=True)
            posted = post_phase(url, token, args.posts, args.clients)
            fill(url, token, args.stored, args.clients)
            listed = list_phase(url, token, args.repeat)
        finally:
            proc.terminate()
            proc.wait(30)
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"baseline GET /health: {baseline['per_second']:.0f}/s, "
          f"p50 {baseline['p50_ms']:.1f} ms, p99 {baseline['p99_ms']:.1f} ms")  # fmt: skip
    print(f"POST /jobs: {posted['posts']} jobs, {posted['clients']} clients: "
          f"{posted['per_second']:.0f}/s, p50 {posted['p50_ms']:.1f} ms, "
          f"p99 {posted['p99_ms']:.1f} ms (goal: >= 500/s)")  # fmt: skip
    print(f"GET /jobs?all=true: {listed['jobs']} jobs, {listed['bytes'] / 1e6:.1f} MB: "
          f"median {listed['median_s'] * 1000:.0f} ms, max {listed['max_s'] * 1000:.0f} ms "
          "(goal: < 1 s)")  # fmt: skip
    if args.json:
        args.json.write_text(
            json.dumps({"health": baseline, "post": posted, "list": listed}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
