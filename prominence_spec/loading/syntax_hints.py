"""Hints for YAML syntax errors: what usually causes the parser's message, said about the
lines it points at (a tab, a missing space after a colon, an indentation that does not line
up, an unquoted ``: `` inside a value)."""

from __future__ import annotations

import re
from typing import Any

#: ``key:value`` with no space after the colon (not a URL's ``://``, not a time ``10:30``)
_GLUED = re.compile(r"^(\s*(?:-\s+)?)([A-Za-z_][\w.-]*):(?![\s/:])(\S.*)$")
_KEY = re.compile(r"^(\s*(?:-\s+)?)[^\s#:][^:#]*:(\s|$)")


def syntax_hint(problem: str, mark: Any, text: str) -> str | None:
    """The hint for a YAML syntax error at ``mark`` (0-based line and column), if one of
    the usual causes is visible in ``text``."""
    if mark is None:
        return None
    lines = text.splitlines()
    if _tab_at(mark, lines):
        return "indent with spaces: YAML does not allow tabs there"
    if "mapping values are not allowed" in problem:
        return _mapping_values_hint(mark.line, lines)
    if "could not find expected ':'" in problem:
        return _missing_colon_hint(mark.line, lines)
    return None


def _mapping_values_hint(index: int, lines: list[str]) -> str:
    line = _line(lines, index)
    previous = _previous_content(lines, index)
    glued = _glued_hint(previous, lines)
    if glued:
        return glued
    if (
        previous is not None
        and _indent(line) > _indent(lines[previous])
        and _KEY.match(lines[previous].rstrip() + " ")
    ):
        above = lines[previous]
        if not above.rstrip().endswith(":"):
            return (
                f"line {index + 1} is indented more than line {previous + 1}; keys of one "
                "mapping must line up (or the line above is missing a space after ':')"
            )
    if line.count(": ") + line.rstrip().endswith(":") > 1:
        key, _, value = line.strip().partition(": ")
        return f"quote a value that holds ': ', e.g. {key}: '{value}'"
    return (
        "usually a missing space after ':' on this line or the one above, or an "
        "indentation that does not line up with the line above"
    )


def _missing_colon_hint(index: int, lines: list[str]) -> str:
    for number in (index, _previous_content(lines, index)):
        glued = _glued_hint(number, lines)
        if glued:
            return glued
    return (
        "a key on this line or the one above lacks its ': ' (a space after the colon), or "
        "a line is indented differently from its neighbours"
    )


def _glued_hint(number: int | None, lines: list[str]) -> str | None:
    """The hint for ``key:value`` written without a space on line ``number``, if it is."""
    if number is None:
        return None
    glued = _GLUED.match(_line(lines, number))
    if glued is None:
        return None
    _, key, value = glued.groups()
    return f"line {number + 1} needs a space after the colon: write '{key}: {value}'"


def _tab_at(mark: Any, lines: list[str]) -> bool:
    """Whether the line of the error indents with a tab: in its leading white space and
    sequence dashes (``\\tcpus: 1``, ``-\\timage: x``), or at the error itself."""
    line = _line(lines, mark.line)
    indent = len(line) - len(line.lstrip(" \t-"))
    return "\t" in line[:indent] or line[mark.column : mark.column + 1] == "\t"


def _line(lines: list[str], index: int) -> str:
    return lines[index] if 0 <= index < len(lines) else ""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _previous_content(lines: list[str], index: int) -> int | None:
    """The nearest line before ``index`` that is neither blank nor a comment."""
    for number in range(min(index, len(lines)) - 1, -1, -1):
        stripped = lines[number].strip()
        if stripped and not stripped.startswith("#"):
            return number
    return None
