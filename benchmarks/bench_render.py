"""Render benchmark: a 100,000-point sweep rendered, validated and written as JSONL.

    python benchmarks/bench_render.py [--points 100000] [--memory-points 1000000]

Targets (issue 3, in one process):
* at least 50,000 points a second, rendered, validated and written as JSONL;
* at most 4 times the time ``json.dumps`` alone takes on the same final documents
  (the baseline, measured in the same run);
* 1,000,000 points streamed to JSONL by the CLI with a peak RSS under 200 MB;
* the progress bar of a terminal (issue 10) costs under 2% of that throughput: the same
  render with the CLI's progress callback drawing to a (pretend) terminal, the two
  taking turns in each repetition; compared in CPU time (the process's own, which other
  work on a shared machine inflates less), as the median of each turn's pair, wall time
  shown too. Importing rich, once per command that shows a bar, is left out of the pairs
  (one untimed render with the bar comes first).

Headline (issue 19, printed first; ``--headline-only`` for it alone): ``promspec render SPEC
-f jsonl -o FILE`` as a whole process, start-up included, at most 2.0 times ``json.dumps``
alone on the documents it wrote (read back 10,000 at a time in a process of its own, only
the calls timed), median of 5 ratios, the two taking turns; on 100,000 and 1,000,000 points,
for the typical sweep and for the same sweep with every leaf of the body templated.
Beside it, ``submit SPEC --dry-run -o FILE`` against ``render SPEC -f jsonl -o FILE`` on the
same 100,000 points (``--dry-points``), CPU time (user + system) of each whole process,
median of ``--dry-repeat`` turns (which goes first alternates): at most 10% more.

Targets (issue 10, as users run it): ``promspec render SPEC -f jsonl -o FILE`` timed as a
whole process (start-up, imports, schema compilation included) renders at least 50,000
points a second and takes at most 4 times what ``json.dumps`` alone takes on the same
100,000 documents. The baseline runs in a process of its own, in turns with the CLI (which
goes first alternates), and times only its ``json.dumps`` calls: its start-up and the
loading of the documents are left out, which makes the ratio a strict one.

The sweep is a product of ranges and lists with six templated values per job.
Timings are medians of --repeat runs; the memory figure is the peak RSS of a
`promspec render` subprocess.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SPEC = """\
promspec:
  params:
    image: eoscprominence/testpi
    memory: 2
  sweep:
    temperature: {{start: 250, end: {t_end}, step: 1}}
    pressure: {{start: 1, end: 25, step: 1}}
    model: [ideal, vdw, rk, pr]
    seed: {{repeat: 10}}
  name: "gas-{{{{ model }}}}-{{{{ index }}}}"
name: gas
labels:
  study: gas-sweep
resources:
  cpus: 1
  memory: "{{{{ memory }}}}"
  disk: 10
  walltime: 60
tasks:
  - image: "{{{{ image }}}}"
    runtime: singularity
    cmd: >-
      simulate --model {{{{ model }}}} --temperature {{{{ temperature }}}}
      --pressure {{{{ pressure }}}} --seed {{{{ seed }}}}
    env:
      MODEL: "{{{{ model }}}}"
      TEMPERATURE: "{{{{ temperature }}}}"
outputFiles:
  - "result-{{{{ temperature }}}}-{{{{ pressure }}}}.json"
"""


#: The worst case (issue 19): the same sweep with every leaf of the body templated.
EVERY_LEAF_SPEC = """\
promspec:
  params:
    image: eoscprominence/testpi
    runtime: singularity
    study: gas-sweep
    cpus: 1
    memory: 2
    disk: 10
    walltime: 60
  sweep:
    temperature: {{start: 250, end: {t_end}, step: 1}}
    pressure: {{start: 1, end: 25, step: 1}}
    model: [ideal, vdw, rk, pr]
    seed: {{repeat: 10}}
  name: "gas-{{{{ model }}}}-{{{{ index }}}}"
name: gas
labels:
  study: "{{{{ study }}}}"
resources:
  cpus: "{{{{ cpus }}}}"
  memory: "{{{{ memory }}}}"
  disk: "{{{{ disk }}}}"
  walltime: "{{{{ walltime }}}}"
