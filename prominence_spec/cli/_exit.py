"""The exit codes every command uses (docs/cli.md, "Exit codes")."""

from __future__ import annotations

from typing import Final

OK: Final = 0
PROBLEMS: Final = 1  # problems found in the input, or a request that failed
USAGE: Final = 2  # usage, configuration or I/O error
INTERNAL: Final = 3  # a bug: one line on stderr, never a traceback
INTERRUPTED: Final = 130  # Ctrl-C (and SIGTERM of run --local)
