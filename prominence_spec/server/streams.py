"""``stdout`` and ``stderr`` of a job: raw bytes from a byte ``offset``, readable while the
job runs, with the server's answers for a job that has not written one."""

from __future__ import annotations

import sqlite3

from flask import Response

from prominence_spec.server.errors import ProductionError, error
from prominence_spec.server.runner import job_dir, stream_file
from prominence_spec.server.web import int_arg, sandbox


def std_stream(row: sqlite3.Row | None, which: str, *, use_node: bool = True) -> Response:
    """The stream of a job (``node`` and ``offset`` from the query string; the workflow
    routes ignore ``node``)."""
    node = int_arg("node", 0) if use_node else 0
    offset = int_arg("offset", 0)
    if row is None:
        raise error(400, f"{which} does not exist")
    path = stream_file(job_dir(sandbox().config, int(row["id"])), which, node)
    try:
        with open(path, "rb") as stream:
            if offset < 0:
                raise ProductionError(f"offset={offset}: seek to a negative position raises")
            stream.seek(offset)
            data = stream.read()
    except FileNotFoundError:
        if node == 0 and row["start_time"] is not None:
            return Response(b"", mimetype="text/html")  # ran without writing (noop)
        raise error(400, f"{which} does not exist") from None
    except (OSError, OverflowError) as exc:
        raise ProductionError(f"reading {which} failed: {type(exc).__name__}") from None
    return Response(data, mimetype="text/html")


__all__ = ["std_stream"]
