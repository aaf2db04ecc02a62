"""Derive ``schemas/spec.schema.json``, the editor schema for specs, plain or templated.

A spec is one of

* a job body (``job.schema.json``), optionally with promspec's settings under ``promspec:``;
* a workflow body (``workflow.schema.json``), likewise;
* only ``promspec:`` settings that name a ``template`` holding the body.

In a templated spec any value may be a Jinja string (``"{{ cpus }}"``), so wherever a value
may go (a property value, an array item, an ``additionalProperties`` value, a key) the derived
schema also accepts one::

    {"description": ..., "anyOf": [<the original, transformed>, {"$ref": "#/$defs/jinja"}]}

The wrapper repeats the original's ``title``, ``description``, ``default`` and ``examples`` so
editors still show hover help and completions. Keys may hold Jinja too: objects closed with
``additionalProperties: false`` also accept keys matching the Jinja pattern. Inside ``not``
and in ``if`` conditions nothing is widened: a Jinja value never satisfies an ``if`` condition
(so a rule such as "udocker tasks take no app" does not fire on ``runtime: "{{ rt }}"``) and
never makes a negated schema match. ``oneOf`` becomes ``anyOf`` (two alternatives may both
accept a Jinja value; the source schemas use none). promspec's own ``x-code`` and
``x-hint`` keywords are dropped; ``errorMessage`` (understood by VS Code's YAML extension)
is kept.

The result is an editor aid that errs on the side of accepting: promspec validates every
rendered document against the real job and workflow schemas. The job's and workflow's own
``$defs`` reappear as ``job.<name>`` and ``workflow.<name>`` (found by comparing the derived
subschemas), so the file stays readable.

Regenerate the committed file with::

    python -m prominence_spec.validation.editor_schema > schemas/spec.schema.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from prominence_spec.validation.schemas import _inline, inlined, schema

DRAFT = "https://json-schema.org/draft/2020-12/schema"
JINJA_PATTERN = "\\{\\{|\\{%"
JINJA_REF = "#/$defs/jinja"
#: Copied from a value's schema to the wrapper that also accepts Jinja (for hover help).
HOVER = ("title", "description", "default", "examples")
#: promspec-internal keywords, meaningless to editors.
DROPPED = frozenset({"x-code", "x-hint", "$schema", "$comment"})
ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "errorMessage",
        "contentEncoding",
        "contentMediaType",
    }
)
ASSERTIONS = frozenset(
    {
        "type",
        "enum",
        "const",
        "pattern",
        "format",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minContains",
        "maxContains",
        "minProperties",
        "maxProperties",
        "required",
        "dependentRequired",
    }
)
#: Subschemas that describe the same value as their parent.
IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
IN_PLACE_ONE = ("not", "if", "then", "else")
IN_PLACE_MAPS = ("dependentSchemas",)
#: Subschemas that describe a child value (or, for propertyNames, a key).
CHILD_ONE = (
    "items",
    "additionalProperties",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
)
CHILD_LISTS = ("prefixItems",)
CHILD_MAPS = ("properties", "patternProperties")
SUBSCHEMA_KEYWORDS = frozenset(
    (*IN_PLACE_LISTS, *IN_PLACE_ONE, *IN_PLACE_MAPS, *CHILD_ONE, *CHILD_LISTS, *CHILD_MAPS)
)
KNOWN = ANNOTATIONS | ASSERTIONS | SUBSCHEMA_KEYWORDS | DROPPED


class UnsupportedSchemaError(ValueError):
    """The source schemas use a keyword this module does not know how to carry over."""


# -- Jinja widening -------------------------------------------------------------------------


def widen(node: Any, positive: bool = True) -> Any:
    """``node`` (a subschema) with every value and key below it also accepting Jinja.

    ``positive`` is False under ``not`` and in ``if`` conditions, where a Jinja value must
    not make the subschema match.
    """
    if isinstance(node, bool):
        return node
    if not isinstance(node, dict):
        raise UnsupportedSchemaError(f"a subschema must be an object or a boolean: {node!r}")
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in DROPPED:
            continue
        if key not in KNOWN:
            raise UnsupportedSchemaError(f"unsupported schema keyword {key!r}")
        if key == "oneOf" and positive:
            # two alternatives may both accept a Jinja value: any one will do
            loose = {"anyOf": [widen(item, positive) for item in value]}
            out.setdefault("allOf", []).append(loose)
        elif key in IN_PLACE_LISTS:
            out.setdefault(key, []).extend(widen(item, positive) for item in value)
        elif key == "not":
            out[key] = widen(value, not positive)
        elif key == "if":
            out[key] = widen(value, False)
        elif key in IN_PLACE_ONE:
            out[key] = widen(value, positive)
        elif key in IN_PLACE_MAPS:
            out[key] = {k: widen(v, positive) for k, v in value.items()}
        elif key in CHILD_ONE:
            out[key] = _value(value, positive)
        elif key in CHILD_LISTS:
            out[key] = [_value(item, positive) for item in value]
        elif key in CHILD_MAPS:
            out[key] = {k: _value(v, positive) for k, v in value.items()}
        else:
            out[key] = value
    if positive and node.get("additionalProperties") is False:
        pattern_properties = dict(out.get("patternProperties", {}))
        pattern_properties.setdefault(JINJA_PATTERN, True)
        out["patternProperties"] = pattern_properties
    return out


def _value(node: Any, positive: bool) -> Any:
    """A subschema at a value (or key) position: also accept a Jinja string there."""
    widened = widen(node, positive)
    if not positive or isinstance(widened, bool) or _accepts_anything(widened):
        return widened
    wrapper = {key: node[key] for key in HOVER if key in node}
    wrapper["anyOf"] = [widened, {"$ref": JINJA_REF}]
    return wrapper


def _accepts_anything(node: dict[str, Any]) -> bool:
    return set(node) <= ANNOTATIONS


# -- walking subschemas ---------------------------------------------------------------------


def _map_subschemas(node: Any, fn: Callable[[Any], Any]) -> Any:
    """A copy of ``node`` with ``fn`` applied to each of its direct subschemas."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in IN_PLACE_LISTS or key in CHILD_LISTS:
            out[key] = [fn(item) for item in value]
        elif key in IN_PLACE_ONE or key in CHILD_ONE:
            out[key] = fn(value)
        elif key in IN_PLACE_MAPS or key in CHILD_MAPS or key == "$defs":
            out[key] = {k: fn(v) for k, v in value.items()}
        else:
            out[key] = value
    return out


