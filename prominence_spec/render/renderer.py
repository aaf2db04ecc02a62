"""Render a templated spec into the exact API bodies, point by point, validating each.

Modes (``promspec.expand`` or ``--mode``):

* ``jobs``: one document per point (a job, or a workflow if the body is one);
* ``workflow``: one workflow with one job per point, plus optional setup/gather jobs;
* ``factory``: one workflow whose server-side factory generates the points
  (see :mod:`prominence_spec.render.factory`).

Rendering streams: documents are produced one at a time, and diagnostics are grouped by
where they arise in the spec ("fails for 3 of 10 points, first at index 7: frame=8").
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import Diagnostic, has_errors, parts_of, pointer_of
from prominence_spec.load.loader import Document
from prominence_spec.spec.settings import SETTINGS_KEY, Origin, Spec
from prominence_spec.spec.values import merge
from prominence_spec.sweep.sweep import Sweep, SweepError, TableSpace, parse_sweep
from prominence_spec.template.body import BuildError, Compiled, compile_tree, plain_value
from prominence_spec.template.environment import GLOBALS, OMIT, TemplateError, Templater
from prominence_spec.validate.document import SchemaCache, locate, validate
from prominence_spec.validate.rules import JOB_RULES, run_rules, varying_job_rules

MAX_BODY_BYTES = 1024 * 1024
RESERVED = frozenset({"index"}) | GLOBALS


@dataclass
class Rendered:
    """One API body and the point it came from (``index`` is None without a sweep)."""

    document: dict[str, Any]
    kind: str
    index: int | None = None
    params: dict[str, Any] | None = None


def api_json(document: Any) -> str:
    """The request body exactly as promspec sends it: compact, UTF-8, keys in spec order."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


Locator = Callable[[Diagnostic], Diagnostic]


@dataclass
class _Group:
    first: Diagnostic
    locator: Locator
    index: int | None
    params: dict[str, Any] | None
    count: int = 1


@dataclass
class Groups:
    """Diagnostics from many points, one entry per (code, place, severity).

    Diagnostics are located (given file, line and column) once per group, at the end.
    """

    entries: dict[tuple[str, str, str, int], _Group] = field(default_factory=dict)

    def add(
        self, diag: Diagnostic, locator: Locator, index: int | None, params: dict[str, Any] | None
    ) -> None:
        key = (diag.code, diag.pointer, diag.severity, id(locator))
        group = self.entries.get(key)
        if group is None:
            self.entries[key] = _Group(diag, locator, index, params)
        else:
            group.count += 1

    def diagnostics(self, total: int | None) -> list[Diagnostic]:
        return [_summarise(g, total) for g in self.entries.values()]


def _summarise(group: _Group, total: int | None) -> Diagnostic:
    diag = group.locator(group.first)
    if group.index is None or total is None:
        return diag
    shown = ", ".join(f"{k}={_short(v)}" for k, v in (group.params or {}).items())
    where = f"index {group.index}" + (f": {shown}" if shown else "")
    if total == 1:
        note = f"at {where}"
    elif group.count == total:
        note = f"fails for all {total:,} points, first at {where}"
    else:
        note = f"fails for {group.count:,} of {total:,} points, first at {where}"
    context = (
        ("points", f"{group.count}/{total}"),
        ("first_index", str(group.index)),
        ("first_params", shown),
    )
    return Diagnostic(
        diag.code,
        f"{diag.message} ({note})",
        diag.severity,
        diag.pointer,
        diag.line,
        diag.column,
        diag.hint,
        diag.path,
        diag.document,
        context,
    )


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


