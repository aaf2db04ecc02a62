"""The pre-commit hook definitions: the published hook and the repository's own use of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _hooks() -> list[dict[str, object]]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    return hooks


def test_published_hook() -> None:
    (hook,) = _hooks()
    assert hook["id"] == "promspec-validate"
    assert hook["entry"] == "promspec validate"
    assert hook["language"] == "python"


@pytest.mark.parametrize(
    ("path", "matched"),
    [
        ("specs/job.yaml", True),
        ("a/b/c.yml", True),
        ("x.json", True),
        ("README.md", False),
        ("job.yaml.bak", False),
        ("schemas/x.py", False),
    ],
)
def test_published_hook_files_pattern(path: str, matched: bool) -> None:
    (hook,) = _hooks()
    assert bool(re.search(str(hook["files"]), path)) is matched


@pytest.mark.parametrize(
    ("path", "matched"),
    [
        ("specs/pi-sweep.yaml", True),
        ("templates/job.yaml", True),
        ("specs/calculate-pi.json", True),
        ("tests/adversarial/bomb.yaml", False),
        ("schemas/job.schema.json", False),
    ],
)
def test_own_config_checks_specs_and_templates(path: str, matched: bool) -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for repo in config["repos"] for h in repo["hooks"]]
    assert hook["id"] == "promspec-validate"
    assert bool(re.search(hook["files"], path)) is matched
