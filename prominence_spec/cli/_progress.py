"""Progress of long work on a terminal: a rich progress bar on stderr, fed with the counts
the core reports (:mod:`prominence_spec.render.progress`).

Only when stderr is a terminal, never with ``-q``, and not while rendered output goes to
that same terminal. The bar appears once the work has taken :data:`SHOW_AFTER` seconds
(at the next count, so never for a sweep shorter than ``EVERY`` points), or at once for a
sweep of :data:`SHOW_AT_ONCE` points or more, so that small files stay silent. It is
redrawn at most every :data:`REDRAW` seconds (rich's own refresh thread is off), and
cleared when the work ends.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final, TextIO

#: Seconds of work before the bar appears.
SHOW_AFTER: Final = 0.5
#: A sweep of at least this many points shows the bar from its first point.
SHOW_AT_ONCE: Final = 20_000
#: Seconds between two redraws.
REDRAW: Final = 0.25
#: The longest spec path shown in full (longer ones lose their beginning).
LABEL_WIDTH: Final = 24


def wanted(quiet: bool, *, output_on_stdout: bool = False) -> bool:
    """Whether to show progress: stderr is a terminal, no ``-q``, and what the command
    writes does not go to the terminal too (``output_on_stdout``: it writes to stdout)."""
    if quiet or not _is_terminal(sys.stderr):
        return False
    return not (output_on_stdout and _is_terminal(sys.stdout))


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class PointsProgress:
    """The ``Progress`` callback of the core, drawn as a rich progress bar on ``stream``:
    the spec, a bar, points done (of how many, when known), points a second and the time
    left."""

    def __init__(self, stream: TextIO, verb: str) -> None:
        self.stream, self.verb = stream, verb
        self.began = time.monotonic()
        self.drawn_at = 0.0
        self.label: str | None = None
        self.bar: Any = None  # a rich Progress, once shown
        self.task: Any = None

    @property
    def shown(self) -> bool:
        """Whether the bar has appeared (the work took a while)."""
        return self.bar is not None

    def __call__(self, label: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if self.bar is None:
            if not self._worth_showing(done, total, now):
                return
            self._show(self._describe(label), done, total)  # drawn once, as it starts
            self.label, self.drawn_at = label, now
            return
        if label != self.label or not done:  # a new pass (another spec, or document)
            self.label = label
            description = self._describe(label)
            self.bar.reset(self.task, total=total, description=description, visible=True)
        elif done != total and now - self.drawn_at < REDRAW:
            return
        self.bar.update(self.task, completed=done, total=total)
        self.bar.refresh()
        self.drawn_at = now

    def _worth_showing(self, done: int, total: int | None, now: float) -> bool:
        """A large sweep from its start; another once it has taken a while, but not at its
        end (a bar drawn only to be cleared at once)."""
        if not done:
            return total is not None and total >= SHOW_AT_ONCE
        return done != total and now - self.began >= SHOW_AFTER

    def close(self) -> None:
        """Clear the bar (if it was shown)."""
        if self.bar is not None:
            self.bar.stop()

    def _describe(self, label: str) -> str:
        """``rendering specs/big.yaml``, the path cut from the left to fit one line."""
        shown = label if len(label) <= LABEL_WIDTH else "…" + label[-(LABEL_WIDTH - 1) :]
        return f"{self.verb} {shown}"

    def _show(self, description: str, done: int, total: int | None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=10),
            _points_column(),
            _rate_column(),
            TimeRemainingColumn(),
            console=Console(file=self.stream),
            auto_refresh=False,  # redrawn by __call__, at most every REDRAW seconds
            transient=True,
            redirect_stdout=False,  # rendered output goes to stdout untouched
            redirect_stderr=False,
        )
        self.task = self.bar.add_task(description, total=total, completed=done)
        self.bar.start()  # its first frame (rich draws it as it starts)


def _points_column() -> Any:
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Points(ProgressColumn):
        def render(self, task: Any) -> Text:
            done = int(task.completed)
            if task.total is None:
                return Text(f"{done:,}")
            return Text(f"{done:,}/{int(task.total):,}")

    return Points()


def _rate_column() -> Any:
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed or _average(task)
            return Text(f"{speed:,.0f} points/s" if speed else "")

    return Rate()


def _average(task: Any) -> float | None:
    """Points a second since the pass began: rich's own estimate needs two samples, which
    a pass drawn only at its start and its end (faster than REDRAW) never has."""
    elapsed = task.elapsed
    return task.completed / elapsed if task.completed and elapsed else None


@contextmanager
def points_progress(enabled: bool, verb: str) -> Iterator[PointsProgress | None]:
    """A :class:`PointsProgress` on stderr when ``enabled`` (else None), cleared at the end."""
    if not enabled:
        yield None
        return
    progress = PointsProgress(sys.stderr, verb)
    try:
        yield progress
    finally:
        progress.close()


def written(counts: dict[str, int], path: str) -> str:
    """``wrote 1,000,000 jobs to big.jsonl`` (``counts``: documents written, by kind)."""
    parts = [f"{n:,} {kind}{'' if n == 1 else 's'}" for kind, n in counts.items() if n]
    return f"wrote {' and '.join(parts) or 'nothing'} to {path}"
