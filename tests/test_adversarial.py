"""The CLI over hostile files (checklists Y1-Y19, T1, T2), outside the pytest process and
under CPU, memory and time limits, so a hang, a segfault or a memory blow-up fails the test
instead of taking pytest down.

For each file: exit code 1 (or 2 for I/O problems), no traceback, the expected diagnostic
code on that file, and a valid file checked in the same run still reported valid. Each file
is one command in a worker process (cli_support.CliWorker: the limits per command, a new
worker after any failure); the whole corpus is also checked by real ``python -m
prominence_spec`` processes, one per report format.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _pytest.mark import ParameterSet

from cli_support import CliWorker, promspec_process

CORPUS = Path(__file__).resolve().parent / "adversarial"
MARKER = Path("/tmp/promspec-adversarial-pwned")  # what the python-object files try to create
IO_CODES = {"PS100", "PS113"}
SIBLING = "valid-sibling.yaml"
VALID = """\
resources: {cpus: 1, memory: 1, disk: 10, nodes: 1}
tasks:
  - image: eoscprominence/testpi
    runtime: singularity
"""
RUNNER = (
    "import resource, runpy\n"
    "resource.setrlimit(resource.RLIMIT_CPU, (30, 30))\n"
    "resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))\n"
    "runpy.run_module('prominence_spec', run_name='__main__', alter_sys=True)\n"
)

# Committed corpus: file -> (acceptable codes, (line, column) of the first diagnostic or None).
EXPECTED: dict[str, tuple[set[str], tuple[int, int] | None]] = {
    "python-object-apply.yaml": ({"PS109"}, (2, 1)),
    "python-object-new-in-task.yaml": ({"PS109"}, (5, 10)),
    "python-name.yaml": ({"PS109"}, (2, 10)),
    "python-tag-on-mapping.yaml": ({"PS109"}, (1, 12)),
    "billion-laughs.yaml": ({"PS108"}, (5, 8)),
    "merge-key.yaml": ({"PS109"}, (3, 3)),
    "unknown-alias.yaml": ({"PS101"}, (1, 12)),
    "duplicate-keys.yaml": ({"PS104"}, (4, 3)),
    "duplicate-keys-quoted.yaml": ({"PS104"}, (2, 1)),
    "duplicate-keys.json": ({"PS104"}, (3, 3)),
    "latin-1.yaml": ({"PS102"}, (1, 10)),
    "latin-1.json": ({"PS102"}, (1, 14)),
    "utf-16-bom.yaml": ({"PS102"}, None),
    "utf-16-be-bom.json": ({"PS102"}, None),
    "utf-32-bom.yaml": ({"PS102"}, None),
    "nul-byte.yaml": ({"PS102"}, None),
    "escape-char.yaml": ({"PS101"}, (1, 7)),
    "bell-in-quotes.yaml": ({"PS101"}, (1, 9)),
    "tab-indent.yaml": ({"PS101"}, (2, 1)),
    "unterminated-double.yaml": ({"PS101"}, (2, 1)),
    "unterminated-single.yaml": ({"PS101"}, (2, 1)),
    "unterminated-flow.yaml": ({"PS101"}, (2, 1)),
    "bad-escape.yaml": ({"PS101"}, (1, 8)),
    "huge-float.yaml": ({"PS112"}, (2, 9)),
    "huge-float.json": ({"PS112"}, (1, 24)),
    "infinity.yaml": ({"PS112"}, (2, 11)),
    "nan.yaml": ({"PS112"}, (2, 11)),
    "nan.json": ({"PS112"}, (1, 37)),
    "infinity.json": ({"PS112"}, (1, 48)),
    "nan-after-nan-string.json": ({"PS112"}, (2, 26)),
    "bad-int-tag.yaml": ({"PS109"}, (2, 9)),
    "binary-tag.yaml": ({"PS109"}, (3, 14)),
    "set-tag.yaml": ({"PS109"}, (1, 9)),
    "complex-key.yaml": ({"PS111"}, (1, 3)),
    "trailing-comma.json": ({"PS101"}, (3, 1)),
    "single-quotes.json": ({"PS101"}, (1, 2)),
    "extra-data.json": ({"PS101"}, (2, 1)),
    "lone-surrogate.json": ({"PS207"}, None),
    "surrogate-pair.yaml": ({"PS207"}, (1, 7)),
    "empty.yaml": ({"PS105"}, (1, 1)),
    "empty.json": ({"PS105"}, (1, 1)),
    "comments-only.yaml": ({"PS105"}, (1, 1)),
    "directive-only.yaml": ({"PS105"}, (1, 1)),
    "null-document.yaml": ({"PS105"}, (1, 1)),
    "null.json": ({"PS105"}, (1, 1)),
    "top-level-list.yaml": ({"PS106"}, (1, 1)),
    "top-level-list.json": ({"PS106"}, (1, 1)),
    "top-level-scalar.yaml": ({"PS106"}, (1, 1)),
}
BUGS: dict[str, str] = {}


# Generated at test time: name -> (maker, acceptable codes, xfail reason or None).
def _text(text: str | bytes) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))

    return make


def _directory(path: Path) -> None:
    path.mkdir()
    (path / "inner.yaml").write_text("a: 1\na: 2\n", encoding="utf-8")


def _symlink_loop(path: Path) -> None:
    other = path.with_name("loop-other.yaml")
    other.symlink_to(path.name)
    path.symlink_to(other.name)


def _dangling(path: Path) -> None:
    path.symlink_to("does-not-exist.yaml")


def _unreadable(path: Path) -> None:
    path.write_text(VALID, encoding="utf-8")
    path.chmod(0)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _device(path: Path) -> None:
    path.symlink_to("/dev/zero")


GENERATED: dict[str, tuple[Callable[[Path], None], set[str], str | None]] = {
    "deep-flow-40000.yaml": (_text("[" * 40000 + "]" * 40000), {"PS107"}, None),
    "deep-flow-900.yaml": (_text("[" * 900 + "]" * 900), {"PS107"}, None),
    "deep-block-2000.yaml": (
        _text("".join("  " * i + "k:\n" for i in range(2000))),
        {"PS107"},
        None,
    ),
    "deep-40000.json": (_text("[" * 40000 + "]" * 40000), {"PS107"}, None),
    "oversized.yaml": (_text(b"# padding padding padding\n" * 200_000), {"PS103"}, None),
    "long-line.yaml": (_text("name: " + "x" * 3_000_000 + "\n"), {"PS208"}, None),
    "huge-int.yaml": (_text("resources:\n  cpus: " + "9" * 5000 + "\n"), {"PS112"}, None),
    "huge-int.json": (_text('{"resources": {"cpus": ' + "9" * 5000 + "}}"), {"PS112"}, None),
    "huge-hex-name.yaml": (_text("name: 0x" + "f" * 5000 + "\n"), {"PS112", "PS408"}, None),
    "x.yaml": (_directory, {"PS104"}, None),
    "loop.yaml": (_symlink_loop, {"PS100"}, None),
    "dangling.yaml": (_dangling, {"PS100"}, None),
    "unreadable.yaml": (_unreadable, {"PS100"}, None),
    "fifo.yaml": (_fifo, {"PS100", "PS113"}, None),  # used to block forever in open()
    "device.yaml": (_device, {"PS100", "PS103", "PS113"}, None),
    "we:ird, name %.yaml": (_text("a: 1\na: 2\n"), {"PS104"}, None),
}


def run_cli(args: list[str], cwd: Path, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """`promspec validate ARGS` in a process of its own, under the limits of RUNNER."""
    command = [sys.executable, "-c", RUNNER]
    proc = promspec_process("validate", *args, cwd=cwd, command=command, timeout=timeout)
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}: {proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def worker() -> Iterator[CliWorker]:
    """The limits of RUNNER, per command: 30 s of CPU, 4 GiB of address space."""
    with CliWorker(cpu_seconds=30, memory_bytes=4 << 30) as found:
        yield found


def check_one(
    worker: CliWorker,
    folder: Path,
    name: str,
    codes: set[str],
    position: tuple[int, int] | None = None,
    timeout: float = 20,
) -> None:
    (folder / SIBLING).write_text(VALID, encoding="utf-8")
    MARKER.unlink(missing_ok=True)
    proc = worker.run("validate", "--format", "json", name, SIBLING, cwd=folder, timeout=timeout)
    assert not MARKER.exists(), "a python tag was executed"
    assert proc.returncode in (1, 2), (proc.returncode, proc.stderr)
    files = {f["path"]: f for f in json.loads(proc.stdout)["files"]}
    sibling = files.pop(SIBLING)
    assert sibling["valid"] and sibling["diagnostics"] == []
    ours = [f for path, f in files.items() if path == name or path.startswith(name + os.sep)]
    assert ours, files
    found = [d for f in ours for d in f["diagnostics"]]
    assert {d["code"] for d in found} & codes, found
    assert proc.returncode == (2 if {d["code"] for d in found} & IO_CODES else 1)
    if position:
        first = next(d for d in found if d["code"] in codes)
        assert (first["line"], first["column"]) == position


def _corpus_param(name: str) -> ParameterSet:
    marks = [pytest.mark.xfail(strict=True, reason=BUGS[name])] if name in BUGS else []
    return pytest.param(name, id=name, marks=marks)


@pytest.mark.parametrize("name", [_corpus_param(n) for n in EXPECTED])
def test_corpus_file(worker: CliWorker, tmp_path: Path, name: str) -> None:
    shutil.copyfile(CORPUS / name, tmp_path / name)
    codes, position = EXPECTED[name]
    check_one(worker, tmp_path, name, codes, position)


def _generated_param(name: str) -> ParameterSet:
    reason = GENERATED[name][2]
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(name, id=name, marks=marks)


@pytest.mark.parametrize("name", [_generated_param(n) for n in GENERATED])
def test_generated_file(worker: CliWorker, tmp_path: Path, name: str) -> None:
    if name == "unreadable.yaml" and os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    make, codes, _ = GENERATED[name]
    make(tmp_path / name)
    try:
        check_one(worker, tmp_path, name, codes)
    finally:
        if name == "unreadable.yaml":
            (tmp_path / name).chmod(0o644)  # let tmp_path be cleaned up


@pytest.mark.slow
def test_a_stuck_command_fails_and_the_next_one_gets_a_new_worker(tmp_path: Path) -> None:
    """What the per-file tests rely on: a command that never answers fails its test (here
    the worker is stopped with SIGSTOP), and the next command runs in a fresh worker."""
    with CliWorker() as worker:
        assert worker.run("--version", cwd=tmp_path).returncode == 0
        assert worker.proc is not None
        stuck = worker.proc.pid
        os.kill(stuck, signal.SIGSTOP)
        with pytest.raises(AssertionError, match=r"no answer in 0\.5 s"):
            worker.run("--version", cwd=tmp_path, timeout=0.5)
        again = worker.run("--version", cwd=tmp_path)
        assert again.returncode == 0 and again.stdout.startswith("promspec ")
        assert worker.proc is not None and worker.proc.pid != stuck


def test_table_lists_every_corpus_file() -> None:
    on_disk = {p.name for p in CORPUS.iterdir()} - {"README.md"}
    assert on_disk == set(EXPECTED)
    assert set(BUGS) <= set(EXPECTED)


def test_whole_corpus_in_one_run(tmp_path: Path) -> None:
    """Every file reported, each with its code, and nothing stops the run."""
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    (folder / SIBLING).write_text(VALID, encoding="utf-8")
    MARKER.unlink(missing_ok=True)
    proc = run_cli(["--format", "json", "corpus"], tmp_path, timeout=60)
    assert proc.returncode == 1
    assert not MARKER.exists()
    files = {Path(f["path"]).name: f for f in json.loads(proc.stdout)["files"]}
    assert set(files) == set(EXPECTED) | {SIBLING}
    assert files[SIBLING]["valid"]
    for name, (codes, _) in EXPECTED.items():
        found = {d["code"] for d in files[name]["diagnostics"]}
        assert not files[name]["valid"], name
        assert name in BUGS or found & codes, (name, found)


@pytest.mark.parametrize("fmt", ["text", "github", "junit", "sarif"])
def test_whole_corpus_in_every_format(tmp_path: Path, fmt: str) -> None:
    proc = run_cli(["--format", fmt, str(CORPUS)], tmp_path, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr == ""
