"""The sandbox's executor names, in one place: the server's settings, ``promspec sandbox
--help`` and ``promspec run --local`` all read them from here (a module that imports
nothing, so that help stays free of the server)."""

from __future__ import annotations

EXECUTORS = ("auto", "host", "docker", "podman", "apptainer", "noop")

__all__ = ["EXECUTORS"]
