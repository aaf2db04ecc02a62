#!/usr/bin/env python3
"""Benchmark ``promspec validate`` against ``check-jsonschema`` on the same job files.

Requirement: validating 1,000 job files in one ``promspec validate`` run takes at most a
third of the time ``check-jsonschema --schemafile schemas/job.schema.json`` takes on the
same files, and a single file is no slower than check-jsonschema on it.

Both tools run as subprocesses (whole-process wall time: interpreter start-up, imports,
schema loading, parsing, validation, reporting), timed with ``time.perf_counter`` around
``subprocess.run``. Each repetition runs the two tools back to back, alternating which
goes first, so that machine noise is spread over both; the figure quoted is the median
of the repetitions, and a ratio is only meaningful between figures of the same run.

Cases:
  * 1,000 valid job files (``promspec validate DIR`` vs ``check-jsonschema FILES...``);
  * the same number of files of which 10% have errors (both tools exit 1; promspec
    takes its slow path and builds full diagnostics for those files);
  * a single valid file.

Usage::

    python benchmarks/bench_validate.py [--files 1000] [--repeat 5] [--json OUT]

Standard library only; both executables are taken from the directory of
``sys.executable`` (the same virtual environment). check-jsonschema is the ``bench``
extra: ``pip install -e '.[bench]'``.

Exit status: 0 whatever the figures (this is a benchmark, not a test); 2 if a tool is
missing, fails to run, or does not give the expected verdict on the generated files.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "schemas" / "job.schema.json"
INVALID_EVERY = 10  # one file in ten has errors in the "10% invalid" case

TARGET_MANY = 1 / 3
TARGET_SINGLE = 1.0


class BenchError(Exception):
    """A tool is missing, failed to run, or disagreed with the expected verdict."""


# --------------------------------------------------------------------------- tools


def find_tool(name: str) -> str:
    """The executable ``name`` in the directory of sys.executable (same venv)."""
    bindir = Path(sys.executable).parent  # not resolved: a venv's python is a symlink
    found = shutil.which(name, path=str(bindir))
    if found is None:
        hint = ""
        if name == "check-jsonschema":
            hint = " (it is the 'bench' extra: pip install -e '.[bench]')"
        raise BenchError(f"{name} not found next to {sys.executable}{hint}")
    return found


def tool_version(dist: str) -> str:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:  # noqa: BLE001 - informational only
        return "unknown"


# ---------------------------------------------------------------- file generation

# plain (unquoted) scalars: words, paths, URLs and commands without ": " or " #"
_PLAIN = re.compile(r"^[A-Za-z/.][A-Za-z0-9_./ '=-]*(?::[A-Za-z0-9_./-]+)*(?<! )$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none", "~"}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS:
        return text
    if "'" not in text and "\n" not in text and text.isprintable():
        return "'" + text + "'"
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                out.append(f"{pad}{key}:")
                _emit(item, indent + 2, out)
            elif isinstance(item, (dict, list)):
                out.append(f"{pad}{key}: {'{}' if isinstance(item, dict) else '[]'}")
            else:
                out.append(f"{pad}{key}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                sub: list[str] = []
                _emit(item, indent + 2, sub)
                first = sub[0][indent + 2 :]
                out.append(f"{pad}- {first}")
                out.extend(sub[1:])
            else:
                out.append(f"{pad}- {_scalar(item)}")
    else:
        out.append(pad + _scalar(value))


def to_yaml(doc: dict[str, Any], comment: str | None, start_marker: bool) -> str:
    out: list[str] = []
    if comment:
        out.append(f"# {comment}")
    if start_marker:
        out.append("---")
    _emit(doc, 0, out)
    return "\n".join(out) + "\n"


_NAMES = ["pi-estimate", "mc-sim", "render-frame", "fit-model", "preprocess", "sweep/step"]
_WORDS = ["alpha", "beta", "gamma", "delta", "test1", "prod", "v2.1", "run_a", "eosc"]
_SITES = ["OpenStack-Alpha", "OpenStack-Beta", "Batch-Gamma"]


def make_job(rng: random.Random, i: int) -> dict[str, Any]:
    """A realistic, valid job description."""
    doc: dict[str, Any] = {}
    if rng.random() < 0.9:
        doc["name"] = f"{rng.choice(_NAMES)}-{i:04d}"
    if rng.random() < 0.8:
        labels = {"experiment": rng.choice(_WORDS), "run": str(i)}
        if rng.random() < 0.5:
            labels["campaign"] = f"c{rng.randint(1, 40)}"
        doc["labels"] = labels
    cpus = rng.randint(1, 8)
    resources: dict[str, Any] = {}
    if rng.random() < 0.5:
        resources["nodes"] = 1
    resources["cpus"] = cpus
    resources["memory"] = cpus * rng.choice([1, 2, 4])
    resources["disk"] = 10
    resources["walltime"] = rng.choice([30, 60, 120, 360, 720, 1440])
    doc["resources"] = resources

    env: dict[str, Any] = {"OMP_NUM_THREADS": str(cpus)}
    if rng.random() < 0.6:
        env["SEED"] = rng.randint(1, 10**6)
    if rng.random() < 0.3:
        env["MODE"] = rng.choice(["fast", "accurate", "debug"])
    samples = rng.choice([10**5, 10**6, 10**7])
    task: dict[str, Any] = {
        "image": "eoscprominence/testpi",
        "runtime": "singularity",
        "cmd": rng.choice(
            [
                f"/bin/sh -c 'python3 pi.py --samples {samples} --seed {i}'",
                f"python3 /opt/pi.py --samples {samples} --threads {cpus}",
                f"./run.sh --input data/input-{i}.dat --output results/out-{i}.txt",
            ]
        ),
        "env": env,
    }
    if rng.random() < 0.2:
        task["workdir"] = "/home/user"
    tasks = [task]
    if rng.random() < 0.1:
        tasks.append(
            {
                "image": "eoscprominence/testpi",
                "runtime": "singularity",
                "cmd": "tar czf results.tgz results",
            }
        )
    doc["tasks"] = tasks

    if rng.random() < 0.3:
        artifacts: list[dict[str, Any]] = [{"url": f"https://example.org/data/input-{i}.tgz"}]
        if rng.random() < 0.5:
            artifacts.append({"url": "https://example.org/tools/run.sh", "executable": True})
        if rng.random() < 0.3:
            artifacts[0]["mountpoint"] = "data:/data"
        doc["artifacts"] = artifacts
    if rng.random() < 0.4:
        doc["outputFiles"] = [f"results/out-{i}.txt"] + (["log.txt"] if rng.random() < 0.5 else [])
    if rng.random() < 0.2:
        doc["outputDirs"] = ["results"]

    policies: dict[str, Any] = {
        "maximumRetries": rng.randint(1, 6),
        "leaveInQueue": rng.random() < 0.5,
    }
    if rng.random() < 0.3:
        policies["maximumTimeInQueue"] = rng.choice([0, 60, 1440])
    if rng.random() < 0.15:
        policies["placement"] = {"requirements": {"sites": [rng.choice(_SITES)]}}
    doc["policies"] = policies
    if rng.random() < 0.1:
        doc["notifications"] = [{"event": "jobFinished", "type": "email"}]
    return doc


def _m_cpus_zero(d: dict[str, Any]) -> None:
    d["resources"]["cpus"] = 0


def _m_runtime(d: dict[str, Any]) -> None:
    d["tasks"][0]["runtime"] = "docker"


def _m_no_disk(d: dict[str, Any]) -> None:
    del d["resources"]["disk"]


def _m_unknown_key(d: dict[str, Any]) -> None:
    d["walltime"] = 60  # belongs under resources


def _m_retries(d: dict[str, Any]) -> None:
    d["policies"]["maximumRetries"] = 10


def _m_memory_str(d: dict[str, Any]) -> None:
    d["resources"]["memory"] = "8GB"


def _m_no_image(d: dict[str, Any]) -> None:
    del d["tasks"][0]["image"]


def _m_label(d: dict[str, Any]) -> None:
    d["labels"] = {"experiment": "two words"}


def _m_cpus_range(d: dict[str, Any]) -> None:
    d["resources"]["cpusRange"] = [2, 8]  # alongside cpus


def _m_typo(d: dict[str, Any]) -> None:
    d["tasks"][0]["command"] = d["tasks"][0].pop("cmd")


MUTATIONS: list[Callable[[dict[str, Any]], None]] = [
    _m_cpus_zero,
    _m_runtime,
    _m_no_disk,
    _m_unknown_key,
    _m_retries,
    _m_memory_str,
    _m_no_image,
    _m_label,
    _m_cpus_range,
    _m_typo,
]


def generate(
    directory: Path, count: int, seed: int, invalid_every: int | None
) -> tuple[list[Path], set[str]]:
    """Write ``count`` job files; with ``invalid_every``, every n-th file has an error."""
    directory.mkdir(parents=True)
    rng = random.Random(seed)
    paths: list[Path] = []
    invalid: set[str] = set()
    for i in range(count):
        doc = make_job(rng, i)
        if invalid_every and i % invalid_every == invalid_every - 1:
            MUTATIONS[(i // invalid_every) % len(MUTATIONS)](doc)
            invalid.add(f"job-{i:04d}.yaml")
        comment = f"PROMINENCE job {i}" if rng.random() < 0.3 else None
        text = to_yaml(doc, comment, start_marker=rng.random() < 0.2)
        path = directory / f"job-{i:04d}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths, invalid


# ------------------------------------------------------------------------- running


_ENV: dict[str, str] | None = None  # environment of the timed tools; None: inherit


def tool_env(pycache: Path) -> dict[str, str]:
    """The inherited environment, with byte-code caching on, under ``pycache``.

    An installed tool normally has its modules byte-compiled (pip does it at install);
    an editable install, or an environment with PYTHONDONTWRITEBYTECODE set, would make
    the tool recompile its own sources at every start. A private PYTHONPYCACHEPREFIX
    (filled by the untimed first runs) gives both tools the normal installed state
    without writing into the repository or the virtual environment.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def run(cmd: Sequence[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=_ENV)
    return time.perf_counter() - start, proc


def expect(cmd: Sequence[str], proc: subprocess.CompletedProcess[str], code: int) -> None:
    if proc.returncode != code:
        shown = " ".join(cmd[:4]) + (" ..." if len(cmd) > 4 else "")
        tail = (proc.stdout[-1500:] + proc.stderr[-1500:]).strip()
        raise BenchError(f"{shown}: exit {proc.returncode}, expected {code}\n{tail}")


def check_verdicts(
    promspec: str, cjs: str, directory: Path, files: list[Path], invalid: set[str]
) -> None:
    """Both tools must flag exactly the files meant to be invalid (this also warms caches)."""
    expected = 1 if invalid else 0
    cmd = [promspec, "validate", "-f", "json", str(directory)]
    _, proc = run(cmd)
    expect(cmd, proc, expected)
    report = json.loads(proc.stdout)
    flagged = {Path(f["path"]).name for f in report["files"] if not f["valid"]}
    if len(report["files"]) != len(files):
        raise BenchError(f"promspec reported {len(report['files'])} files, expected {len(files)}")
    if flagged != invalid:
        raise BenchError(
            f"promspec's verdict differs from the intended one for "
            f"{sorted(flagged ^ invalid)[:10]} in {directory}"
        )
    cmd = [cjs, "-o", "json", "--schemafile", str(SCHEMA), *map(str, files)]
    _, proc = run(cmd)
    expect(cmd, proc, expected)
    report = json.loads(proc.stdout)
    flagged = {Path(e["filename"]).name for e in report["errors"]}
    if flagged != invalid or report.get("parse_errors"):
        raise BenchError(
            f"check-jsonschema's verdict differs from the intended one for "
            f"{sorted(flagged ^ invalid)[:10]} in {directory} "
            f"(parse errors: {(report.get('parse_errors') or [])[:3]})"
        )


def time_case(
    label: str,
    commands: dict[str, list[str]],
    code: int,
    repeat: int,
) -> dict[str, list[float]]:
    """Run the tools alternately ``repeat`` times, after one untimed run each; wall times."""
    times: dict[str, list[float]] = {tool: [] for tool in commands}
    order = list(commands)
    for tool in order:  # warm-up: page cache, byte-code cache
        _, proc = run(commands[tool])
        expect(commands[tool], proc, code)
    for rep in range(repeat):
        for tool in order if rep % 2 == 0 else reversed(order):
            elapsed, proc = run(commands[tool])
            expect(commands[tool], proc, code)
            times[tool].append(elapsed)
        print(f"  {label}: repetition {rep + 1}/{repeat} done", file=sys.stderr, flush=True)
    return times


# ---------------------------------------------------------------------------- main


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # not available on this platform
        return None


def machine_info(promspec: str, cjs: str) -> dict[str, Any]:
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "promspec": tool_version("promspec"),
        "check_jsonschema": tool_version("check-jsonschema"),
        "executables": {"promspec": promspec, "check-jsonschema": cjs},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000, help="files per set (default 1000)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per case (default 5)")
    parser.add_argument(
        "--single-repeat",
        type=int,
        default=None,
        help="repetitions for the single-file case (default 3 x --repeat: runs are short "
        "and the two tools are close, so more samples steady the median)",
    )
    parser.add_argument("--seed", type=int, default=20240601, help="random seed for the files")
    parser.add_argument("--json", metavar="OUT", help="also write the figures to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument(
        "--inherit-env",
        action="store_true",
        help="run the tools in this environment as is (default: byte-code caching on, in a "
        "private PYTHONPYCACHEPREFIX, as for an installed tool)",
    )
    args = parser.parse_args(argv)
    if args.files < INVALID_EVERY or args.repeat < 1:
        parser.error("--files must be at least 10 and --repeat at least 1")
    single_repeat = args.single_repeat or 3 * args.repeat

    try:
        promspec = find_tool("promspec")
        cjs = find_tool("check-jsonschema")
        if not SCHEMA.is_file():
            raise BenchError(f"schema not found: {SCHEMA}")
        info = machine_info(promspec, cjs)
        tmp = Path(tempfile.mkdtemp(prefix="promspec-bench-"))
        global _ENV
        _ENV = None if args.inherit_env else tool_env(tmp / "pycache")
        info["bytecode"] = (
            "inherited environment" if args.inherit_env else "cached (private prefix)"
        )
        info["loadavg_start"] = _loadavg()
        try:
            results = _bench(promspec, cjs, tmp, args.files, args.repeat, single_repeat, args.seed)
        finally:
            if args.keep:
                print(f"generated files kept in {tmp}", file=sys.stderr)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
        info["loadavg_end"] = _loadavg()
    except BenchError as exc:
        print(f"bench_validate: {exc}", file=sys.stderr)
        return 2

    print_table(results, info, args.repeat, single_repeat)
    if args.json:
        payload = {
            **info,
            "files": args.files,
            "repeat": args.repeat,
            "single_repeat": single_repeat,
            "seed": args.seed,
            "cases": results,
        }
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


