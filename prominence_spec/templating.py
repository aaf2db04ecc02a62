"""Jinja templating of single strings from an already parsed spec.

Jinja is applied after the YAML is parsed, one string at a time, so a parameter value can
never change the document's structure. A string that is exactly one ``{{ expression }}``
renders to the expression's native value (an int stays an int); any other string renders
to text. Strings made only of literal text and bare ``{{ name }}`` references never go
through Jinja at render time (the hot loop of large sweeps).

Safety (docs: reliability checklist, section 2):

* ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``, no autoescape and no loader;
  ``{% include %}``, ``{% import %}``, ``{% from %}`` and ``{% extends %}`` are refused when
  the string is compiled. ``cycler``, ``joiner``, ``namespace`` and ``lipsum`` are removed
  from the globals; the ``random`` (not reproducible) and ``urlize`` (unbounded output)
  filters are removed.
* ``**``, ``*``, ``+`` and ``%`` are intercepted, ``~`` and every filter, method call, block
  buffer and output value are size-checked, so no intermediate value grows far past
  ``max_output``; each render is bounded in time with ``SIGALRM`` (main thread only).
  These are best-effort, in-process limits: untrusted templates should additionally be
  rendered in a subprocess with ``RLIMIT_AS``/``RLIMIT_CPU``.
* Every filter and global is pure and never calls its arguments. The render context must
  hold plain data only (str, int, float, bool, None, lists, dicts), never types, modules or
  callables. Parameter values are data: they are never rendered again.

Every failure is a :class:`TemplateError` with a ``PS6xx`` code and a one-line message.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]
import base64
import difflib
import json
import re
import shlex
import signal
import string
import threading
import time
import types
from collections.abc import (
    Callable,
    Generator,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    ValuesView,
)
from dataclasses import dataclass, field
from functools import update_wrapper
from pathlib import Path
from typing import Any, Final, TypeVar

from jinja2 import StrictUndefined, meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import TemplateExpression
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.runtime import Context, Undefined, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.template_files import FileProblemError, TemplateFiles

__all__ = [
    "GLOBALS",
    "MAX_EXPONENT",
    "OMIT",
    "CompiledString",
    "TemplateError",
    "Templater",
    "Var",
]

#: Names the templates see besides the render context (a context key of the same name
#: would shadow them; the caller should refuse such parameter names).
GLOBALS: Final[frozenset[str]] = frozenset({"dict", "omit", "range", "read_file", "read_file_b64"})
#: ``a ** b`` is refused for an exponent above this.
MAX_EXPONENT: Final[int] = 100
#: Integers made by ``*`` and ``**`` may have at most this many bits (about 4900 digits).
MAX_INT_BITS: Final[int] = 16384
_REMOVED_GLOBALS: Final = ("cycler", "joiner", "namespace", "lipsum")
_REMOVED_FILTERS: Final = ("random", "urlize")
#: Names a bare ``{{ name }}`` may not take the fast path for (globals, Jinja specials).
_SPECIAL_NAMES: Final = GLOBALS | {"self", "loop", "caller", "varargs", "kwargs", "super"}
_UNDEFINED_NAME = re.compile(r"'(.+)' is undefined")
_NO_ATTRIBUTE = re.compile(r"'(.+) object' has no attribute '(.+)'")
_UNKNOWN_NAME = re.compile(r"No (filter|test) named '(.+)'\.")
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")
_MAX_MESSAGE = 300
_T = TypeVar("_T")


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


@dataclass(frozen=True)
class Var:
    """A bare variable reference in a simple template."""

    name: str


@dataclass(frozen=True)
class CompiledString:
    """One compiled string; ``render`` returns a native value, text, or :data:`OMIT`."""

    text: str
    native: bool
    simple: bool
    parts: tuple[str | Var, ...]
    variables: frozenset[str]
    _render: Callable[[Mapping[str, Any]], Any] = field(repr=False, compare=False)

    def render(self, context: Mapping[str, Any]) -> Any:
        return self._render(context)


# --------------------------------------------------------------------------- sizes


def _size(value: Any, budget: int) -> int:
    """Rough length of ``value`` as text; stops counting soon after ``budget``."""
    total = 0
    stack = [value]
    while stack and total <= budget:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + len(item)
            stack.extend(item)
        elif isinstance(item, dict):
            total += 2 + 2 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            total += 8
    return total


def _refuse(what: str, size: int, limit: int) -> TemplateError:
    return TemplateError(
        "PS603",
        f"{what} would make a value of about {size} characters; the limit is {limit}",
        "a spec value cannot be that large",
    )


def _need(size: int, limit: int, what: str) -> None:
    if size > limit:
        raise _refuse(what, size, limit)


def _counted(items: Iterable[Any], limit: int, what: str) -> Iterator[Any]:
    total = 0
    for item in items:
        total += _size(item, limit) + 1
        _need(total, limit, what)
        yield item


def _bounded_list(items: Any, limit: int, what: str) -> Any:
    if isinstance(items, (list, tuple, str, dict, range)):
        return items
    return list(_counted(items, limit, what))


def _arg(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str, default: Any
) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _int(value: Any) -> int:
    """The size an integer argument stands for (negative widths pad too)."""
    return abs(value) if isinstance(value, int) else 0


def _ints(values: Any) -> int:
    """The sum of the integers among ``values`` (a tuple, or a single value)."""
    items = values if isinstance(values, tuple) else (values,)
    return sum(_int(item) for item in items)


def _numbers_in(values: Any, limit: int) -> int:
    """The sum of every integer and every digit run in text anywhere inside ``values``;
    stops soon after ``limit``. Bounds nested format specs such as ``{:{}}``."""
    total = 0
    stack = [values]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += sum(
                int(run) if len(run) < 8 else limit + 1 for run in re.findall(r"\d+", item)
            )
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            total += _int(item)
    return total


# ------------------------------------------------------------ format strings


def _printf_size(fmt: str | bytes, args: Any, limit: int) -> int:
    text = fmt if isinstance(fmt, str) else fmt.decode("latin-1")
    width = 0
    star = False
    for match in _PRINTF.finditer(text):
        for group in match.group(1, 2):
            if group == "*":
                star = True
            elif group:
                width += int(group)
    if star:
        width += _ints(args)
    return len(text) + width + _size(args, limit)


def _format_size(fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any], limit: int) -> int:
    width = 0
    nested = False
    for _literal, _name, spec, _conversion in string.Formatter().parse(fmt):
        if spec:
            width += sum(int(digits) for digits in re.findall(r"\d+", spec))
            nested = nested or "{" in spec
    if nested:
        width += _numbers_in((args, dict(kwargs)), limit)
    return len(fmt) + width + _size(args, limit) + _size(dict(kwargs), limit)


# ------------------------------------------------------------ binary operators


def _check_binop(operator: str, left: Any, right: Any, limit: int) -> None:
    if operator == "**":
        _check_power(left, right)
    elif operator == "*":
        _check_repeat(left, right, limit)
    elif operator == "+":
        _check_add(left, right, limit)
    elif isinstance(left, (str, bytes)):
        _need(_printf_size(left, right, limit), limit, "`%` formatting")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_power(base: Any, exponent: Any) -> None:
    if _is_number(exponent) and exponent > MAX_EXPONENT:
        raise TemplateError(
            "PS603",
            f"`**` with the exponent {exponent} is refused; the largest exponent is {MAX_EXPONENT}",
        )
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        _check_bits(abs(base).bit_length() * exponent, "`**`")


def _check_bits(bits: int, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise TemplateError(
            "PS603",
            f"{what} would make an integer of about {bits} bits; the limit is {MAX_INT_BITS}",
        )


_SEQUENCES: Final = (str, bytes, list, tuple)


def _check_repeat(left: Any, right: Any, limit: int) -> None:
    if isinstance(left, int) and isinstance(right, _SEQUENCES):
        left, right = right, left
    if isinstance(left, _SEQUENCES) and isinstance(right, int) and right > 0:
        _need(_size(left, limit) * right, limit, "`*`")
    elif isinstance(left, int) and isinstance(right, int):
        _check_bits(left.bit_length() + right.bit_length(), "`*`")


def _check_add(left: Any, right: Any, limit: int) -> None:
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        _need(_size(left, limit) + _size(right, limit), limit, "`+`")


# -------------------------------------------------------------- method calls


def _check_call(
    obj: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], limit: int
) -> tuple[Any, ...]:
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if isinstance(owner, (str, bytes)):
        return _check_text_method(owner, name, args, kwargs, limit)
    if isinstance(owner, int) and name == "to_bytes":
        _need(_int(_arg(args, kwargs, 0, "length", 1)), limit, "int.to_bytes()")
    return args


def _check_text_method(
    owner: str | bytes, name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any], limit: int
) -> tuple[Any, ...]:
    what = f"{type(owner).__name__}.{name}()"
    if name in ("ljust", "rjust", "center", "zfill"):
        _need(_int(_arg(args, kwargs, 0, "width", 0)), limit, what)
    elif name == "expandtabs":
        tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
        _need(len(owner) + tabs * _int(_arg(args, kwargs, 0, "tabsize", 8)), limit, what)
    elif name == "replace" and len(args) >= 2:
        _need(
            _replace_size(owner, args[0], args[1], _arg(args, kwargs, 2, "count", -1)), limit, what
        )
    elif name == "join" and args:
        items = _bounded_list(args[0], limit, what)
        _need(_size(items, limit) + len(owner) * len(items), limit, what)
        return (items, *args[1:])
    elif name == "translate" and args and isinstance(args[0], dict):
        longest = max((_size(v, limit) for v in args[0].values()), default=1)
        _need(len(owner) * max(longest, 1), limit, what)
    return args


def _replace_size(text: Any, old: Any, new: Any, count: Any) -> int:
    if not isinstance(text, (str, bytes)) or not isinstance(new, (str, bytes)):
        return 0
    try:
        times = len(text) + 1 if not old else text.count(old)
    except TypeError:
        return 0
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * len(new)


# ------------------------------------------------------------------- filters


def _b64encode(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"b64encode expects text, not {_kind(value)}; add `| string` first")
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def _shell_quote(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(_quote_one(item) for item in value)
    return _quote_one(value)


def _quote_one(value: object) -> str:
    if isinstance(value, str):
        return shlex.quote(value)
    if isinstance(value, (int, float)):
        return shlex.quote(str(value))
    raise TypeError(f"shell_quote expects text, a number or a list of them, not {_kind(value)}")


def _to_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=_json_default)


def _json_default(value: object) -> Any:
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined: raises the error naming the variable
    if isinstance(value, range):
        return list(value)
    raise TypeError(f"to_json cannot write {_kind(value)}; it is not JSON data")


def _kind(value: object) -> str:
    return "omit" if value is OMIT else f"a {type(value).__name__} value"


_FilterCheck = Callable[[Any, tuple[Any, ...], Mapping[str, Any], int], Any]


def _center_check(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], limit: int) -> Any:
    _need(_int(_arg(args, kwargs, 0, "width", 80)), limit, "the center filter")
    return value


def _indent_check(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], limit: int) -> Any:
    width = _arg(args, kwargs, 0, "width", 4)
    each = len(width) if isinstance(width, str) else _int(width)
    text = value if isinstance(value, str) else ""
    _need(len(text) + (text.count("\n") + 1) * each, limit, "the indent filter")
    return value


def _format_check(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], limit: int) -> Any:
    if isinstance(value, str):
        _need(_printf_size(value, dict(kwargs) or args, limit), limit, "the format filter")
    return value


def _replace_check(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], limit: int) -> Any:
    old = _arg(args, kwargs, 0, "old", "")
    new = _arg(args, kwargs, 1, "new", "")
    count = _arg(args, kwargs, 2, "count", None)
    _need(_replace_size(value, old, new, count), limit, "the replace filter")
    return value


def _join_check(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], limit: int) -> Any:
    items = _bounded_list(value, limit, "the join filter")
    glue = _arg(args, kwargs, 0, "d", "")
    sep = len(glue) if isinstance(glue, str) else 0
    _need(_size(items, limit) + sep * len(items), limit, "the join filter")
    return items


def _sum_check(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], limit: int) -> Any:
    items = _bounded_list(value, limit, "the sum filter")
    start = _arg(args, kwargs, 1, "start", 0)
    _need(_size(items, limit) + _size(start, limit), limit, "the sum filter")
    return items


def _wordwrap_check(
    value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], limit: int
) -> Any:
    wrap = _arg(args, kwargs, 2, "wrapstring", None)
    text = value if isinstance(value, str) else ""
    each = len(wrap) if isinstance(wrap, str) else 1
    _need(len(text) + (len(text) + 1) * each, limit, "the wordwrap filter")
    return value


def _count_check(name: str) -> _FilterCheck:
    """``batch``/``slice``: the count argument is at most ``limit``."""

    def check(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], limit: int) -> Any:
        _need(_int(args[0] if args else 0), limit, f"the {name} filter")
        return value

    return check


_FILTER_CHECKS: Final[dict[str, _FilterCheck]] = {
    "batch": _count_check("batch"),
    "center": _center_check,
    "format": _format_check,
    "indent": _indent_check,
    "join": _join_check,
    "replace": _replace_check,
    "slice": _count_check("slice"),
    "sum": _sum_check,
    "wordwrap": _wordwrap_check,
}
#: Filters that never turn their whole value into text (no size check of the value).
_NON_TEXT_FILTERS: Final = frozenset(
    {
        "abs",
        "attr",
        "batch",
        "count",
        "d",
        "default",
        "dictsort",
        "first",
        "float",
        "groupby",
        "int",
        "items",
        "join",
        "last",
        "length",
        "list",
        "map",
        "max",
        "min",
        "reject",
        "rejectattr",
        "reverse",
        "round",
        "select",
        "selectattr",
        "slice",
        "sort",
        "sum",
        "unique",
    }
)


def _guard_filter(name: str, func: Callable[..., Any], limit: int) -> Callable[..., Any]:
    """``func`` with its input and output sizes bounded by ``limit``."""
    offset = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    check = _FILTER_CHECKS.get(name)
    text_filter = name not in _NON_TEXT_FILTERS
    what = f"the {name} filter"

    def guarded(*args: Any, **kwargs: Any) -> Any:
        if len(args) > offset:
            value = args[offset]
            if isinstance(value, Iterator):
                value = _counted(value, limit, what)
            elif text_filter:
                _need(_size(value, limit), limit, what)
            if check is not None:
                value = check(value, args[offset + 1 :], kwargs, limit)
            args = (*args[:offset], value, *args[offset + 1 :])
        result = func(*args, **kwargs)
        _need(_size(result, limit), limit, what)
        return result

    return update_wrapper(guarded, func)


# --------------------------------------------------------------- environment


class _CodeGenerator(CodeGenerator):
    """Routes ``a ~ b`` through a size-checked join."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802
        self.write("environment.join_checked(context.eval_ctx.autoescape, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"**", "*", "+", "%"})
    code_generator_class = _CodeGenerator

    def __init__(self, *, max_output: int) -> None:
        super().__init__(
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=self._finalize,
        )
        self.max_output = max_output
        for name in _REMOVED_GLOBALS:
            self.globals.pop(name, None)
        filters = {k: v for k, v in self.filters.items() if k not in _REMOVED_FILTERS}
        filters.update(b64encode=_b64encode, shell_quote=_shell_quote, to_json=_to_json)
        self.filters = {k: _guard_filter(k, v, max_output) for k, v in filters.items()}

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right, self.max_output)
        result = self.binop_table[operator](left, right)
        _need(_size(result, self.max_output), self.max_output, f"`{operator}`")
        return result

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        args = _check_call(obj, args, kwargs, self.max_output)
        result = super().call(context, obj, *args, **kwargs)
        _need(_size(result, self.max_output), self.max_output, "the call")
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt: str = value.__self__
        limit = self.max_output

        def checked(*args: Any, **kwargs: Any) -> str:
            _need(_format_size(fmt, args, kwargs, limit), limit, f"str.{value.__name__}()")
            return wrapped(*args, **kwargs)

        return checked

    def join_checked(self, autoescape: bool, values: tuple[Any, ...]) -> str:
        _need(sum(_size(v, self.max_output) for v in values), self.max_output, "`~`")
        return markup_join(values) if autoescape else str_join(values)

    def concat(self, parts: Iterable[str]) -> str:
        """Joins block, macro and filter-block output, bounded like the final output."""
        out: list[str] = []
        size = 0
        for part in parts:
            size += len(part)
            if size > self.max_output:
                raise _output_too_large(self.max_output)
            out.append(part)
        return "".join(out)

    def _finalize(self, value: Any) -> Any:
        if not isinstance(value, str) and _size(value, self.max_output) > self.max_output:
            raise _output_too_large(self.max_output)
        return value