def _subschemas(node: Any) -> list[Any]:
    found: list[Any] = []

    def collect(child: Any) -> Any:
        found.append(child)
        return child

    _map_subschemas(node, collect)
    return found


def _canonical(node: Any) -> str:
    return json.dumps(node, sort_keys=True, separators=(",", ":"))


class _Refs:
    """Replace derived subschemas equal to a derived ``$defs`` entry with a ``$ref`` to it."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self.names: dict[str, str] = {}
        for name in sorted(defs):
            self.names.setdefault(_canonical(defs[name]), name)

    def __call__(self, node: Any) -> Any:
        if isinstance(node, dict):
            name = self.names.get(_canonical(node))
            if name is not None:
                return {"$ref": f"#/$defs/{name}"}
        return _map_subschemas(node, self)

    def inside(self, node: Any) -> Any:
        """``node`` itself kept, its subschemas replaced."""
        return _map_subschemas(node, self)


def _source_defs() -> dict[str, Any]:
    """The job and workflow schemas' ``$defs``, inlined and widened, as ``job.<name>`` etc."""
    defs: dict[str, Any] = {}
    for kind in ("job", "workflow"):
        for name, node in schema(kind)["$defs"].items():
            defs[f"{kind}.{name}"] = widen(_inline(node, f"{kind}.schema.json", {}))
    return defs


