"""Fast-path benchmark: microseconds per render of simple templates, fast path and Jinja.

    python benchmarks/bench_fast_path.py [--rounds 100000] [--repeat 5] [--json OUT]

A template that is only text and ``{{ name }}`` substitutions (``CompiledString.simple``)
is rendered without Jinja. For each of three such templates this prints the median time
of one render by promspec's Templater and, as the baseline, by a plain Jinja template of
the same text, and the ratio. It exits 1 if a template does not take the fast path (the
figures would then measure something else), else 0; it sets no target.

This was tests/test_templating.py::test_fast_path_speed; that the templates take the fast
path is tested by test_compile_shapes there.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

TEMPLATES = ("{{ a }}", "run --a {{ a }} --b {{ b }}", "out-{{ frame }}.txt")
CONTEXT = {"a": 7, "b": "xyz", "frame": 0.5}


def per_render_us(render: Callable[[], object], rounds: int, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(rounds):
            render()
        times.append((time.perf_counter() - started) / rounds * 1e6)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    import jinja2

    from prominence_spec.template.environment import Templater

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100_000, help="renders per timing")
    parser.add_argument("--repeat", type=int, default=5, help="timings per figure (median)")
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    templater = Templater(root=Path("."), base_dir=Path("."))
    jinja = jinja2.Environment(keep_trailing_newline=True)
    figures = []
    for text in TEMPLATES:
        compiled = templater.compile(text)
        if not compiled.simple:
            print(f"{text!r} does not take the fast path", file=sys.stderr)
            return 1
        baseline = jinja.from_string(text)
        fast = per_render_us(lambda c=compiled: c.render(CONTEXT), args.rounds, args.repeat)
        slow = per_render_us(lambda t=baseline: t.render(CONTEXT), args.rounds, args.repeat)
        figures.append({"template": text, "fast_path_us": fast, "jinja_us": slow})
    width = max(len(repr(f["template"])) for f in figures)
    print(f"{'template':<{width}}  {'fast path':>10}  {'Jinja':>10}  {'ratio':>6}")
    for f in figures:
        ratio = f["jinja_us"] / f["fast_path_us"]
        print(
            f"{f['template']!r:<{width}}  {f['fast_path_us']:>7.2f} us  "
            f"{f['jinja_us']:>7.2f} us  {ratio:>5.1f}x"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