def _output_too_large(limit: int) -> TemplateError:
    return TemplateError(
        "PS610",
        f"the rendered value is longer than the limit of {limit} characters",
        "a spec value cannot be that large",
    )


# --------------------------------------------------------------- time limit


class _Timeout(BaseException):
    """Raised by the SIGALRM handler; a BaseException so no ``except Exception`` eats it."""


class _Alarm:
    def __init__(self) -> None:
        self.armed = True

    def handler(self, signum: int, frame: types.FrameType | None) -> None:
        if self.armed:
            self.armed = False
            raise _Timeout


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


_SIGALRM: Final = int(signal.SIGALRM)
_ITIMER_REAL: Final = int(signal.ITIMER_REAL)


def _with_time_limit(action: Callable[[], _T], seconds: float) -> _T:
    if seconds <= 0 or not _can_alarm():
        return action()
    # _signal is what the signal module wraps (converting to enums, which costs several
    # microseconds a call); the semantics are the same.
    alarm = _Alarm()
    previous = _signal.signal(_SIGALRM, alarm.handler)
    started = time.monotonic()
    old_delay, old_interval = _signal.setitimer(_ITIMER_REAL, seconds)
    try:
        return action()
    finally:  # an outer timer that would have fired meanwhile fires right after
        alarm.armed = False
        _signal.setitimer(_ITIMER_REAL, 0)
        _signal.signal(_SIGALRM, signal.SIG_DFL if previous is None else previous)
        if old_delay > 0:
            left = max(old_delay - (time.monotonic() - started), 1e-6)
            _signal.setitimer(_ITIMER_REAL, left, old_interval)


