"""The test suite's wall time: the README's command (``python -m pytest -n 4 -m "not
slow"``), the slow tests ``.ci/run`` runs after it (``-m slow``), and the whole suite with
``-n 4`` (what the README ran before the split: the baseline), taking turns.

Target (issue 18): under 60 s on a 2-core machine for the README's command. Each run is a
fresh process with ``-p no:cacheprovider`` (no state from an earlier run, as on a clean
clone; mypy's cache is left, as a developer has it; ``--fresh-mypy`` removes it before
each run, as CI has none). The figures are medians of ``--repeat`` runs; quote the ratio
measured in one run (the machine is noisy).

    python benchmarks/bench_suite.py              # options: --repeat 1 --fresh-mypy --json OUT
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60.0
PYTEST = [sys.executable, "-m", "pytest", "-q", "-n", "4"]
COMMANDS = {
    "README (not slow)": [*PYTEST, "-m", "not slow"],
    "slow (CI only)": [*PYTEST, "-m", "slow"],
    "whole suite": PYTEST,
}


def timed(command: list[str], fresh_mypy: bool) -> float:
    if fresh_mypy:
        shutil.rmtree(ROOT / ".mypy_cache", ignore_errors=True)
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-15:])
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{tail}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--fresh-mypy", action="store_true")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeat):
        for name, command in COMMANDS.items():  # in turns
            times[name].append(timed(command, args.fresh_mypy))
    medians = {name: statistics.median(values) for name, values in times.items()}
    cores = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"cores {cores}, load {load:.2f} at the end, {args.repeat} run(s) each")
    for name, value in medians.items():
        print(f"  {name:18} {value:6.1f} s")
    readme, whole = medians["README (not slow)"], medians["whole suite"]
    verdict = "ok" if readme < TARGET_SECONDS else "over"
    print(f"  README / whole {readme / whole:.2f}; target < {TARGET_SECONDS:.0f} s: {verdict}")
    if args.json:
        Path(args.json).write_text(json.dumps({"cores": cores, "seconds": times}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
