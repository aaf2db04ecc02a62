"""What a job's record says about how it ran (its tasks' execution), read defensively."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def task_execution(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    execution = record.get("execution")
    tasks = execution.get("tasks") if isinstance(execution, dict) else None
    return [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []


def exit_code(tasks: list[dict[str, Any]]) -> int | None:
    """The first non-zero exit code of the tasks, else the last one."""
    codes = [t.get("exitCode") for t in tasks if isinstance(t.get("exitCode"), int)]
    nonzero = [c for c in codes if c != 0]
    if nonzero:
        return nonzero[0]
    return codes[-1] if codes else None


def record_exit_code(record: Mapping[str, Any]) -> int | None:
    return exit_code(task_execution(record))