# ------------------------------------------------------------ error messages


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 3] + "..."


def _did_you_mean(name: str, names: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(set(names)), n=1)
    return f"did you mean `{close[0]}`?" if close else None


def _template_line(exc: BaseException) -> int | None:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _convert(
    exc: Exception, names: Iterable[str], env: _Environment, multiline: bool
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


def _syntax_error(exc: TemplateSyntaxError, env: _Environment, multiline: bool) -> TemplateError:
    where = f" (line {exc.lineno})" if multiline and exc.lineno else ""
    detail = _one_line(exc.message or str(exc))
    unknown = _UNKNOWN_NAME.fullmatch(detail)
    if unknown:
        kind, name = unknown.groups()
        known = env.filters if kind == "filter" else env.tests
        return TemplateError("PS601", f"unknown {kind} `{name}`{where}", _did_you_mean(name, known))
    return TemplateError("PS601", f"template syntax error: {detail}{where}")


def _undefined_error(text: str, names: Iterable[str]) -> TemplateError:
    undefined = _UNDEFINED_NAME.fullmatch(text)
    if undefined:
        name = undefined.group(1)
        return TemplateError("PS602", f"undefined variable `{name}`", _did_you_mean(name, names))
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


def _undefined_var(name: str, context: Mapping[str, Any]) -> TemplateError:
    return TemplateError(
        "PS602", f"undefined variable `{name}`", _did_you_mean(name, [*context, *GLOBALS])
    )


# -------------------------------------------------------------- native values


class _Budget:
    __slots__ = ("left",)

    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, amount: int, limit: int) -> None:
        self.left -= amount
        if self.left < 0:
            raise _output_too_large(limit)


