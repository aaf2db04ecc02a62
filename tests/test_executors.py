"""The command lines the container executors build (docker, podman, apptainer): the image,
the job folder mounted at /home/user, the working folder, the environment file and the
command, as docs/sandbox.md describes them. No container engine runs here, so these call
the functions that build the argv; `shutil.which` is replaced where the choice of binary
depends on it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from prominence_spec.server import executors
from prominence_spec.server.executors import (
    ApptainerExecutor,
    DockerExecutor,
    HostExecutor,
    TaskError,
    TaskLaunch,
    make_executor,
)


def _launch(tmp_path: Path, cmd: str | None = "echo hi", **task: Any) -> TaskLaunch:
    scratch = tmp_path / "jobs" / "7" / "scratch"
    scratch.mkdir(parents=True)
    return TaskLaunch(
        job_id=7,
        index=1,
        task={"image": "eoscprominence/testpi", "runtime": "singularity", **task},
        cmd=cmd,
        env={"HOME": "/home/user", "PROMINENCE_JOB_ID": "7"},
        scratch=scratch,
        cpus=2,
        memory_gb=3,
        env_file=scratch.parent / "task1.env",
    )


@pytest.mark.parametrize("runtime", ["docker", "podman"])
def test_docker_and_podman_run_the_image_with_the_job_folder_as_home(
    tmp_path: Path, runtime: str
) -> None:
    launch = _launch(tmp_path)
    argv = DockerExecutor(runtime).argv(launch)
    assert argv == [
        runtime, "run", "--rm", "--init", "--name", "promspec-sandbox-7-1",
        "--cpus", "2", "--memory", "3g",
        "-v", f"{launch.scratch}:/home/user", "-w", "/home/user",
        "--env-file", str(launch.env_file),
        "eoscprominence/testpi", "/bin/sh", "-c", "echo hi",
    ]  # fmt: skip


def test_docker_without_a_cmd_runs_the_images_default_command(tmp_path: Path) -> None:
    argv = DockerExecutor().argv(_launch(tmp_path, cmd=None))
    assert argv[-1] == "eoscprominence/testpi"


def test_a_relative_workdir_is_under_home_and_made_in_the_job_folder(tmp_path: Path) -> None:
    launch = _launch(tmp_path, workdir="run/a")
    docker = DockerExecutor().argv(launch)
    assert docker[docker.index("-w") + 1] == "/home/user/run/a"  # docker wants an absolute -w
    apptainer = ApptainerExecutor().argv(launch)
    assert apptainer[apptainer.index("--pwd") + 1] == "/home/user/run/a"
    assert (launch.scratch / "run" / "a").is_dir()  # apptainer cannot --pwd a missing folder


def test_an_absolute_workdir_is_kept_and_one_under_home_is_made(tmp_path: Path) -> None:
    elsewhere = DockerExecutor().argv(_launch(tmp_path / "a", workdir="/opt/app"))
    assert elsewhere[elsewhere.index("-w") + 1] == "/opt/app"
    launch = _launch(tmp_path / "b", workdir="/home/user/out")
    argv = ApptainerExecutor().argv(launch)
    assert argv[argv.index("--pwd") + 1] == "/home/user/out"
    assert (launch.scratch / "out").is_dir()


def test_a_workdir_leaving_the_job_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="outside the job's scratch folder"):
        DockerExecutor().argv(_launch(tmp_path, workdir="../../escape"))


def test_apptainer_execs_the_docker_image_with_the_job_folder_as_home(tmp_path: Path) -> None:
    launch = _launch(tmp_path)
    argv = ApptainerExecutor().argv(launch)
    assert argv == [
        "apptainer", "exec", "--cleanenv", "--env-file", str(launch.env_file),
        "--home", f"{launch.scratch}:/home/user", "--pwd", "/home/user",
        "docker://eoscprominence/testpi", "/bin/sh", "-c", "echo hi",
    ]  # fmt: skip


def test_apptainer_without_a_cmd_runs_the_image(tmp_path: Path) -> None:
    argv = ApptainerExecutor().argv(_launch(tmp_path, cmd=None))
    assert argv[1] == "run" and argv[-1] == "docker://eoscprominence/testpi"


@pytest.mark.parametrize(
    ("image", "uri"),
    [
        ("centos:7", "docker://centos:7"),
        ("ghcr.io/org/img:1", "docker://ghcr.io/org/img:1"),
        ("docker://busybox", "docker://busybox"),
        ("oras://ghcr.io/org/img:1", "oras://ghcr.io/org/img:1"),
        ("/images/pi.sif", "/images/pi.sif"),
        ("pi.sif", "pi.sif"),  # an artifact in the job folder (the task's cwd)
        ("old/pi.simg", "old/pi.simg"),
    ],
)
def test_apptainer_image_names(image: str, uri: str) -> None:
    assert ApptainerExecutor.image_uri(image) == uri


def test_apptainer_falls_back_to_singularity_when_apptainer_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installed = {"singularity": "/usr/bin/singularity"}
    monkeypatch.setattr(shutil, "which", installed.get)  # the module executors looks it up in
    executor = make_executor("apptainer")
    assert isinstance(executor, ApptainerExecutor) and executor.binary == "singularity"
    installed["apptainer"] = "/usr/bin/apptainer"
    assert make_executor("apptainer").binary == "apptainer"  # type: ignore[attr-defined]


def test_auto_is_host_even_when_every_runtime_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executors, "runtime_usable", lambda name: True)
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    assert isinstance(make_executor("auto"), HostExecutor)


def test_the_container_executors_are_found_by_name() -> None:
    assert [make_executor(n).name for n in ("docker", "podman")] == ["docker", "podman"]
