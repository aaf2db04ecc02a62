"""Whether to colour what a command writes: the --color/--no-color choice, else rich's
terminal detection (which honours NO_COLOR and FORCE_COLOR)."""

from __future__ import annotations

import os
from typing import TextIO


def use_color(choice: bool | None, stream: TextIO) -> bool:
    """``choice`` when given; else colour only a terminal, and never with NO_COLOR set."""
    if choice is not None:
        return choice
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
