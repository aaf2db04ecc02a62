"""A bounded, non-recursive YAML composer that keeps every value's position.

It reads the parser's event stream (libyaml's when available; the event parser never
recurses) and builds plain Python data under the YAML 1.2 core schema. Everything that
can go wrong becomes a Diagnostic: syntax errors, duplicate keys, unsupported tags
(``!!python/...`` included), nesting deeper than ``MAX_DEPTH`` and alias expansion past
``MAX_ALIAS_NODES`` (a billion-laughs file fails at once, before anything walks it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from prominence_spec.diagnostics import Diagnostic, pointer_of
from prominence_spec.loading.scalars import SUPPORTED_TAGS, ambiguity, resolve_plain, resolve_tagged
from prominence_spec.loading.sourcemap import Path, Position, SourceMap
from prominence_spec.loading.syntax_hints import syntax_hint

MAX_DEPTH = 64
MAX_ALIAS_NODES = 10_000
MAX_INT_BITS = 4096

_Parser: Any = getattr(yaml, "CBaseLoader", None) or yaml.BaseLoader
_SURROGATES = re.compile("[\ud800-\udfff]")
_NO_KEY: Any = object()
_DISCARD: Any = object()


class _AbortError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


@dataclass
class ComposedDocument:
    data: Any
    source: SourceMap
    index: int
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass
class _Frame:
    container: Any
    path: Path
    start_count: int
    anchor: str | None
    key: Any = _NO_KEY
    key_pos: Position | None = None
    start: Position = (1, 1)  # where the collection begins


#: The path part of a collection that is a key (it has no pointer of its own).
_KEY_PART = "\x00key"


def _collection_key(value: Any, pos: Position, outer: Position, path: Path) -> Diagnostic:
    """A mapping key that is a collection (at ``pos``): most often an unquoted template,
    which YAML reads as a flow mapping in a flow mapping (``cpus: {{ cpus }}``, reported
    at the ``outer`` brace, where the template starts)."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value.values())) is None:
        name = next(iter(value))
        return _diag(
            "PS111",
            f"{{{{ {name} }}}} is read by YAML as a mapping, not as a template",
            outer,
            path,
            hint=f'quote the template: "{{{{ {name} }}}}"',
        )
    return _diag("PS111", "mapping keys must be strings, not collections", pos, path)


def _pos(mark: Any) -> Position:
    return (mark.line + 1, mark.column + 1)


def _diag(code: str, message: str, pos: Position | None, path: Path = (), **kw: Any) -> Diagnostic:
    line, col = pos if pos else (None, None)
    return Diagnostic(code, message, pointer=pointer_of(path), line=line, column=col, **kw)


