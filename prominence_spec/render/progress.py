"""Progress of long work, handed to the caller as counts: the core never shows it.

A caller that wants to show how far rendering or checking a sweep has come passes a
:data:`Progress` callback; the command line turns the counts into a progress bar on a
terminal. The callback is called when a pass over a spec's points begins (``done`` 0),
every :data:`EVERY` points, and when the pass ends (``total`` then equal to ``done``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

#: ``progress(label, done, total)``: ``done`` points of the spec ``label`` (its path) so
#: far, of ``total`` (None while a filter, ``exclude`` or ``where``, leaves it unknown).
Progress = Callable[[str, int, "int | None"], None]
#: Points between two calls: rare enough to cost nothing, often enough for a display.
EVERY: Final = 1024

__all__ = ["EVERY", "Progress"]
