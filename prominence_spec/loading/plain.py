"""Plain data: values that promspec's two validators (jsonschema-rs and the Python
jsonschema) judge alike, so that the fast one may decide alone."""

from __future__ import annotations

import math
from typing import Any

_INT64 = 2**63


def plain_data(data: Any) -> bool:
    """Whether the compiled validator's verdict is exactly the Python validator's.

    They differ in three places, all avoided here: jsonschema-rs counts 2.0 as an integer
    (the server does not), its regex engine has other Unicode classes than Python's ``re``
    (which the server uses), and it cannot take integers beyond 64 bits.
    """
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if not value.isascii():
                return False
        elif isinstance(value, dict):
            for key in value:
                if not isinstance(key, str) or not key.isascii():
                    return False
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, float):
            if value.is_integer() or not math.isfinite(value):
                return False
        elif isinstance(value, int) and not -_INT64 <= value < _INT64:
            return False
    return True