_SCALARS: Final = (str, int, float, type(None))


def _plain(value: Any, limit: int) -> Any:
    """The native result as plain data (lists, dicts, scalars) or :data:`OMIT`."""
    if value is OMIT:
        return OMIT
    return _plain_item(value, _Budget(limit), limit)


def _plain_item(value: Any, budget: _Budget, limit: int) -> Any:
    if isinstance(value, str):
        budget.spend(len(value), limit)
        return value if type(value) is str else str.__str__(value)
    if isinstance(value, _SCALARS):
        budget.spend(8, limit)
        return value
    if isinstance(value, dict):
        budget.spend(2 + 2 * len(value), limit)
        return {_plain_key(k): _plain_item(v, budget, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple, range, Iterator, KeysView, ValuesView, ItemsView)):
        return [_plain_item(item, budget, limit) for item in _spent(value, budget, limit)]
    raise _not_data(value)


def _spent(items: Iterable[Any], budget: _Budget, limit: int) -> Iterator[Any]:
    for item in items:
        budget.spend(2, limit)
        yield item


def _plain_key(key: Any) -> str:
    """Mapping keys as JSON writes them (the request body has only string keys)."""
    if isinstance(key, str):
        return key if type(key) is str else str.__str__(key)
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, (int, float)):
        return json.dumps(key)
    raise _not_data(key)


