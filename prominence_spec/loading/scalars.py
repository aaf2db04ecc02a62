"""YAML 1.2 core-schema meanings for plain scalars and the standard explicit tags.

PyYAML resolves plain scalars with YAML 1.1 rules (``yes`` is true, ``0755`` is octal,
``2024-01-02`` is a date, ``22:22`` is sexagesimal). promspec uses the YAML 1.2 core
schema instead: only ``true``/``false`` are booleans, integers are decimal, ``0o`` octal
or ``0x`` hex, dates and times stay strings.
"""

from __future__ import annotations

import math
import re
from typing import Any

_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INT_DEC = re.compile(r"[-+]?[0-9]+\Z")
_INT_OCT = re.compile(r"0o[0-7]+\Z")
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)\Z")
_FIRST_CHARS = frozenset("0123456789-+.~nNtTfF")

_STR_TAG = "tag:yaml.org,2002:str"
SUPPORTED_TAGS = frozenset(
    {
        _STR_TAG,
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:seq",
        "tag:yaml.org,2002:map",
        "!",
    }
)


def resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar under the YAML 1.2 core schema."""
    if not text:
        return None
    if text[0] not in _FIRST_CHARS:
        return text
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT_DEC.match(text):
        return int(text)
    if _INT_OCT.match(text):
        return int(text[2:], 8)
    if _INT_HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text[0] == "-" else math.inf
    if _NAN.match(text):
        return math.nan
    return text


def resolve_tagged(tag: str, text: str) -> Any:
    """The value of a scalar with an explicit standard tag; raises ValueError if it does not fit."""
    if tag in (_STR_TAG, "!"):
        return text
    value = resolve_plain(text)
    kind = tag.rsplit(":", 1)[-1]
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "null" and value is None:
        return None
    raise ValueError(f"{text!r} is not a valid !!{kind}")


def ambiguity(text: str, value: Any) -> str | None:
    """A warning when a plain scalar probably does not mean what it looks like."""
    if isinstance(value, int) and not isinstance(value, bool):
        digits = text.lstrip("+-")
        if len(digits) > 1 and digits[0] == "0" and digits.isdigit():
            return (
                f"{text} is read as the decimal integer {value} (YAML 1.2: no implicit octal); "
                f'quote it ("{text}") if you mean the text'
            )
    trailing_zero = "." in text and "e" not in text.lower() and text.endswith("0")
    if isinstance(value, float) and trailing_zero and not text.rstrip("0").endswith("."):
        return f'{text} is read as the number {value!r}; quote it ("{text}") to keep the text'
    return None
