"""Progress of long work: the core reports counts through a callback, and the CLI draws
them as a progress bar on stderr, only when stderr is a terminal (a real pty here), never
with -q, never into rendered output on the same terminal, and not for small files.
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from prominence_spec.cli._progress import SHOW_AFTER, SHOW_AT_ONCE, PointsProgress, written
from prominence_spec.render.progress import EVERY

from cli_support import promspec
from render_support import TASK, renderer_of
from support import write

#: 40,000 points: more than the CLI's SHOW_AT_ONCE, so the bar appears from the start.
BIG = (
    """\
promspec:
  sweep:
    a: {start: 1, end: 400, step: 1}
    b: {repeat: 100}
  name: "p-{{ a }}-{{ b }}"
"""
    + TASK
)
SMALL = "promspec:\n  sweep:\n    a: [1, 2, 3]\n  name: 'p-{{ a }}'\n" + TASK
ESC = "\x1b"


@pytest.fixture()
def big(repo: Path) -> Path:
    return write(repo, BIG, "big.yaml")


def on_a_terminal(*args: str, cwd: Path, stdout_too: bool = False) -> tuple[int, str, str]:
    """``promspec ARGS`` with stderr (and with ``stdout_too`` stdout) on a pty 200 columns
    wide: (exit code, stdout, everything the terminal received)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        [sys.executable, "-m", "prominence_spec", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=slave if stdout_too else subprocess.PIPE,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    received, printed = bytearray(), bytearray()
    sources = {master: received}
    if proc.stdout is not None:
        sources[proc.stdout.fileno()] = printed
    deadline = time.monotonic() + 120
    while sources and time.monotonic() < deadline:
        ready, _, _ = select.select(list(sources), [], [], 1)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed its side of the pty
                data = b""
            if data:
                sources[fd] += data
            else:
                del sources[fd]
    code = proc.wait(timeout=60)
    if proc.stdout is not None:
        proc.stdout.close()
    os.close(master)
    stdout = printed.decode("utf-8", "replace")
    terminal = received.decode("utf-8", "replace")
    assert "Traceback" not in terminal, terminal
    return code, stdout, terminal


# -- on a terminal ------------------------------------------------------------------------
@pytest.mark.slow
def test_render_to_a_file_shows_progress_and_what_it_wrote(big: Path) -> None:
    code, stdout, terminal = on_a_terminal(
        "render", "big.yaml", "-f", "jsonl", "-o", "out.jsonl", cwd=big.parent
    )
    assert (code, stdout) == (0, "")
    assert "rendering big.yaml" in terminal
    assert "40,000/40,000" in terminal and "points/s" in terminal
    assert ESC in terminal  # drawn as a live bar, and cleared
    assert terminal.rstrip().endswith("wrote 40,000 jobs to out.jsonl")
    assert len((big.parent / "out.jsonl").read_text().splitlines()) == 40_000


@pytest.mark.slow
def test_render_to_a_pipe_shows_progress_on_the_terminal_only(big: Path) -> None:
    code, stdout, terminal = on_a_terminal("render", "big.yaml", "-f", "jsonl", cwd=big.parent)
    assert code == 0 and len(stdout.splitlines()) == 40_000
    assert ESC not in stdout and "points/s" not in stdout
    assert "rendering big.yaml" in terminal and "wrote" not in terminal


@pytest.mark.slow
def test_validate_shows_progress_then_its_summary(big: Path) -> None:
    code, stdout, terminal = on_a_terminal("validate", "big.yaml", cwd=big.parent)
    assert code == 0
    assert stdout == "1 file valid (1 document, 40,000 points)\n"
    assert "checking big.yaml" in terminal and "40,000/40,000" in terminal


@pytest.mark.slow
@pytest.mark.parametrize("command", ["render", "validate"])
def test_quiet_shows_nothing_on_the_terminal(big: Path, command: str) -> None:
    args = ["-o", "out.jsonl", "-f", "jsonl"] if command == "render" else []
    code, _, terminal = on_a_terminal(command, "big.yaml", "-q", *args, cwd=big.parent)
    assert (code, terminal) == (0, "")


@pytest.mark.slow
def test_a_small_file_shows_no_bar_but_says_what_it_wrote(repo: Path) -> None:
    """The closing line is there on a terminal whether or not a bar was shown (the README
    says render -o always ends with it); validate of a small file prints only its summary."""
    write(repo, SMALL, "small.yaml")
    code, _, terminal = on_a_terminal("render", "small.yaml", "-o", "out.json", cwd=repo)
    assert (code, terminal) == (0, "wrote 3 jobs to out.json\r\n")
    code, stdout, terminal = on_a_terminal("validate", "small.yaml", cwd=repo)
    assert (code, terminal) == (0, "")
    assert stdout == "1 file valid (1 document, 3 points)\n"


@pytest.mark.slow
def test_no_progress_into_output_printed_on_the_same_terminal(big: Path) -> None:
    code, _, terminal = on_a_terminal(
        "render", "big.yaml", "-f", "jsonl", cwd=big.parent, stdout_too=True
    )
    assert code == 0 and "points/s" not in terminal and ESC not in terminal
    assert terminal.count('"name": "p-') == 0 and terminal.count('"name":"p-') == 40_000


# -- not on a terminal --------------------------------------------------------------------
@pytest.mark.slow
def test_piped_stderr_gets_no_progress(big: Path) -> None:
    rendered = promspec("render", str(big), "-f", "jsonl", "-o", str(big.parent / "o.jsonl"))
    checked = promspec("validate", str(big))
    assert (rendered.returncode, rendered.stderr) == (0, "")
    assert (checked.returncode, checked.stderr) == (0, "")


# -- the core's counts --------------------------------------------------------------------
def test_the_core_reports_points_now_and_then(big: Path) -> None:
    calls: list[tuple[str, int, int | None]] = []
    renderer = renderer_of(big)
    renderer.progress = lambda label, done, total: calls.append((label, done, total))
    renderer.restart()
    assert sum(1 for _ in renderer.documents()) == 40_000
    label = str(big)
    assert calls[0] == (label, 0, 40_000) and calls[-1] == (label, 40_000, 40_000)
    assert [done for _, done, _ in calls[1:-1]] == list(range(EVERY, 40_000, EVERY))


def test_a_filtered_sweep_has_no_total_until_its_end(repo: Path) -> None:
    path = write(repo, BIG.replace("  name:", "    where: 'b < 50'\n  name:"), "where.yaml")
    calls: list[tuple[str, int, int | None]] = []
    renderer = renderer_of(path)
    renderer.progress = lambda label, done, total: calls.append((label, done, total))
    renderer.restart()
    assert sum(1 for _ in renderer.documents()) == 20_000
    assert {total for _, _, total in calls[:-1]} == {None}
    assert calls[-1] == (str(path), 20_000, 20_000)


def test_the_closing_line() -> None:
    assert written({"job": 1_000_000}, "big.jsonl") == "wrote 1,000,000 jobs to big.jsonl"
    assert written({"workflow": 1}, "wf.json") == "wrote 1 workflow to wf.json"
    assert written({"job": 2, "workflow": 1}, "x") == "wrote 2 jobs and 1 workflow to x"


# -- when the bar appears -----------------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_appears_for_large_or_long_work_only() -> None:
    large = PointsProgress(_Terminal(), "rendering")
    large("big.yaml", 0, SHOW_AT_ONCE)
    assert large.shown
    large.close()

    slow_small = PointsProgress(_Terminal(), "checking")
    slow_small("small.yaml", 0, 3)
    slow_small.began -= 10 * SHOW_AFTER  # as if the spec took long to prepare
    slow_small("small.yaml", 3, 3)  # its end: a bar now would only be cleared again
    assert not slow_small.shown

    long_filtered = PointsProgress(_Terminal(), "rendering")
    long_filtered("where.yaml", 0, None)
    long_filtered("where.yaml", EVERY, None)
    assert not bool(long_filtered.shown)  # not yet half a second (bool: mypy keeps no narrowing)
    long_filtered.began -= 10 * SHOW_AFTER
    long_filtered("where.yaml", 2 * EVERY, None)
    assert long_filtered.shown
    long_filtered.close()
