"""How a task is started: the command line each executor runs for it.

* ``host``: ``/bin/sh -c <cmd>`` in the job's scratch folder; the image is not used.
* ``docker`` / ``podman``: ``<runtime> run`` of the task's image, the scratch folder
  mounted at ``/home/user`` as the worker mounts it.
* ``apptainer``: ``apptainer exec`` (or ``run`` without a ``cmd``) of the image.
* ``noop``: nothing runs; every task completes at once with exit code 0.

The container executors are written from the runtimes' documented command lines; the
tests check the command lines they build (tests/test_executors.py), but no container
engine runs them on the machine they were written on.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONTAINER_HOME = "/home/user"
#: Local image files apptainer runs as they are (SIF, SquashFS, ext3).
IMAGE_FILE_SUFFIXES = (".sif", ".simg", ".sqsh", ".img")


class TaskError(Exception):
    """The task cannot be started; ``reason`` becomes the job's statusReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class TaskLaunch:
    """One task, ready to start."""

    job_id: int
    index: int
    task: dict[str, Any]
    cmd: str | None
    env: dict[str, str]
    scratch: Path
    cpus: int
    memory_gb: int
    #: A file the runner may write environment variables to (container runtimes read it).
    env_file: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def container_name(self) -> str:
        return f"promspec-sandbox-{self.job_id}-{self.index}"

    def workdir_in_container(self) -> str:
        """The task's ``workdir`` inside the container: ``/home/user`` by default, a
        relative one under it (as the worker takes it), an absolute one as it is."""
        workdir = self.task.get("workdir")
        if not isinstance(workdir, str) or not workdir:
            return CONTAINER_HOME
        return workdir if workdir.startswith("/") else f"{CONTAINER_HOME}/{workdir}"

    def prepare_container_workdir(self) -> str:
        """:meth:`workdir_in_container`, after making the folder when it is in the job's
        scratch folder (mounted at ``/home/user``; never outside it)."""
        inside = self.workdir_in_container()
        if inside == CONTAINER_HOME or inside.startswith(CONTAINER_HOME + "/"):
            host_workdir(self.scratch, inside)
        return inside


def host_workdir(scratch: Path, workdir: Any) -> Path:
    """The task's working folder on the host: the scratch folder (also for the container
    home ``/home/user``), or a folder under it; never outside it."""
    if not isinstance(workdir, str) or not workdir or workdir.rstrip("/") == CONTAINER_HOME:
        return scratch
    rel = (
        workdir[len(CONTAINER_HOME) + 1 :] if workdir.startswith(CONTAINER_HOME + "/") else workdir
    )
    target = (scratch / rel.lstrip("/")).resolve()
    if not target.is_relative_to(scratch.resolve()):
        raise TaskError(f"workdir {workdir} is outside the job's scratch folder")
    target.mkdir(parents=True, exist_ok=True)
    return target


class Executor:
    """Base: how tasks start. ``runs_processes`` is False only for noop."""

    name = "base"
    runs_processes = True

    def argv(self, launch: TaskLaunch) -> list[str]:
        raise NotImplementedError

    def cwd(self, launch: TaskLaunch) -> Path:
        return launch.scratch

    def after_kill(self, launch: TaskLaunch) -> None:
        """Clean-up after the task's process group was killed (containers)."""

    def image_pull(self, launch: TaskLaunch) -> tuple[str, float]:
        """Make the image available: (imagePullStatus, seconds)."""
        return "cached", 0.0


class NoopExecutor(Executor):
    name = "noop"
    runs_processes = False

    def argv(self, launch: TaskLaunch) -> list[str]:
        return []


class HostExecutor(Executor):
    name = "host"

    def argv(self, launch: TaskLaunch) -> list[str]:
        if launch.cmd is None:
            raise TaskError(
                f"task {launch.index} has no cmd: the host executor cannot run the default "
                "command of an image (give the task a cmd, or use a container executor)"
            )
        return ["/bin/sh", "-c", launch.cmd]

    def cwd(self, launch: TaskLaunch) -> Path:
        return host_workdir(launch.scratch, launch.task.get("workdir"))


