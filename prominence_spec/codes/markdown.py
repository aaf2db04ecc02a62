"""``docs/diagnostics.md``, generated from the code catalogue:

    python -m prominence_spec.codes.markdown > docs/diagnostics.md

A test fails when the file and the catalogue disagree.
"""

from __future__ import annotations

import re
import sys
import textwrap
from itertools import groupby

from prominence_spec.codes import Entry, entries

_INTRO = """\
# Diagnostic codes

<!-- Generated from prominence_spec/codes/ by
     `python -m prominence_spec.codes.markdown > docs/diagnostics.md`:
     edit the catalogue there, not this file. -->

Every problem promspec reports has a stable code. Codes are never renumbered; new ones
are only added. `error` diagnostics make `promspec validate` exit with 1; `warning`s
do not. The JSON report carries the code in `diagnostics[].code`, SARIF in `ruleId`.

`promspec explain CODE` prints a code's entry below in the terminal (`promspec explain
PS204`, case does not matter); `promspec explain` lists every code with its meaning.
"""


_YAML_TRAPS_INTRO = """\
## YAML traps

promspec reads YAML 1.2, as the server's JSON would have it; a few things that other
YAML tools read differently get a hint that says what to write:

| You wrote | What is reported |
| --- | --- |
"""
_YAML_TRAPS = (
    (
        "`leaveInQueue: yes` (or `no`, `on`, `off`, `y`, `n`) where a boolean is expected, "
        "in the spec or from `--set`/`--values`",
        "`PS203` with `hint: YAML 1.2 reads yes as a string: write true`",
    ),
    (
        "a tab in indentation (`\\tcpus: 1`, or after a sequence dash: `-\\timage: x`)",
        "`PS101` at the tab's line, with `hint: indent with spaces: YAML does not allow tabs "
        "there`",
    ),
    (
        "an unquoted template as a value (`cpus: {{ cpus }}`, which YAML reads as a mapping "
        "in a mapping)",
        "`PS111` at the template's own line and column, with `hint: quote the template: "
        '"{{ cpus }}"`',
    ),
)


def _yaml_traps() -> str:
    return _YAML_TRAPS_INTRO + "".join(f"| {wrote} | {said} |\n" for wrote, said in _YAML_TRAPS)


def diagnostics_markdown() -> str:
    """The whole of ``docs/diagnostics.md``."""
    parts = [_INTRO]
    for digit, group in groupby(entries(), key=lambda e: e.code[2]):
        parts.append(_family(digit, list(group)))
    parts.append(_yaml_traps())
    return "\n".join(parts)


def _family(digit: str, members: list[Entry]) -> str:
    lines = [f"## PS{digit}xx: {members[0].family}", "", "| Code | Meaning |", "| --- | --- |"]
    lines += [f"| [`{e.code}`](#{e.code.lower()}) | {e.meaning} |" for e in members]
    sections = "\n".join(_section(e) for e in members)
    return "\n".join(lines) + "\n\n" + sections


def _section(entry: Entry) -> str:
    lines = [f"### {entry.code}", "", f"**{entry.meaning}**", ""]
    for kind, text in entry.parts():
        lines += _yaml(text) if kind == "yaml" else [fill(text), ""]
    return "\n".join(lines)


_TEMPLATE = re.compile(r"\{\{.*?\}\}")


def fill(text: str, width: int = 88) -> str:
    """``text`` wrapped to ``width``, never inside a ``{{ ... }}`` expression."""
    kept = _TEMPLATE.sub(lambda m: m.group(0).replace(" ", "\0"), text)
    lines = textwrap.fill(kept, width=width, break_long_words=False, break_on_hyphens=False)
    return lines.replace("\0", " ")


def _yaml(text: str) -> list[str]:
    return ["```yaml", text.rstrip("\n"), "```", ""]


def main() -> None:
    sys.stdout.write(diagnostics_markdown())


if __name__ == "__main__":
    main()


__all__ = ["diagnostics_markdown", "fill"]