def _reachable(root: Any, defs: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                if name not in seen:
                    seen.add(name)
                    stack.append(defs[name])
            stack.extend(_subschemas(node))
    return seen


# -- promspec's settings --------------------------------------------------------------------

PARAMETER_NAME = "^[A-Za-z_][A-Za-z0-9_]*$"
NODE_KEYS = ("product", "zip", "rows")
MODIFIER_KEYS = ("include", "exclude", "where")
AXIS_KEYS = ("repeat", "values", "start", "end", "step")


def _jinja() -> dict[str, Any]:
    # No title or description: editors show the first one among the matching schemas, and
    # for a Jinja value that must be the wrapper's (the field's own help).
    return {
        "$comment": "A Jinja template ({{ expression }} or {% statement %}), rendered by "
        "promspec for each sweep point before the result is validated.",
        "type": "string",
        "pattern": JINJA_PATTERN,
    }


def _sweep_defs() -> dict[str, Any]:
    grammar_words = sorted((*NODE_KEYS, *MODIFIER_KEYS, *AXIS_KEYS, "index"))
    # $ref without sibling assertions: editors merge a $ref's target into the referring
    # schema, some letting the target's keys win, others the siblings.
    axis_name = {
        "allOf": [
            {"$ref": "#/$defs/sweepParameterName"},
            {
                "not": {"enum": grammar_words},
                "errorMessage": "an axis needs a parameter name, not one of the sweep "
                "grammar's words "
                "(product, zip, rows, include, exclude, where, repeat, values, start, "
                "end, step) or index",
            },
        ]
    }
    combination = {
        "anyOf": [
            {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/sweepNode"}},
            {"$ref": "#/$defs/sweepAxes"},
        ],
    }

    def only(key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        message = f"{key} must be the only key of its mapping" + (
            " (besides include, exclude and where)" if allowed else ""
        )
        return {
            "if": {"required": [key]},
            "then": {"propertyNames": {"enum": [key, *allowed], "errorMessage": message}},
        }

    def node_properties(top: bool) -> dict[str, Any]:
        where = "the top of the sweep" if top else "this node"
        return {
            "product": {
                "description": f"Every combination of the nodes listed (or of the axes "
                f"of a mapping); the first varies slowest. It must be "
                f"the only key of {where}.",
                **combination,
            },
            "zip": {
                "description": f"Point i of every node listed (or of every axis of a "
                f"mapping) merged; all need the same number of points. "
                f"It must be the only key of {where}.",
                **combination,
            },
            "rows": {
                "description": f"One point per row: a file (.csv, .json, .jsonl, .yaml) "
                f"relative to the file defining the sweep and inside the "
                f"repository, or an inline list of mappings. The columns "
                f"(keys) are the parameters. It must be the only key of "
                f"{where}.",
                "$ref": "#/$defs/sweepRows",
            },
        }

    points = {"type": "array", "items": {"$ref": "#/$defs/sweepPoint"}}
    return {
        "sweep": {
            "title": "Sweep",
            "description": "The parameter sweep: one job per point. A mapping of parameter "
            "names to axes (their product), or product, zip or rows; include, "
            "exclude and where are allowed only here, at the top. See "
            "docs/sweeps.md.",
            "type": "object",
            "properties": {
                **node_properties(top=True),
                "include": {
                    "description": "Points appended after the generated ones; each "
                    "gives every parameter. exclude and where do not "
                    "apply to them. A sweep can be include alone.",
                    **points,
                },
                "exclude": {
                    "description": "Remove each generated point that matches all the "
                    "keys of any entry (numbers compare by value). An "
                    "entry that matches no point is an error.",
                    **points,
                },
                "where": {
                    "description": "A Jinja expression (without {{ }}) evaluated for "
                    "each generated point, with the params and the "
                    "point's parameters (not index); the point is kept "
                    "when it is true.",
                    "type": "string",
                    "pattern": "\\S",
                    "examples": ["size < 10000 or solver != 'cg'"],
                },
            },
            "propertyNames": {"anyOf": [{"enum": [*NODE_KEYS, *MODIFIER_KEYS]}, axis_name]},
            "additionalProperties": {"$ref": "#/$defs/sweepAxis"},
            "allOf": [
                *(only(key, MODIFIER_KEYS) for key in NODE_KEYS),
                {
                    "not": {"propertyNames": {"enum": ["exclude", "where"]}},
                    "errorMessage": "the sweep defines no points: give parameters "
                    "(name: [values]), product, zip, rows or include",
                },
            ],
            "examples": [{"frame": {"start": 1, "end": 100, "step": 1}, "solver": ["cg", "gmres"]}],
        },
        "sweepNode": {
            "title": "Sweep node",
            "description": "A mapping of parameter names to axes (their product), or a "
            "mapping with the single key product, zip or rows.",
            "type": "object",
            "minProperties": 1,
            "properties": node_properties(top=False),
            "propertyNames": {"anyOf": [{"enum": list(NODE_KEYS)}, axis_name]},
            "additionalProperties": {"$ref": "#/$defs/sweepAxis"},
            "allOf": [only(key, ()) for key in NODE_KEYS],
        },
        "sweepAxes": {
            "title": "Sweep axes",
            "description": "A mapping of parameter names to axes.",
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"$ref": "#/$defs/sweepParameterName"},
            "additionalProperties": {"$ref": "#/$defs/sweepAxis"},
        },
        "sweepAxis": {
            "title": "Axis",
            "description": "The values of one parameter: a list, {values: [...]}, "
            "{start, end, step} (end included) or {repeat: N} (0 to N-1). "
            "Write a single value as a one-element list.",
            "anyOf": [
                {
                    "description": "The values, in order (any JSON values).",
                    "type": "array",
                    "minItems": 1,
                },
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["values"],
                    "properties": {
                        "values": {
                            "description": "The values, in order (any JSON values).",
                            "type": "array",
                            "minItems": 1,
                        }
                    },
                },
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["start", "end", "step"],
                    "properties": {
                        "start": {"description": "First value.", "type": "number", "examples": [1]},
                        "end": {
                            "description": "Last value, included if reached by adding step "
                            "(in floating point, as the PROMINENCE server "
                            "does).",
                            "type": "number",
                            "examples": [10],
                        },
                        "step": {
                            "description": "Increment, greater than 0 (ranges count up).",
                            "type": "number",
                            "exclusiveMinimum": 0,
                            "examples": [1],
                        },
                    },
                },
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["repeat"],
                    "properties": {
                        "repeat": {
                            "description": "N: the values 0, 1, ..., N-1.",
                            "type": "integer",
                            "minimum": 1,
                            "examples": [3],
                        }
                    },
                },
            ],
            "examples": [[1, 2, 3], {"start": 1, "end": 10, "step": 1}, {"repeat": 3}],
        },
        "sweepRows": {
            "anyOf": [
                {
                    "description": "A rows file (.csv, .json, .jsonl, .yaml or .yml), relative to "
                    "the file defining the sweep.",
                    "type": "string",
                    "minLength": 1,
                    "examples": ["points.csv"],
                },
                {
                    "description": "The rows, inline: mappings with the same keys.",
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "minProperties": 1,
                        "propertyNames": {"$ref": "#/$defs/sweepParameterName"},
                    },
                },
            ],
        },
        "sweepPoint": {
            "description": "Parameter names and values.",
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"$ref": "#/$defs/sweepParameterName"},
        },
        "sweepParameterName": {
            "description": "A parameter name: letters, digits and _, not a digit first; index "
            "is reserved.",
            "type": "string",
            "pattern": PARAMETER_NAME,
            "not": {"const": "index"},
        },
    }


