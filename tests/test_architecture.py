"""The layout is the pipeline: each stage imports only the stages before it, and no
modules import each other in a loop (imports inside functions included).

load <- spec | template | sweep <- render <- validate <- report <- client <- cli
(``diagnostics`` and ``codes`` are shared by all; ``server`` stands alone; a plain
document's validation needs ``load`` only.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "prominence_spec"
SHARED = {"diagnostics", "codes", "version"}
#: stage -> the stages it may import (besides itself and the shared modules)
ALLOWED: dict[str, set[str]] = {
    "load": set(),
    "spec": {"load"},
    "template": {"load"},
    "sweep": {"load"},
    "render": {"load", "spec", "template", "sweep"},
    "validate": {"load", "spec", "template", "sweep", "render"},
    "report": {"load"},
    "server": set(),
    "client": {"load", "spec", "template", "sweep", "render", "validate", "report"},
    "cli": {
        "load",
        "spec",
        "template",
        "sweep",
        "render",
        "validate",
        "report",
        "client",
        "server",
        "__init__",
    },
    "__init__": {"load", "spec", "template", "sweep", "render", "validate"},
    "__main__": {"cli"},
}
#: modules that check plain documents: they need load, never the templated stages
PLAIN_VALIDATION = (
    "validate.document",
    "validate.schemas",
    "validate.schema_errors",
    "validate.rules",
    "validate.paths",
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
    assert {"load", "spec", "template", "sweep", "render", "validate", "report", "cli"} <= stages


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
    assert "validate.templated" in GRAPH["validate.paths"]
    assert "render.entry" in GRAPH["validate.templated"]
