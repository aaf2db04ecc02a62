"""Size limits inside the template sandbox: operators, method calls, format strings and
filters are checked so that no intermediate value grows far past the output limit."""

from __future__ import annotations

import base64
import json
import re
import shlex
import string
from collections.abc import (
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from functools import update_wrapper
from typing import Any, Final

from jinja2.runtime import Undefined

from prominence_spec.template import deadline
from prominence_spec.template.errors import OMIT, TemplateError

#: Integers made by ``*`` and ``**`` may have at most this many bits (about 4900 digits).
MAX_INT_BITS: Final[int] = 16384

#: ``a ** b`` is refused for an exponent above this.
MAX_EXPONENT: Final[int] = 100

_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")

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
    for item in deadline.ticking(items):
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
        deadline.check()
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
