"""The text of a factory job's substituted fields, written so that the worker's passes give
what jobs mode runs.

The PROMINENCE worker substitutes with ``string.Template(text).safe_substitute``, one pass
at a time (job-spec reference 4.5.5):

* a task ``cmd``: the job-id pass (``$PROMINENCE_JOB_ID``), the workflow-id pass
  (``$PROMINENCE_WORKFLOW_ID``, workflow jobs only), then one pass per factory parameter, in
  the factory's order, each on the result of the one before;
* an ``outputFiles``/``outputDirs`` name: one pass, from the original name, with the last
  factory parameter only (the backend names the stored object with all of them at once).

Every pass turns ``$$`` into ``$`` and replaces its own names, so a ``$`` that jobs mode
runs as it is may have to be written as ``$$`` (or more) in a factory. Here the text is
built backwards: from what the job must finally see, undo one pass at a time, doubling
exactly the ``$`` that the pass would otherwise read. Doubling a ``$`` is always safe (the
pass gives it back), so where the outcome depends on a value not known yet, it doubles.

Text is handled with *markers*: one private-use character per value that a pass inserts
(the job id, each parameter), so that values stay opaque while the literal text is escaped.
"""

from __future__ import annotations

import re
import string
from collections.abc import Collection, Sequence
from dataclasses import dataclass

JOB_ID = "PROMINENCE_JOB_ID"
WORKFLOW_ID = "PROMINENCE_WORKFLOW_ID"

#: The job-id marker, for ``$PROMINENCE_JOB_ID`` and ``${PROMINENCE_JOB_ID}``.
JOB_MARK, JOB_MARK_BRACED = "\ue000", "\ue001"
_FIRST_PARAMETER_MARK = 0xE010
MARK_RANGE = re.compile("[\ue000-\ue8ff]")

_PATTERN = string.Template.pattern
_IDENT = re.compile(r"[_A-Za-z0-9]*")


def parameter_mark(position: int) -> str:
    """The marker of the sweep parameter at ``position`` (in the sweep's own order)."""
    return chr(_FIRST_PARAMETER_MARK + position)


@dataclass(frozen=True)
class Pass:
    """One ``safe_substitute`` pass: the names it replaces, and the marker that stands for
    the value it inserts (``None`` when the value must not appear in the text)."""

    names: frozenset[str]
    mark: str | None = None
    placeholder: str = ""


def after_job_pass(literal: str) -> str:
    """What the job-id pass makes of literal text in a plain job (jobs mode): ``$$`` becomes
    ``$``, the job-id placeholders become their marker, everything else stays."""

    def one(match: re.Match[str]) -> str:
        if match.group("escaped") is not None:
            return "$"
        if match.group("named") == JOB_ID:
            return JOB_MARK
        if match.group("braced") == JOB_ID:
            return JOB_MARK_BRACED
        return match.group(0)

    return _PATTERN.sub(one, literal)


def joins_next(literal: str) -> bool:
    """Whether the literal ends in a ``$`` placeholder that a value written right after it
    would extend (``$``, ``${``, ``$name``): the worker would then read another name."""
    matches = list(_PATTERN.finditer(literal))
    last = matches[-1] if matches else None
    if last is None or last.group("escaped") is not None or last.group("braced") is not None:
        return False
    if last.group("named") is not None:
        return last.end() == len(literal)
    rest = literal[last.start() + 1 :]
    return re.fullmatch(r"\{?[_A-Za-z0-9]*", rest) is not None


def undo(target: str, step: Pass, marks: Collection[str]) -> str:
    """A text that ``step`` turns into ``target``: the step's marker becomes its placeholder
    and every ``$`` that the step would read is doubled. ``marks`` are the markers still in
    the text (values inserted by earlier passes, unknown here)."""
    out: list[str] = []
    for i, char in enumerate(target):
        if step.mark is not None and char == step.mark:
            out.append(step.placeholder)
        elif char == "$" and _read_by(target, i + 1, step, marks):
            out.append("$$")
        else:
            out.append(char)
    return "".join(out)


def _read_by(text: str, j: int, step: Pass, marks: Collection[str]) -> bool:
    """Whether a ``$`` followed by ``text[j:]`` starts a token that ``step`` replaces."""
    if j >= len(text):
        return False
    char = text[j]
    if char == "$" or char in marks or char == step.mark:
        return True  # "$$" or a value: the pass would read the pair, or might
    braced = char == "{"
    start = j + 1 if braced else j
    end = _IDENT.match(text, start).end()  # type: ignore[union-attr]  # matches ""
    name = text[start:end]
    follows = text[end] if end < len(text) else ""
    if follows and (follows in marks or follows == step.mark):
        return bool(name) or braced  # a value could extend or close the name
    if not name or name[0].isdigit():
        return False
    if braced:
        return follows == "}" and name in step.names
    return name in step.names


def cmd_passes(order: Sequence[str], marks: dict[str, str]) -> list[Pass]:
    """The worker's passes over a factory instance's ``cmd``."""
    return [
        Pass(frozenset({JOB_ID})),
        Pass(frozenset({WORKFLOW_ID})),
        *(Pass(frozenset({name}), marks[name], "${" + name + "}") for name in order),
    ]


def factory_text(target: str, passes: Sequence[Pass], first_marks: dict[str, str]) -> str:
    """Undo ``passes`` from last to first; ``first_marks`` maps markers that the first pass
    leaves for the worker to fill (the job id) to the text that stands for them."""
    text = target
    for k in range(len(passes) - 1, -1, -1):
        earlier = {p.mark for p in passes[:k] if p.mark is not None}
        text = undo(text, passes[k], earlier | set(first_marks))
    for mark, placeholder in first_marks.items():
        text = text.replace(mark, placeholder)
    return text


JOB_ID_TEXT = {JOB_MARK: "$" + JOB_ID, JOB_MARK_BRACED: "${" + JOB_ID + "}"}

__all__ = [
    "JOB_ID_TEXT",
    "MARK_RANGE",
    "Pass",
    "after_job_pass",
    "cmd_passes",
    "factory_text",
    "joins_next",
    "parameter_mark",
    "undo",
]
