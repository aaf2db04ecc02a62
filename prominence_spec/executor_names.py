"""The sandbox's executor names, in one place: the server's settings, ``promspec sandbox
--help`` and ``promspec run --local`` all read them from here (a module that imports
nothing, so that help stays free of the server)."""

from __future__ import annotations

from typing import Literal, get_args

#: An executor's name; the CLI's ``--executor`` shows, checks and completes these.
Executor = Literal["auto", "host", "docker", "podman", "apptainer", "noop"]
EXECUTORS: tuple[str, ...] = get_args(Executor)

__all__ = ["EXECUTORS", "Executor"]
