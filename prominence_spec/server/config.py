"""The sandbox's settings: where it listens, where its data lives, how it runs jobs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from prominence_spec.executor_names import EXECUTORS

API_PREFIX = "/api/v1"
SITE_NAME = "promspec-sandbox"
#: A job's walltime when it gives none, in minutes (the worker's limit).
DEFAULT_WALLTIME_MIN = 720
#: ``MAX_CONTENT_LENGTH`` of the production server.
MAX_BODY_BYTES = 1024 * 1024
#: Factory jobs a workflow keeps idle at once (the server's ``WORKFLOW_MAX_IDLE``).
WORKFLOW_MAX_IDLE = 20
#: How long presigned output URLs stay valid, in seconds: 7 days, as production's
#: ``backend/list_jobs.py`` presigns them (its docs say 10 days).
OUTPUT_URL_LIFETIME = 7 * 24 * 3600


class SandboxConfigError(ValueError):
    """The sandbox cannot start with these settings."""


@dataclass(frozen=True)
class SandboxConfig:
    """Everything the sandbox needs to start; built by the CLI, used by the app."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8765
    token_file: Path | None = None
    executor: str = "auto"
    max_jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    latency_ms: int = 0
    allow_remote: bool = False
    #: Seconds in a walltime "minute" (60; tests shrink it to see a walltime kill quickly).
    walltime_minute: float = 60.0
    #: Seconds between SIGTERM and SIGKILL when a job's processes are stopped.
    kill_grace: float = 2.0
    #: Seconds a presigned output URL stays valid (``--output-url-lifetime``).
    output_url_lifetime: int = OUTPUT_URL_LIFETIME
    #: Milliseconds before each output download is answered (an object store's latency).
    storage_latency_ms: int = 0
    #: Megabytes a second each output download is sent at, at most (0: no limit): a slow
    #: object store or link, to watch or interrupt a download midway.
    storage_rate_mb: float = 0.0
    #: Where the signing secret is kept (outside the data folder the jobs live in).
    secret_file: Path | None = None
    #: Folders whose files jobs may name as local artifacts (none by default).
    artifacts_dirs: tuple[Path, ...] = ()
    #: ``--allow-remote`` with the host executor (every user's commands run as you).
    allow_remote_host_executor: bool = False
    #: Raise the id sequence to the time in ms at each start (off only in tests that need a
    #: server which hands out ids again, as one that lost its data may).
    id_floor: bool = True

    @property
    def resolved_token_file(self) -> Path:
        return self.token_file if self.token_file is not None else self.data_dir / "token"

    @property
    def resolved_secret_file(self) -> Path:
        return self.secret_file if self.secret_file is not None else secret_path(self.data_dir)

    def check(self) -> None:
        """Refuse settings the sandbox must not start with."""
        if self.executor not in EXECUTORS:
            raise SandboxConfigError(
                f"unknown executor {self.executor!r}: choose {', '.join(EXECUTORS)}"
            )
        if self.max_jobs < 1:
            raise SandboxConfigError("--max-jobs must be at least 1")
        if self.latency_ms < 0 or self.storage_latency_ms < 0:
            raise SandboxConfigError("--latency and --storage-latency must not be negative")
        if not self.storage_rate_mb >= 0:  # NaN too
            raise SandboxConfigError("--storage-rate must not be negative (0: no limit)")
        if self.output_url_lifetime < 1:
            raise SandboxConfigError("--output-url-lifetime must be at least 1 second")
        if not 0 <= self.port <= 65535:
            raise SandboxConfigError("--port must be between 0 and 65535")
        if not self.allow_remote and not is_loopback(self.host):
            raise SandboxConfigError(
                f"{self.host} is not a loopback address: the sandbox binds loopback only "
                "unless --allow-remote is given"
            )
        self.check_executor(self.executor)
        self.check_artifacts_dirs()

    def check_artifacts_dirs(self) -> None:
        """Each ``--artifacts-dir`` is an existing folder, not the data folder nor inside
        it, and does not hold it (jobs must never copy the sandbox's own files)."""
        data = self.data_dir.resolve()
        for folder in self.artifacts_dirs:
            real = folder.resolve()
            if not real.is_dir():
                raise SandboxConfigError(f"--artifacts-dir {folder}: not an existing folder")
            if real == data or real.is_relative_to(data) or data.is_relative_to(real):
                raise SandboxConfigError(
                    f"--artifacts-dir {folder}: overlaps the data folder {data}; name a "
                    "folder that holds only what jobs may read"
                )

    def check_executor(self, name: str) -> None:
        """Refuse the host executor on a non-loopback address unless it is accepted
        explicitly (``name`` is the executor chosen, after ``auto``)."""
        if name == "host" and not is_loopback(self.host) and not self.allow_remote_host_executor:
            raise SandboxConfigError(
                f"--allow-remote with the host executor: anyone who reaches {self.host} and "
                "holds a token would run commands on this machine as you, with no isolation "
                "between users; use --executor docker, podman or apptainer, or add "
                "--allow-remote-host-executor to accept that"
            )


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses."""
    if host == "localhost":
        return True
    import ipaddress  # here, not above: only a non-default host needs it

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def reachable_host(host: str) -> str:
    """The address clients reach a sandbox bound to ``host`` at: the host itself, or for
    a wildcard (``0.0.0.0``, ``::``) this machine's outward address (or its name)."""
    if host not in ("0.0.0.0", "::", ""):
        return host
    import socket

    family = socket.AF_INET6 if host == "::" else socket.AF_INET
    probe_to = "2001:db8::1" if host == "::" else "192.0.2.1"  # documentation addresses
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((probe_to, 9))  # UDP: sends nothing, picks the outward route
            return str(probe.getsockname()[0])
    except OSError:
        return socket.gethostname()


def default_data_dir() -> Path:
    """The per-user state folder: ``$XDG_STATE_HOME/promspec/sandbox`` or
    ``~/.local/state/promspec/sandbox``."""
    state = os.environ.get("XDG_STATE_HOME")
    base = Path(state) if state else Path.home() / ".local" / "state"
    return base / "promspec" / "sandbox"


def secret_path(data_dir: Path) -> Path:
    """Where the signing secret of ``data_dir`` is kept by default: beside the folder,
    never inside it (``DIR.secret`` for ``DIR``), so that nothing under the data folder
    (the jobs' own folders, a job's ``../..`` walk, a copy of the folder) holds it."""
    return data_dir.parent / f"{data_dir.name}.secret"


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) with mode 0700 if it does not exist."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


__all__ = [
    "API_PREFIX",
    "DEFAULT_WALLTIME_MIN",
    "EXECUTORS",
    "MAX_BODY_BYTES",
    "OUTPUT_URL_LIFETIME",
    "SITE_NAME",
    "WORKFLOW_MAX_IDLE",
    "SandboxConfigError",
    "SandboxConfig",
    "default_data_dir",
    "ensure_private_dir",
    "is_loopback",
    "reachable_host",
    "secret_path",
]
