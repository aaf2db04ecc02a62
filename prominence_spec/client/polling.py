"""The one polling loop: ask, hand over the answer, stop when it says done or time is up.

``wait``, ``status --watch``, ``stdout --follow`` and :meth:`Client.wait` all poll through
:func:`until`; they differ only in what they ask and when an answer means done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TypeVar

_T = TypeVar("_T")


def until(
    ask: Callable[[], _T],
    done: Callable[[_T], bool],
    *,
    interval: float = 2.0,
    timeout: float | None = None,
    growth: float = 1.0,
    max_interval: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[_T]:
    """Each answer of ``ask()``, every ``interval`` seconds (multiplied by ``growth``
    after each, up to ``max_interval``), ending after the first answer that is ``done``
    or the first one given once ``timeout`` seconds have passed (never sleeping past it).
    ``sleep`` and ``clock`` are the real ones unless a caller has its own."""
    deadline = None if timeout is None else clock() + timeout
    pause = interval
    while True:
        answer = ask()
        yield answer
        if done(answer) or (deadline is not None and clock() >= deadline):
            return
        sleep(pause if deadline is None else max(0.0, min(pause, deadline - clock())))
        pause = pause * growth if max_interval is None else min(pause * growth, max_interval)


__all__ = ["until"]
