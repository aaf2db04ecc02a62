"""Fixtures shared by several test modules."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository root (it holds .git) for spec files; modules may define their own."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return root
