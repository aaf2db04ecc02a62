"""``GET /jobs`` and ``GET /workflows`` query parameters, read as the server reads them
(production's ``prominence/backend/list_jobs.py``; docs/sandbox.md), and the database
query they make."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from prominence_spec.server.errors import ApiError, ProductionError, bounded, error
from prominence_spec.server.store import Store, dumps

#: The HTCondor states ``status=`` may name, and the sandbox status each one is.
STATES = {"idle": "pending", "running": "running"}


@dataclass(frozen=True)
class ListQuery:
    """What a list request asks for."""

    active: bool = True
    completed: bool = False
    num: int = 1
    state: str | None = None
    constraint: tuple[str, str] | None = None
    name: str | None = None
    ids: tuple[int, ...] | None = None
    workflow_id: int | None = None
    detail: bool = False


def _int(text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ProductionError(f"{what} {text!r} is not an integer: int() raises") from None
    return bounded(value, what)


def _ids(text: str) -> tuple[int, ...]:
    return tuple(_int(part, "id") for part in text.split(","))


def _constraint(args: Mapping[str, str]) -> tuple[str, str] | None:
    text = args.get("constraint")
    if text is None:
        return None
    if text.count("=") != 1:
        raise error(400, "Invalid constraint")
    key, value = text.split("=")
    return key, value


def parse_list_args(args: Mapping[str, str], *, jobs: bool) -> ListQuery:
    """The server's reading of the query string; ``args.get`` takes the first of a
    repeated parameter. Raises :class:`ApiError` or :class:`ProductionError`."""
    status = args.get("status")
    if status is not None and status not in STATES:
        raise ApiError(200, {"error": "invalid status specified"})
    constraint = _constraint(args)
    active, completed, num = True, False, 1
    if "completed" in args:
        if args["completed"] == "true":
            active, completed = False, True
        num = _int(args.get("num", "1"), "num")
    if "all" in args:
        active, completed, num = True, True, -1
    ids: tuple[int, ...] | None = None
    workflow_id = None
    if jobs and args.get("workflow") == "true" and "id" in args:
        workflow_id, num = _ids(args["id"])[0], -1
    elif "id" in args:
        ids = _ids(args["id"])
        active, completed, num = True, True, len(ids)
    if status is not None:
        active, completed = True, False
    return ListQuery(
        active=active,
        completed=completed,
        num=num,
        state=STATES[status] if status is not None else None,
        constraint=constraint,
        name=args.get("name"),
        ids=ids,
        workflow_id=workflow_id,
        detail="detail" in args,
    )


def _filters(table: str, query: ListQuery) -> tuple[str, list[object]]:
    sql, args = "", list[object]()
    if query.name is not None:
        sql += " AND name = ?"
        args.append(query.name)
    if query.ids is not None:
        sql += " AND id IN (SELECT value FROM json_each(?))"
        args.append(dumps(list(query.ids)))
    if query.workflow_id is not None:
        sql += " AND workflow_id = ?"
        args.append(query.workflow_id)
    if query.constraint is not None:
        kind = "job" if table == "jobs" else "workflow"
        sql += " AND id IN (SELECT obj FROM labels WHERE kind = ? AND key = ? AND value = ?)"
        args += [kind, *query.constraint]
    return sql, args


def fetch(store: Store, table: str, owner: str, query: ListQuery) -> list[sqlite3.Row]:
    """The owner's rows the query selects, in id order."""
    where, args = _filters(table, query)
    rows: list[sqlite3.Row] = []
    if query.active:
        state_sql = " AND status = ?" if query.state else ""
        state_args = [query.state] if query.state else []
        rows += store.rows(
            f"SELECT * FROM {table} WHERE owner = ? AND in_queue = 1{state_sql}{where}",
            [owner, *state_args, *args],
        )
    if query.completed and query.num != 0:
        limit = query.num if query.num > 0 else -1
        rows += store.rows(
            f"SELECT * FROM {table} WHERE owner = ? AND in_queue = 0{where} "
            "ORDER BY end_time DESC, id DESC LIMIT ?",
            [owner, *args, limit],
        )
    rows.sort(key=lambda r: int(r["id"]))
    return rows


__all__ = ["STATES", "ListQuery", "fetch", "parse_list_args"]