tasks:
  - image: "{{{{ image }}}}"
    runtime: "{{{{ runtime }}}}"
    cmd: >-
      simulate --model {{{{ model }}}} --temperature {{{{ temperature }}}}
      --pressure {{{{ pressure }}}} --seed {{{{ seed }}}}
    env:
      MODEL: "{{{{ model }}}}"
      TEMPERATURE: "{{{{ temperature }}}}"
outputFiles:
  - "result-{{{{ temperature }}}}-{{{{ pressure }}}}.json"
"""


def write_spec(folder: Path, points: int, text: str = SPEC) -> Path:
    per_temperature = 25 * 4 * 10
    temperatures = max(1, points // per_temperature)
    spec = folder / "gas-sweep.yaml"
    spec.write_text(text.format(t_end=250 + temperatures - 1), encoding="utf-8")
    (folder / ".git").mkdir(exist_ok=True)
    return spec


class _Terminal(io.TextIOWrapper):
    """/dev/null that says it is a terminal, so rich draws the bar as it would on one."""

    def isatty(self) -> bool:
        return True


def render_to_file(spec: Path, out: Path, progress: bool = False) -> tuple[float, int]:
    """In-process: load, render, validate and write JSONL; (seconds, documents). With
    ``progress``, the CLI's progress bar is drawn throughout, as on a terminal."""
    from prominence_spec.cli._progress import SHOW_AT_ONCE, PointsProgress
    from prominence_spec.loading.loader import load
    from prominence_spec.report.documents import write_documents
    from prominence_spec.validation.templated import open_templated

    terminal = _Terminal(open(os.devnull, "wb"), encoding="utf-8")  # noqa: SIM115
    bar = PointsProgress(terminal, "rendering") if progress else None
    start = time.perf_counter()
    document = load(spec).documents[0]
    renderer, problems = open_templated(document, progress=bar)
    assert renderer is not None and not problems, problems
    counted = [0]

    def documents() -> Iterator[dict[str, Any]]:
        for item in renderer.documents():
            counted[0] += 1
            yield item.document

    with open(out, "w", encoding="utf-8") as handle:  # written as the CLI writes JSONL
        write_documents(documents(), handle, "jsonl", single=False)
    n = counted[0]
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - start
    terminal.close()
    # The bar appears at once only for a sweep of SHOW_AT_ONCE points or more (a smaller
    # one may end before it would be drawn): only then must it have been drawn.
    assert bar is None or n < SHOW_AT_ONCE or bar.shown, "the progress bar was never drawn"
    errors = [d for d in renderer.diagnostics() if d.is_error]
    assert not errors, errors[:3]
    return elapsed, n


def dumps_baseline(out: Path) -> float:
    with open(out, encoding="utf-8") as handle:
        documents = [json.loads(line) for line in handle]
    start = time.perf_counter()
    for document in documents:
        json.dumps(document)
    return time.perf_counter() - start


#: The baseline process: load the documents (not timed), then time json.dumps on each.
DUMPS_ALONE = (
    "import json, pickle, sys, time\n"
    "with open(sys.argv[1], 'rb') as f:\n"
    "    documents = pickle.load(f)\n"
    "start = time.perf_counter()\n"
    "for document in documents:\n"
    "    json.dumps(document)\n"
    "print(time.perf_counter() - start)\n"
)


#: The headline's baseline process: json.dumps of the CLI's own output documents, read back
#: 10,000 at a time (1,000,000 documents at once would not fit beside other work), only the
#: json.dumps calls timed.
DUMPS_STREAMED = (
    "import itertools, json, sys, time\n"
    "total = 0.0\n"
    "with open(sys.argv[1], encoding='utf-8') as f:\n"
    "    while chunk := [json.loads(line) for line in itertools.islice(f, 10000)]:\n"
    "        start = time.perf_counter()\n"
    "        for document in chunk:\n"
    "            json.dumps(document)\n"
    "        total += time.perf_counter() - start\n"
    "print(total)\n"
)


