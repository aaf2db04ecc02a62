"""Templated specs: a job or workflow body plus promspec's own settings under ``promspec:``.

```yaml
promspec:                      # never sent to the API
  template: ../templates/job.yaml   # optional: take the body from this file
  params: {cpus: 2}            # defaults for template variables
  sweep: {frame: {start: 1, end: 100, step: 1}}
  expand: jobs                 # jobs | workflow | factory
  name: "render-{{ frame }}"   # name of each job (jobs and workflow modes)
  workflow: {name: study}      # workflow, setup and gather jobs for workflow/factory modes
name: render
resources: {cpus: "{{ cpus }}", memory: 2, disk: 10}
tasks: [{image: blender, runtime: singularity, cmd: "render --frame {{ frame }}"}]
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import Diagnostic, closest, did_you_mean, pointer_of
from prominence_spec.loading.loader import Document, load
from prominence_spec.loading.locate import locate
from prominence_spec.loading.sourcemap import SourceMap

SETTINGS_KEY = "promspec"
SETTINGS_KEYS = ("template", "kind", "params", "sweep", "expand", "name", "workflow", "max_points")
WORKFLOW_KEYS = ("name", "labels", "policies", "notifications", "setup", "gather")
MODES = ("jobs", "workflow", "factory")
DEFAULT_MAX_POINTS = 1_000_000


@dataclass(frozen=True)
class Origin:
    """A file, its data and the positions of its values."""

    path: str
    source: SourceMap
    data: Any = None


@dataclass
class Spec:
    path: str
    origin: Origin
    body: dict[str, Any]
    body_origin: Origin
    kind: str
    params: dict[str, Any]
    sweep: Any = None
    expand: str = "jobs"
    name: str | None = None
    workflow: dict[str, Any] = field(default_factory=dict)
    max_points: int = DEFAULT_MAX_POINTS
    base_dir: Path = Path(".")
    root: Path = Path(".")
    has_sweep: bool = False
    setting_origins: dict[str, Origin] = field(default_factory=dict)

    def origin_of(self, setting: str) -> Origin:
        """The file a setting came from: the spec, or the template it names."""
        return self.setting_origins.get(setting, self.origin)

    def base_dir_of(self, setting: str) -> Path:
        origin = self.origin_of(setting)
        return self.base_dir if origin is self.origin else Path(origin.path).resolve().parent


def is_templated(data: Any) -> bool:
    return isinstance(data, dict) and SETTINGS_KEY in data


_JINJA_MARKS = ("{{", "{%")


def template_text_at(data: Any) -> tuple[str | int, ...] | None:
    """The path of the first string (value or key, in document order) that holds Jinja
    (``{{`` or ``{%``), or None."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if any(mark in value for mark in _JINJA_MARKS):
                return path
        elif isinstance(value, dict):
            items = list(value.items())
            for key, item in reversed(items):
                stack.append((item, (*path, key)))
                if isinstance(key, str) and any(mark in key for mark in _JINJA_MARKS):
                    stack.append((key, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, i)) for i, item in reversed(list(enumerate(value))))
    return None


def stray_template(document: Document, many: bool = False) -> list[Diagnostic]:
    """A plain document (no ``promspec:`` block) holding Jinja is not rendered: the server
    would get the braces as they are. Located, at the first such string."""
    path = template_text_at(document.data)
    if path is None:
        return []
    where = "/".join(str(p) for p in path)
    diagnostic = Diagnostic(
        "PS611",
        f"{where} looks like a template, but this spec has no {SETTINGS_KEY}: block, so it is "
        "not rendered: the server would get the braces as they are",
        pointer=pointer_of(path),
        hint=f"add a {SETTINGS_KEY}: block ({SETTINGS_KEY}: {{}} is enough) to render it; if "
        "the braces are meant literally, add the block and write them as {{ '{{' }}",
    )
    return [locate(diagnostic, document, many)]


def find_root(start: Path) -> Path:
    """The repository root: the nearest folder holding ``.git``, else ``start`` itself."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def _problem(
    message: str, path: tuple[str | int, ...], hint: str | None = None, code: str = "PS607"
) -> Diagnostic:
    return Diagnostic(code, message, pointer=pointer_of(path), hint=hint)


def parse_spec(
    document: Document, *, root: Path | None = None, kind: str | None = None
) -> tuple[Spec | None, list[Diagnostic]]:
    """Read a templated spec's settings and body; every problem is a diagnostic.

    A spec with a body is returned even when its settings have errors: each bad setting is
    reported and read as its default (a misspelled key as the setting it is closest to,
    ``parms`` as ``params``), so that the body is checked too. Such a spec must not be
    rendered for use (it has errors). ``None`` when there is no body.
    """
    data = document.data
    settings = data.get(SETTINGS_KEY)
    origin = Origin(document.path, document.source, data)
    if not isinstance(settings, dict):
        return None, [_problem("promspec settings must be a mapping", (SETTINGS_KEY,))]
    problems = list(_unknown(settings, SETTINGS_KEYS, (SETTINGS_KEY,)))
    settings = _recovered(settings, SETTINGS_KEYS)
    base_dir = (
        Path(document.path).resolve().parent
        if document.path not in ("<stdin>", "<string>")
        else Path.cwd()
    )
    repo_root = root.resolve() if root else find_root(base_dir)
    body, body_origin, template_settings, found = _body(data, settings, origin, base_dir, repo_root)
    problems.extend(found)
    origins = {key: body_origin for key in template_settings if key not in settings}
    template_params = template_settings.get("params") or {}
    if not isinstance(template_params, dict):
        template_params = {}
    params = settings.get("params", {})
    settings = {**template_settings, **settings}
    if not isinstance(params, dict):
        problems.append(
            _problem("params must be a mapping of names to values", (SETTINGS_KEY, "params"))
        )
        params = {}
    expand = settings.get("expand", "jobs")
    if expand not in MODES:
        problems.append(
            _problem(
                f"expand must be one of {', '.join(MODES)}",
                (SETTINGS_KEY, "expand"),
                hint=_close(expand, MODES),
            )
        )
        near = closest(expand, MODES) if isinstance(expand, str) else None
        expand = near or "jobs"
    found, settings = _check_settings(settings)
    problems.extend(found)
    if body is None:
        return None, problems
    spec_kind = kind or settings.get("kind") or _detect(body)
    spec = Spec(
        path=document.path,
        origin=origin,
        body=body,
        body_origin=body_origin,
        kind=spec_kind,
        params={**template_params, **params},
        sweep=settings.get("sweep"),
        expand=expand,
        name=settings.get("name"),
        workflow=dict(settings.get("workflow") or {}),
        max_points=settings.get("max_points", DEFAULT_MAX_POINTS),
        base_dir=base_dir,
        root=repo_root,
        has_sweep="sweep" in settings,
        setting_origins=origins,
    )
    return spec, problems


def _recovered(mapping: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    """``mapping`` without its unknown keys; one that is close to an allowed key it lacks
    (``parms`` for ``params``) is read as that key."""
    result = {key: value for key, value in mapping.items() if key in allowed}
    for key, value in mapping.items():
        if key in allowed:
            continue
        near = closest(key, allowed) if isinstance(key, str) else None
        if near is not None and near not in result:
            result[near] = value
    return result


def _detect(body: dict[str, Any]) -> str:
    return "workflow" if "jobs" in body else "job"


def _close(value: Any, choices: tuple[str, ...]) -> str | None:
    return did_you_mean(value, choices)


def _unknown(
    mapping: dict[str, Any], allowed: tuple[str, ...], at: tuple[str | int, ...]
) -> list[Diagnostic]:
    return [
        _problem(
            f'unknown promspec setting "{key}"',
            (*at, key),
            hint=_close(key, allowed) or f"allowed: {', '.join(allowed)}",
        )
        for key in mapping
        if key not in allowed
    ]


def _check_settings(settings: dict[str, Any]) -> tuple[list[Diagnostic], dict[str, Any]]:
    """The problems of the settings, and the settings with each bad one left out (read as
    its default)."""
    problems: list[Diagnostic] = []
    usable = dict(settings)
    at = (SETTINGS_KEY,)
    if "kind" in settings and settings["kind"] not in ("job", "workflow"):
        problems.append(_problem("kind must be job or workflow", (*at, "kind")))
        del usable["kind"]
    if "name" in settings and not isinstance(settings["name"], str):
        problems.append(_problem("name must be a string (a name template)", (*at, "name")))
        del usable["name"]
    workflow = settings.get("workflow")
    if workflow is not None:
        if not isinstance(workflow, dict):
            problems.append(_problem("workflow must be a mapping", (*at, "workflow")))
            del usable["workflow"]
        else:
            problems.extend(_unknown(workflow, WORKFLOW_KEYS, (*at, "workflow")))
            usable["workflow"] = _recovered(workflow, WORKFLOW_KEYS)
    max_points = settings.get("max_points", DEFAULT_MAX_POINTS)
    if not isinstance(max_points, int) or isinstance(max_points, bool) or max_points < 1:
        problems.append(_problem("max_points must be a positive integer", (*at, "max_points")))
        del usable["max_points"]
    return problems, usable


_Body = tuple[dict[str, Any] | None, Origin, dict[str, Any], list[Diagnostic]]


def _body(
    data: dict[str, Any], settings: dict[str, Any], origin: Origin, base_dir: Path, root: Path
) -> _Body:
    """The body, where it came from, and the template's own settings (defaults)."""
    own = {k: v for k, v in data.items() if k != SETTINGS_KEY}
    if "template" not in settings:
        if not own:
            return (
                None,
                origin,
                {},
                [
                    _problem(
                        "the spec has no job or workflow body (and no template)",
                        (SETTINGS_KEY,),
                        hint="add the job's keys next to promspec:, or promspec: {template: FILE}",
                    )
                ],
            )
        return own, origin, {}, []
    at = (SETTINGS_KEY, "template")
    if own:
        first = next(iter(own))
        return (
            None,
            origin,
            {},
            [
                _problem(
                    f'a spec that names a template holds only promspec settings; "{first}" belongs '
                    "in the template",
                    (first,),
                    hint="move it into the template, or make it a param",
                )
            ],
        )
    template = settings["template"]
    if not isinstance(template, str):
        return None, origin, {}, [_problem("template must be a file path", at)]
    path, problem = resolve_in_root(template, base_dir=base_dir, root=root)
    if problem or path is None:
        return None, origin, {}, [_problem(problem or "bad path", at, code="PS609")]
    return _template_body(path, at, origin)


def _template_body(path: str, at: tuple[str | int, ...], origin: Origin) -> _Body:
    loaded = load(path)
    if not loaded.ok or len(loaded.documents) != 1:
        found = [d for d in loaded.diagnostics if d.is_error] or [
            _problem("a template file must hold exactly one document", at)
        ]
        return None, origin, {}, found
    doc = loaded.documents[0]
    if not isinstance(doc.data, dict):
        return None, origin, {}, [_problem("a template must be a mapping", at)]
    own_settings = doc.data.get(SETTINGS_KEY) or {}
    body = {k: v for k, v in doc.data.items() if k != SETTINGS_KEY}
    body_origin = Origin(path, doc.source, doc.data)
    if not isinstance(own_settings, dict):
        return (
            None,
            origin,
            {},
            [_problem("the template's promspec settings must be a mapping", at)],
        )
    if "template" in own_settings:
        return None, origin, {}, [_problem("a template cannot name another template", at)]
    return body, body_origin, own_settings, []


def resolve_in_root(text: str, *, base_dir: Path, root: Path) -> tuple[str | None, str | None]:
    """An existing regular file inside ``root``, or why not (absolute, escapes, symlinks)."""
    if os.path.isabs(text) or text.startswith("~"):
        return None, f"{text}: template paths must be relative to the spec's folder"
    candidate = base_dir / text
    real = os.path.realpath(candidate)
    root_real = os.path.realpath(root)
    if os.path.commonpath([real, root_real]) != root_real:
        return None, f"{text} is outside the repository ({root_real})"
    if os.path.islink(candidate):
        return None, f"{text} is a symbolic link; templates must be regular files"
    if not os.path.isfile(real):
        return None, f"{text}: no such template file"
    return real, None