def _not_data(value: Any) -> TemplateError:
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises its own (undefined or security) error
    if value is OMIT:
        return TemplateError(
            "PS601", "`omit` must be the whole value, not inside a list or mapping"
        )
    return TemplateError(
        "PS601",
        f"the expression gives {_kind(value)}, which is not data",
        "a value must be text, a number, true/false, null, a list or a mapping",
    )


# ------------------------------------------------------------------ compiling


def _refuse_includes(ast: nodes.Template) -> None:
    for node in ast.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        if isinstance(node, nodes.Include):
            raise TemplateError("PS603", "includes are not supported; use read_file()")
        raise TemplateError(
            "PS603",
            "`{% import %}`, `{% from %}` and `{% extends %}` are not supported",
            "use read_file() to embed a file",
        )


def _simple_parts(ast: nodes.Template) -> tuple[str | Var, ...] | None:
    """Literal text and bare names, or None when the template does more."""
    parts: list[str | Var] = []
    for statement in ast.body:
        if not isinstance(statement, nodes.Output):
            return None
        for node in statement.nodes:
            if isinstance(node, nodes.TemplateData):
                if parts and isinstance(parts[-1], str):
                    parts[-1] += node.data
                else:
                    parts.append(node.data)
            elif type(node) is nodes.Name and node.name not in _SPECIAL_NAMES:
                parts.append(Var(node.name))
            else:
                return None
    return tuple(parts)


