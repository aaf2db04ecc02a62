"""A download on the terminal: a rich progress bar (files, bytes, bytes/s, time left) fed
with the engine's events, problems as they come, and the closing line."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

from prominence_spec.cli import _client_common as common
from prominence_spec.cli._progress import wanted


class _Bar:
    """The engine's events drawn as a progress bar on stderr (from its worker threads)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.lock = enabled, threading.Lock()
        self.progress: Any = None
        self.files: Any = None
        self.bytes: Any = None

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, event: Any) -> None:
        from prominence_spec.client.download.model import FileDone, Found, Planned, Received

        with self.lock:
            if isinstance(event, Planned):
                self._start(event)
            elif isinstance(event, Received) and self.progress is not None:
                self.progress.advance(self.bytes, event.bytes)
            elif isinstance(event, FileDone) and self.progress is not None:
                self.progress.advance(self.files, 1)
                if event.kept:
                    self.progress.advance(self.bytes, event.size)
            elif isinstance(event, Found):
                self._print(f"promspec: {event.problem.line()}")

    def _start(self, planned: Any) -> None:
        if not self.enabled or planned.files == 0:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
            console=Console(file=sys.stderr), transient=True,
        )  # fmt: skip
        self.files = self.progress.add_task("files", total=planned.files)
        self.bytes = self.progress.add_task("bytes", total=planned.bytes or None)
        self.progress.start()

    def _print(self, line: str) -> None:
        if self.progress is not None:
            self.progress.console.print(common.redact(line), markup=False, highlight=False)
        else:
            common.note(line)


def download_into(
    client: Any, selection: Any, directory: Path, *, jobs: int, force: bool, quiet: bool,
    resume: str, only: Any = None,
) -> int:  # fmt: skip
    """Download the selection; the exit code (0 all fetched, 1 problems); Ctrl-C is raised
    on after the resume hint."""
    from prominence_spec.client.download.engine import Downloader
    from prominence_spec.client.download.summary import closing_line, notes

    with _Bar(wanted(quiet)) as bar:
        engine = Downloader(client, directory, jobs=jobs, force=force, on_event=bar, only=only)
        try:
            report = engine.run(selection.points)
        except KeyboardInterrupt:
            common.note(f"promspec: download interrupted; {resume}")
            raise
    report.left_out += selection.left_out
    shown = f"{directory}/" if not str(directory).endswith("/") else str(directory)
    common.note(closing_line(report, shown))
    for line in notes(report):
        common.note(line)
    if report.login_needed:
        common.error(report.login_needed)
    if report.problems:
        common.error(f"{len(report.problems):,} outputs could not be fetched")
    return 0 if report.ok and not selection.missing else 1
