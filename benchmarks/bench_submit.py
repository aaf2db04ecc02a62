"""Submit benchmark: bulk submission against a sandbox, and the dry run of a big sweep.

    python benchmarks/bench_submit.py [--jobs 1000] [--points 100000] [--repeat 3]

Targets (issue 9):
* 1,000 jobs to a sandbox started with ``--latency 100`` (production's slow POSTs):
  ``promspec submit --concurrency 16`` at least 10 times faster than the sequential
  ``requests.post`` loop of PROMINENCE's "Using the API" page, against the same sandbox in
  the same run; also reported: the default concurrency (8) and ``--latency 0``;
* ``submit --dry-run`` of a 100,000-point sweep written to a file at 50,000 points a second
  or more (the render of the same sweep, measured in the same run, for comparison).

The label checks (issue 16): every submit lists the run's jobs by label once before it
sends (and once more after, when it sent anything). Reported beside the submit figures:
that listing alone for the run just sent (in process, median of 3), and a re-run of the
same submit (nothing left to send: the listing, the render and the journal) against
``submit --dry-run`` of the same spec (the same render, no network), both whole processes.

The sandbox runs as a subprocess with the noop executor. promspec runs as the CLI, a
subprocess timed whole (start-up included), each time with ``--new-run`` so that every
job is really sent. The baseline is the page's loop, in this process.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_render import render_to_file, write_spec  # noqa: E402

# The job of the "Using the API" page, and the same job as a 1-axis sweep for promspec.
PAGE_JOB = {
    "resources": {"memory": 1, "cpus": 1, "nodes": 1, "disk": 10},
    "name": "calculate-pi",
    "tasks": [{"image": "eoscprominence/testpi", "runtime": "singularity"}],
}
SWEEP = """\
promspec:
  sweep:
    i: {{repeat: {jobs}}}
  name: "calculate-pi-{{{{ i }}}}"
resources: {{memory: 1, cpus: 1, nodes: 1, disk: 10}}
name: calculate-pi
tasks:
  - image: eoscprominence/testpi
    runtime: singularity
"""


def page_loop(url: str, token_file: Path, jobs: int) -> float:
    """The page's Python example, in a loop: read the token, POST, check for 201."""
    import requests

    start = time.perf_counter()
    with open(token_file) as json_data:
        data = json.load(json_data)
    token = data["access_token"]
    headers = {"Authorization": "Bearer %s" % token}  # noqa: UP031 - as the page writes it
    for _ in range(jobs):
        response = requests.post(url + "/jobs", json=PAGE_JOB, headers=headers)  # noqa: S113
        if response.status_code != 201 or "id" not in response.json():
            raise SystemExit(f"baseline: job submission failed: {response.status_code}")
    return time.perf_counter() - start


def promspec_submit(
    url: str,
    token_file: Path,
    spec: Path,
    state: Path,
    concurrency: int,
    jobs: int,
    *,
    new_run: bool = True,
) -> tuple[float, str]:
    """(seconds, run id) of one ``promspec submit`` as a whole process."""
    cmd = [
        sys.executable,
        "-m",
        "prominence_spec",
        "submit",
        str(spec),
        *(["--new-run"] if new_run else []),
        "--url",
        url,
        "--token-file",
        str(token_file),
        "--state",
        str(state),
        "-f",
        "json",
    ]
    if concurrency != 8:
        cmd += ["--concurrency", str(concurrency)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMINENCE_")}
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"promspec submit failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result = json.loads(proc.stdout)
    done = len(result["submitted"]) + len(result["existing"])
    if done != jobs or (new_run and len(result["existing"])):
        raise SystemExit(f"promspec submit: {done} jobs, not {jobs}")
    return elapsed, str(result["run"])


def label_checks(
    url: str, token_file: Path, spec: Path, state: Path, run: str, jobs: int
) -> list[tuple[str, float]]:
    """The listing by the run's label alone; a re-run that sends nothing; its dry run."""
    from prominence_spec.client.api import Client
    from prominence_spec.client.run_jobs import list_run

    timings = []
    with Client(url, token_file=str(token_file)) as client:
        for _ in range(3):
            start = time.perf_counter()
            found = list_run(client, run)
            timings.append(time.perf_counter() - start)
            if len(found.jobs) != jobs:
                raise SystemExit(f"the listing found {len(found.jobs)} jobs, not {jobs}")
    rerun, _ = promspec_submit(url, token_file, spec, state, 8, jobs, new_run=False)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "prominence_spec", "submit", str(spec), "--dry-run", "--url", url]
        + ["-o", str(state / "dry-run.txt")],
        check=True,
        timeout=600,
    )
    dry = time.perf_counter() - start
    return [
        ("submit --dry-run, same spec (baseline)", dry),
        ("re-run: nothing to send (one listing)", rerun),
        ("the listing alone, in process (median)", statistics.median(timings)),
    ]


