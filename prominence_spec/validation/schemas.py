"""The bundled JSON Schemas and the validators built from them.

Schemas are read from the package data (``prominence_spec/_data/schemas`` in an installed
wheel) or, in a source checkout, from the repository's ``schemas/`` folder. References
between them are resolved from these files only: the registry never retrieves anything.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

KINDS = ("job", "workflow")
SCHEMA_NAMES = ("job", "workflow", "spec")


class NoSuchSchemaError(LookupError):
    pass


def schema_dir() -> Path:
    package = Path(__file__).resolve().parents[1]  # what resources.files gives a package
    packaged = package / "_data" / "schemas"  # on disk, without importing importlib.resources
    if packaged.is_dir():
        return packaged
    return package.parent / "schemas"


def schema_path(name: str) -> Path:
    if name not in SCHEMA_NAMES:
        raise NoSuchSchemaError(
            f"no bundled schema {name!r}; choose one of {', '.join(SCHEMA_NAMES)}"
        )
    return schema_dir() / f"{name}.schema.json"


def schema_text(name: str) -> str:
    return schema_path(name).read_text(encoding="utf-8")


@cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text(name))
    return loaded


@cache
def _registry() -> Any:
    """The bundled schemas by file name; nothing is ever retrieved from elsewhere."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources_ = []
    for name in KINDS:
        resource = Resource.from_contents(schema(name), default_specification=DRAFT202012)
        resources_.append((f"{name}.schema.json", resource))
    return Registry().with_resources(resources_).crawl()


def inlined(name: str) -> dict[str, Any]:
    """The schema with every ``$ref`` replaced by its target (the schemas are not recursive).

    Resolving references at each use is most of jsonschema's cost; inlining them once
    makes validation several times faster and changes nothing else.
    """
    result = _inline(schema(name), f"{name}.schema.json", {})
    assert isinstance(result, dict)
    return result


def _inline(node: Any, document: str, seen: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(item, document, seen) for item in node]
    if not isinstance(node, dict):
        return node
    copied = {
        k: _inline(v, document, seen) for k, v in node.items() if k != "$ref" and k != "$defs"
    }
    if "$ref" not in node:
        return copied
    target = _resolve(node["$ref"], document, seen)
    if len(copied) == 0:
        return target
    copied.setdefault("allOf", [])
    copied["allOf"] = [target, *copied["allOf"]]
    return copied


def _resolve(ref: str, document: str, seen: dict[str, Any]) -> Any:
    file_part, _, fragment = ref.partition("#")
    target_doc = file_part or document
    key = f"{target_doc}#{fragment}"
    if key not in seen:
        node: Any = schema(target_doc.removesuffix(".schema.json"))
        for part in filter(None, fragment.split("/")):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        target = _inline(node, target_doc, seen)
        if isinstance(target, dict):
            target.pop("$schema", None)
        seen[key] = target
    return seen[key]


def _is_integer(_checker: Any, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


@cache
def validator_class() -> Any:
    """Draft 2020-12, except that an integer is a number written without fraction or exponent."""
    from jsonschema import Draft202012Validator, validators

    type_checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
    extend: Any = validators.extend  # untyped in jsonschema's stubs
    return extend(Draft202012Validator, type_checker=type_checker)


@cache
def validator(kind: str) -> Any:
    cls = validator_class()
    return cls(inlined(kind), registry=_registry())


@cache
def fast_validator(kind: str) -> Any:
    """A compiled validator (jsonschema-rs) for the common case of a valid document, or None.

    It is only asked about documents for which it agrees with the Python validator:
    see :func:`prominence_spec.loading.plain.plain_data`.
    """
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - the wheel is a dependency; stay correct without it
        return None
    return jsonschema_rs.validator_for(inlined(kind))
