"""`promspec render --points` benchmark: the points table of a 100,000-point sweep, against
rendering the same sweep's bodies (the baseline, measured in the same run).

    python benchmarks/bench_points.py [--points 100000] [--repeat 3]

Target (issue 10): the table costs at most half of what rendering the bodies does, since
no body is built; both are in-process CLI runs writing to a file with -o, median of
--repeat runs. The sweep is bench_render.py's (six templated values per job).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_render import write_spec


def cli_seconds(*args: str) -> float:
    """Wall time of one in-process `promspec ARGS...` (which must exit 0)."""
    from prominence_spec.cli import main

    start = time.perf_counter()
    code = main(list(args))
    elapsed = time.perf_counter() - start
    assert code == 0, (args, code)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="promspec-bench-") as tmp:
        folder = Path(tmp)
        spec = str(write_spec(folder, args.points))
        table, rows, bodies = (str(folder / name) for name in ("t.txt", "r.jsonl", "b.jsonl"))
        repeat = range(args.repeat)
        table_s = statistics.median(
            cli_seconds("render", spec, "--points", "-o", table) for _ in repeat
        )
        rows_s = statistics.median(
            cli_seconds("render", spec, "--points", "-f", "jsonl", "-o", rows) for _ in repeat
        )
        render_s = statistics.median(
            cli_seconds("render", spec, "-f", "jsonl", "-o", bodies) for _ in repeat
        )
        with open(table, encoding="utf-8") as handle:
            points = sum(1 for _ in handle) - 1
    ratio = table_s / render_s
    lines = [
        ("points", f"{points:,}", "", ""),
        ("render -f jsonl (bodies)", f"{render_s:.3f} s", "baseline", ""),
        ("render --points (table)", f"{table_s:.3f} s", "", ""),
        ("render --points -f jsonl (rows)", f"{rows_s:.3f} s", "", ""),
        ("table / bodies", f"{ratio:.2f}x", "<= 0.5", "PASS" if ratio <= 0.5 else "FAIL"),
    ]
    width = max(len(line[0]) for line in lines)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for name, value, target, verdict in lines:
        print(f"{name:<{width}}  {value:>10}  {target:>8}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