_SKIPPED_TOKENS: Final = frozenset({"comment_begin", "comment", "comment_end"})


def _native_source(env: _Environment, text: str) -> str | None:
    """The expression's source when ``text`` is one ``{{ }}`` with only blanks around it."""
    inner: list[str] | None = None
    source: str | None = None
    for _line, kind, value in env.lex(text):
        if kind in _SKIPPED_TOKENS or (kind == "data" and not value.strip()):
            continue
        if kind == "variable_begin" and source is None and inner is None:
            inner = []
        elif kind == "variable_end" and inner is not None:
            source, inner = "".join(inner), None
        elif inner is not None:
            inner.append(value)
        else:
            return None
    return source


def _simple_renderer(
    parts: tuple[str | Var, ...], native: bool, limit: int
) -> Callable[[Mapping[str, Any]], Any]:
    names = [p.name for p in parts if isinstance(p, Var)]
    if native:
        return _variable_renderer(names[0])
    if not names:
        text = "".join(p for p in parts if isinstance(p, str))
        return lambda context: text
    # str.format_map formats a plain value with an empty spec exactly as str() does.
    fmt = "".join(
        p.replace("{", "{{").replace("}", "}}") if isinstance(p, str) else "{" + p.name + "}"
        for p in parts
    )

    def render(context: Mapping[str, Any]) -> str:
        try:
            text = fmt.format_map(context)
        except KeyError:
            missing = next(name for name in names if name not in context)
            raise _undefined_var(missing, context) from None
        if len(text) > limit:
            raise _output_too_large(limit)
        return text

    return render


def _variable_renderer(name: str) -> Callable[[Mapping[str, Any]], Any]:
    def render(context: Mapping[str, Any]) -> Any:
        try:
            return context[name]
        except KeyError:
            raise _undefined_var(name, context) from None

    return render


