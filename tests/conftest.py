"""Fixtures shared by several test modules."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

# A shell without job control starts background jobs with SIGINT ignored, and an ignored
# signal stays ignored in every child: the Ctrl-C tests would then see a CLI that cannot
# be interrupted. Give the suite (and so its subprocesses) what a terminal user has.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository root (it holds .git) for spec files; modules may define their own."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return root
