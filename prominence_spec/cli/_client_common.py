"""What the client commands share: options, building the Client, errors, tables, times.

Tables and progress use rich when the stream is a terminal and ``NO_COLOR`` is unset, and
plain aligned text otherwise. Every message that leaves this module passes :func:`redact`,
which replaces the value of any token loaded in this process with ``***``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

import typer

if TYPE_CHECKING:
    import logging

_SECRETS: list[str] = []

URL_HELP = "API base URL (default: $PROMINENCE_URL, else https://eosc.prominence.cloud/api/v1)."
TOKEN_HELP = (
    "Read the token from this file (default: $PROMINENCE_TOKEN, which holds the token "
    "itself, else the file $PROMINENCE_TOKEN_FILE names, else ~/.prominence/token)."
)
STATE_HELP = "Journal folder (default: .promspec/ next to the spec)."
FORMAT_HELP = "text (default) or json."
FORMATS = ("text", "json")
ClientFormat = Literal["text", "json"]


def url_option() -> Any:
    return typer.Option(None, "--url", metavar="URL", help=URL_HELP)


def token_file_option() -> Any:
    return typer.Option(None, "--token-file", metavar="PATH", help=TOKEN_HELP)


def state_option() -> Any:
    return typer.Option(None, "--state", metavar="DIR", help=STATE_HELP)


FORMAT: Any = typer.Option("text", "--format", "-f", help=FORMAT_HELP)


def verbose_option() -> Any:
    return typer.Option(False, "--verbose", "-v", help="Log every request (token shown as ***).")


def results_folder(spec: str | None) -> Path:
    """Where ``run``, ``download`` and ``collect`` keep a study's outputs by default:
    ``./<spec name>-results`` for a spec, ``./results`` for job ids."""
    return Path(f"{Path(spec).stem}-results") if spec else Path("results")


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise typer.BadParameter("choose text or json", param_hint="--format")


def make_client(
    url: str | None,
    token_file: str | None,
    *,
    concurrency: int = 8,
    timeout: float = 150.0,
    verbose: bool = False,
) -> Any:
    from prominence_spec.client.api import Client
    from prominence_spec.client.errors import CredentialsError

    configure_logging(verbose)
    connect = min(10.0, timeout)
    try:
        client = Client(
            url, token_file=token_file, concurrency=concurrency, timeout=(connect, timeout)
        )
    except CredentialsError as exc:
        raise _sandbox_hint(exc, url) from None
    _SECRETS.append(client.token.secret.reveal())
    for warning in client.token.warnings:
        warn(warning)
    return client


def _sandbox_hint(exc: Any, url: str | None) -> Any:
    """No token for a loopback URL: most likely a `promspec sandbox`, whose token is a file."""
    from prominence_spec.client.config import is_loopback, resolve_url
    from prominence_spec.client.credentials import NO_TOKEN
    from prominence_spec.client.errors import CredentialsError

    if exc.kind != NO_TOKEN:
        return exc
    from urllib.parse import urlsplit

    if not is_loopback(urlsplit(resolve_url(url)).hostname or ""):
        return exc
    from prominence_spec.server.config import default_data_dir

    sandbox_token = default_data_dir() / "token"
    return CredentialsError(
        f"{exc.message}. For a `promspec sandbox` on this machine, its token is in a file: "
        f"--token-file {sandbox_token} (the default folder), or export the "
        "PROMINENCE_TOKEN_FILE line the sandbox prints when it starts",
        kind=NO_TOKEN,
    )


def configure_logging(verbose: bool) -> None:
    """Requests on stderr with ``-v``, nothing without it (set on every command, so that
    one verbose command never leaves the next one talking)."""
    import logging

    logger = logging.getLogger("prominence_spec.client")
    stderr_handler = _stderr_handler_class()
    for handler in [h for h in logger.handlers if isinstance(h, stderr_handler)]:
        logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)
    if verbose:
        handler = stderr_handler()
        handler.setFormatter(logging.Formatter("promspec: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)


@cache
def _stderr_handler_class() -> type[logging.Handler]:
    """A logging handler that writes redacted lines to stderr (made on first use: logging
    is imported only by the commands that talk to a server)."""
    import logging

    class StderrHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            sys.stderr.write(redact(self.format(record)) + "\n")

    return StderrHandler


def redact(text: str) -> str:
    for secret in _SECRETS:
        if secret:
            text = text.replace(secret, "***")
    return text


def error(message: str) -> None:
    sys.stderr.write(redact(f"promspec: {message}") + "\n")


def warn(message: str) -> None:
    sys.stderr.write(redact(f"promspec: warning: {message}") + "\n")


def note(message: str) -> None:
    sys.stderr.write(redact(message) + "\n")


@contextmanager
def guarded() -> Iterator[None]:
    """Client failures as one line and an exit code; never a traceback, never the token."""
    from prominence_spec.client.errors import (
        ChangedSpecError,
        ClientError,
        ConfigError,
        JournalError,
    )

    try:
        yield
    except (typer.Exit, typer.BadParameter, typer.Abort):
        raise
    except ChangedSpecError as exc:
        error(exc.message)
        raise typer.Exit(1) from None
    except (ConfigError, JournalError) as exc:
        error(exc.message)
        raise typer.Exit(2) from None
    except ClientError as exc:
        error(exc.message)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:  # said once, by cli.main, for every exit with 130
        raise typer.Exit(130) from None
    except BrokenPipeError:  # the reader went away (| head): cli.main's one policy, exit 0
        raise
    except Exception as exc:  # a bug: one line, redacted
        error(f"internal error: {type(exc).__name__}: {exc}")
        sys.stderr.write("please report this at https://github.com/promspec/promspec/issues\n")
        raise typer.Exit(3) from None


# -- output ------------------------------------------------------------------------------------
def rich_ok(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def write_json(data: Any, stream: TextIO | None = None) -> None:
    import json

    out = stream or sys.stdout
    out.write(redact(json.dumps(data, ensure_ascii=False, indent=2)) + "\n")


def table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], stream: TextIO | None = None
) -> None:
    out = stream or sys.stdout
    cells = [[redact("" if c is None else str(c)) for c in row] for row in rows]
    if rich_ok(out):
        from rich.console import Console

        Console(file=out).print(rich_table(columns, cells))
        return
    out.write(plain_table(columns, cells))


def rich_table(columns: Sequence[str], cells: Sequence[Sequence[str]]) -> Any:
    from rich import box
    from rich.table import Table

    shown = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in columns:
        shown.add_column(column, no_wrap=column in ("ID", "STATUS"))
    for row in cells:
        shown.add_row(*[_styled(column, cell) for column, cell in zip(columns, row, strict=False)])
    return shown


_STATUS_STYLE = {
    "completed": "green",
    "failed": "red",
    "killed": "red",
    "deleted": "yellow",
    "running": "cyan",
}


def _styled(column: str, cell: str) -> str:
    from rich.markup import escape

    style = _STATUS_STYLE.get(cell) if column == "STATUS" else None
    return f"[{style}]{escape(cell)}[/]" if style else escape(cell)


def plain_table(columns: Sequence[str], cells: Sequence[Sequence[str]]) -> str:
    widths = [len(c) for c in columns]
    for row in cells:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=False)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=False)).rstrip()]
    for row in cells:
        padded = (cell.ljust(w) for cell, w in zip(row, widths, strict=False))
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines) + "\n"


def when(epoch: Any) -> str:
    if not isinstance(epoch, (int, float)) or isinstance(epoch, bool):
        return ""
    from datetime import datetime, timezone

    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        return ""
    whole = int(round(seconds))
    if seconds < 60:  # as precise as the number: 0.55s, 12.3s; whole seconds as 3s
        if float(seconds).is_integer():
            return f"{int(seconds)}s"
        return f"{seconds:.2f}s" if round(seconds, 2) < 10 else f"{seconds:.1f}s"
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d{hours:02d}h{minutes:02d}m"
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def now() -> float:
    return time.time()
