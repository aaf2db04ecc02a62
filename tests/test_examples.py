"""The example specs are valid (`promspec validate`, run in this process).

That the wheel ships the repository's schemas and templates is test_project.py's
test_packaged_data_is_the_repository_copy.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from prominence_spec.loading.loader import SPEC_SUFFIXES

from cli_support import promspec

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO / "specs"
EXAMPLES = (
    sorted(
        p
        for p in SPECS.rglob("*")
        if p.is_file()
        and p.name.lower().endswith(SPEC_SUFFIXES)
        and not any(part.startswith(".") for part in p.relative_to(SPECS).parts)
    )
    if SPECS.is_dir()
    else []
)


def validate(*paths: str) -> subprocess.CompletedProcess[str]:
    return promspec("validate", *paths, cwd=REPO)


def test_there_are_example_specs() -> None:
    assert EXAMPLES, f"no example specs (*.yaml, *.yml, *.json) under {SPECS}: add some"


@pytest.mark.parametrize(
    "example",
    [pytest.param(p, id=p.relative_to(SPECS).as_posix()) for p in EXAMPLES]
    or [pytest.param(None, id="no-examples")],
)
def test_example_is_valid(example: Path | None) -> None:
    if example is None:
        pytest.fail(f"no example specs under {SPECS}: the folder is empty or missing")
    proc = validate(str(example.relative_to(REPO)))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_specs_folder_is_valid_in_one_run() -> None:
    proc = validate("specs")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith(f"{len(EXAMPLES)} file"), proc.stdout
