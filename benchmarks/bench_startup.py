#!/usr/bin/env python3
"""Start-up benchmark: `promspec --help`, and `promspec validate` against check-jsonschema
on one file and on 1,000 files, as whole processes side by side.

Targets (issue 10):
* ``promspec --help`` in under 80 ms;
* ``promspec validate one.yaml`` in at most half the time of
  ``check-jsonschema --schemafile schemas/job.schema.json one.json`` (the same job);
* 1,000 files at least 5 times faster than check-jsonschema on them (ratio <= 0.2).

Every figure is the median wall time of whole processes (interpreter start-up, imports,
schema loading, parsing, validation, the report), timed with ``time.perf_counter`` around
``subprocess.run``. The two tools of a case take turns in every repetition (which goes
first alternates), so machine noise falls on both; quote ratios from one run only. For the
floor, ``python -c pass`` is timed alongside ``--help``.

check-jsonschema is not a dependency of promspec: install it anywhere
(``python3 -m venv /tmp/cj && /tmp/cj/bin/pip install check-jsonschema``) and point at it
with ``--check-jsonschema /tmp/cj/bin/check-jsonschema`` or ``CHECK_JSONSCHEMA``; without
it the comparisons are skipped, with a message, and only promspec's times are printed.

Usage::

    python benchmarks/bench_startup.py [--check-jsonschema PATH] [--repeat 21]
                                       [--many-repeat 5] [--files 1000] [--json OUT]

Exit status: 0 whatever the figures (a benchmark, not a test); 2 if promspec is missing or
a tool does not give the expected verdict.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_validate import generate, tool_env  # noqa: E402 - the same job files and set-up

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "schemas" / "job.schema.json"

HELP_TARGET_S = 0.080
SINGLE_TARGET = 0.5
MANY_TARGET = 0.2


class BenchError(Exception):
    """A tool is missing, or failed, or gave an unexpected verdict."""


def find_promspec() -> str:
    found = shutil.which("promspec", path=str(Path(sys.executable).parent))
    if found is None:
        raise BenchError(f"promspec not found next to {sys.executable} (pip install -e .)")
    return found


def find_check_jsonschema(given: str | None) -> str | None:
    """--check-jsonschema, else $CHECK_JSONSCHEMA, else next to this Python, else PATH."""
    for candidate in (given, os.environ.get("CHECK_JSONSCHEMA")):
        if candidate:
            if not os.access(candidate, os.X_OK):
                raise BenchError(f"check-jsonschema: {candidate} is not an executable")
            return candidate
    beside = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    return beside or shutil.which("check-jsonschema")


def run(cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc.returncode, proc.stdout + proc.stderr


def time_side_by_side(
    commands: dict[str, list[str]], cwd: Path, env: dict[str, str], repeat: int
) -> dict[str, list[float]]:
    """Each command ``repeat`` times, in turns, after one untimed run each (which also fills
    the byte-code cache); every run must exit 0."""
    order = list(commands)
    times: dict[str, list[float]] = {name: [] for name in order}
    for name in order:
        _check(name, *run(commands[name], cwd, env)[1:])
    for rep in range(repeat):
        for name in order if rep % 2 == 0 else reversed(order):
            elapsed, code, output = run(commands[name], cwd, env)
            _check(name, code, output)
            times[name].append(elapsed)
    return times


def _check(name: str, code: int, output: str) -> None:
    if code != 0:
        raise BenchError(f"{name}: exit {code}\n{output[-1500:]}")


def single_job(folder: Path) -> tuple[Path, Path]:
    """One generated job file as YAML (for promspec) and the same job as JSON."""
    files, _ = generate(folder / "single", 1, seed=20240601, invalid_every=None)
    import yaml

    as_json = folder / "one.json"
    as_json.write_text(json.dumps(yaml.safe_load(files[0].read_text(encoding="utf-8"))))
    return files[0], as_json


def measure(args: argparse.Namespace, promspec: str, cjs: str | None) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="promspec-startup-") as tmp:
        folder = Path(tmp)  # also the working folder: no repository configuration applies
        env = tool_env(folder / "pycache")
        one_yaml, one_json = single_job(folder)
        many, _ = generate(folder / "many", args.files, seed=20240601, invalid_every=None)
        schema = ["--schemafile", str(SCHEMA)]
        cases: list[tuple[str, dict[str, list[str]], int, float | None]] = [
            (
                "promspec --help",
                {
                    "promspec": [promspec, "--help"],
                    "python -c pass": [sys.executable, "-c", "pass"],
                },
                args.repeat,
                None,
            ),
            (
                "validate one file",
                {"promspec": [promspec, "validate", str(one_yaml)]}
                | ({"check-jsonschema": [cjs, *schema, str(one_json)]} if cjs else {}),
                args.repeat,
                SINGLE_TARGET,
            ),
            (
                f"validate {args.files:,} files",
                {"promspec": [promspec, "validate", str(folder / "many")]}
                | ({"check-jsonschema": [cjs, *schema, *map(str, many)]} if cjs else {}),
                args.many_repeat,
                MANY_TARGET,
            ),
        ]
        results = []
        for label, commands, repeat, target in cases:
            times = time_side_by_side(commands, folder, env, repeat)
            medians = {name: statistics.median(runs) for name, runs in times.items()}
            other = next((n for n in medians if n != "promspec"), None)
            ratio = medians["promspec"] / medians[other] if other else None
            if label == "promspec --help":
                verdict = medians["promspec"] < HELP_TARGET_S
                target_text = f"< {HELP_TARGET_S * 1000:.0f} ms"
            else:
                verdict = ratio is not None and target is not None and ratio <= target
                target_text = f"ratio <= {target}"
            results.append(
                {
                    "case": label,
                    "repeat": repeat,
                    "median_s": {n: round(m, 4) for n, m in medians.items()},
                    "ratio": None if ratio is None else round(ratio, 3),
                    "baseline": other,
                    "target": target_text,
                    "pass": verdict if (ratio is not None or label == "promspec --help") else None,
                    "runs_s": {n: [round(t, 4) for t in runs] for n, runs in times.items()},
                }
            )
            print(f"  {label}: done", file=sys.stderr, flush=True)
        return results


def print_table(results: list[dict[str, Any]], info: dict[str, Any]) -> None:
    print(
        f"\n{info['date']}; {info['nproc']} CPUs; Python {info['python']}; {info['platform']}\n"
        f"promspec {info['promspec']}; check-jsonschema {info['check_jsonschema']}; "
        f"load average at start {info['loadavg_start']}, at end {info['loadavg_end']}\n"
    )
    header = ("case", "promspec ms", "baseline", "baseline ms", "ratio", "target", "result")
    rows = []
    for r in results:
        base = r["baseline"]
        rows.append(
            (
                r["case"],
                f"{r['median_s']['promspec'] * 1000:.0f}",
                base or "(skipped)",
                f"{r['median_s'][base] * 1000:.0f}" if base else "",
                "" if r["ratio"] is None else f"{r['ratio']:.3f}",
                r["target"],
                {True: "PASS", False: "FAIL", None: "n/a"}[r["pass"]],
            )
        )
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(c.ljust(w) if i in (0, 2, 5) else c.rjust(w) for i, (c, w) in
                        enumerate(zip(row, widths, strict=True))))  # fmt: skip


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _version(command: list[str]) -> str:
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    return (proc.stdout or proc.stderr).strip().split()[-1] if proc.returncode == 0 else "?"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check-jsonschema", metavar="PATH", help="the check-jsonschema to run")
    parser.add_argument("--repeat", type=int, default=21, help="runs of each short case")
    parser.add_argument("--many-repeat", type=int, default=5, help="runs of the 1,000 files")
    parser.add_argument("--files", type=int, default=1000, help="files in the big case")
    parser.add_argument("--json", metavar="OUT", help="also write the figures to this file")
    args = parser.parse_args(argv)
    try:
        promspec = find_promspec()
        cjs = find_check_jsonschema(args.check_jsonschema)
        if cjs is None:
            print(
                "bench_startup: check-jsonschema not found (--check-jsonschema PATH or "
                "CHECK_JSONSCHEMA): the comparisons are skipped",
                file=sys.stderr,
            )
        info = {
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "nproc": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "promspec": _version([promspec, "--version"]),
            "check_jsonschema": _version([cjs, "--version"]) if cjs else "not installed",
            "loadavg_start": _loadavg(),
        }
        results = measure(args, promspec, cjs)
        info["loadavg_end"] = _loadavg()
    except BenchError as exc:
        print(f"bench_startup: {exc}", file=sys.stderr)
        return 2
    print_table(results, info)
    if args.json:
        Path(args.json).write_text(json.dumps({**info, "cases": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
