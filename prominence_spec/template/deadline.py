"""The time limit of one template evaluation, in every thread, without signals.

Each thread has its own deadline, set by :func:`within` for the length of one evaluation.
The template code checks it at every step that can repeat: each iteration of a
``{% for %}`` loop (the code generator wraps every loop's iterable in :func:`ticking`),
each call (macros, ``loop()`` of a recursive loop, methods), each filter and each
intercepted operator. Every step between two checks is bounded by the size limits
(no value grows past ``max_output``), so an evaluation cannot run far past its deadline.

No process-wide state is touched (no ``SIGALRM``, no timer, no handler), so templates
can be rendered from any thread, several at once, by a library user's own code.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Final, TypeVar

_T = TypeVar("_T")
#: A loop checks the clock once every this many iterations (and at its first).
CHECK_EVERY: Final = 64


class Timeout(BaseException):
    """The evaluation passed its deadline; a BaseException so no ``except Exception`` in a
    template's call chain can swallow it."""


class _State(threading.local):
    deadline: float | None = None


_STATE: Final = _State()
_clock: Final = time.monotonic


def within(action: Callable[[], _T], seconds: float) -> _T:
    """``action()``, raising :class:`Timeout` at the first check after ``seconds``. Nested
    limits keep the earlier deadline; ``seconds <= 0`` means no limit of its own."""
    state = _STATE
    outer = state.deadline
    if seconds > 0:
        mine = _clock() + seconds
        state.deadline = mine if outer is None or mine < outer else outer
    try:
        return action()
    finally:
        state.deadline = outer


def check() -> None:
    """Raise :class:`Timeout` if this thread's evaluation has passed its deadline."""
    deadline = _STATE.deadline
    if deadline is not None and _clock() > deadline:
        raise Timeout


def ticking(iterable: Iterable[_T]) -> Iterator[_T]:
    """``iterable``, checking the deadline at the first item and every
    :data:`CHECK_EVERY` items after it."""
    check()
    countdown = CHECK_EVERY
    for item in iterable:
        countdown -= 1
        if not countdown:
            countdown = CHECK_EVERY
            check()
        yield item


__all__ = ["CHECK_EVERY", "Timeout", "check", "ticking", "within"]
