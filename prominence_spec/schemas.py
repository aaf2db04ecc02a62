"""The bundled JSON Schemas and the validators built from them.

Schemas are read from the package data (``prominence_spec/_data/schemas`` in an installed
wheel) or, in a source checkout, from the repository's ``schemas/`` folder. References
between them are resolved from these files only: the registry never retrieves anything.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

KINDS = ("job", "workflow")
SCHEMA_NAMES = ("job", "workflow", "spec")


class NoSuchSchemaError(LookupError):
    pass


def schema_dir() -> Path:
    packaged = resources.files("prominence_spec") / "_data" / "schemas"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "schemas"


def schema_path(name: str) -> Path:
    if name not in SCHEMA_NAMES:
        raise NoSuchSchemaError(f"no bundled schema {name!r}; choose one of {', '.join(KINDS)}")
    return schema_dir() / f"{name}.schema.json"


def schema_text(name: str) -> str:
    return schema_path(name).read_text(encoding="utf-8")


@cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text(name))
    return loaded


@cache
def _registry() -> Any:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources_ = []
    for name in KINDS:
        resource = Resource.from_contents(schema(name), default_specification=DRAFT202012)
        resources_.append((f"{name}.schema.json", resource))
    return Registry().with_resources(resources_).crawl()


def _is_integer(_checker: Any, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


@cache
def validator_class() -> Any:
    """Draft 2020-12, except that an integer is a number written without fraction or exponent."""
    from jsonschema import Draft202012Validator, validators

    type_checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
    return validators.extend(Draft202012Validator, type_checker=type_checker)


@cache
def validator(kind: str) -> Any:
    cls = validator_class()
    return cls(schema(kind), registry=_registry())
