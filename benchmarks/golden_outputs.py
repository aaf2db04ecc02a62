#!/usr/bin/env python3
"""Write what every command prints for every bundled spec, to compare two checkouts byte for byte.

A restructuring must not change behaviour. Run this script from each checkout with that
checkout's interpreter, then compare the two folders::

    (cd OLD && .venv/bin/python /path/to/golden_outputs.py /tmp/golden-old)
    (cd NEW && .venv/bin/python /path/to/golden_outputs.py /tmp/golden-new)
    diff -r /tmp/golden-old /tmp/golden-new

Each case is one file holding the command line, the exit code, standard output and
standard error: ``validate`` in every report format, ``render`` in every mode and format,
``render --count`` and ``schema``, on every spec in ``specs/`` and ``templates/`` (paths
relative to the checkout, so the bytes do not depend on where it lives).

Standard library only; exit status 0 unless the interpreter cannot run promspec.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

VALIDATE_FORMATS = ("text", "json", "github", "junit", "sarif")
RENDER_MODES = ("jobs", "workflow", "factory")
RENDER_FORMATS = ("json", "jsonl", "yaml")


def spec_files(root: Path) -> list[str]:
    found = []
    for folder in ("specs", "templates"):
        for path in sorted((root / folder).glob("*")):
            if path.suffix in {".yaml", ".yml", ".json"} and path.is_file():
                found.append(str(path.relative_to(root)))
    return found


def cases(specs: list[str]) -> Iterator[tuple[str, list[str]]]:
    for kind in ("job", "workflow", "spec"):
        yield f"schema-{kind}", ["schema", kind]
    yield "validate-all-text", ["validate", "specs", "templates"]
    for spec in specs:
        stem = spec.replace("/", "_")
        for fmt in VALIDATE_FORMATS:
            yield f"{stem}-validate-{fmt}", ["validate", spec, "-f", fmt]
        yield f"{stem}-count", ["render", spec, "--count"]
        for mode in RENDER_MODES:
            for fmt in RENDER_FORMATS:
                yield f"{stem}-render-{mode}-{fmt}", ["render", spec, "-m", mode, "-f", fmt]


def run_case(argv: list[str]) -> str:
    command = [sys.executable, "-m", "prominence_spec", *argv]
    env = {"NO_COLOR": "1", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    return (
        f"$ promspec {' '.join(argv)}\nexit {done.returncode}\n"
        f"--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the outputs to")
    args = parser.parse_args()
    root = Path.cwd()
    args.out.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, argv in cases(spec_files(root)):
        (args.out / f"{name}.txt").write_text(run_case(argv))
        count += 1
    print(f"{count} outputs written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
