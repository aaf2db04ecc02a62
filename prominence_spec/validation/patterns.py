"""Path patterns as in ``.gitignore`` (without ``!`` negation), relative to the repository root.

- ``*`` matches within one path segment, ``?`` one character, ``[abc]`` one of a set,
  ``**`` any number of segments (``specs/**``, ``**/values/*.yaml``).
- A pattern with a ``/`` before its end is anchored at the root (``specs/old``, ``/x.yaml``);
  one without matches at any depth (``*.values.yaml``, ``node_modules``).
- A trailing ``/`` matches folders only (``values/``).
- A pattern that matches a folder matches everything inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Pattern:
    text: str
    regex: re.Pattern[str]
    folders_only: bool

    def matches(self, relative: str, *, is_dir: bool = False) -> bool:
        """Whether the pattern matches ``relative`` (POSIX, no leading ``./``) or a folder
        that holds it."""
        parts = relative.split("/")
        for end in range(1, len(parts) + 1):
            folder = end < len(parts) or is_dir
            if self.folders_only and not folder:
                continue
            if self.regex.fullmatch("/".join(parts[:end])):
                return True
        return False


def pattern_problem(text: str) -> str | None:
    """Why ``text`` is not a usable pattern, or None."""
    if not text.strip("/").strip():
        return "a pattern must not be empty"
    if text.startswith("!"):
        return "negated patterns (!) are not supported: list what to include under include"
    if "\\" in text:
        return "write paths with / (patterns are POSIX paths relative to the root)"
    return None


@lru_cache(maxsize=512)
def compile_pattern(text: str) -> Pattern:
    """The compiled pattern; call :func:`pattern_problem` first for user input."""
    folders_only = text.endswith("/")
    body = text.rstrip("/")
    anchored = "/" in body
    body = body.lstrip("/")
    regex = _translate(body)
    if not anchored:
        regex = "(?:.*/)?" + regex
    return Pattern(text, re.compile(regex, re.DOTALL), folders_only)


def _translate(glob: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            klass, i = _char_class(glob, i)
            out.append(klass)
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


def _char_class(glob: str, start: int) -> tuple[str, int]:
    """``[...]`` as a regex class, or a literal ``[`` when it is never closed."""
    end = glob.find("]", start + 2 if glob[start + 1 : start + 2] in ("!", "]") else start + 1)
    if end < 0:
        return re.escape("["), start + 1
    inner = glob[start + 1 : end]
    negate = inner.startswith("!")
    inner = inner[1:] if negate else inner
    escaped = inner.replace("\\", "\\\\").replace("^", "\\^").replace("[", "\\[")
    return ("[^/" if negate else "[") + escaped + "]", end + 1