def headline(folder: Path, points: int, text: str, repeat: int) -> tuple[float, float, float]:
    """Issue 19's figure: `promspec render SPEC -f jsonl -o FILE` as a whole process (start-up
    included) against json.dumps alone on the documents it wrote, in turns (which goes first
    alternates); (median CLI seconds, median json.dumps seconds, median of the ratios)."""
    folder.mkdir()
    spec = write_spec(folder, points, text)
    env = cli_environment(folder / "pycache")
    out = folder / "cli.jsonl"
    command = cli_command(spec, out)
    baseline = [sys.executable, "-c", DUMPS_STREAMED, str(out)]
    subprocess.run(command, check=True, env=env)  # untimed: fills the byte-code cache
    cli_s, dumps_s = interleaved(command, env, baseline, repeat)
    ratio = statistics.median(c / d for c, d in zip(cli_s, dumps_s, strict=True))
    shutil.rmtree(folder)
    return statistics.median(cli_s), statistics.median(dumps_s), ratio


def headline_rows(folder: Path, sizes: list[int], repeat: int) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for size in sizes:
        for label, text in (("typical", SPEC), ("every leaf templated", EVERY_LEAF_SPEC)):
            cli_s, dumps_s, ratio = headline(folder / f"{label[0]}{size}", size, text, repeat)
            rows.append(
                (
                    f"{size:,} points, {label}: CLI / json.dumps",
                    f"{ratio:.2f}x",
                    "<= 2.0",
                    _verdict(ratio <= 2.0),
                )
            )
            rows.append(
                ("  CLI whole process / json.dumps alone", f"{cli_s:.2f} s", f"{dumps_s:.2f} s", "")
            )
    return rows


def cpu_seconds(command: list[str], env: dict[str, str]) -> float:
    """User + system CPU seconds of ``command`` as a whole process (its own, not the
    machine's: other work on a shared machine inflates it less than wall time)."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench_render: {command} failed")
    return usage.ru_utime + usage.ru_stime


def dry_run_rows(folder: Path, points: int, repeat: int) -> list[tuple[str, str, str, str]]:
    """Issue 19's dry-run target: ``submit --dry-run -o`` within 10% of ``render -o`` on
    the same sweep, CPU time of each whole process, the two in turns; medians."""
    rows: list[tuple[str, str, str, str]] = []
    for label, text in (("typical", SPEC), ("every leaf templated", EVERY_LEAF_SPEC)):
        here = folder / f"dry-{label[0]}{points}"
        here.mkdir()
        spec = write_spec(here, points, text)
        env = cli_environment(here / "pycache")
        render = cli_command(spec, here / "render.jsonl")
        dry = [*render[: render.index("render")], "submit", str(spec), "--dry-run", "-o"]
        dry.append(str(here / "requests.txt"))
        subprocess.run(dry, check=True, env=env, stdout=subprocess.DEVNULL)  # byte-code
        times: dict[str, list[float]] = {"render": [], "dry": []}
        for rep in range(repeat):
            for which in ("render", "dry") if rep % 2 == 0 else ("dry", "render"):
                times[which].append(cpu_seconds(render if which == "render" else dry, env))
        r, d = statistics.median(times["render"]), statistics.median(times["dry"])
        more = d / r - 1
        rows.append((f"{points:,} points, {label}: dry run / render", f"{more:+.1%}",
                     "<= +10%", _verdict(more <= 0.10)))  # fmt: skip
        rows.append(("  submit --dry-run / render, CPU s", f"{d:.3f} s", f"{r:.3f} s", ""))
        shutil.rmtree(here)
    return rows


def cli_command(spec: Path, out: Path) -> list[str]:
    """`promspec render SPEC -f jsonl -o OUT` with the console script, as users run it."""
    promspec = shutil.which("promspec", path=str(Path(sys.executable).parent))
    start = [promspec] if promspec else [sys.executable, "-m", "prominence_spec"]
    return [*start, "render", str(spec), "-f", "jsonl", "-o", str(out)]


def cli_environment(pycache: Path) -> dict[str, str]:
    """Byte-code cached in a private folder, as for an installed tool (see bench_validate)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def whole_process(
    spec: Path, reference: Path, folder: Path, repeat: int
) -> tuple[list[float], list[float]]:
    """The CLI's wall times and the baseline's json.dumps times, run in turns."""
    with open(reference, encoding="utf-8") as handle:
        documents = [json.loads(line) for line in handle]
    pickled = folder / "documents.pickle"
    with open(pickled, "wb") as handle:
        pickle.dump(documents, handle, protocol=pickle.HIGHEST_PROTOCOL)
    del documents
    env = cli_environment(folder / "pycache")
    out = folder / "cli.jsonl"
    command = cli_command(spec, out)
    baseline = [sys.executable, "-c", DUMPS_ALONE, str(pickled)]
    subprocess.run(command, check=True, env=env)  # untimed: fills the byte-code cache
    if out.read_bytes() != reference.read_bytes():
        raise SystemExit("bench_render: the CLI's JSONL differs from the in-process render's")
    return interleaved(command, env, baseline, repeat)


