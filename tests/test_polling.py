"""The one polling loop (client/polling.until) that wait, --follow and Client.wait use."""

from __future__ import annotations

import itertools

import pytest

from prominence_spec.client.polling import until


def test_it_stops_after_the_first_answer_that_is_done() -> None:
    answers = iter(["idle", "running", "completed", "never asked"])
    pauses: list[float] = []
    seen = list(until(lambda: next(answers), lambda a: a == "completed", sleep=pauses.append))
    assert seen == ["idle", "running", "completed"]
    assert pauses == [2.0, 2.0]  # none after the last answer


def test_the_pause_grows_to_its_ceiling() -> None:
    counter = itertools.count()
    pauses: list[float] = []
    seen = until(
        lambda: next(counter),
        lambda n: n == 5,
        interval=0.25,
        growth=2.0,
        max_interval=1.5,
        sleep=pauses.append,
    )
    assert list(seen) == [0, 1, 2, 3, 4, 5]
    assert pauses == [0.25, 0.5, 1.0, 1.5, 1.5]


def test_a_timeout_ends_it_with_the_last_answer_and_never_sleeps_past_it() -> None:
    now = [100.0]
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        now[0] += seconds

    seen = list(
        until(
            lambda: "running",
            lambda a: False,
            interval=0.3,
            timeout=1.0,
            sleep=sleep,
            clock=lambda: now[0],
        )
    )
    assert seen == ["running"] * 5  # at 0, 0.3, 0.6, 0.9 and 1.0 s
    assert pauses == [0.3, 0.3, 0.3, pytest.approx(0.1)]
