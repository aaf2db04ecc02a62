"""`--count` of a filtered sweep: `where` against the equivalent `exclude`, side by side.

    python benchmarks/bench_where.py [--points 1000000] [--repeat 3]

Target (issue 10): `promspec render SPEC --count` on a 1,000,000-point sweep with a
`where:` filter takes at most 3 times what the same command takes with the equivalent
`exclude:` (the baseline, measured in the same run, taking turns).

Both specs are the gas sweep of bench_render.py (a product of two ranges, a list and a
repeat); one drops the points with `where: "model != 'vdw' or pressure != 3"`, the other
the same points with `exclude: [{model: vdw, pressure: 3}]`. Before timing, the script
checks that both print the same count. Each figure is the median wall time of --repeat
runs of the command as a subprocess (start-up included), the two taking turns.
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
  params:
    image: eoscprominence/testpi
  sweep:
    temperature: {{start: 250, end: {t_end}, step: 1}}
    pressure: {{start: 1, end: 25, step: 1}}
    model: [ideal, vdw, rk, pr]
    seed: {{repeat: 10}}
    {filter}
  name: "gas-{{{{ model }}}}-{{{{ index }}}}"
resources: {{cpus: 1, memory: 1, disk: 10}}
tasks:
  - image: "{{{{ image }}}}"
    runtime: singularity
    cmd: simulate {{{{ model }}}} {{{{ temperature }}}} {{{{ pressure }}}} {{{{ seed }}}}
"""
WHERE = "where: \"model != 'vdw' or pressure != 3\""
EXCLUDE = "exclude: [{model: vdw, pressure: 3}]"


def write_specs(folder: Path, points: int) -> tuple[Path, Path]:
    temperatures = max(1, points // (25 * 4 * 10))
    (folder / ".git").mkdir(exist_ok=True)
    paths = []
    for name, line in (("where.yaml", WHERE), ("exclude.yaml", EXCLUDE)):
        path = folder / name
        path.write_text(SPEC.format(t_end=250 + temperatures - 1, filter=line), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


def count(spec: Path) -> tuple[float, str]:
    """Wall time and output of `promspec render SPEC --count`."""
    command = [sys.executable, "-m", "prominence_spec", "render", str(spec), "--count"]
    start = time.perf_counter()
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return time.perf_counter() - start, result.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="promspec-bench-") as tmp:
        where, exclude = write_specs(Path(tmp), args.points)
        _, where_count = count(where)  # untimed: also checks that both agree
        _, exclude_count = count(exclude)
        assert where_count == exclude_count, (where_count, exclude_count)
        times: dict[str, list[float]] = {"where": [], "exclude": []}
        for turn in range(args.repeat):
            order = [("where", where), ("exclude", exclude)]
            for name, spec in order if turn % 2 == 0 else reversed(order):
                times[name].append(count(spec)[0])
    where_s = statistics.median(times["where"])
    exclude_s = statistics.median(times["exclude"])
    ratio = where_s / exclude_s
    generated = args.points // (25 * 4 * 10) * 1000
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load {_load()}")
    print(f"promspec render --count, {generated:,} points, {int(where_count):,} kept")
    rows = [
        ("exclude: [{model: vdw, pressure: 3}]", f"{exclude_s:.2f} s", "baseline", ""),
        ("where: \"model != 'vdw' or pressure != 3\"", f"{where_s:.2f} s", "", ""),
        ("where / exclude", f"{ratio:.2f}x", "<= 3", "PASS" if ratio <= 3 else "FAIL"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, target, verdict in rows:
        print(f"{name:<{width}}  {value:>8}  {target:>8}  {verdict}")
    if args.json:
        figures = {
            "points": generated,
            "kept": int(where_count),
            "where_s": where_s,
            "exclude_s": exclude_s,
            "ratio": ratio,
            "runs": times,
        }
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
