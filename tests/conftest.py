"""Fixtures shared by several test modules, and the Hypothesis profiles.

Property tests write the number of examples they need for a thorough search
(``settings(max_examples=examples(300))``, see :func:`support.examples`); how many run is
set by the Hypothesis profile:

* ``default`` (and ``ci``, which Hypothesis picks when ``CI`` is set): a quarter of each
  test's count, so that ``python -m pytest`` stays near a minute;
* ``thorough``: every test's full count, for a deep run:
  ``python -m pytest --hypothesis-profile=thorough`` or ``HYPOTHESIS_PROFILE=thorough``.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.errors import InvalidArgument

QUICK_EXAMPLES = 25  # per 100 written: the default and ci profiles run a quarter


def _builtin_ci_profile() -> settings | None:
    """Hypothesis's own ``ci`` profile (derandomised, no database), which older versions
    of Hypothesis (the test extra allows 6.100) do not have."""
    try:
        return settings.get_profile("ci")
    except InvalidArgument:
        return None


settings.register_profile("default", max_examples=QUICK_EXAMPLES)
settings.register_profile("ci", _builtin_ci_profile(), max_examples=QUICK_EXAMPLES)
settings.register_profile("thorough", max_examples=100)
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])

# A shell without job control starts background jobs with SIGINT ignored, and an ignored
# signal stays ignored in every child: the Ctrl-C tests would then see a CLI that cannot
# be interrupted. Give the suite (and so its subprocesses) what a terminal user has.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _no_sandbox_left_running() -> Iterator[None]:
    """A sandbox subprocess a test left running (it failed before stopping it) is killed
    after that test, so its failure does not turn up as a warning in another one."""
    yield
    support = sys.modules.get("sandbox_support")
    if support is not None:
        support.stop_left_running()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository root (it holds .git) for spec files; modules may define their own."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return root


# -- keeping the README's suite quick ---------------------------------------------------
#: An unmarked test slower than this (setup, call and teardown) is named at the end of the
#: run, to be marked ``@pytest.mark.slow`` (the README's command leaves those out).
UNMARKED_SLOW_SECONDS = 2.0
_unmarked_slow: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "slow" not in report.keywords:
        took = _unmarked_slow.get(report.nodeid, 0.0) + report.duration
        _unmarked_slow[report.nodeid] = took


def pytest_terminal_summary(terminalreporter: object) -> None:
    slow = sorted((t, n) for n, t in _unmarked_slow.items() if t > UNMARKED_SLOW_SECONDS)
    if slow:
        write = terminalreporter.write_line  # type: ignore[attr-defined]
        write(f"unmarked tests over {UNMARKED_SLOW_SECONDS:g} s (mark them slow):")
        for took, nodeid in reversed(slow):
            write(f"  {took:5.1f} s  {nodeid}")
