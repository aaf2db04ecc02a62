"""`promspec sandbox`: a PROMINENCE-compatible API server on this machine;
`promspec sandbox token --user NAME` prints a token for another user."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from prominence_spec.executor_names import Executor as Executor  # one definition (test_startup)

app = typer.Typer(
    name="sandbox",
    help="Run a PROMINENCE-compatible API server on this machine (jobs kept in SQLite).",
    invoke_without_command=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _data(data: Path | None) -> Path:
    from prominence_spec.server.config import default_data_dir

    return (data or default_data_dir()).expanduser().resolve()


@app.callback(invoke_without_command=True)
def sandbox(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback only by default)."),
    port: int = typer.Option(8765, help="Port to listen on (0: any free port)."),
    data: Path | None = typer.Option(None, help="Data folder [default: per-user state folder]."),
    token_file: Path | None = typer.Option(
        None, help="Where to write the access token [default: DATA/token]."
    ),
    executor: Executor = typer.Option(
        "auto", help="How tasks run (auto: host; see docs/sandbox.md)."
    ),
    max_jobs: int = typer.Option(os.cpu_count() or 1, help="Jobs running at once."),
    latency: int = typer.Option(0, metavar="MS", help="Delay every POST by MS milliseconds."),
    storage_latency: int = typer.Option(
        0, metavar="MS", help="Delay every output download by MS milliseconds."
    ),
    storage_rate: float = typer.Option(
        0.0,
        metavar="MB",
        help="Send each output download at MB megabytes a second at most (0: no limit).",
    ),
    allow_remote: bool = typer.Option(False, help="Allow a non-loopback --host (exposes it)."),
    allow_remote_host_executor: bool = typer.Option(
        False, help="Accept --allow-remote with the host executor (no isolation between users)."
    ),
    artifacts_dir: list[Path] = typer.Option(
        [],
        "--artifacts-dir",
        metavar="DIR",
        help="A folder whose files jobs may name as local artifacts (repeatable; none by default).",
    ),  # fmt: skip
    walltime_minute: float = typer.Option(
        60.0, hidden=True, help="Seconds in a walltime minute (for tests)."
    ),
    kill_grace: float = typer.Option(2.0, hidden=True, help="Seconds from SIGTERM to SIGKILL."),
    output_url_lifetime: int = typer.Option(
        7 * 24 * 3600, metavar="SECONDS", help="How long output URLs stay valid [7 days]."
    ),
    id_floor: bool = typer.Option(
        True, hidden=True, help="Raise the id sequence to the time in ms at start (for tests)."
    ),
    ready_fd: int | None = typer.Option(
        None, metavar="FD", help='Once serving, write {"url", "token_file", "pid"} to FD.'
    ),
    parent_fd: int | None = typer.Option(
        None, metavar="FD", help="Stop when FD reaches end of file (a pipe's read end)."
    ),
    remove_on_exit: Path | None = typer.Option(
        None, hidden=True, help="The promspec-local-* folder to remove on stop (run --local)."
    ),
) -> None:
    """Serve the PROMINENCE REST API at http://HOST:PORT/api/v1 until Ctrl-C or SIGTERM."""
    if ctx.invoked_subcommand is not None:
        return
    import logging

    from prominence_spec.server.config import SandboxConfig, SandboxConfigError
    from prominence_spec.server.handover import Handover
    from prominence_spec.server.serve import serve

    config = SandboxConfig(
        data_dir=_data(data), host=host, port=port,
        token_file=token_file.expanduser().resolve() if token_file else None,
        executor=executor, max_jobs=max_jobs, latency_ms=latency, allow_remote=allow_remote,
        walltime_minute=walltime_minute, kill_grace=kill_grace,
        output_url_lifetime=output_url_lifetime, storage_latency_ms=storage_latency,
        storage_rate_mb=storage_rate,
        allow_remote_host_executor=allow_remote_host_executor, id_floor=id_floor,
        artifacts_dirs=tuple(d.expanduser().resolve() for d in artifacts_dir),
    )  # fmt: skip
    logging.basicConfig(level=logging.WARNING, format="promspec sandbox: %(message)s")
    try:
        handover = Handover(
            ready_fd=ready_fd, parent_fd=parent_fd,
            remove_on_exit=remove_on_exit.resolve() if remove_on_exit else None,
        )  # fmt: skip
        serve(config, lambda line: typer.echo(line, err=False), handover)
    except SandboxConfigError as exc:
        typer.echo(f"promspec sandbox: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        pass
    typer.echo("promspec sandbox: stopped")


@app.command("token")
def token(
    user: str = typer.Option(..., "--user", help="The user the token is for."),
    data: Path | None = typer.Option(None, help="Data folder [default: per-user state folder]."),
) -> None:
    """Print an access token (the JWT alone) for USER of the sandbox at DATA."""
    from prominence_spec.server.auth import load_or_create_secret, mint_user_token
    from prominence_spec.server.config import ensure_private_dir, secret_path

    if not user.strip():
        raise typer.BadParameter("the user name must not be empty", param_hint="--user")
    folder = _data(data)
    ensure_private_dir(folder)
    typer.echo(mint_user_token(load_or_create_secret(secret_path(folder), folder), user))
