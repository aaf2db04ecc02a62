"""What `promspec explain` writes: one code's catalogue entry, or the list of every code
with its meaning. Plain text, or styled through rich for a terminal."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from prominence_spec.codes import Entry
from prominence_spec.codes.markdown import fill

if TYPE_CHECKING:
    from rich.console import Console

#: Lines of an explanation, each with what it is: title, family, text, label or yaml.
Block = tuple[str, str]

_WIDTH = 88
_STYLES = {"title": "bold", "family": "dim", "label": "bold"}


def explanation_blocks(entry: Entry) -> list[Block]:
    """The parts of one code's explanation, in order."""
    return [
        ("title", f"{entry.code}: {entry.meaning}"),
        ("family", f"(PS{entry.code[2]}xx: {entry.family})"),
        *entry.parts(),
    ]


def write_explanation(entry: Entry, stream: TextIO, *, color: bool) -> None:
    blocks = explanation_blocks(entry)
    if color:
        _write_rich(blocks, stream)
        return
    stream.write(_plain(blocks))


def write_code_list(entries: Iterable[Entry], stream: TextIO, *, color: bool) -> None:
    """One line per code: the code, then its meaning."""
    rows = [(e.code, e.meaning) for e in entries]
    if not color:
        stream.writelines(f"{code}  {meaning}\n" for code, meaning in rows)
        return
    from rich.text import Text

    console = _console(stream)
    for code, meaning in rows:
        console.print(Text.assemble((code, "bold cyan"), "  ", meaning))


def _plain(blocks: list[Block]) -> str:
    lines: list[str] = []
    for kind, text in blocks:
        if kind == "yaml":
            lines += [textwrap.indent(text.rstrip("\n"), "    "), ""]
        elif kind == "title":
            lines.append(text)
        else:
            lines += [fill(text, _WIDTH), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _write_rich(blocks: list[Block], stream: TextIO) -> None:
    from rich.syntax import Syntax
    from rich.text import Text

    console = _console(stream)
    for kind, text in blocks:
        if kind == "yaml":
            code = text.rstrip("\n")
            highlighted = Syntax(code, "yaml", theme="ansi_dark").highlight(code)
            for line in highlighted.split("\n"):
                console.print(Text.assemble("    ", line), no_wrap=True, overflow="ignore")
            console.print()
        else:
            filled = fill(text, min(console.width, _WIDTH))  # rich's wrap leaves spaces
            console.print(Text(filled, style=_STYLES.get(kind, "")), overflow="ignore")
            if kind != "title":
                console.print()


def _console(stream: TextIO) -> Console:
    from rich.console import Console

    return Console(file=stream, force_terminal=True, highlight=False, markup=False, emoji=False)


__all__ = ["explanation_blocks", "write_code_list", "write_explanation"]
