"""The compiled validator (jsonschema-rs) decides exactly as the Python validator wherever
``fast_path_applies`` lets it decide alone."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prominence_spec.loading.plain import plain_data as fast_path_applies
from prominence_spec.validation.document import schema_diagnostics, validate
from prominence_spec.validation.schemas import fast_validator, validator

from support import examples, key_paths

#: One change to a document: the key path, set/delete/add, a new key, the value.
Change = tuple[tuple[Any, ...], str, str, Any]

JOB: dict[str, Any] = {
    "name": "pi",
    "labels": {"project": "demo"},
    "resources": {"cpus": 1, "memory": 1, "disk": 10, "nodes": 1, "walltime": 60},
    "tasks": [
        {
            "image": "eoscprominence/testpi",
            "runtime": "singularity",
            "cmd": "echo hi",
            "env": {"MODE": "fast"},
            "workdir": "/work",
            "procsPerNode": 1,
        }
    ],
    "artifacts": [{"url": "https://example.org/data.tgz", "mountpoint": "data:/data"}],
    "outputFiles": ["out.txt"],
    "outputDirs": ["results"],
    "inputs": [{"filename": "a.txt", "content": "aGk="}],
    "policies": {
        "maximumRetries": 1,
        "priority": 1,
        "preemptible": False,
        "placement": {"requirements": {"sites": ["site-a"]}},
    },
    "notifications": [{"event": "jobFinished", "type": "email"}],
}
WORKFLOW: dict[str, Any] = {
    "name": "wf",
    "labels": {"project": "demo"},
    "jobs": [dict(copy.deepcopy(JOB), name="a"), dict(copy.deepcopy(JOB), name="b")],
    "dependencies": {"a": ["b"]},
    "factories": [
        {
            "type": "parameterSweep",
            "name": "sweep",
            "jobs": ["a"],
            "parameters": [{"name": "x", "start": 1, "end": 3, "step": 1}],
        }
    ],
    "policies": {"maximumRetries": 1},
    "notifications": [{"event": "workflowFinished", "type": "email"}],
}
BASES = {"job": JOB, "workflow": WORKFLOW}


SCALARS = [
    0,
    1,
    -1,
    2,
    7,
    -5,
    100000,
    2**31,
    2**40,
    2**63 - 1,
    -(2**63),
    1.5,
    -0.5,
    0.25,
    1e-9,
    1e300,
    "",
    " ",
    "x",
    "a b",
    "a\nb",
    "x\n",
    "\n",
    "a\tb",
    "0",
    "1",
    "-1",
    "singularity",
    "udocker",
    "docker",
    "basic",
    "sidecar",
    "jobFinished",
    "email",
    "workflowFinished",
    "parameterSweep",
    "zip",
    "repeat",
    "a-b",
    "a.b/c",
    "A_1",
    "x" * 513,
    "https://a.b/c",
    "a:/b",
    "/abs",
    "../up",
    "aGk",
    "aGk=",
    "é",
    "日本",
    "\u2028",
    "naïve",
    True,
    False,
    None,
]
KEYS = [
    "a",
    "x",
    "name",
    "image",
    "cpus",
    "memory",
    "type",
    "jobs",
    "A1",
    "a-b",
    "x y",
    "é",
    "runtime",
    "start",
    "end",
    "step",
    "values",
    "number",
    "event",
]
SCALAR = st.sampled_from(SCALARS)
VALUE = st.one_of(
    SCALAR,
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(codec="ascii"), max_size=12),
    st.text(max_size=6),
    st.lists(SCALAR, max_size=3),
    st.dictionaries(st.sampled_from(KEYS), SCALAR, max_size=3),
)


def mutations(kind: str) -> st.SearchStrategy[list[Change]]:
    return st.lists(
        st.tuples(
            st.sampled_from([path for path in key_paths(BASES[kind]) if path]),
            st.sampled_from(["set", "set", "delete", "add"]),
            st.sampled_from(KEYS),
            VALUE,
        ),
        min_size=1,
        max_size=3,
    )


def mutate(base: dict[str, Any], changes: list[Change]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    for path, op, new_key, value in changes:
        parent: Any = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            last = path[-1]
            if op == "add":
                target = parent[last]
                if isinstance(target, dict):
                    target[new_key] = copy.deepcopy(value)
                elif isinstance(target, list):
                    target.append(copy.deepcopy(value))
            elif isinstance(parent, dict) and isinstance(last, str):
                if op == "delete":
                    parent.pop(last, None)
                else:
                    parent[last] = copy.deepcopy(value)
            elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
                if op == "delete":
                    del parent[last]
                else:
                    parent[last] = copy.deepcopy(value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or replaced this path
    return doc


def agree(kind: str, doc: dict[str, Any]) -> None:
    if not fast_path_applies(doc):
        return
    slow_valid = not list(validator(kind).iter_errors(doc))
    assert fast_validator(kind).is_valid(doc) == slow_valid, doc


@pytest.mark.parametrize("kind", ["job", "workflow"])
def test_bases_are_valid_and_take_the_fast_path(kind: str) -> None:
    doc = BASES[kind]
    assert fast_path_applies(doc)
    assert list(validator(kind).iter_errors(doc)) == []
    assert fast_validator(kind).is_valid(doc)
    assert schema_diagnostics(doc, kind) == []


@pytest.mark.slow
@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations("job"))
def test_job_fast_path_agrees(changes: list[Change]) -> None:
    agree("job", mutate(JOB, changes))


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations("workflow"))
def test_workflow_fast_path_agrees(changes: list[Change]) -> None:
    agree("workflow", mutate(WORKFLOW, changes))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param(("resources", "cpus"), 2.0, id="integral-float"),
        pytest.param(("resources", "cpus"), 2**64, id="beyond-64-bits"),
        pytest.param(("resources", "cpus"), -(2**63) - 1, id="below-64-bits"),
        pytest.param(("labels", "project"), "d\u00e9mo", id="non-ascii-value"),
        pytest.param(("tasks", 0, "env", "MODE"), "\u2028", id="non-ascii-line-separator"),
    ],
)
def test_known_divergences_do_not_take_the_fast_path(path: tuple[Any, ...], value: Any) -> None:
    doc = mutate(JOB, [(path, "set", "", value)])
    assert not fast_path_applies(doc)


def test_non_ascii_key_does_not_take_the_fast_path() -> None:
    assert not fast_path_applies(mutate(JOB, [(("labels",), "add", "é", "x")]))


def test_integral_float_is_rejected_whatever_the_path() -> None:
    doc = mutate(JOB, [(("resources", "cpus"), "set", "", 2.0)])
    assert [d.code for d in schema_diagnostics(doc, "job")] == ["PS204"]


@pytest.mark.parametrize("kind", ["job", "workflow"])
def test_mutations_reach_the_fast_path(kind: str) -> None:
    """The property is not vacuous: ASCII documents of both verdicts take the fast path."""
    valid = mutate(BASES[kind], [(("name",), "set", "", "renamed")])
    invalid = mutate(BASES[kind], [(("labels",), "add", "x y", "v")])
    assert fast_path_applies(valid) and fast_path_applies(invalid)
    assert fast_validator(kind).is_valid(valid)
    assert not fast_validator(kind).is_valid(invalid)
    agree(kind, valid)
    agree(kind, invalid)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["job", "workflow"]).flatmap(
        lambda kind: st.tuples(st.just(kind), mutations(kind))
    )
)
def test_validate_never_raises(case: tuple[str, list[Change]]) -> None:
    kind, changes = case
    doc = mutate(BASES[kind], changes)
    for diagnostic in validate(doc, kind):
        assert diagnostic.code.startswith("PS") and diagnostic.message


def test_unhashable_workflow_job_name_does_not_raise() -> None:
    doc = mutate(WORKFLOW, [(("jobs", 0, "name"), "set", "", ["a"])])
    assert "PS408" in [d.code for d in validate(doc, "workflow")]
