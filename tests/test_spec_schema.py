"""schemas/spec.schema.json: derived from the job and workflow schemas, for editors.

It must be up to date, a valid 2020-12 schema, accept every example spec and template (plain
or templated), refuse plainly wrong specs, and judge plain API bodies exactly as the job and
workflow schemas do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry

from prominence_spec.validation import schemas
from prominence_spec.validation.editor_schema import (
    JINJA_PATTERN,
    JINJA_REF,
    UnsupportedSchemaError,
    build_spec_schema,
    render,
    widen,
)

from support import walk

ROOT = Path(__file__).resolve().parent.parent
SPEC_FILE = ROOT / "schemas" / "spec.schema.json"
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
SCHEMA = build_spec_schema()
EXAMPLES = sorted(
    p
    for folder in ("specs", "templates")
    for p in (ROOT / folder).rglob("*")
    if p.suffix in (".yaml", ".yml", ".json")
)

R = {"cpus": 1, "memory": 1, "disk": 10}
T = [{"image": "busybox", "runtime": "singularity"}]


def editor_validator() -> Any:
    """Plain Draft 2020-12, as editors see it (2.0 is an integer); no retrieval."""
    return Draft202012Validator(SCHEMA, registry=Registry(), format_checker=FORMAT_CHECKER)


def promspec_validator() -> Any:
    """promspec's own dialect (an integer has no fraction); no retrieval."""
    return schemas.validator_class()(SCHEMA, registry=Registry(), format_checker=FORMAT_CHECKER)


VALIDATORS = [
    pytest.param(editor_validator, id="draft2020-12"),
    pytest.param(promspec_validator, id="promspec"),
]


def resolve(node: Any) -> Any:
    while isinstance(node, dict) and set(node) == {"$ref"}:
        node = SCHEMA["$defs"][node["$ref"].removeprefix("#/$defs/")]
    return node


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def templated(node: Any) -> bool:
    return any(isinstance(x, str) and re.search(JINJA_PATTERN, x) for _, x in walk(node)) or any(
        isinstance(x, dict) and any(re.search(JINJA_PATTERN, str(k)) for k in x)
        for _, x in walk(node)
    )


# -- the file -------------------------------------------------------------------------------


def test_committed_file_is_up_to_date() -> None:
    assert SPEC_FILE.read_text(encoding="utf-8") == json.dumps(SCHEMA, indent=2) + "\n", (
        "regenerate: python -m prominence_spec.validation.editor_schema > schemas/spec.schema.json"
    )


def test_output_is_deterministic() -> None:
    assert render() == render() == json.dumps(build_spec_schema(), indent=2) + "\n"


def test_is_bundled_as_a_schema_name() -> None:
    assert "spec" in schemas.SCHEMA_NAMES
    assert json.loads(schemas.schema_text("spec")) == SCHEMA


def test_is_a_valid_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA, format_checker=FORMAT_CHECKER)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$id" not in SCHEMA


def test_refs_are_internal_and_resolve() -> None:
    refs = {
        node["$ref"]
        for _, node in walk(SCHEMA)
        if isinstance(node, dict) and isinstance(node.get("$ref"), str)
    }
    assert JINJA_REF in refs
    for ref in refs:
        assert ref.startswith("#/$defs/"), ref
        assert ref.removeprefix("#/$defs/") in SCHEMA["$defs"], ref


def test_refs_have_no_clashing_siblings() -> None:
    """Editors merge a $ref's target into the referring schema, some letting the target's
    keys win and others the siblings: a sibling may only add keys the target lacks (or
    repeat annotations, where either wins harmlessly)."""
    for path, node in walk(SCHEMA):
        if isinstance(node, dict) and "$ref" in node:
            target = resolve({"$ref": node["$ref"]})
            clashes = (set(node) - {"$ref"}) & set(target)
            assert clashes <= {"title", "description"}, f"{path}: {clashes}"


def test_every_def_is_used() -> None:
    text = json.dumps(SCHEMA)
    for name in SCHEMA["$defs"]:
        assert f'"#/$defs/{name}"' in text, name


def test_defs_are_sorted() -> None:
    assert list(SCHEMA["$defs"]) == sorted(SCHEMA["$defs"])


def test_promspec_internal_keywords_are_dropped() -> None:
    keys = {k for _, node in walk(SCHEMA) if isinstance(node, dict) for k in node}
    assert not keys & {"x-code", "x-hint"}
    assert "errorMessage" in keys