def submit_cases(
    jobs: int, latency: int, folder: Path
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    from prominence_spec.client.local import LocalSandbox

    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / f"calculate-pi-{jobs}.yaml"
    spec.write_text(SWEEP.format(jobs=jobs), encoding="utf-8")
    (folder / ".git").mkdir(exist_ok=True)
    results = []
    with LocalSandbox(
        executor="noop", latency_ms=latency, data=folder / f"sandbox-{latency}"
    ) as sandbox:
        token = sandbox.token_file
        results.append(
            ("page loop (sequential requests.post)", page_loop(sandbox.url, token, jobs))
        )
        run = ""
        for concurrency in (16, 8):
            seconds, run = promspec_submit(
                sandbox.url, token, spec, folder / "state", concurrency, jobs
            )
            results.append((f"promspec submit --concurrency {concurrency}", seconds))
        checks = label_checks(sandbox.url, token, spec, folder / "state", run, jobs)
    return results, checks


def dry_run_rate(points: int, repeat: int, folder: Path) -> tuple[float, float, int]:
    """(dry-run seconds, render seconds, points): medians, in this process."""
    from prominence_spec.client.dryrun import write_requests
    from prominence_spec.client.plan import request_bodies, run_identity
    from prominence_spec.client.source import SpecSource

    folder.mkdir(parents=True, exist_ok=True)
    spec = write_spec(folder, points)
    dry, rendered = [], []
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        source = SpecSource(spec)
        ident = run_identity(source, "https://eosc.prominence.cloud/api/v1", None, new_run=False)
        with open(folder / "dry-run.txt", "w", encoding="utf-8") as out:
            count = write_requests(
                request_bodies(source, ident.run),
                "https://eosc.prominence.cloud/api/v1",
                out,
                "text",
            )
        dry.append(time.perf_counter() - start)
        seconds, _ = render_to_file(spec, folder / "render.jsonl")
        rendered.append(seconds)
    return statistics.median(dry), statistics.median(rendered), count


def dry_run_cli(points: int, folder: Path) -> float:
    folder.mkdir(parents=True, exist_ok=True)
    spec = write_spec(folder, points)
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "prominence_spec",
            "submit",
            str(spec),
            "--dry-run",
            "-o",
            str(folder / "cli-dry-run.txt"),
        ],
        check=True,
        timeout=600,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-submit", action="store_true", help="only the dry run")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-submit-") as tmp:
        folder = Path(tmp)
        if not args.skip_submit:
            for latency in (100, 0):
                results, checks = submit_cases(args.jobs, latency, folder / f"latency-{latency}")
                _print_submit(args.jobs, latency, results)
                _print_checks(args.jobs, checks)
        dry, rendered, count = dry_run_rate(args.points, args.repeat, folder / "dry")
        cli = dry_run_cli(args.points, folder / "dry-cli")
        print(f"\n--dry-run of a {count:,}-point sweep to a file (median of {args.repeat})")
        print(
            f"  promspec submit --dry-run, in process  {dry:8.3f} s  {count / dry:10,.0f} points/s"
            f"   target >= 50,000  {'PASS' if count / dry >= 50_000 else 'FAIL'}"
        )
        print(
            f"  render -f jsonl, same sweep (baseline) {rendered:8.3f} s  "
            f"{count / rendered:10,.0f} points/s"
        )
        print(
            f"  CLI, whole process                     {cli:8.3f} s  {count / cli:10,.0f} points/s"
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


def _print_submit(jobs: int, latency: int, results: list[tuple[str, float]]) -> None:
    baseline = results[0][1]
    print(f"\n{jobs:,} jobs to a sandbox with --latency {latency} (noop executor)")
    for label, seconds in results:
        speedup = baseline / seconds
        target = ""
        if latency == 100 and "16" in label:
            target = f"   target >= 10x  {'PASS' if speedup >= 10 else 'FAIL'}"
        print(
            f"  {label:40s} {seconds:8.2f} s  {jobs / seconds:8.1f} jobs/s  {speedup:6.1f}x{target}"
        )


def _print_checks(jobs: int, checks: list[tuple[str, float]]) -> None:
    baseline = checks[0][1]
    print(f"  label checks of the {jobs:,}-job run:")
    for label, seconds in checks:
        print(f"  {label:40s} {seconds:8.3f} s  {seconds / baseline:6.2f}x the dry run")


if __name__ == "__main__":
    raise SystemExit(main())