def interleaved(
    command: list[str], env: dict[str, str], baseline: list[str], repeat: int
) -> tuple[list[float], list[float]]:
    """``repeat`` wall times of ``command`` and the seconds ``baseline`` prints, taking
    turns (which goes first alternates, so that neither always runs on a warmer machine)."""
    cli_s: list[float] = []
    dumps_s: list[float] = []
    for rep in range(repeat):
        for which in ("cli", "dumps") if rep % 2 == 0 else ("dumps", "cli"):
            if which == "cli":
                start = time.perf_counter()
                subprocess.run(command, check=True, env=env)
                cli_s.append(time.perf_counter() - start)
            else:
                done = subprocess.run(baseline, check=True, capture_output=True, text=True)
                dumps_s.append(float(done.stdout))
    return cli_s, dumps_s


def peak_rss_of_cli(spec: Path, out: Path) -> tuple[float, float]:
    """Peak RSS (MB) and wall time of `promspec render SPEC -f jsonl -o OUT`."""
    command = [
        sys.executable,
        "-m",
        "prominence_spec",
        "render",
        str(spec),
        "-f",
        "jsonl",
        "-o",
        str(out),
    ]
    # A small parent of its own: a forked child's peak RSS would otherwise include this
    # process's pages from before exec.
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
        "time.perf_counter() - t)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *command], check=True, capture_output=True, text=True
    )
    peak_kb, elapsed = result.stdout.split()
    return int(peak_kb) / 1024, float(elapsed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--memory-points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--cli-repeat", type=int, default=5, help="whole-process runs of the CLI and baseline"
    )
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    parser.add_argument(
        "--headline-only",
        action="store_true",
        help="only issue 19's figure: CLI / json.dumps on 100,000 and 1,000,000 points",
    )
    parser.add_argument("--headline-points", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--headline-repeat", type=int, default=5)
    parser.add_argument("--dry-points", type=int, default=100_000)
    parser.add_argument("--dry-repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="promspec-bench-") as tmp:
        top = headline_rows(Path(tmp), args.headline_points, args.headline_repeat)
        top += dry_run_rows(Path(tmp), args.dry_points, args.dry_repeat)
    _print_rows(top)
    if args.headline_only:
        return 0
    with tempfile.TemporaryDirectory(prefix="promspec-bench-") as tmp:
        folder = Path(tmp)
        spec = write_spec(folder, args.points)
        out = folder / "out.jsonl"
        started = time.perf_counter()
        render_to_file(spec, out, True)  # untimed: imports rich, once per command
        import_s = time.perf_counter() - started
        runs: list[tuple[float, int]] = []
        with_bar: list[tuple[float, int]] = []
        cpu: dict[bool, list[float]] = {False: [], True: []}
        for turn in range(args.repeat):  # taking turns, so that noise falls on both
            for progress in (False, True) if turn % 2 == 0 else (True, False):
                started = time.process_time()
                (with_bar if progress else runs).append(render_to_file(spec, out, progress))
                cpu[progress].append(time.process_time() - started)
        render_s = statistics.median(t for t, _ in runs)
        progress_s = statistics.median(t for t, _ in with_bar)
        render_cpu, progress_cpu = statistics.median(cpu[False]), statistics.median(cpu[True])
        documents = runs[0][1]
        dumps_s = statistics.median(dumps_baseline(out) for _ in range(args.repeat))
        cli_runs, cli_dumps_runs = whole_process(spec, out, folder, args.cli_repeat)
        cli_whole_s = statistics.median(cli_runs)
        cli_dumps_s = statistics.median(cli_dumps_runs)
        big = folder / "big"
        big.mkdir()
        big_spec = write_spec(big, args.memory_points)
        peak_mb, cli_s = peak_rss_of_cli(big_spec, big / "out.jsonl")
        with open(big / "out.jsonl", encoding="utf-8") as handle:
            big_lines = sum(1 for _ in handle)
    rate = documents / render_s
    ratio = render_s / dumps_s
    # each turn's pair compared, then the median: drift over the run falls on both
    pairs = zip(cpu[False], cpu[True], strict=True)
    cost = statistics.median((bar - plain) / plain * 100 for plain, bar in pairs)
    wall_cost = (progress_s - render_s) / render_s * 100
    cli_rate = documents / cli_whole_s
    cli_ratio = cli_whole_s / cli_dumps_s
    rows = [
        ("points rendered+validated+written", f"{documents:,}", "", ""),
        ("render time (median)", f"{render_s:.3f} s", "", ""),
        ("json.dumps alone, same documents", f"{dumps_s:.3f} s", "baseline", ""),
        ("points per second", f"{rate:,.0f}", ">= 50,000", _verdict(rate >= 50_000)),
        ("render / json.dumps", f"{ratio:.2f}x", "<= 4", _verdict(ratio <= 4)),
        ("same render, progress bar drawn (median)", f"{progress_s:.3f} s", "", ""),
        ("  wall time: progress / without", f"{wall_cost:+.1f}%", "", ""),
        ("render CPU time, without / with the bar", f"{render_cpu:.3f} s", "baseline", ""),
        ("", f"{progress_cpu:.3f} s", "", ""),
        ("progress bar: cost in CPU time (paired)", f"{cost:+.1f}%", "< 2%", _verdict(cost < 2)),
        ("  untimed first render with the bar (imports)", f"{import_s:.3f} s", "", ""),
        ("CLI render -f jsonl -o, whole process", f"{cli_whole_s:.3f} s", "", ""),
        ("json.dumps alone, same run", f"{cli_dumps_s:.3f} s", "baseline", ""),
        (
            "CLI points per second",
            f"{cli_rate:,.0f}",
            ">= 50,000",
            _verdict(cli_rate >= 50_000),
        ),
        ("CLI / json.dumps", f"{cli_ratio:.2f}x", "<= 4", _verdict(cli_ratio <= 4)),
        (
            f"CLI, {big_lines:,} points to JSONL: peak RSS",
            f"{peak_mb:.0f} MB",
            "< 200 MB",
            _verdict(peak_mb < 200),
        ),
        ("CLI, same run: wall time", f"{cli_s:.1f} s", "", ""),
    ]
    _print_rows(rows)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "points": documents,
                    "render_s": render_s,
                    "dumps_s": dumps_s,
                    "points_per_s": rate,
                    "ratio": ratio,
                    "progress_s": progress_s,
                    "render_cpu_s": render_cpu,
                    "progress_cpu_s": progress_cpu,
                    "progress_cost_percent": cost,
                    "progress_wall_cost_percent": wall_cost,
                    "cli_whole_s": cli_whole_s,
                    "cli_dumps_s": cli_dumps_s,
                    "cli_points_per_s": cli_rate,
                    "cli_ratio": cli_ratio,
                    "cli_runs_s": cli_runs,
                    "cli_dumps_runs_s": cli_dumps_runs,
                    "cli_points": big_lines,
                    "cli_peak_rss_mb": peak_mb,
                    "cli_s": cli_s,
                },
                indent=2,
            )
            + "\n"
        )
    return 0


def _print_rows(rows: list[tuple[str, str, str, str]]) -> None:
    width = max(len(r[0]) for r in rows)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(
        f"{when}; machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    for name, value, target, verdict in rows:
        print(f"{name:<{width}}  {value:>12}  {target:>10}  {verdict}")


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


if __name__ == "__main__":
    raise SystemExit(main())