def _settings_defs(job: dict[str, Any], workflow: dict[str, Any]) -> dict[str, Any]:
    """promspec's settings; ``job`` and ``workflow`` are the widened job and workflow roots."""
    workflow_properties = {
        key: workflow["properties"][key] for key in ("name", "labels", "policies", "notifications")
    }
    extra_job = (
        "a job (its values may be Jinja), rendered once with the params (not per "
        "point); its name defaults to"
    )
    return {
        "settings": {
            "title": "promspec settings",
            "description": "promspec's own settings for a templated spec; never sent to the "
            "PROMINENCE API.",
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "template": {
                    "description": "The template file holding the job or workflow body (and "
                    "default settings), relative to this spec's folder; it "
                    "must be a regular file inside the repository. A spec "
                    "that names a template holds only promspec settings.",
                    "type": "string",
                    "minLength": 1,
                    "examples": ["../templates/job.yaml"],
                },
                "kind": {
                    "description": "Whether the body is a job or a workflow. Default: "
                    "workflow if the body has jobs, else job.",
                    "enum": ["job", "workflow"],
                },
                "params": {
                    "description": "Default values of the template variables, overridden "
                    "by --values files and --set; the spec's params override "
                    "the template's. index and omit are reserved.",
                    "type": "object",
                    "examples": [{"cpus": 2, "image": "eoscprominence/testpi"}],
                },
                "sweep": {
                    "description": "The parameter sweep: one job per point (see docs/sweeps.md).",
                    "$ref": "#/$defs/sweep",
                },
                "expand": {
                    "description": "jobs: one job (or workflow) per point. workflow: one "
                    "workflow with one job per point, plus the optional setup "
                    "and gather jobs. factory: one workflow whose server-side "
                    "factory generates the points (the sweep must be one the "
                    "server can generate).",
                    "enum": ["jobs", "workflow", "factory"],
                    "default": "jobs",
                },
                "name": {
                    "description": "Name template for each job (jobs and workflow modes), "
                    "rendered with the point's parameters and index. "
                    "Default: <name>-<index>.",
                    "type": "string",
                    "examples": ["render-{{ frame }}"],
                },
                "workflow": {
                    "description": "The workflow built in workflow and factory modes: its "
                    "name, labels, policies and notifications, and optional "
                    "setup and gather jobs.",
                    "$ref": "#/$defs/settingsWorkflow",
                },
                "max_points": {
                    "description": "Refuse a sweep with more points than this, before "
                    "anything is rendered.",
                    "type": "integer",
                    "minimum": 1,
                    "default": 1_000_000,
                },
            },
        },
        "settingsWorkflow": {
            "title": "Workflow settings",
            "description": "The workflow built in workflow and factory modes.",
            "type": "object",
            "additionalProperties": False,
            "properties": {
                **workflow_properties,
                "setup": {
                    "description": f"A job that runs before every point's job: {extra_job} setup.",
                    "$ref": "#/$defs/job",
                },
                "gather": {
                    "description": f"A job that runs after every point's job: {extra_job} gather.",
                    "$ref": "#/$defs/job",
                },
            },
        },
    }