def _bench(
    promspec: str, cjs: str, tmp: Path, count: int, repeat: int, single_repeat: int, seed: int
) -> list[dict[str, Any]]:
    valid_dir, mixed_dir = tmp / "valid", tmp / "mixed"
    valid_files, _ = generate(valid_dir, count, seed, invalid_every=None)
    mixed_files, invalid = generate(mixed_dir, count, seed, invalid_every=INVALID_EVERY)
    print(
        f"generated {count} valid files and {count} files ({len(invalid)} invalid) in {tmp}",
        file=sys.stderr,
    )
    check_verdicts(promspec, cjs, valid_dir, valid_files, set())
    check_verdicts(promspec, cjs, mixed_dir, mixed_files, invalid)
    single = valid_files[0]

    schema = ["--schemafile", str(SCHEMA)]
    cases = [
        (f"{count:,} valid files", valid_dir, valid_files, 0, TARGET_MANY, repeat),
        (
            f"{count:,} files, {100 // INVALID_EVERY}% invalid",
            mixed_dir,
            mixed_files,
            1,
            TARGET_MANY,
            repeat,
        ),
        ("single file", single, [single], 0, TARGET_SINGLE, single_repeat),
    ]
    results = []
    for label, target_path, files, code, target, reps in cases:
        commands = {
            "promspec": [promspec, "validate", str(target_path)],
            "check-jsonschema": [cjs, *schema, *map(str, files)],
        }
        times = time_case(label, commands, code, reps)
        p_med = statistics.median(times["promspec"])
        c_med = statistics.median(times["check-jsonschema"])
        ratio = p_med / c_med
        results.append(
            {
                "case": label,
                "files": len(files),
                "expected_exit": code,
                "promspec_median_s": round(p_med, 4),
                "check_jsonschema_median_s": round(c_med, 4),
                "ratio": round(ratio, 4),
                "target": round(target, 3),
                "pass": ratio <= target,
                "promspec_runs_s": [round(t, 4) for t in times["promspec"]],
                "check_jsonschema_runs_s": [round(t, 4) for t in times["check-jsonschema"]],
            }
        )
    return results


def print_table(
    results: list[dict[str, Any]], info: dict[str, Any], repeat: int, single_repeat: int
) -> None:
    print(
        f"\n{info['date']}; {info['nproc']} CPUs; Python {info['python']}; {info['platform']}\n"
        f"promspec {info['promspec']}, check-jsonschema {info['check_jsonschema']}; "
        f"median of {repeat} interleaved runs ({single_repeat} for the single file); "
        f"byte-code: {info['bytecode']}\n"
        f"load average (1, 5, 15 min) at start {info['loadavg_start']}, "
        f"at end {info['loadavg_end']}\n"
    )
    header = ("case", "promspec s", "check-jsonschema s", "ratio", "target", "result")
    rows = [
        (
            r["case"],
            f"{r['promspec_median_s']:.3f}",
            f"{r['check_jsonschema_median_s']:.3f}",
            f"{r['ratio']:.3f}",
            f"<= {r['target']:.3f}",
            "PASS" if r["pass"] else "FAIL",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def fmt(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells)

    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(fmt(row))


if __name__ == "__main__":
    sys.exit(main())
