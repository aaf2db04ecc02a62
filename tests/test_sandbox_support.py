"""The test helpers themselves: a shared sandbox leaves nothing behind in /tmp."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

SCRIPT = """
from sandbox_support import shared_sandbox
box = shared_sandbox("noop")
again = shared_sandbox("noop")
assert again is box
print(box.data.parent, flush=True)
"""


@pytest.mark.slow
def test_a_shared_sandbox_removes_its_temporary_folder_when_it_stops() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=TESTS,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    root = Path(done.stdout.strip())
    assert root.name.startswith("promspec-sandbox-")
    assert not root.exists()
