"""Turn jsonschema errors into promspec diagnostics: a stable code, plain words and a hint.

A subschema may carry ``errorMessage`` (used instead of the generic text; VS Code's
language servers understand it too), ``x-code`` (the diagnostic code) and ``x-hint``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from prominence_spec.diagnostics import Diagnostic, closest, did_you_mean, pointer_of

_SECRET_NAME = re.compile(r"token|secret|passw|credential|private|api_?key", re.IGNORECASE)
_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}
_KEYWORD_CODES = {
    "type": "PS203",
    "enum": "PS206",
    "const": "PS206",
    "minimum": "PS205",
    "maximum": "PS205",
    "exclusiveMinimum": "PS205",
    "exclusiveMaximum": "PS205",
    "pattern": "PS207",
    "maxLength": "PS208",
    "minLength": "PS208",
    "minItems": "PS210",
    "maxItems": "PS210",
    "minProperties": "PS210",
    "not": "PS209",
    "dependentRequired": "PS209",
    "required": "PS202",
    "additionalProperties": "PS201",
    "unevaluatedProperties": "PS201",
}


def describe(value: Any, path: Sequence[str | int] = ()) -> str:
    """A short rendering of a value for messages; secrets are never shown."""
    if any(isinstance(p, str) and _SECRET_NAME.search(p) for p in path):
        return "***"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return repr(shown).replace("\\'", "'") if "'" not in shown else f'"{shown}"'
    if isinstance(value, int) and value.bit_length() > 256:
        return f"an integer of {value.bit_length()} bits"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def where(path: Sequence[str | int], kind: str) -> str:
    """Human name of the object at ``path`` (for 'unknown key ... in <where>')."""
    names = [p for p in path if isinstance(p, str)]
    if not names:
        return f"{kind} description"
    last = names[-1]
    singular = {
        "tasks": "task",
        "artifacts": "artifact",
        "inputs": "input",
        "jobs": "job",
        "notifications": "notification",
        "factories": "factory",
        "parameters": "parameter",
    }
    if path and isinstance(path[-1], int):
        return singular.get(last, last)
    return last


def translate(errors: Iterable[Any], kind: str, *, verbose: bool = False) -> list[Diagnostic]:
    seen: set[tuple[str, str, str]] = set()
    result: list[Diagnostic] = []
    for error in errors:
        for diag in _translate_one(error, kind, verbose):
            key = (diag.code, diag.pointer, diag.message)
            if key not in seen:
                seen.add(key)
                result.append(diag)
    return result


def _translate_one(error: Any, kind: str, verbose: bool) -> Iterator[Diagnostic]:
    keyword = error.validator
    if keyword in ("anyOf", "oneOf") and error.context and not _custom(error):
        yield from _best_of(error, kind, verbose)
        return
    if keyword in ("additionalProperties", "unevaluatedProperties") and not _custom(error):
        yield from _unknown_keys(error, kind)
        return
    if keyword == "required" and not _custom(error):
        yield from _missing_keys(error)
        return
    path = tuple(error.absolute_path)
    code, message, hint = _generic(error, path)
    yield Diagnostic(code, message, pointer=pointer_of(path), hint=hint)


def _custom(error: Any) -> bool:
    return isinstance(error.schema, dict) and "errorMessage" in error.schema


def _best_of(error: Any, kind: str, verbose: bool) -> Iterator[Diagnostic]:
    from jsonschema.exceptions import best_match

    best = best_match(error.context)
    if best is None:
        path = tuple(error.absolute_path)
        yield Diagnostic("PS299", "no allowed form matches this value", pointer=pointer_of(path))
        return
    yield from _translate_one(best, kind, verbose)
    if verbose:
        for other in error.context:
            if other is not best:
                for diag in _translate_one(other, kind, False):
                    yield Diagnostic(
                        "PS299",
                        f"alternative form: {diag.message}",
                        severity="note",
                        pointer=diag.pointer,
                        hint=diag.hint,
                    )


def _unknown_keys(error: Any, kind: str) -> Iterator[Diagnostic]:
    path = tuple(error.absolute_path)
    instance = error.instance if isinstance(error.instance, dict) else {}
    known = sorted(error.schema.get("properties", {}))
    patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
    for key in instance:
        if key in known or any(p.search(key) for p in patterns):
            continue
        hint = did_you_mean(key, known)
        if hint is None and known:
            hint = f"allowed keys: {', '.join(known)}"
        yield Diagnostic(
            "PS201",
            f'unknown key "{key}" in {where(path, kind)}',
            pointer=pointer_of((*path, key)),
            hint=hint,
        )


def _missing_keys(error: Any) -> Iterator[Diagnostic]:
    path = tuple(error.absolute_path)
    instance = error.instance if isinstance(error.instance, dict) else {}
    properties = error.schema.get("properties", {})
    for key in error.validator_value:
        if key in instance:
            continue
        yield Diagnostic(
            "PS202",
            f'missing required key "{key}"',
            pointer=pointer_of(path),
            hint=_example_hint(key, properties.get(key)),
        )


def _example_hint(key: str, subschema: Any) -> str | None:
    if not isinstance(subschema, dict):
        return None
    for source in ("default", "examples"):
        if source in subschema:
            value = subschema[source]
            if source == "examples" and isinstance(value, list) and value:
                value = value[0]
            if isinstance(value, (str, int, float, bool)):
                return f"add `{key}: {_yaml_scalar(value)}`"
    return None


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _generic(error: Any, path: tuple[str | int, ...]) -> tuple[str, str, str | None]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    keyword = error.validator
    code = schema.get("x-code") or _KEYWORD_CODES.get(keyword, "PS299")
    hint = schema.get("x-hint")
    if "errorMessage" in schema:
        return code, str(schema["errorMessage"]), hint
    value = error.instance
    shown = describe(value, path)
    if keyword == "type":
        return _type_message(error.validator_value, value, shown, code, hint)
    if keyword in ("enum", "const"):
        allowed = error.validator_value if keyword == "enum" else [error.validator_value]
        choices = ", ".join(describe(a) for a in allowed)
        close = [
            a
            for a in allowed
            if isinstance(a, str) and isinstance(value, str) and a.lower() == value.lower()
        ]
        if close:
            hint = hint or f"did you mean {describe(close[0])}?"
        elif isinstance(value, str):
            strs = [a for a in allowed if isinstance(a, str)]
            near = closest(value, strs)
            hint = hint or (f"did you mean {describe(near)}?" if near else None)
        return code, f"{shown} is not allowed here; use one of: {choices}", hint
    if keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        bound = error.validator_value
        words = {
            "minimum": "at least",
            "exclusiveMinimum": "greater than",
            "maximum": "at most",
            "exclusiveMaximum": "less than",
        }[keyword]
        return code, f"must be {words} {bound}, got {shown}", hint
    if keyword in ("maxLength", "minLength"):
        if keyword == "minLength" and error.validator_value == 1:
            return code, "must not be empty", hint
        n = len(value) if isinstance(value, str) else 0
        word = "at most" if keyword == "maxLength" else "at least"
        return code, f"must be {word} {error.validator_value} characters long (has {n})", hint
    if keyword in ("minItems", "maxItems"):
        word = "at most" if keyword == "maxItems" else "at least"
        n = len(value) if isinstance(value, list) else 0
        return code, f"must have {word} {error.validator_value} items (has {n})", hint
    if keyword == "pattern":
        return code, f"{shown} does not match the pattern {error.validator_value}", hint
    return code, _plain(error.message), hint


def _type_message(
    expected: Any, value: Any, shown: str, code: str, hint: str | None
) -> tuple[str, str, str | None]:
    types = [expected] if isinstance(expected, str) else list(expected)
    wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
    if "integer" in types and isinstance(value, float) and value.is_integer():
        whole = int(value)
        return (
            "PS204",
            f"expected {wanted}, got {shown}: the server's integer test rejects "
            f"numbers written with a fraction or exponent",
            hint or f"write {whole}",
        )
    if "integer" in types and isinstance(value, str) and value.strip().isdigit():
        return (
            code,
            f"expected {wanted}, got the string {shown}",
            hint or f"write {value.strip()} without quotes",
        )
    if "string" in types and isinstance(value, (int, float, bool)):
        return (
            code,
            f"expected {wanted}, got {shown}",
            hint or f'quote it: "{_yaml_scalar(value)}"',
        )
    if "boolean" in types and isinstance(value, str) and value.lower() in _YAML11_BOOLEANS:
        meaning = "true" if _YAML11_BOOLEANS[value.lower()] else "false"
        return (
            code,
            f"expected {wanted}, got {shown}",
            hint or f"YAML 1.2 reads {value} as a string: write {meaning}",
        )
    return code, f"expected {wanted}, got {shown}", hint


#: What YAML 1.1 (and so many YAML tools) reads as booleans; YAML 1.2 reads them as text.
_YAML11_BOOLEANS = {"yes": True, "no": False, "on": True, "off": False, "y": True, "n": False}


def _plain(message: str) -> str:
    return message.replace("\n", " ")