class Renderer:
    """Everything needed to render one templated spec."""

    def __init__(
        self, spec: Spec, document: Document, values: Mapping[str, Any], *, mode: str | None = None
    ) -> None:
        self.spec, self.document = spec, document
        self.mode = mode or spec.expand
        # read_file() paths are relative to the file holding the body (a template, maybe)
        body_dir = (
            spec.base_dir
            if spec.body_origin is spec.origin
            else Path(spec.body_origin.path).resolve().parent
        )
        self.templater = Templater(root=spec.root, base_dir=body_dir)
        self.problems: list[Diagnostic] = []
        self.groups = Groups()
        self.context: dict[str, Any] = merge(spec.params, values)
        self.sweep: Sweep | None = None
        self.data_files: set[str] = set()  # row files the sweep reads
        self.seen = 0
        self.context_plain = all(plain_value(v) for v in self.context.values())
        self.static_rules: list[Diagnostic] | None = None
        self.schema_cache: SchemaCache = {}
        self.body, found = compile_tree(spec.body, self.templater)
        self.problems.extend(self.in_body(d) for d in found)
        self.name_template = self._compile_name()
        self.varying_rules = varying_job_rules(path for path, _ in self.body.slots)
        self._setup_sweep()
        self._check_variables()

    # -- set-up ------------------------------------------------------------------------------
    def in_body(self, diag: Diagnostic) -> Diagnostic:
        """Give a diagnostic about the body its file, line and column."""
        return self._locate(diag, self.spec.body_origin)

    def in_spec(self, diag: Diagnostic) -> Diagnostic:
        """Same for a diagnostic about the settings (in the spec, or in its template)."""
        parts = parts_of(diag.pointer)
        if len(parts) >= 2 and parts[0] == SETTINGS_KEY:
            return self._locate(diag, self.spec.origin_of(parts[1]))
        return self._locate(diag, self.spec.origin)

    @staticmethod
    def _locate(diag: Diagnostic, origin: Origin) -> Diagnostic:
        return locate(diag, Document(origin.data, origin.source, origin.path))

    def _compile_name(self) -> Compiled | None:
        if self.spec.name is None:
            return None
        compiled, found = compile_tree(self.spec.name, self.templater)
        self.problems.extend(self.in_spec(_under(d, (SETTINGS_KEY, "name"))) for d in found)
        return compiled

    def _setup_sweep(self) -> None:
        if not self.spec.has_sweep:
            return
        sweep, found = parse_sweep(
            self.spec.sweep,
            base_dir=self.spec.base_dir_of("sweep"),
            root=self.spec.root,
            where_fn=self._where,
        )
        self.problems.extend(self.in_spec(d) for d in found)
        self.sweep = sweep
        if sweep is None:
            return
        base_dir = self.spec.base_dir_of("sweep")
        self.data_files = {
            os.path.realpath(base_dir / leaf.source)
            for leaf in sweep.space.leaves()
            if isinstance(leaf, TableSpace) and leaf.source
        }
        clash = sorted(set(sweep.parameters) & RESERVED)
        if clash:
            self.problems.append(
                self.in_spec(
                    Diagnostic(
                        "PS604",
                        f"{clash[0]} is reserved and cannot be a sweep parameter",
                        pointer=pointer_of((SETTINGS_KEY, "sweep")),
                    )
                )
            )

    def _where(self, expression: str, params: Mapping[str, Any], pointer: str) -> bool:
        try:
            compiled = self.templater.expression(expression)
            return bool(compiled.render({**self.context, **params}))
        except TemplateError as exc:
            raise SweepError(
                Diagnostic(exc.code, f"where: {exc.message}", pointer=pointer, hint=exc.hint)
            ) from None

    def _check_variables(self) -> None:
        if self.spec.has_sweep and self.sweep is None:
            return  # the sweep's own errors come first; its names would all look undefined
        for name in sorted(set(self.context) & RESERVED):
            self.problems.append(
                self.in_spec(
                    Diagnostic(
                        "PS607",
                        f'"{name}" is reserved (a promspec name) and cannot be a parameter',
                        pointer=pointer_of((SETTINGS_KEY, "params")),
                        hint="rename the parameter",
                    )
                )
            )
        known = set(self.context) | RESERVED | set(self.sweep.parameters if self.sweep else ())
        for path, compiled in self.body.slots:
            for name in sorted(compiled.variables - known):
                self.problems.append(self.in_body(_undefined(name, path, known)))
        for _, compiled in self.name_template.slots if self.name_template else ():
            for name in sorted(compiled.variables - known):
                diag = _undefined(name, (SETTINGS_KEY, "name"), known)
                self.problems.append(self.in_spec(diag))
        if self.sweep is not None:
            used = self.body.variables | (
                self.name_template.variables if self.name_template else frozenset()
            )
            for name in self.sweep.parameters:
                if name not in used:
                    self.problems.append(
                        self.in_spec(
                            Diagnostic(
                                "PS604",
                                f'sweep parameter "{name}" is not used anywhere in the spec',
                                severity="warning",
                                pointer=pointer_of((SETTINGS_KEY, "sweep")),
                                hint="every point would render the same job; remove the axis or "
                                "use "
                                f"{{{{ {name} }}}}",
                            )
                        )
                    )

    def _check_job_point(self, document: Any, plain: bool) -> list[Diagnostic]:
        """Validate one point's job; rules whose inputs are not templated run only once."""
        if self.static_rules is None:
            self.static_rules = _static_rule_results(self, document)
        found = validate(
            document, "job", plain=plain, rules=self.varying_rules, cache=self.schema_cache
        )
        found.extend(self.static_rules)
        return found

    def workflow_settings(self) -> dict[str, Any]:
        """The workflow's own keys (name, labels, policies, notifications), rendered."""
        data = {k: v for k, v in self.spec.workflow.items() if k not in ("setup", "gather")}
        compiled, found = compile_tree(data, self.templater)
        at = (SETTINGS_KEY, "workflow")
        self.problems.extend(self.in_spec(_under(d, at)) for d in found)
        try:
            built, _ = compiled.build(self.context)
        except BuildError as exc:
            self.problems.append(self.in_spec(exc.diagnostic(at)))
            return {}
        return dict(built) if isinstance(built, dict) else {}

    def default_name(self) -> str:
        name = self.spec.body.get("name")
        if isinstance(name, str) and name and not Templater.is_template(name):
            return name
        return _stem(self.spec.path)

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)

    # -- points ------------------------------------------------------------------------------
    def count(self) -> int:
        if self.sweep is None:
            return 1
        found: list[Diagnostic] = []
        total = self.sweep.count(diagnostics=found)
        self.problems.extend(self.in_spec(d) for d in found)
        return total

    def points(self, only: int | None = None) -> Iterator[tuple[int | None, dict[str, Any]]]:
        if self.sweep is None:
            if only not in (None, 0):
                raise IndexError(f"point {only}: this spec has no sweep, only point 0")
            self.seen = 1
            yield None, {}
            return
        found: list[Diagnostic] = []
        if only is not None:
            self.seen = 1
            params = self.sweep.point(only, diagnostics=found)
            self.problems.extend(self.in_spec(d) for d in found)
            yield only, params
            return
        for numbered in self.sweep.points(diagnostics=found):
            self.seen += 1
            yield numbered
        self.problems.extend(self.in_spec(d) for d in found)

    def build(self, index: int | None, params: dict[str, Any]) -> tuple[Any, bool]:
        ctx = {**self.context, **params}
        if index is not None:
            ctx["index"] = index
        plain = self.context_plain and all(map(plain_value, params.values()))
        plain = plain and (index is None or index < 2**63)
        return self.body.build(ctx, known_plain=plain)

    def job_name(
        self, document: dict[str, Any], index: int | None, params: dict[str, Any], width: int = 0
    ) -> dict[str, Any]:
        """A copy of a point's document with its name (name template, or ``<name>-<index>``)."""
        if index is None:
            return document
        document = dict(document)
        if self.name_template is not None:
            ctx = {**self.context, **params, "index": index}
            try:
                name, _ = self.name_template.build(ctx, known_plain=True)
            except BuildError as exc:  # reported at promspec.name
                raise BuildError(("name",), exc.code, exc.message, exc.hint) from None
            if name is OMIT:
                raise BuildError(
                    ("name",),
                    "PS601",
                    "the name template renders to omit, but every job needs a name",
                )
        else:
            base = document.get("name") or _stem(self.spec.path)
            name = f"{base}-{index:0{width}d}"
        _set_first(document, "name", name)
        return document

    def record(
        self,
        found: list[Diagnostic],
        locator: Locator,
        index: int | None,
        params: dict[str, Any] | None,
    ) -> None:
        for diag in found:
            self.groups.add(diag, locator, index, params)

    def diagnostics(self) -> list[Diagnostic]:
        """Everything found so far: set-up problems, then one entry per group."""
        grouped = self.groups.diagnostics(self.seen if self.sweep is not None else None)
        return [*self.problems, *grouped]

    def check(self, document: Any, kind: str, plain: bool) -> list[Diagnostic]:
        if kind == "job" and self.sweep is not None:
            found = self._check_job_point(document, plain)
        else:
            found = validate(document, kind, plain=plain)
        size = _body_size(document) if document_may_be_big(document) else 0
        if size > MAX_BODY_BYTES:
            found.append(
                Diagnostic(
                    "PS413",
                    f"the request body is {size:,} bytes: the server "
                    "rejects bodies over 1 MiB (HTTP 413)",
                    hint="use expand: factory, or split the sweep",
                )
            )
        return found