class Templater:
    """Compiles and renders the template strings of one spec file.

    ``root`` is the repository root (files may be read only inside it); ``base_dir`` is
    the spec's folder (relative file paths start there).
    """

    def __init__(
        self, *, root: Path, base_dir: Path, max_output: int = 1_048_576, timeout: float = 2.0
    ) -> None:
        self.root = root
        self.base_dir = base_dir
        self.max_output = max_output
        self.timeout = timeout
        self._files = TemplateFiles(root=root, base_dir=base_dir)
        self._env = _Environment(max_output=max_output)
        self._env.globals.update(omit=OMIT, **_file_readers(self._files))
        self._compiled: dict[str, CompiledString] = {}
        self._expressions: dict[str, CompiledString] = {}

    @property
    def environment(self) -> ImmutableSandboxedEnvironment:
        """The sandboxed Jinja environment (for inspection and tests)."""
        return self._env

    @staticmethod
    def is_template(text: str) -> bool:
        return "{{" in text or "{%" in text or "{#" in text

    def compile(self, text: str) -> CompiledString:
        compiled = self._compiled.get(text)
        if compiled is None:
            compiled = self._compile(text)
            self._compiled[text] = compiled
        return compiled

    def expression(self, expr: str) -> CompiledString:
        compiled = self._expressions.get(expr)
        if compiled is None:
            compiled = self._compile_expression(expr)
            self._expressions[expr] = compiled
        return compiled

    # -- compiling

    def _compile(self, text: str) -> CompiledString:
        self._check_length(text)
        ast, variables = self._parse(text, "\n" in text)
        _refuse_includes(ast)
        parts = _simple_parts(ast)
        source = _native_source(self._env, text)
        native = source is not None
        if parts is not None:
            render = _simple_renderer(parts, native, self.max_output)
        elif source is not None:
            render = self._native_renderer(source)
        else:
            render = self._text_renderer(ast, "\n" in text)
        return CompiledString(text, native, parts is not None, parts or (), variables, render)

    def _compile_expression(self, expr: str) -> CompiledString:
        self._check_length(expr)
        render = self._native_renderer(expr)
        ast, variables = self._parse("{{ " + expr + " }}", False)
        parts = _simple_parts(ast)
        simple = parts is not None and len(parts) == 1 and isinstance(parts[0], Var)
        if simple and parts is not None:
            render = _simple_renderer(parts, True, self.max_output)
        return CompiledString(
            expr, True, simple, parts if simple and parts else (), variables, render
        )

    def _parse(self, text: str, multiline: bool) -> tuple[nodes.Template, frozenset[str]]:
        """The syntax tree and free variables (``find_undeclared_variables`` also finds
        unknown filters and tests)."""

        def parse() -> tuple[nodes.Template, frozenset[str]]:
            ast = self._env.parse(text)
            return ast, frozenset(meta.find_undeclared_variables(ast)) - GLOBALS

        return self._run(parse, (), multiline)

    def _check_length(self, text: str) -> None:
        if len(text) > self.max_output:
            raise TemplateError(
                "PS610",
                f"the template is {len(text)} characters long; the limit is {self.max_output}",
            )

    def _native_renderer(self, source: str) -> Callable[[Mapping[str, Any]], Any]:
        expression: TemplateExpression = self._run(
            lambda: self._env.compile_expression(source, undefined_to_none=False), (), False
        )
        limit = self.max_output

        def render(context: Mapping[str, Any]) -> Any:
            return self._run(lambda: _plain(expression(context), limit), context, False)

        return render

    def _text_renderer(
        self, ast: nodes.Template, multiline: bool
    ) -> Callable[[Mapping[str, Any]], Any]:
        template = self._run(lambda: self._env.from_string(ast), (), multiline)
        limit = self.max_output

        def produce(context: Mapping[str, Any]) -> str:
            out: list[str] = []
            size = 0
            pieces = template.generate(context)
            try:
                for piece in pieces:
                    size += len(piece)
                    if size > limit:
                        raise _output_too_large(limit)
                    out.append(piece)
            finally:
                if isinstance(pieces, Generator):
                    pieces.close()
            return "".join(out)

        def render(context: Mapping[str, Any]) -> str:
            return self._run(lambda: produce(context), context, multiline)

        return render

    # -- running

    def _run(self, action: Callable[[], _T], names: Iterable[str], multiline: bool) -> _T:
        """``action()`` within the time limit, every failure as a TemplateError."""
        try:
            return _with_time_limit(action, self.timeout)
        except _Timeout:
            raise TemplateError(
                "PS610",
                f"rendering took longer than {self.timeout:g} seconds",
                "the template loops too much; compute large values outside the spec",
            ) from None
        except Exception as exc:  # every error becomes a one-line TemplateError
            raise _convert(exc, [*names, *GLOBALS], self._env, multiline) from None


def _file_readers(files: TemplateFiles) -> dict[str, Callable[[object], str]]:
    """``read_file``/``read_file_b64`` globals: closures, so no attribute leads to ``files``."""

    def read_file(path: object) -> str:
        try:
            return files.read_text(path)
        except FileProblemError as exc:
            raise TemplateError(exc.code, exc.message, exc.hint) from None

    def read_file_b64(path: object) -> str:
        try:
            return files.read_b64(path)
        except FileProblemError as exc:
            raise TemplateError(exc.code, exc.message, exc.hint) from None

    return {"read_file": read_file, "read_file_b64": read_file_b64}
