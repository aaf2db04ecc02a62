"""Output streams for the CLI: stdout, or a file given with --output that is replaced
only when the command succeeds (a temporary file beside it, renamed at the end)."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TextIO

import typer


class Output:
    """Where a command writes; ``keep`` decides, at the end, whether a file is replaced."""

    def __init__(self, stream: TextIO, path: str | None) -> None:
        self.stream, self.path = stream, path
        self.keep = True


@contextmanager
def output_stream(path: str | None) -> Iterator[TextIO]:
    """Write to stdout or to ``path``; the file is replaced only if the block ends well."""
    with output(path) as out:
        yield out.stream


@contextmanager
def output(path: str | None) -> Iterator[Output]:
    """Like :func:`output_stream`, and the caller may set ``keep = False`` to leave an
    existing file as it was (a failed render)."""
    if path is None or path == "-":
        sys.stdout.flush()
        stream = io.TextIOWrapper(
            sys.stdout.buffer, encoding="utf-8", errors="backslashreplace", newline="\n"
        )
        try:  # a reader that goes away (| head) is the command group's to end (exit 0)
            yield Output(stream, None)
            stream.flush()
        finally:
            _detach(stream)
        return
    yield from _to_file(path)


def _to_file(path: str) -> Iterator[Output]:
    stream, temporary = _temporary_for(path, "--output")
    out = Output(stream, path)
    try:
        with out.stream:
            yield out
    except KeyboardInterrupt:
        os.unlink(temporary)
        _say_left_as_it_was(path)
        raise
    except BaseException:
        os.unlink(temporary)
        raise
    if not out.keep:
        os.unlink(temporary)
        return
    _keep_mode(path, temporary)
    os.replace(temporary, path)


def _temporary_for(path: str, option: str) -> tuple[TextIO, str]:
    """A new temporary file beside ``path``, open for text, and its name: it takes
    ``path``'s place only when the command succeeds."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, temporary = tempfile.mkstemp(prefix=".promspec-", suffix=".tmp", dir=folder)
    except OSError as exc:
        message = f"cannot write {path}: {exc.strerror}"
        raise typer.BadParameter(message, param_hint=option) from None
    return os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace"), temporary


def _say_left_as_it_was(path: str) -> None:
    state = "was left as it was" if os.path.exists(path) else "was not written"
    sys.stderr.write(f"promspec: stopped before the end: {path} {state}\n")


def _keep_mode(path: str, temporary: str) -> None:
    """The new file gets the old one's permissions, else the usual ones for a new file."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temporary, mode)


def _detach(stream: io.TextIOWrapper) -> None:
    with suppress(BrokenPipeError, ValueError):
        stream.detach()


def quiet_broken_pipe() -> None:
    """After the reader of stdout went away (``| head``): send what is left to /dev/null,
    so that Python's final flush does not complain."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    finally:
        os.close(devnull)


class PendingFiles:
    """Files written in a folder under temporary names and given their own names only at
    the end, all together, if the command succeeded (see :func:`files_in`)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.keep = True
        self._written: list[tuple[str, str]] = []  # (temporary, final path)

    def __len__(self) -> int:
        return len(self._written)

    def write(self, name: str, text: str) -> None:
        """Write ``text`` to a temporary file that becomes ``folder/name`` at the end."""
        path = os.path.join(self.folder, name)
        stream, temporary = _temporary_for(path, "--output-dir")
        self._written.append((temporary, path))
        with stream:
            stream.write(text)

    def commit(self) -> None:
        for temporary, path in self._written:
            _keep_mode(path, temporary)
            os.replace(temporary, path)

    def discard(self) -> None:
        for temporary, _ in self._written:
            with suppress(OSError):
                os.unlink(temporary)


@contextmanager
def files_in(folder: str) -> Iterator[PendingFiles]:
    """Write files into ``folder`` (made if missing) as :class:`PendingFiles`: they are
    renamed into place when the block ends well and ``keep`` is still set; otherwise none
    of them is, and the folders this made are removed again."""
    made = _make_folders(folder)
    pending = PendingFiles(folder)
    try:
        yield pending
    except KeyboardInterrupt:
        _undo(pending, made)
        _say_left_as_it_was(folder)
        raise
    except BaseException:
        _undo(pending, made)
        raise
    if pending.keep:
        pending.commit()
    else:
        _undo(pending, made)


def _make_folders(folder: str) -> list[str]:
    """Make ``folder`` and the folders above it that are missing; return those it made,
    deepest first."""
    missing: list[str] = []
    here = os.path.abspath(folder)
    while not os.path.isdir(here) and here != os.path.dirname(here):
        missing.append(here)
        here = os.path.dirname(here)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot make the folder {folder}: {exc.strerror}", param_hint="--output-dir"
        ) from None
    return missing


def _undo(pending: PendingFiles, made: list[str]) -> None:
    pending.discard()
    for folder in made:
        with suppress(OSError):
            os.rmdir(folder)
