"""Results benchmark (issue 17): the per-point status of a big study and collect.

    python benchmarks/bench_results.py [--points 10000] [--repeat 5]

Targets:
* ``promspec status SPEC -f json`` of a 10,000-point study, the whole process (start-up,
  rendering the points, one listing by the run label with detail, the JSON): under 2 s.
  Baseline, in turns in the same run: ``promspec render SPEC --points -f json`` (the same
  points' index and values, without the server).
* ``promspec collect SPEC --from result.json -o table.csv`` over 10,000 points' small JSON
  outputs already downloaded (``DIR/<index>-<name>/`` with ``params.json``): under 3 s.
  Baseline, in turns: a plain Python process that ``json.load``s the same files (each
  point's ``params.json`` and ``result.json``) and writes the same CSV with ``csv``.

The sandbox runs as a subprocess (noop executor) with every job submitted and ended
before anything is timed. Every figure is the median of ``--repeat`` whole processes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """\
promspec:
  sweep:
    a: {{start: 0, end: {last_a}, step: 1}}
    b: [x, y]
  name: "job-{{{{ a }}}}-{{{{ b }}}}"
name: study
resources: {{cpus: 1, memory: 1, disk: 1, walltime: 5}}
tasks:
  - image: busybox
    runtime: singularity
    cmd: echo {{{{ a }}}} {{{{ b }}}}
"""

BASELINE_COLLECT = """\
import csv, json, os, sys
root, out = sys.argv[1], sys.argv[2]
rows, columns = [], {}
for name in sorted(os.listdir(root), key=lambda n: int(n.split("-", 1)[0])):
    with open(os.path.join(root, name, "params.json")) as f:
        saved = json.load(f)
    with open(os.path.join(root, name, "result.json")) as f:
        values = json.load(f)
    row = {"index": saved["index"], **saved["params"], "status": saved["status"],
           "exit_code": saved["exit_code"], **values}
    columns.update(dict.fromkeys(row))
    rows.append(row)
with open(out, "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
"""


def promspec(*args: str, env: dict[str, str] | None = None) -> float:
    """Seconds for one whole ``promspec`` process (which must succeed)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "prominence_spec", *args],
        capture_output=True,
        env={**os.environ, **(env or {})},
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(
            f"promspec {' '.join(args)}: exit {proc.returncode}\n{proc.stderr[-2000:]!r}"
        )
    return elapsed


def python(script: str, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", script, *args], check=True)
    return time.perf_counter() - start


def write_spec(folder: Path, points: int) -> Path:
    (folder / ".git").mkdir(parents=True, exist_ok=True)
    spec = folder / "study.yaml"
    spec.write_text(SPEC.format(last_a=points // 2 - 1), encoding="utf-8")
    return spec


def status_case(folder: Path, points: int, repeat: int) -> tuple[list[float], list[float]]:
    from prominence_spec.client.local import LocalSandbox

    spec = write_spec(folder / "status", points)
    with LocalSandbox(executor="noop", data=folder / "sandbox") as sandbox:
        env = {"PROMINENCE_URL": sandbox.url, "PROMINENCE_TOKEN_FILE": str(sandbox.token_file)}
        server = ["--token-file", str(sandbox.token_file), "--url", sandbox.url]
        promspec("submit", str(spec), "-j", "16", *server, env=env)
        promspec("wait", str(spec), "--interval", "0.5", "-f", "json", *server, env=env)
        status, render = [], []
        for _ in range(repeat):  # in turns, so that load changes hit both alike
            status.append(promspec("status", str(spec), "-f", "json", *server, env=env))
            render.append(promspec("render", str(spec), "--points", "-f", "json"))
    return status, render


def collect_case(folder: Path, points: int, repeat: int) -> tuple[list[float], list[float]]:
    spec = write_spec(folder / "collect", points)
    results = folder / "collect" / "results"
    for index in range(points):
        a, b = index // 2, "xy"[index % 2]
        point = results / f"{index}-job-{a}-{b}"
        point.mkdir(parents=True)
        saved = {"index": index, "params": {"a": a, "b": b}, "id": index + 1}
        saved.update(status="completed", exit_code=0)
        (point / "params.json").write_text(json.dumps(saved))
        value = {"energy": a * 0.5, "steps": a, "fit": {"chi2": 1.0 + a / 100, "ok": True}}
        (point / "result.json").write_text(json.dumps(value))
    collect, baseline = [], []
    for _ in range(repeat):
        table = str(folder / "collect" / "table.csv")
        collect.append(
            promspec("collect", str(spec), "--from", "result.json", "-d", str(results), "-o", table)
        )
        baseline.append(
            python(BASELINE_COLLECT, str(results), str(folder / "collect" / "base.csv"))
        )
    return collect, baseline


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="promspec-bench-results-") as temp:
        folder = Path(temp)
        status, render = status_case(folder, options.points, options.repeat)
        collect, baseline = collect_case(folder, options.points, options.repeat)
    show(
        f"status SPEC -f json, {options.points:,} points",
        status,
        "render --points -f json",
        render,
        2.0,
    )
    show(
        f"collect --from result.json, {options.points:,} points",
        collect,
        "json.load loop + csv",
        baseline,
        3.0,
    )
    return 0


def show(what: str, times: list[float], base_name: str, base: list[float], target: float) -> None:
    mine, theirs = statistics.median(times), statistics.median(base)
    verdict = "meets" if mine < target else "MISSES"
    print(f"\n{what}")
    print(f"  promspec  {mine:6.2f} s  (median of {len(times)}; target < {target:g} s: {verdict})")
    print(f"  baseline  {theirs:6.2f} s  ({base_name}); ratio {mine / theirs:.1f}x")


if __name__ == "__main__":
    raise SystemExit(main())
