"""The production server's counting loop for a range, simulated once for everyone.

A ``parameterSweep`` parameter (and a promspec range, which follows it) has as many values
as the server's loop counts::

    count, value = 0, start
    while value <= end:
        value += step
        count += 1

in floating point. The sweep stage counts ranges with it, the sandbox's backend expands
factories with it, and the executable model of the server judges documents with it: each
with its own ``limit`` (how many additions are worth simulating there), which is the one
thing they differ in.
"""

from __future__ import annotations

import math


def server_count(start: float, end: float, step: float, limit: int) -> int | None:
    """The loop's count; None when it never ends (a step that is not positive, an
    infinite end, or a step below the floating-point resolution of the range); ``limit +
    1`` when it would take more than ``limit`` additions, which are not simulated."""
    if not start <= end:
        return 0
    if math.isnan(step):
        return 1  # value becomes nan, and nan <= end is false
    if step <= 0 or math.isinf(end) or start + step == start or end + step == end:
        return None
    estimate = (end - start) / step
    if not math.isfinite(estimate) or estimate > limit:
        return limit + 1
    count, value = 0, start
    while value <= end:
        value += step
        count += 1
    return count


__all__ = ["server_count"]