# -- the spec schema ------------------------------------------------------------------------


def _with_settings(body: dict[str, Any]) -> dict[str, Any]:
    """A widened job or workflow root that also takes promspec settings without a template."""
    out = dict(body)
    out["properties"] = {
        **body["properties"],
        "promspec": {
            "description": "promspec's settings (never sent to the API). A spec with a body names "
            "no template.",
            "$ref": "#/$defs/settings",
            "allOf": [
                {
                    "not": {"required": ["template"]},
                    "errorMessage": "a spec that names a template holds only promspec "
                    "settings: move the body into the template",
                }
            ],
        },
    }
    return out


def build_spec_schema() -> dict[str, Any]:
    """The spec schema, derived from the inlined job and workflow schemas (deterministic)."""
    job = widen(inlined("job"))
    workflow = widen(inlined("workflow"))
    source = {"job": job, **_source_defs()}
    refs = _Refs(source)
    defs: dict[str, Any] = {name: refs.inside(node) for name, node in source.items()}
    defs["jinja"] = _jinja()
    defs.update(_sweep_defs())
    defs.update({name: refs(node) for name, node in _settings_defs(job, workflow).items()})
    defs["jobSpec"] = refs.inside(_with_settings(job))
    defs["workflowSpec"] = refs.inside(_with_settings(workflow))
    defs["templateSpec"] = {
        "title": "Spec from a template",
        "description": "Only promspec settings; the body comes from the template file.",
        "type": "object",
        "additionalProperties": False,
        "required": ["promspec"],
        "properties": {
            "promspec": {
                "description": "promspec's settings (never sent to the API), naming the template.",
                "$ref": "#/$defs/settings",
                "required": ["template"],
            }
        },
    }
    root: dict[str, Any] = {
        "$schema": DRAFT,
        "$comment": "Generated by `python -m prominence_spec.validation.editor_schema` from "
        "job.schema.json and workflow.schema.json; do not edit.",
        "title": "promspec spec: a PROMINENCE job or workflow, plain or templated",
        "description": "A job or workflow body as POSTed to the PROMINENCE API, optionally "
        "with promspec settings under promspec:, or only promspec settings "
        "naming a template. Any value may be a Jinja string ({{ ... }}), "
        "rendered by promspec; the rendered documents are validated against "
        "job.schema.json and workflow.schema.json.",
        "type": "object",
        "anyOf": [
            {"$ref": "#/$defs/jobSpec"},
            {"$ref": "#/$defs/workflowSpec"},
            {"$ref": "#/$defs/templateSpec"},
        ],
    }
    used = _reachable(root, defs)
    root["$defs"] = {name: defs[name] for name in sorted(used)}
    return root


def render() -> str:
    """The file's text: two-space indented JSON and a final newline."""
    return json.dumps(build_spec_schema(), indent=2) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
