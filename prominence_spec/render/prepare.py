"""A templated spec made ready to render: its body and name template compiled once, its
sweep parsed, its values merged, and every problem found on the way, located."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import NAME_CUTOFF, Diagnostic, did_you_mean, pointer_of
from prominence_spec.loading.loader import Document
from prominence_spec.render.places import Places, under
from prominence_spec.render.plain_sweep import sweep_values_plain
from prominence_spec.render.values_used import (
    inside_origin,
    unused_values,
    value_notes,
    value_origins,
    words,
)
from prominence_spec.spec.settings import SETTINGS_KEY, Spec
from prominence_spec.spec.values import merge
from prominence_spec.sweep.sweep import Sweep, SweepError, TableSpace, WhereFn, parse_sweep
from prominence_spec.template.body import Compiled, compile_tree, plain_value
from prominence_spec.template.environment import GLOBALS, Evaluator, TemplateError, Templater

RESERVED = frozenset({"index"}) | GLOBALS


@dataclass
class Prepared:
    """Everything needed to render one templated spec, computed once."""

    spec: Spec
    document: Document
    mode: str
    templater: Templater
    places: Places
    context: dict[str, Any]
    body: Compiled
    name_template: Compiled | None
    sweep: Sweep | None
    problems: list[Diagnostic] = field(default_factory=list)
    data_files: set[str] = field(default_factory=set)  # row files the sweep reads
    context_plain: bool = True  # every value of the context is plain data
    params_plain: bool = False  # every value of every sweep point is (known once)
    #: what is wrong in the settings (each read as its default): checked, never rendered
    settings_problems: list[Diagnostic] = field(default_factory=list)


def prepare(
    spec: Spec,
    document: Document,
    values: Mapping[str, Any],
    *,
    mode: str | None = None,
    origins: Mapping[str, str] | None = None,
) -> Prepared:
    """Compile the spec's body and name template, parse its sweep, merge its values.
    ``origins`` says where each of ``values`` was given (``--set cpus``, ``--values F``)."""
    templater = Templater(root=spec.root, base_dir=_body_dir(spec))
    places = Places(spec, spec.name is not None)
    problems: list[Diagnostic] = []
    body, found = compile_tree(spec.body, templater)
    problems.extend(places.in_body(d) for d in found)
    name_template = None
    if spec.name is not None:
        name_template, found = compile_tree(spec.name, templater)
        at = (SETTINGS_KEY, "name")
        problems.extend(places.in_spec(under(d, at)) for d in found)
    context = merge(spec.params, values)
    sweep, data_files = _sweep(spec, templater, context, places, problems)
    swept = set(sweep.parameters) if sweep else set()
    where = value_origins(spec, places, context, origins or {})
    fixed = {name: text for name, text in where.items() if name not in swept}
    given = origins or {}

    def nested(name: str, inner: tuple[str | int, ...]) -> str | None:
        return inside_origin(spec, places, given, context, name, inner)

    notes = value_notes(body, context, fixed, nested=nested)
    if spec.workflow:
        workflow, _ = compile_tree(spec.workflow, templater)  # its errors: reported when built
        at = (SETTINGS_KEY, "workflow")
        notes |= value_notes(workflow, context, fixed, prefix=at, nested=nested)
    places = dataclasses.replace(places, notes=notes)
    prepared = Prepared(
        spec,
        document,
        mode or spec.expand,
        templater,
        places,
        context,
        body,
        name_template,
        sweep,
        problems,
        data_files,
        all(plain_value(v) for v in context.values()),
    )
    prepared.params_plain = sweep_values_plain(sweep)
    if not (spec.has_sweep and sweep is None):  # else its names would all look undefined
        problems.extend(_variable_problems(prepared))
        problems.extend(_unused_values(prepared, origins or {}))
    return prepared


def _unused_values(prepared: Prepared, origins: Mapping[str, str]) -> list[Diagnostic]:
    spec = prepared.spec
    used = set(prepared.body.variables) | words([spec.workflow, spec.sweep])
    if prepared.name_template is not None:
        used |= prepared.name_template.variables
    swept = prepared.sweep.parameters if prepared.sweep else ()
    return [d.with_path(spec.path) for d in unused_values(origins, used, swept)]


def _body_dir(spec: Spec) -> Path:
    """read_file() paths are relative to the file holding the body (a template, maybe)."""
    if spec.body_origin is spec.origin:
        return spec.base_dir
    return Path(spec.body_origin.path).resolve().parent


def _sweep(
    spec: Spec,
    templater: Templater,
    context: Mapping[str, Any],
    places: Places,
    problems: list[Diagnostic],
) -> tuple[Sweep | None, set[str]]:
    if not spec.has_sweep:
        return None, set()
    base_dir = spec.base_dir_of("sweep")
    where = _where_fn(templater, context)
    sweep, found = parse_sweep(
        spec.sweep,
        base_dir=base_dir,
        root=spec.root,
        where_fn=where,
    )
    problems.extend(places.in_spec(d) for d in found)
    if sweep is None:
        return None, set()
    data_files = {
        os.path.realpath(base_dir / leaf.source)
        for leaf in sweep.space.leaves()
        if isinstance(leaf, TableSpace) and leaf.source
    }
    clash = sorted(set(sweep.parameters) & RESERVED)
    if clash:
        message = f"{clash[0]} is reserved and cannot be a sweep parameter"
        at = pointer_of((SETTINGS_KEY, "sweep"))
        problems.append(places.in_spec(Diagnostic("PS604", message, pointer=at)))
    return sweep, data_files


def _where_fn(templater: Templater, context: Mapping[str, Any]) -> WhereFn:
    """Evaluates ``where`` on a point's parameters (over the spec's values): the expression
    is compiled once, at its first point, and nothing of the body is rendered."""
    evaluators: dict[str, Evaluator] = {}

    def where(expression: str, params: Mapping[str, Any], pointer: str) -> bool:
        evaluate = evaluators.get(expression)
        if evaluate is None:
            evaluate = evaluators[expression] = templater.evaluator(expression, context)
        try:
            return bool(evaluate(params))
        except TemplateError as exc:
            raise SweepError(
                Diagnostic(exc.code, f"where: {exc.message}", pointer=pointer, hint=exc.hint)
            ) from None

    return where


def _variable_problems(prepared: Prepared) -> list[Diagnostic]:
    """Reserved parameter names, undefined variables, sweep parameters never used."""
    places, sweep = prepared.places, prepared.sweep
    found: list[Diagnostic] = []
    for name in sorted(set(prepared.context) & RESERVED):
        found.append(
            places.in_spec(
                Diagnostic(
                    "PS607",
                    f'"{name}" is reserved (a promspec name) and cannot be a parameter',
                    pointer=pointer_of((SETTINGS_KEY, "params")),
                    hint="rename the parameter",
                )
            )
        )
    known = set(prepared.context) | RESERVED | set(sweep.parameters if sweep else ())
    for path, compiled in prepared.body.slots:
        for name in sorted(compiled.variables - known):
            found.append(places.in_body(undefined_variable(name, path, known)))
    name_slots = prepared.name_template.slots if prepared.name_template else []
    for _, compiled in name_slots:
        for name in sorted(compiled.variables - known):
            found.append(places.in_spec(undefined_variable(name, (SETTINGS_KEY, "name"), known)))
    if sweep is not None:
        used = prepared.body.variables | (
            prepared.name_template.variables if prepared.name_template else frozenset()
        )
        found.extend(places.in_spec(_unused(name)) for name in sweep.parameters if name not in used)
    return found


def _unused(name: str) -> Diagnostic:
    return Diagnostic(
        "PS604",
        f'sweep parameter "{name}" is not used anywhere in the spec',
        severity="warning",
        pointer=pointer_of((SETTINGS_KEY, "sweep")),
        hint=f"every point would render the same job; remove the axis or use {{{{ {name} }}}}",
    )


def undefined_variable(name: str, path: tuple[str | int, ...], known: set[str]) -> Diagnostic:
    """``name`` is used at ``path`` but defined nowhere: "did you mean" a known name that is
    close enough, else where to define it."""
    hint = did_you_mean(name, sorted(known - {"omit"}), NAME_CUTOFF) or (
        f"define it under promspec.params, in --values or with --set {name}=..."
    )
    return Diagnostic("PS602", f'"{name}" is undefined', pointer=pointer_of(path), hint=hint)


__all__ = ["RESERVED", "Prepared", "prepare", "undefined_variable"]