def test_jinja_def() -> None:
    jinja = SCHEMA["$defs"]["jinja"]
    assert jinja["type"] == "string" and jinja["pattern"] == "\\{\\{|\\{%"
    # editors show the first description among matching schemas: it must be the field's
    assert "description" not in jinja and "title" not in jinja


def test_wrappers_keep_hover_help() -> None:
    wrappers = 0
    for path, node in walk(SCHEMA):
        if isinstance(node, dict) and node.get("anyOf", [None])[-1] == {"$ref": JINJA_REF}:
            wrappers += 1
            assert len(node["anyOf"]) == 2, path
            original = resolve(node["anyOf"][0])
            for key in ("title", "description", "default", "examples"):
                if key in original:
                    assert node.get(key) == original[key], f"{path}: {key}"
    assert wrappers > 50


def test_every_setting_is_described() -> None:
    names = [
        "settings",
        "settingsWorkflow",
        "templateSpec",
        *(n for n in SCHEMA["$defs"] if n.startswith("sweep")),
    ]
    for name in names:
        for path, node in walk(SCHEMA["$defs"][name], name):
            if path.endswith("/properties") and isinstance(node, dict):
                for key, prop in node.items():
                    assert "description" in prop, f"{path}/{key}"
    settings = SCHEMA["$defs"]["settings"]
    assert settings["additionalProperties"] is False
    assert set(settings["properties"]) == {
        "template",
        "kind",
        "params",
        "sweep",
        "expand",
        "name",
        "workflow",
        "max_points",
    }


def test_settings_match_the_spec_reader() -> None:
    from prominence_spec.spec import settings as spec

    assert tuple(SCHEMA["$defs"]["settings"]["properties"]) == spec.SETTINGS_KEYS
    assert tuple(SCHEMA["$defs"]["settingsWorkflow"]["properties"]) == spec.WORKFLOW_KEYS
    assert SCHEMA["$defs"]["settings"]["properties"]["expand"]["enum"] == list(spec.MODES)
    assert (
        SCHEMA["$defs"]["settings"]["properties"]["max_points"]["default"]
        == spec.DEFAULT_MAX_POINTS
    )


def test_plain_parts_keep_required() -> None:
    assert SCHEMA["$defs"]["jobSpec"]["required"] == ["resources", "tasks"]
    assert SCHEMA["$defs"]["workflowSpec"]["required"] == ["jobs"]
    assert SCHEMA["$defs"]["job"]["required"] == ["resources", "tasks"]


def test_compiles_with_jsonschema_rs() -> None:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    compiled = jsonschema_rs.validator_for(SCHEMA)
    for path in EXAMPLES:
        assert compiled.is_valid(load(path)), path


# -- widening -------------------------------------------------------------------------------


def _check(schema: dict[str, Any], doc: Any) -> bool:
    root = {"$defs": {"jinja": SCHEMA["$defs"]["jinja"]}, **widen(schema)}
    return Draft202012Validator(root, registry=Registry()).is_valid(doc)


def test_widen_values_items_and_keys() -> None:
    obj = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "n": {"type": "integer", "description": "N."},
            "xs": {"type": "array", "items": {"type": "integer"}},
        },
    }
    assert _check(obj, {"n": "{{ n }}", "xs": [1, "{% if a %}2{% endif %}"]})
    assert _check(obj, {"{{ key }}": 1})
    assert not _check(obj, {"n": "n"})
    assert not _check(obj, {"other": 1})
    assert widen(obj)["properties"]["n"]["description"] == "N."


def test_widen_never_lets_jinja_satisfy_a_condition_or_a_negation() -> None:
    rule = {
        "type": "object",
        "if": {"required": ["r"], "properties": {"r": {"const": "u"}}},
        "then": {"not": {"required": ["app"]}},
        "not": {"required": ["k"], "properties": {"k": {"const": "bad"}}},
    }
    assert _check(rule, {"r": "{{ r }}", "app": "x"})
    assert not _check(rule, {"r": "u", "app": "x"})
    assert _check(rule, {"k": "{{ k }}"})
    assert not _check(rule, {"k": "bad"})


def test_widen_loosens_one_of_without_touching_any_of() -> None:
    node = {
        "anyOf": [{"type": "object"}],
        "oneOf": [{"properties": {"a": {"const": 1}}}, {"properties": {"a": {"const": 2}}}],
    }
    widened = widen(node)
    assert "oneOf" not in widened and widened["anyOf"] == [{"type": "object"}]
    assert _check(node, {"a": "{{ a }}"})