class _Composer:
    def __init__(self) -> None:
        self.stack: list[_Frame] = []
        self.values: dict[Path, Position] = {}
        self.keys: dict[Path, Position] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.nodes = 0
        self.alias_nodes = 0
        self.diagnostics: list[Diagnostic] = []
        self.root: Any = None
        self.plain_key = False
        #: mappings whose key was an unquoted template (kept, so that their ids stay theirs)
        self.template_holders: dict[int, Any] = {}

    # -- placing a finished node into its parent -------------------------------------------
    def _child_path(self) -> Path | None:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.container, list):
            return (*top.path, len(top.container))
        if top.key is _NO_KEY:
            return None  # this node is a key
        if top.key is _DISCARD:
            return (*top.path, "\x00discarded")
        return (*top.path, top.key)

    def _place(self, value: Any, pos: Position, key_text: str | None) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if isinstance(top.container, list):
            top.container.append(value)
            return
        if top.key is _NO_KEY:
            self._set_key(top, value, pos, key_text)
            return
        if top.key is not _DISCARD:
            top.container[top.key] = value
        top.key, top.key_pos = _NO_KEY, None

    def _set_key(self, top: _Frame, value: Any, pos: Position, key_text: str | None) -> None:
        if key_text is None:
            if isinstance(value, str):
                key_text = value
            else:
                self._collection_key(top, value, pos)
                top.key = _DISCARD
                return
        path = (*top.path, key_text)
        if key_text in top.container:
            first = self.keys.get(path)
            where = f" (first defined at line {first[0]})" if first else ""
            self.diagnostics.append(
                _diag(
                    "PS104",
                    f'duplicate key "{key_text}"{where}',
                    pos,
                    path,
                    hint="remove one of them: YAML parsers disagree on which one wins",
                )
            )
            top.key = _DISCARD
            return
        if key_text == "<<" and self.plain_key:
            self.diagnostics.append(
                _diag(
                    "PS109",
                    "merge keys (<<) are YAML 1.1 only and not supported",
                    pos,
                    path,
                    hint="write the keys out, or use an anchor for the whole mapping",
                )
            )
        self.keys[path] = pos
        top.key, top.key_pos = key_text, pos

    def _collection_key(self, top: _Frame, value: Any, pos: Position) -> None:
        """A collection as a key. An unquoted template as a mapping's key (``{{ k }}: v``)
        is reported once, at the template, not again for the mapping it makes a key."""
        if id(value) in self.template_holders:
            return
        outer = self.values.get(top.path) or top.start
        path = top.path[:-1] if top.path[-1:] == (_KEY_PART,) else top.path
        found = _collection_key(value, pos, outer, path)
        if found.hint:  # the template case
            self.template_holders[id(top.container)] = top.container
        self.diagnostics.append(found)

    # -- events ----------------------------------------------------------------------------
    def scalar(self, ev: Any) -> None:
        pos = _pos(ev.start_mark)
        self.nodes += 1
        path = self._child_path()
        is_key = path is None
        if is_key and not ev.tag:
            value: Any = ev.value
        else:
            value = self._scalar_value(ev, pos, path or ())
        if path is not None:
            self.values[path] = pos
        if ev.anchor:
            self.anchors[ev.anchor] = (value, 1)
        self.plain_key = is_key and not ev.style
        self._place(value, pos, ev.value if is_key and not ev.tag else None)

    def _scalar_value(self, ev: Any, pos: Position, path: Path) -> Any:
        tag, text = ev.tag, ev.value
        if tag and tag != "!":
            if tag not in SUPPORTED_TAGS:
                raise _AbortError(
                    _diag(
                        "PS109",
                        f"unsupported tag {tag}",
                        pos,
                        path,
                        hint="promspec reads plain data only; remove the tag",
                    )
                )
            try:
                return resolve_tagged(tag, text)
            except ValueError as exc:
                raise _AbortError(_diag("PS109", str(exc), pos, path)) from None
        if ev.style or tag == "!":
            if ev.style == '"' and _SURROGATES.search(text):
                text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            return text
        try:
            value = resolve_plain(text)
        except ValueError:  # an integer of more digits than Python converts
            self.diagnostics.append(
                _diag(
                    "PS112",
                    f"the number {text[:20]}... has {len(text)} digits: too large to send",
                    pos,
                    path,
                )
            )
            return text
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            self.diagnostics.append(
                _diag("PS112", f"the number {text[:20]}... is too large to send", pos, path)
            )
            return text
        if isinstance(value, float) and not math.isfinite(value):
            self.diagnostics.append(
                _diag(
                    "PS112", f"{text} is not a finite number and cannot be sent as JSON", pos, path
                )
            )
        else:
            warning = ambiguity(text, value)
            if warning:
                self.diagnostics.append(_diag("PS110", warning, pos, path, severity="warning"))
        return value

    def start(self, ev: Any, container: Any) -> None:
        pos = _pos(ev.start_mark)
        if ev.tag and ev.tag not in SUPPORTED_TAGS:
            raise _AbortError(
                _diag(
                    "PS109",
                    f"unsupported tag {ev.tag}",
                    pos,
                    self._child_path() or (),
                    hint="promspec reads plain data only; remove the tag",
                )
            )
        if len(self.stack) >= MAX_DEPTH:
            raise _AbortError(
                _diag(
                    "PS107",
                    f"nesting deeper than {MAX_DEPTH} levels",
                    pos,
                    hint="job specs are a few levels deep; is this file generated?",
                )
            )
        self.nodes += 1
        path = self._child_path()
        if path is None:
            key_path = (*self.stack[-1].path, _KEY_PART)
            self.stack.append(_Frame(container, key_path, self.nodes, ev.anchor, start=pos))
            return
        self.values[path] = pos
        self.stack.append(_Frame(container, path, self.nodes, ev.anchor, start=pos))

    def end(self) -> None:
        frame = self.stack.pop()
        if frame.anchor:
            self.anchors[frame.anchor] = (frame.container, self.nodes - frame.start_count + 1)
        pos = self.values.get(frame.path) or frame.start
        self._place(frame.container, pos, None)

    def alias(self, ev: Any) -> None:
        pos = _pos(ev.start_mark)
        path = self._child_path()
        if ev.anchor not in self.anchors:
            raise _AbortError(_diag("PS101", f"unknown alias *{ev.anchor}", pos, path or ()))
        value, size = self.anchors[ev.anchor]
        self.alias_nodes += size
        self.nodes += size
        if self.alias_nodes > MAX_ALIAS_NODES:
            raise _AbortError(
                _diag(
                    "PS108",
                    f"aliases expand to more than {MAX_ALIAS_NODES} values",
                    pos,
                    path or (),
                    hint="this looks like a 'billion laughs' file; write values out",
                )
            )
        if path is not None:
            self.values[path] = pos
        self._place(value, pos, None)


