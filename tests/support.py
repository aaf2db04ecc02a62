"""Helpers every kind of test uses: writing files, walking JSON-like trees, sizing
property tests (:func:`examples`), and a small HTTP server on loopback (:func:`serving`)."""

from __future__ import annotations

import http.server
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import settings


def write(folder: Path, text: str | bytes, name: str = "spec.yaml") -> Path:
    """Write ``folder/name`` (folders made as needed) and return its path.

    Text is dedented (so specs can be written indented in triple quotes) and UTF-8 encoded;
    bytes are written exactly as given.
    """
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@contextmanager
def serving(
    handler: type[http.server.BaseHTTPRequestHandler], host: str = "127.0.0.1"
) -> Iterator[str]:
    """``handler`` served by a threading HTTP server on a free port of ``host``, in a
    thread of its own: its base URL (``http://127.0.0.1:PORT``) while the block runs, the
    server shut down and closed after it."""
    server = http.server.ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every node of a tree with its JSON pointer (``path`` prefixed), parents first."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}/{index}")


def key_paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path and list position of a tree (its structure, without values), as
    tuples of keys and indices, the root's ``()`` first, in document order."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from key_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from key_paths(value, (*prefix, index))


def examples(thorough: int) -> int:
    """``max_examples`` for a property test that needs ``thorough`` examples for a deep
    search: that many under the ``thorough`` Hypothesis profile, a quarter of them (never
    fewer than 10, or than ``thorough`` if that is less) under ``default`` and ``ci`` (see
    ``conftest.py``). The scale is the active profile's ``max_examples`` over Hypothesis's
    own default of 100, so a profile of ``max_examples=1000`` runs ten times the count."""
    scaled = thorough * settings().max_examples // 100
    return max(scaled, min(thorough, 10))