def test_widen_refuses_unknown_keywords() -> None:
    with pytest.raises(UnsupportedSchemaError, match="dependencies"):
        widen({"dependencies": {"a": ["b"]}})


# -- documents ------------------------------------------------------------------------------


def test_there_are_examples() -> None:
    names = {p.name for p in EXAMPLES}
    assert {
        "calculate-pi.yaml",
        "calculate-pi.json",
        "pi-sweep.yaml",
        "gas-study.yaml",
        "job.yaml",
        "scatter-gather.yaml",
    } <= names


@pytest.mark.parametrize("make", VALIDATORS)
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_examples_validate(make: Callable[[], Any], path: Path) -> None:
    errors = [e.message for e in make().iter_errors(load(path))]
    assert errors == []


GOOD = {
    "template-only": {"promspec": {"template": "../templates/job.yaml"}},
    "template-with-settings": {
        "promspec": {
            "template": "t.yaml",
            "kind": "job",
            "params": {"cpus": 2},
            "expand": "factory",
            "name": "x-{{ a }}",
            "max_points": 10,
            "sweep": {"a": {"start": 1, "end": 3, "step": 1}},
        }
    },
    "jinja-everywhere": {
        "promspec": {"params": {"n": 1}},
        "name": "job-{{ n }}",
        "labels": {"{{ key }}": "{{ value }}", "fixed": "x"},
        "resources": {
            "cpus": "{{ n }}",
            "memory": "{{ 2 * n }}",
            "disk": 10,
            "walltime": "{{ 60 if n > 1 else omit }}",
        },
        "tasks": [
            {
                "image": "{{ image }}",
                "runtime": "{{ runtime }}",
                "env": {"N": "{{ n }}"},
                "procsPerNode": "{% if n %}1{% endif %}",
            }
        ],
        "outputFiles": "{{ files }}",
        "{{ extra_key }}": "{{ extra_value }}",
    },
    "whole-parts-templated": {
        "promspec": {},
        "resources": "{{ resources }}",
        "tasks": ["{{ task }}"],
    },
    "jinja-never-triggers-a-rule": {  # a udocker task takes no app; unknown here
        "promspec": {},
        "resources": R,
        "tasks": [{"image": "a", "runtime": "{{ rt }}", "app": "x"}],
    },
    "jinja-task-type-is-not-sidecar": {
        "promspec": {},
        "resources": R,
        "tasks": [{**T[0], "type": "{{ kind }}"}],
    },
    "workflow-templated": {
        "promspec": {"expand": "jobs"},
        "name": "wf-{{ i }}",
        "jobs": [{"name": "a-{{ i }}", "resources": R, "tasks": T}],
        "dependencies": "{{ deps }}",
    },
    "workflow-settings": {
        "promspec": {
            "template": "t.yaml",
            "expand": "workflow",
            "workflow": {
                "name": "study-{{ version }}",
                "labels": {"study": "x"},
                "policies": {"maximumRetries": "{{ retries }}"},
                "notifications": [{"event": "workflowFinished", "type": "email"}],
                "setup": {"resources": {**R, "cpus": "{{ n }}"}, "tasks": T},
                "gather": {"name": "merge", "resources": R, "tasks": T},
            },
        }
    },
    "sweep-grammar": {
        "promspec": {
            "template": "t.yaml",
            "sweep": {
                "product": [
                    {"a": [1, 2]},
                    {"zip": {"b": [1, 2], "c": {"values": ["x", "y"]}}},
                    {"rows": "points.csv"},
                    {"seed": {"repeat": 3}},
                ],
                "exclude": [{"a": 1, "b": 2}],
                "include": [{"a": 9, "b": 9, "c": "z", "seed": 0}],
                "where": "a < b",
            },
        }
    },
    "sweep-include-only": {"promspec": {"template": "t.yaml", "sweep": {"include": [{"a": 1}]}}},
    "sweep-inline-rows": {
        "promspec": {
            "template": "t.yaml",
            "sweep": {"rows": [{"mass": 125, "label": "higgs"}], "where": "mass > 100"},
        }
    },
}

