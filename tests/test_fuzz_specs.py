"""Property: no spec, however mangled, makes promspec raise. Every example spec and
starter is mutated at random places with hostile values and then checked and rendered in
every mode; only diagnostics may come out (the harness that found several crashes)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prominence_spec.loading.loader import Document, LoadResult, load
from prominence_spec.validation.paths import check_loaded
from prominence_spec.validation.templated import open_templated

from support import examples

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [
    load(p).documents[0]
    for p in sorted([*ROOT.glob("specs/*.yaml"), *ROOT.glob("templates/*.yaml")])
]
VALUES: list[Any] = [
    0,
    -1,
    1,
    2.0,
    1e300,
    10**30,
    "",
    " ",
    "a\nb",
    "é",
    "${x}",
    "mpirun x",
    None,
    True,
    [],
    {},
    "{{ x }}",
    "{{ nope }}",
    "{{ omit }}",
    "{{ 1/0 }}",
    "{{ [1, 2] }}",
    "{{ {'a': 1} }}",
    "{{ {1: 2} }}",
    "{{ 1e308 * 10 }}",
    "{{ index }}",
    "{{ read_file('nope') }}",
    "{% for i in range(3) %}{{ i }}{% endfor %}",
    "{{ x | upper }}",
    "{{ 'a' * 3 }}",
    {"start": 1, "end": 3, "step": 1},
    [1, 2, 3],
    {"repeat": 2},
    {"rows": "x.csv"},
    {"zip": [{"a": [1, 2]}, {"b": [3]}]},
    {"name": "{{ x }}"},
    "workflow",
    "factory",
]
KEYS = ["extra", "cpu", "x", "{{ x }}", "name", "sweep", "expand"]


def _mutate(node: Any, draw: Any, depth: int = 0) -> None:
    if isinstance(node, dict) and node:
        key = draw(st.sampled_from(sorted(node, key=str)))
        if depth > 4 or draw(st.booleans()):
            node[key] = copy.deepcopy(draw(st.sampled_from(VALUES)))
        else:
            _mutate(node[key], draw, depth + 1)
        if draw(st.integers(0, 9)) == 0:
            node[draw(st.sampled_from(KEYS))] = copy.deepcopy(draw(st.sampled_from(VALUES)))
    elif isinstance(node, list) and node:
        index = draw(st.integers(0, len(node) - 1))
        if depth > 4 or draw(st.booleans()):
            node[index] = copy.deepcopy(draw(st.sampled_from(VALUES)))
        else:
            _mutate(node[index], draw, depth + 1)


@pytest.mark.slow
@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mangled_specs_give_diagnostics_never_exceptions(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(SEEDS))
    document = copy.deepcopy(seed.data)
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(document, data.draw)
    mangled = Document(document, seed.source, seed.path)
    check_loaded(LoadResult(seed.path, [mangled], []))
    renderer, _ = open_templated(
        mangled, mode=data.draw(st.sampled_from(["jobs", "workflow", "factory"]))
    )
    if renderer is not None:
        for _ in renderer.documents():
            pass
        renderer.diagnostics()