class DockerExecutor(Executor):
    """Docker, or podman (the same command line)."""

    def __init__(self, runtime: str = "docker") -> None:
        self.name = runtime

    def argv(self, launch: TaskLaunch) -> list[str]:
        argv = [
            self.name, "run", "--rm", "--init", "--name", launch.container_name,
            "--cpus", str(launch.cpus), "--memory", f"{launch.memory_gb}g",
            "-v", f"{launch.scratch}:{CONTAINER_HOME}", "-w", launch.prepare_container_workdir(),
            "--env-file", str(launch.env_file), str(launch.task["image"]),
        ]  # fmt: skip
        return argv + (["/bin/sh", "-c", launch.cmd] if launch.cmd is not None else [])

    def after_kill(self, launch: TaskLaunch) -> None:
        subprocess.run(
            [self.name, "rm", "-f", launch.container_name],
            capture_output=True, timeout=30, check=False,
        )  # fmt: skip

    def image_pull(self, launch: TaskLaunch) -> tuple[str, float]:
        image = str(launch.task["image"])
        probe = subprocess.run(
            [self.name, "image", "inspect", image], capture_output=True, check=False, timeout=60
        )
        if probe.returncode == 0:
            return "cached", 0.0
        start = time.monotonic()
        pulled = subprocess.run(
            [self.name, "pull", image], capture_output=True, check=False, timeout=3600
        )
        status = "completed" if pulled.returncode == 0 else "failed"
        return status, round(time.monotonic() - start, 3)


class ApptainerExecutor(Executor):
    name = "apptainer"

    def __init__(self, binary: str = "apptainer") -> None:
        self.binary = binary

    @staticmethod
    def image_uri(image: str) -> str:
        """A URI (``docker://``, ``oras://``, ...) or a local image file (``.sif``,
        ``.simg``, ``.sqsh``, ``.img``; a relative path is in the job's scratch folder, where
        artifacts are unpacked) as it is; any other name is a Docker Hub image."""
        if image.startswith("/") or "://" in image or image.endswith(IMAGE_FILE_SUFFIXES):
            return image
        return f"docker://{image}"

    def argv(self, launch: TaskLaunch) -> list[str]:
        verb = "exec" if launch.cmd is not None else "run"
        argv = [
            self.binary, verb, "--cleanenv", "--env-file", str(launch.env_file),
            "--home", f"{launch.scratch}:{CONTAINER_HOME}",
            "--pwd", launch.prepare_container_workdir(),
            self.image_uri(str(launch.task["image"])),
        ]  # fmt: skip
        return argv + (["/bin/sh", "-c", launch.cmd] if launch.cmd is not None else [])


def _usable(argv: list[str]) -> bool:
    if shutil.which(argv[0]) is None:
        return False
    try:
        done = subprocess.run(argv, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def runtime_usable(name: str) -> bool:
    """The runtime is installed and answers (for docker/podman: its engine runs)."""
    if name in ("docker", "podman"):
        return _usable([name, "info"])
    if name == "apptainer":
        return _usable(["apptainer", "--version"]) or _usable(["singularity", "--version"])
    return name in ("host", "noop")


def make_executor(name: str) -> Executor:
    """The executor called ``name``. ``auto`` is ``host``: the container executors have
    not yet run against a real engine here (no docker daemon, rootless podman cannot set
    its limits, no apptainer package), so they are used only when named (issue 18)."""
    if name in ("auto", "host"):
        return HostExecutor()
    if name == "noop":
        return NoopExecutor()
    if name in ("docker", "podman"):
        return DockerExecutor(name)
    if name == "apptainer":
        binary = "apptainer" if shutil.which("apptainer") else "singularity"
        return ApptainerExecutor(binary)
    raise ValueError(f"unknown executor {name!r}")


__all__ = [
    "CONTAINER_HOME",
    "ApptainerExecutor",
    "DockerExecutor",
    "Executor",
    "HostExecutor",
    "NoopExecutor",
    "TaskError",
    "TaskLaunch",
    "host_workdir",
    "make_executor",
    "runtime_usable",
]
