"""Which field of a body a server message is about, so it can be shown at ``file:line:col``.

The production validator stops at its first problem and names the field in words
(``invalid item "cpu" in resources``, ``memory must be an integer``); these patterns turn
the common ones into a JSON pointer into the body that was sent. Unknown messages give
``None`` and are shown without a position.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from prominence_spec.diagnostics import pointer_of

Finder = Callable[[re.Match[str], Any], "str | None"]

_RESOURCE_WORDS = (
    ("number of nodes", "nodes"),
    ("totalCpusRange", "totalCpusRange"),
    ("cpusRange", "cpusRange"),
    ("cpusOptions", "cpusOptions"),
    ("number of cpus", "cpus"),
    ("memoryPerCpu", "memoryPerCpu"),
    ("memory", "memory"),
    ("disk", "disk"),
    ("walltime", "walltime"),
)


def pointer_for(message: str, body: Any) -> str | None:
    """The JSON pointer of the field ``message`` is about, if it can be told."""
    for pattern, finder in _PATTERNS:
        found = pattern.search(message)
        if found:
            pointer = finder(found, body)
            if pointer is not None:
                return pointer
    return _resource_word(message, body)


def _top(found: re.Match[str], body: Any) -> str | None:
    return pointer_of([found.group(1)]) if isinstance(body, dict) else None


def _under(section: str) -> Finder:
    def find(found: re.Match[str], body: Any) -> str | None:
        return _first_key(body, section, found.group(1))

    return find


def _label_key(found: re.Match[str], body: Any) -> str | None:
    return _first_key(body, "labels", found.group(1))


def _label_value(found: re.Match[str], body: Any) -> str | None:
    value = found.group(1)
    for path, node in _walk(body):
        if path and path[-1] == "labels" and isinstance(node, dict):
            for key, item in node.items():
                if item == value:
                    return pointer_of([*path, key])
    return None


def _value_of(key: str) -> Finder:
    def find(found: re.Match[str], body: Any) -> str | None:
        wanted = found.group(1)
        for path, node in _walk(body):
            if isinstance(node, dict) and node.get(key) == wanted:
                return pointer_of([*path, key])
        return None

    return find


def _name(found: re.Match[str], body: Any) -> str | None:
    return "/name" if isinstance(body, dict) and "name" in body else None


def _task_key(found: re.Match[str], body: Any) -> str | None:
    return _first_key(body, "tasks", found.group(1))


def _first_key(body: Any, section: str, key: str) -> str | None:
    """The first ``.../<section>/.../<key>`` in the body (lists of tasks searched in order)."""
    for path, node in _walk(body):
        if not path or section not in path or not isinstance(node, dict):
            continue
        if key in node:
            return pointer_of([*path, key])
    return None


def _resource_word(message: str, body: Any) -> str | None:
    for words, key in _RESOURCE_WORDS:
        if message.startswith(words) or f"required {words}" in message:
            return _first_key(body, "resources", key)
    return None


def _walk(
    node: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))


_PATTERNS: tuple[tuple[re.Pattern[str], Finder], ...] = (
    (re.compile(r'invalid item "([^"]+)" in (?:job|workflow) description'), _top),
    (re.compile(r'invalid item "([^"]+)" in resources'), _under("resources")),
    (re.compile(r'invalid item "([^"]+)" in task'), _task_key),
    (re.compile(r'invalid item "([^"]+)" in policies'), _under("policies")),
    (re.compile(r'label name "([^"]+)" is invalid'), _label_key),
    (re.compile(r'label value "([^"]*)" is invalid'), _label_value),
    (re.compile(r"^Image (\S+) does not exist"), _value_of("image")),
    (re.compile(r"^Artifact (\S+) does not exist"), _value_of("url")),
    (re.compile(r"^(?:job|workflow) name must be|^invalid (?:job|workflow) name"), _name),
)
