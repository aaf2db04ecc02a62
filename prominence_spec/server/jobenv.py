"""What a running job sees: its resources, the worker's substitutions and the
environment the worker gives each task (production's worker, ``promlet.py``; docs/sandbox.md)."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from prominence_spec.server.config import DEFAULT_WALLTIME_MIN, SITE_NAME
from prominence_spec.server.factories import (
    Parameters,
    worker_command,
    worker_environment,
    worker_parameters,
)

DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


def _int(value: Any, default: int) -> int:
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default
    )


@dataclass(frozen=True)
class Resources:
    """The resources a job was given."""

    cpus: int
    memory_gb: int
    disk_gb: int
    walltime_min: int

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Resources:
        res = doc.get("resources") if isinstance(doc.get("resources"), dict) else {}
        assert isinstance(res, dict)
        ranged = res.get("cpusRange") or res.get("cpusOptions")
        top = ranged[-1] if isinstance(ranged, list) and ranged else 1
        cpus = _int(res.get("cpus"), _int(top, 1))
        per_cpu = _int(res.get("memoryPerCpu"), 0)
        memory = _int(res.get("memory"), per_cpu * cpus or 1)
        return cls(
            cpus, memory, _int(res.get("disk"), 10), _int(res.get("walltime"), DEFAULT_WALLTIME_MIN)
        )

    def provisioned(self) -> dict[str, int]:
        return {"cpus": self.cpus, "memory": self.memory_gb, "disk": self.disk_gb, "nodes": 1}


def worker_params_of(backend: Parameters | None) -> Parameters:
    """The ``--param`` pairs as the worker reads them back (split on ``=``)."""
    if not backend:
        return ()
    return worker_parameters([arg for n, v in backend for arg in ("--param", f"{n}={v}")])


def task_command(
    task: Mapping[str, Any], job_id: int, workflow_id: int | None, params: Parameters
) -> str | None:
    """The command the worker runs for a task, after its substitution passes."""
    cmd = task.get("cmd")
    if not isinstance(cmd, str):
        return None
    return worker_command(cmd, job_id=job_id, workflow_id=workflow_id, parameters=params)


@dataclass(frozen=True)
class JobIdentity:
    """Who and what a task runs as."""

    job_id: int
    workflow_id: int | None
    base_url: str
    token: str
    marker: str


def task_environment(
    task: Mapping[str, Any],
    ident: JobIdentity,
    res: Resources,
    params: Parameters,
    home: str,
) -> dict[str, str]:
    """The task's ``env`` (numbers as text) plus the worker's ``PROMINENCE_*`` variables."""
    env = {"PATH": os.environ.get("PATH", DEFAULT_PATH), "HOME": home, "TMP": "/tmp",
           "TEMP": "/tmp"}  # fmt: skip
    for key in ("LANG", "LC_ALL", "TZ"):
        if key in os.environ:
            env[key] = os.environ[key]
    user_env = task.get("env")
    if isinstance(user_env, dict):
        env.update({str(k): "" if v is None else str(v) for k, v in user_env.items()})
    env.update({
        "PROMINENCE_CPUS": str(res.cpus),
        "PROMINENCE_MEMORY": str(res.memory_gb),
        "PROMINENCE_NODES": "1",
        "PROMINENCE_NODE_NUM": "0",
        "PROMINENCE_CONTAINER_RUNTIME": str(task.get("runtime", "")),
        "PROMINENCE_JOB_ID": str(ident.job_id),
        "PROMINENCE_URL": ident.base_url,
        "PROMINENCE_TOKEN": ident.token,
        "PROMSPEC_SANDBOX_JOB": ident.marker,
    })  # fmt: skip
    if ident.workflow_id is not None:
        env["PROMINENCE_WORKFLOW_ID"] = str(ident.workflow_id)
    env.update(worker_environment(params))
    return env


@cache
def cpu_info() -> dict[str, str]:
    """``execution.cpu`` of this machine, from ``/proc/cpuinfo`` where there is one."""
    info = {"vendor": "", "model": platform.processor() or platform.machine(), "clock": ""}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    keys = {"vendor_id": "vendor", "model name": "model", "cpu MHz": "clock"}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        name = keys.get(key.strip())
        if name and not info.get(name + "_set"):
            info[name] = value.strip()
            info[name + "_set"] = "1"
    return {k: info[k] for k in ("vendor", "model", "clock")}


def base_execution(res: Resources) -> dict[str, Any]:
    """The ``execution`` object before any task ran."""
    return {
        "site": SITE_NAME,
        "cpu": cpu_info(),
        "provisionedResources": res.provisioned(),
        "runtimeVersion": {},
        "maxMemoryUsageKB": 0,
        "tasks": [],
    }


__all__ = [
    "JobIdentity",
    "Resources",
    "base_execution",
    "cpu_info",
    "task_command",
    "task_environment",
    "worker_params_of",
]