BAD = {
    "unknown-setting": {"promspec": {"template": "t.yaml", "bogus": 1}},
    "unknown-setting-in-body-spec": {"promspec": {"colour": "red"}, "resources": R, "tasks": T},
    "expand-bogus": {"promspec": {"template": "t.yaml", "expand": "bogus"}},
    "kind-bogus": {"promspec": {"template": "t.yaml", "kind": "jobs"}},
    "max-points-zero": {"promspec": {"template": "t.yaml", "max_points": 0}},
    "template-not-a-string": {"promspec": {"template": 3}},
    "cpus-true": {"promspec": {}, "resources": {**R, "cpus": True}, "tasks": T},
    "cpus-four": {"promspec": {}, "resources": {**R, "cpus": "four"}, "tasks": T},
    "cpus-braces-without-jinja": {"resources": {**R, "cpus": "{ cpus }"}, "tasks": T},
    "template-and-body": {"promspec": {"template": "t.yaml"}, "resources": R, "tasks": T},
    "no-body-no-template": {"promspec": {"params": {"a": 1}}},
    "body-without-tasks": {"promspec": {}, "resources": R},
    "unknown-body-key": {"promspec": {}, "resources": R, "tasks": T, "colour": "red"},
    "unknown-workflow-setting": {"promspec": {"template": "t.yaml", "workflow": {"nam": "x"}}},
    "setup-without-tasks": {
        "promspec": {"template": "t.yaml", "workflow": {"setup": {"resources": R}}}
    },
    "sweep-scalar-axis": {"promspec": {"template": "t.yaml", "sweep": {"model": "vdw"}}},
    "sweep-empty-axis": {"promspec": {"template": "t.yaml", "sweep": {"model": []}}},
    "sweep-number-not-step": {
        "promspec": {"template": "t.yaml", "sweep": {"x": {"start": 0, "end": 1, "number": 3}}}
    },
    "sweep-quoted-number": {
        "promspec": {"template": "t.yaml", "sweep": {"x": {"start": "0", "end": 1, "step": 1}}}
    },
    "sweep-step-zero": {
        "promspec": {"template": "t.yaml", "sweep": {"x": {"start": 0, "end": 1, "step": 0}}}
    },
    "sweep-axis-key-at-top": {"promspec": {"template": "t.yaml", "sweep": {"start": 1}}},
    "sweep-index-reserved": {"promspec": {"template": "t.yaml", "sweep": {"index": [1]}}},
    "sweep-product-not-alone": {
        "promspec": {"template": "t.yaml", "sweep": {"product": [{"a": [1]}], "b": [1]}}
    },
    "sweep-where-nested": {
        "promspec": {"template": "t.yaml", "sweep": {"zip": [{"a": [1], "where": "a"}]}}
    },
    "sweep-exclude-only": {"promspec": {"template": "t.yaml", "sweep": {"exclude": [{"a": 1}]}}},
    "schema-key-in-a-body": {"$schema": "./schemas/job.schema.json", "resources": R, "tasks": T},
}


@pytest.mark.parametrize("make", VALIDATORS)
@pytest.mark.parametrize("doc", GOOD.values(), ids=GOOD.keys())
def test_good_specs(make: Callable[[], Any], doc: dict[str, Any]) -> None:
    assert [e.message for e in make().iter_errors(doc)] == []


@pytest.mark.parametrize("make", VALIDATORS)
@pytest.mark.parametrize("doc", BAD.values(), ids=BAD.keys())
def test_bad_specs(make: Callable[[], Any], doc: dict[str, Any]) -> None:
    assert not make().is_valid(doc)


def test_editor_and_promspec_differ_on_whole_floats() -> None:
    doc = {"resources": {**R, "cpus": 2.0}, "tasks": T}
    assert editor_validator().is_valid(doc)
    assert not promspec_validator().is_valid(doc)


def test_plain_bodies_still_validate() -> None:
    doc = load(ROOT / "specs" / "calculate-pi.yaml")
    assert "promspec" not in doc
    assert promspec_validator().is_valid(doc)
    assert schemas.validator("job").is_valid(doc)


def _compat_documents() -> list[Any]:
    from test_compat_cases import CASES

    return [case.values[1] for case in CASES]


@pytest.mark.slow
def test_plain_bodies_are_judged_like_the_api_schemas() -> None:
    """Without Jinja or settings, spec = job or workflow (same verdict on every compat case)."""
    spec = promspec_validator()
    job, workflow = schemas.validator("job"), schemas.validator("workflow")
    documents = [
        d
        for d in _compat_documents()
        if not templated(d) and not (isinstance(d, dict) and "promspec" in d)
    ]
    assert len(documents) > 100
    for doc in documents:
        expected = job.is_valid(doc) or workflow.is_valid(doc)
        assert spec.is_valid(doc) == expected, json.dumps(doc)[:300]