def _static_rule_results(renderer: Renderer, document: Any) -> list[Diagnostic]:
    return run_rules(document, "job", [r for r in JOB_RULES if r not in renderer.varying_rules])


def _body_size(document: Any) -> int:
    """Bytes of the request body (NaN and infinities, reported elsewhere, are measured too)."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode())


def document_may_be_big(document: Any) -> bool:
    """Cheap pre-test before serialising a document to measure it."""
    if not isinstance(document, dict):
        return False
    jobs = document.get("jobs")
    return (isinstance(jobs, list) and len(jobs) > 100) or "inputs" in document


def _under(diag: Diagnostic, prefix: tuple[str | int, ...]) -> Diagnostic:
    parts = (*prefix, *parts_of(diag.pointer))
    return Diagnostic(diag.code, diag.message, diag.severity, pointer_of(parts), hint=diag.hint)


def _undefined(name: str, path: tuple[str | int, ...], known: set[str]) -> Diagnostic:
    import difflib

    near = difflib.get_close_matches(name, sorted(known - {"omit"}), n=1)
    hint = (
        f"did you mean `{near[0]}`?"
        if near
        else f"define it under promspec.params, in --values or with --set {name}=..."
    )
    return Diagnostic("PS602", f'"{name}" is undefined', pointer=pointer_of(path), hint=hint)


def _stem(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def _set_first(document: dict[str, Any], key: str, value: Any) -> None:
    if key in document:
        document[key] = value
        return
    items = list(document.items())
    document.clear()
    document[key] = value
    document.update(items)


__all__ = ["OMIT", "BuildError", "Groups", "Rendered", "Renderer", "api_json"]