def _events(text: str, parser_class: Any = None) -> Iterator[Any]:
    parser = (parser_class or _Parser)(text)
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        if hasattr(parser, "dispose"):
            parser.dispose()


def _syntax_diagnostic(exc: yaml.YAMLError, text: str) -> Diagnostic:
    if isinstance(exc, yaml.reader.ReaderError):
        index = min(exc.position, len(text))
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        return _diag(
            "PS101",
            f"character #x{exc.character:04x} is not allowed in YAML",
            (line, column),
            hint="remove the control character",
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if "maximum nesting depth" in str(problem):
        return _diag(
            "PS107",
            f"nesting deeper than {MAX_DEPTH} levels",
            _pos(mark) if mark else None,
            hint="job specs are a few levels deep; is this file generated?",
        )
    message = f"{problem} ({context})" if context else str(problem)
    hint = syntax_hint(str(problem), mark, text)
    return _diag("PS101", f"YAML syntax error: {message}", _pos(mark) if mark else None, hint=hint)


def compose(text: str) -> tuple[list[ComposedDocument], list[Diagnostic]]:
    """All documents of ``text`` with their positions, and stream-level diagnostics."""
    documents, problems = _compose(text, _Parser)
    if problems and "escape" in problems[-1].message and _Parser is not yaml.BaseLoader:
        # libyaml refuses surrogate-pair escapes ("\ud83d\ude00"), PyYAML's own reader
        # reads them (and the composer joins the pair)
        retried = _compose(text, yaml.BaseLoader)
        if not retried[1]:
            return retried
    return documents, problems


def _compose(text: str, parser: Any) -> tuple[list[ComposedDocument], list[Diagnostic]]:
    documents: list[ComposedDocument] = []
    composer = _Composer()
    try:
        for ev in _events(text, parser):
            kind = type(ev).__name__
            if kind == "ScalarEvent":
                composer.scalar(ev)
            elif kind == "MappingStartEvent":
                composer.start(ev, {})
            elif kind == "SequenceStartEvent":
                composer.start(ev, [])
            elif kind in ("MappingEndEvent", "SequenceEndEvent"):
                composer.end()
            elif kind == "AliasEvent":
                composer.alias(ev)
            elif kind == "DocumentEndEvent":
                documents.append(_finish(composer, len(documents)))
                composer = _Composer()
    except _AbortError as abort:
        return documents, [*composer.diagnostics, abort.diagnostic]
    except yaml.YAMLError as exc:
        return documents, [*composer.diagnostics, _syntax_diagnostic(exc, text)]
    except (RecursionError, MemoryError) as exc:  # defensive: the event parser should not recurse
        return documents, [
            _diag("PS107", f"document too complex to load ({type(exc).__name__})", None)
        ]
    return documents, []


def _finish(composer: _Composer, index: int) -> ComposedDocument:
    source = SourceMap(composer.values, composer.keys)
    return ComposedDocument(composer.root, source, index, composer.diagnostics)
