"""The layout is the pipeline: each stage imports only the stages before it, and no
modules import each other in a loop (imports inside functions included).

loading <- spec | template | sweep <- render <- validation <- report <- client <- cli
(``diagnostics``, ``codes`` and ``counting`` are shared by all; ``server`` stands alone; a plain
document's validation needs ``loading`` only.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "prominence_spec"
SHARED = {"diagnostics", "codes", "version", "counting", "executor_names"}
#: stage -> the stages it may import (besides itself and the shared modules)
ALLOWED: dict[str, set[str]] = {
    "loading": set(),
    "spec": {"loading"},
    "template": {"loading"},
    "sweep": {"loading"},
    "render": {"loading", "spec", "template", "sweep"},
    "validation": {"loading", "spec", "template", "sweep", "render"},
    "report": {"loading"},
    "server": set(),
    "client": {"loading", "spec", "template", "sweep", "render", "validation", "report"},
    "cli": {
        "loading",
        "spec",
        "template",
        "sweep",
        "render",
        "validation",
        "report",
        "client",
        "server",
        "__init__",
    },
    "__init__": {"loading", "spec", "template", "sweep", "render", "validation"},
    "__main__": {"cli"},
}
#: modules that check plain documents: they need loading, never the templated stages
PLAIN_VALIDATION = (
    "validation.document",
    "validation.schemas",
    "validation.schema_errors",
    "validation.rules",
    "validation.paths",
)


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(p for p in parts if p != "__init__") or "__init__"
        found[name] = path
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every prominence_spec module ``path`` imports, anywhere in the file (``from package
    import module`` counts as importing the module, not the package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module != "prominence_spec" and not node.module.startswith("prominence_spec."):
                continue
            base = node.module.removeprefix("prominence_spec").removeprefix(".")
            for alias in node.names:
                full = f"{base}.{alias.name}" if base else alias.name
                found.add(full if full in known else (base or "__init__"))
        elif isinstance(node, ast.Import):
            found.update(
                a.name.removeprefix("prominence_spec.")
                for a in node.names
                if a.name.startswith("prominence_spec.")
            )
    return found


MODULES = modules()
GRAPH = {
    name: {m for m in imports_of(path, set(MODULES)) if m in MODULES and m != name}
    for name, path in MODULES.items()
}


def stage(module: str) -> str:
    return module.split(".")[0]


def test_every_folder_is_a_known_stage() -> None:
    stages = {stage(m) for m in MODULES} - SHARED
    assert stages <= set(ALLOWED), stages - set(ALLOWED)
    expected = {"loading", "spec", "template", "sweep", "render", "validation", "report", "cli"}
    assert expected <= stages


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_earlier_stages(module: str) -> None:
    own = stage(module)
    if own in SHARED:
        assert not {stage(m) for m in GRAPH[module]} - SHARED, GRAPH[module]
        return
    allowed = ALLOWED[own] | SHARED | {own}
    wrong = sorted(m for m in GRAPH[module] if stage(m) not in allowed)
    assert not wrong, f"{module} imports {wrong}, against the order of the stages"


@pytest.mark.parametrize("module", PLAIN_VALIDATION)
def test_checking_a_plain_document_needs_only_load(module: str) -> None:
    templated = sorted(
        m
        for m in GRAPH[module]
        if stage(m) in {"spec", "template", "sweep", "render"} and m != "spec.settings"
    )
    assert not templated, f"{module} imports {templated}"


def test_no_import_cycles() -> None:
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for child in sorted(GRAPH[node]):
            if state.get(child) == 1:
                cycle = trail[trail.index(child) :] if child in trail else trail
                pytest.fail("import cycle: " + " -> ".join([*cycle, child]))
            if child not in state:
                visit(child, [*trail, child])
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])


def test_the_checks_see_the_imports() -> None:
    """The graph is read right: a known import inside a function is found."""
    assert "validation.templated" in GRAPH["validation.paths"]
    assert "render.entry" in GRAPH["validation.templated"]


@pytest.mark.slow
def test_every_module_imports_both_ordinary_ways() -> None:
    """``import prominence_spec.x.y as m`` and ``from prominence_spec.x import y`` both work
    for every module, in a fresh interpreter (no public function shadows a folder), and the
    public functions stay functions afterwards."""
    import subprocess
    import sys

    names = sorted(n for n in MODULES if n not in {"__init__", "__main__", "cli.__main__"})
    lines = ["import importlib, prominence_spec"]
    for name in names:
        parent, _, leaf = f"prominence_spec.{name}".rpartition(".")
        lines.append(f"import prominence_spec.{name} as m")
        lines.append(f"assert m.__name__ == 'prominence_spec.{name}'")
        lines.append(f"from {parent} import {leaf} as m2; assert m2 is m")
    lines.append("assert callable(prominence_spec.load) and callable(prominence_spec.validate)")
    lines.append("assert not isinstance(prominence_spec.load, type(prominence_spec))")
    proc = subprocess.run(
        [sys.executable, "-c", "\n".join(lines)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert len(names) > 100
