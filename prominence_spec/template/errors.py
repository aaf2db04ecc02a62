"""Template errors: the TemplateError type and the one-line messages library errors become."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

from prominence_spec.diagnostics import NAME_CUTOFF, Diagnostic, did_you_mean

if TYPE_CHECKING:
    from jinja2 import Environment

_UNDEFINED_NAME = re.compile(r"'(.+)' is undefined")
_NO_ATTRIBUTE = re.compile(r"'(.+) object' has no attribute '(.+)'")
_UNKNOWN_NAME = re.compile(r"No (filter|test) named '(.+)'\.")
_MAX_MESSAGE = 300


class TemplateError(Exception):
    """A template cannot be compiled or rendered.

    ``code``: PS601 syntax or runtime error, PS602 undefined variable, PS603 unsafe
    operation, PS609 unusable file, PS610 value too large or render too slow.
    """

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint

    def diagnostic(self, pointer: str = "") -> Diagnostic:
        return Diagnostic(self.code, self.message, pointer=pointer, hint=self.hint)


# ------------------------------------------------------------ error messages


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 3] + "..."


def _did_you_mean(name: str, names: Iterable[str]) -> str | None:
    return did_you_mean(name, sorted(set(names)))


def _template_line(exc: BaseException) -> int | None:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _convert(
    exc: Exception, names: Iterable[str], env: Environment, multiline: bool
) -> TemplateError:
    if isinstance(exc, TemplateError):
        return exc
    if isinstance(exc, TemplateSyntaxError):
        return _syntax_error(exc, env, multiline)
    if isinstance(exc, SecurityError):
        return TemplateError(
            "PS603",
            f"unsafe template operation: {_one_line(str(exc))}",
            "templates may use data, filters and globals only",
        )
    if isinstance(exc, UndefinedError):
        return _undefined_error(str(exc), names)
    return _runtime_error(exc, _template_line(exc) if multiline else None)


def _syntax_error(exc: TemplateSyntaxError, env: Environment, multiline: bool) -> TemplateError:
    where = f" (line {exc.lineno})" if multiline and exc.lineno else ""
    detail = _one_line(exc.message or str(exc))
    unknown = _UNKNOWN_NAME.fullmatch(detail)
    if unknown:
        kind, name = unknown.groups()
        known = [k for k in (env.filters if kind == "filter" else env.tests) if " " not in k]
        return TemplateError("PS601", f"unknown {kind} `{name}`{where}", _did_you_mean(name, known))
    return TemplateError("PS601", f"template syntax error: {detail}{where}")


def _variable_hint(name: str, names: Iterable[str]) -> str | None:
    """ "did you mean" for an undefined variable, when a known name is close enough."""
    return did_you_mean(name, sorted(set(names)), NAME_CUTOFF)


def _undefined_error(text: str, names: Iterable[str]) -> TemplateError:
    undefined = _UNDEFINED_NAME.fullmatch(text)
    if undefined:
        name = undefined.group(1)
        return TemplateError("PS602", f"undefined variable `{name}`", _variable_hint(name, names))
    missing = _NO_ATTRIBUTE.fullmatch(text)
    if missing:
        return TemplateError(
            "PS602", f"the {missing.group(1)} value has no key or attribute `{missing.group(2)}`"
        )
    return TemplateError("PS602", f"undefined value: {_one_line(text)}")


def _runtime_error(exc: Exception, line: int | None) -> TemplateError:
    detail = _one_line(str(exc))
    if isinstance(exc, OverflowError) and "Range too big" in detail:
        return TemplateError("PS603", "range() is limited to 100000 items")
    if isinstance(exc, RecursionError):
        return TemplateError("PS603", "the template recurses too deeply")
    if isinstance(exc, MemoryError):
        return TemplateError("PS610", "rendering ran out of memory")
    if isinstance(exc, KeyError):
        detail = f"no key {detail}"
    elif isinstance(exc, ZeroDivisionError):
        detail = "division by zero"
    where = f" (line {line})" if line is not None else ""
    return TemplateError("PS601", f"template error: {detail or type(exc).__name__}{where}")


class _Omit:
    """The ``omit`` global: a value rendering to it drops its key or list item."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "omit"

    def __str__(self) -> str:
        raise TemplateError(
            "PS601",
            "`omit` must be the whole value, not part of a text",
            'write e.g. "{{ x if x else omit }}" as the entire string',
        )


OMIT: Final[object] = _Omit()
