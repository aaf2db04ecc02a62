"""Output streams for the CLI: stdout, or a file given with --output."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import typer


@contextmanager
def output_stream(path: str | None) -> Iterator[TextIO]:
    if path is None or path == "-":
        sys.stdout.flush()
        stream = io.TextIOWrapper(
            sys.stdout.buffer, encoding="utf-8", errors="backslashreplace", newline="\n"
        )
        try:
            yield stream
        finally:
            stream.flush()
            stream.detach()
        return
    try:
        handle = open(path, "w", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot write {path}: {exc.strerror}", param_hint="--output"
        ) from None
    with handle:
        yield handle
