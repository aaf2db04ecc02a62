"""A spec body compiled once and built many times (once per sweep point).

Strings holding Jinja become *slots*; everything else is shared between the documents
built from it, so building a point touches only the containers on the way to its slots.
Nothing may mutate a built document's static parts (promspec never does).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from prominence_spec.diagnostics import Diagnostic, pointer_of
from prominence_spec.loading.plain import plain_data
from prominence_spec.template.environment import (
    OMIT,
    CompiledString,
    TemplateError,
    Templater,
    Var,
)

Path = tuple[str | int, ...]
INT64 = 2**63


class BuildError(Exception):
    """A slot failed to render; carries where (path in the body) and why. Building a body
    goes on past a failed slot: ``others`` are the slots after it that failed too."""

    def __init__(
        self,
        path: Path,
        code: str,
        message: str,
        hint: str | None = None,
        others: tuple[BuildError, ...] = (),
        partial: Any = None,
    ) -> None:
        super().__init__(message)
        self.path, self.code, self.message, self.hint = path, code, message, hint
        self.others = others
        #: The document as far as it could be built, each failed value as None (so that
        #: the rest of it can still be checked: every problem at once).
        self.partial = partial

    def failed_pointers(self) -> frozenset[str]:
        """JSON pointers of the values that could not be built."""
        return frozenset(pointer_of(error.path) for error in (self, *self.others))

    def diagnostic(self, prefix: Path = ()) -> Diagnostic:
        return Diagnostic(
            self.code, self.message, pointer=pointer_of((*prefix, *self.path)), hint=self.hint
        )

    def diagnostics(self, prefix: Path = ()) -> list[Diagnostic]:
        """This failure and every other one of the same build, in body order."""
        return [error.diagnostic(prefix) for error in (self, *self.others)]


class _State:
    __slots__ = ("errors", "plain")

    def __init__(self) -> None:
        self.plain = True
        self.errors: list[BuildError] = []


#: Codes of a file that a template cannot read (unusable, or too large).
_FILE_CODES = frozenset({"PS609", "PS610"})
#: What a failed slot builds: the build goes on to find the other failures, then raises.
_FAILED: Any = object()


class _Node(Protocol):
    def build(self, ctx: Mapping[str, Any], state: _State) -> Any: ...


def plain_value(value: Any) -> bool:
    """Whether the compiled validator may judge this value (see load.plain.plain_data)."""
    kind = type(value)
    if kind is str:
        return bool(value.isascii())
    if kind is int:
        return bool(-INT64 <= value < INT64)
    if kind is float:
        return math.isfinite(value) and not value.is_integer()
    if kind is bool or value is None:
        return True
    return plain_data(value)


def all_plain(values: Iterable[Any]) -> bool:
    """Whether :func:`plain_value` holds for every one of ``values`` (the common kinds
    tested inline: this runs for every sweep point)."""
    for value in values:
        kind = type(value)
        if kind is int:
            if not -INT64 <= value < INT64:
                return False
        elif kind is str:
            if not value.isascii():
                return False
        elif not plain_value(value):
            return False
    return True


def _failed_as_none(value: Any) -> Any:
    """``value`` with every failed slot's placeholder replaced by None."""
    if value is _FAILED:
        return None
    if isinstance(value, dict):
        return {k: _failed_as_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_failed_as_none(v) for v in value]
    return value


class _Slot:
    __slots__ = ("compiled", "path")

    def __init__(self, compiled: CompiledString, path: Path) -> None:
        self.compiled, self.path = compiled, path

    def build(self, ctx: Mapping[str, Any], state: _State) -> Any:
        try:
            value = self.compiled.render(ctx)
        except TemplateError as exc:
            state.errors.append(BuildError(self.path, exc.code, exc.message, exc.hint))
            if exc.code in _FILE_CODES:  # every file it names that fails, not only the first
                for other in self.compiled.file_problems():
                    if other.message != exc.message:
                        state.errors.append(
                            BuildError(self.path, other.code, other.message, other.hint)
                        )
            return _FAILED
        if state.plain and not plain_value(value):
            state.plain = False
        return value


class _DictNode:
    __slots__ = ("items", "path")

    def __init__(
        self, items: list[tuple[str, _Slot | None, Any, _Node | None]], path: Path
    ) -> None:
        self.items, self.path = items, path

    def build(self, ctx: Mapping[str, Any], state: _State) -> Any:
        out: dict[str, Any] = {}
        for key, key_slot, static, node in self.items:
            if key_slot is not None:
                rendered = key_slot.build(ctx, state)
                if rendered is OMIT or rendered is _FAILED:
                    continue
                key = rendered if isinstance(rendered, str) else str(rendered)
            if key in out:
                message = f'two keys render to "{key}"'
                state.errors.append(BuildError((*self.path, key), "PS601", message))
                continue
            value = static if node is None else node.build(ctx, state)
            if value is not OMIT:
                out[key] = value
        return out


class _ListNode:
    __slots__ = ("items",)

    def __init__(self, items: list[tuple[Any, _Node | None]]) -> None:
        self.items = items

    def build(self, ctx: Mapping[str, Any], state: _State) -> Any:
        out: list[Any] = []
        for static, node in self.items:
            value = static if node is None else node.build(ctx, state)
            if value is not OMIT:
                out.append(value)
        return out


@dataclass
class Compiled:
    """A compiled body: ``build(ctx)`` gives the document and whether it is plain.

    When every slot is a simple one (literal text and bare ``{{ name }}`` references), the
    body is also compiled into one Python expression that builds the whole document in a
    single call (``fast``); the node tree stays the reference and reports errors.
    """

    root: _Node | None
    static: Any
    static_plain: bool
    slots: list[tuple[Path, CompiledString]]
    fast: Callable[[Mapping[str, Any]], Any] | None = None
    used: tuple[str, ...] = ()

    def build(self, ctx: Mapping[str, Any], known_plain: bool | None = None) -> tuple[Any, bool]:
        """The document for ``ctx``, and whether it is plain. ``known_plain`` may say that
        every value in ``ctx`` is (or may not be) plain, which saves checking them."""
        if self.root is None:
            return self.static, self.static_plain
        if self.fast is not None:
            try:
                value = self.fast(ctx)
            except FAST_BUILD_ERRORS:  # KeyError: an undefined variable
                pass  # the node tree below raises the error with its place in the body
            else:
                if known_plain is None:
                    known_plain = all(plain_value(ctx[n]) for n in self.used)
                return value, self.static_plain and known_plain
        state = _State()
        value = self.root.build(ctx, state)
        if state.errors:
            first, *others = state.errors
            partial = _failed_as_none(value)
            raise BuildError(
                first.path, first.code, first.message, first.hint, tuple(others), partial
            )
        return value, state.plain and self.static_plain

    def placed_variables(self) -> frozenset[str] | None:
        """The variables whose values the body places as they are (bare ``{{ name }}``
        leaves); every other leaf of the fast path is a constant or a string. None when a
        leaf's type is not known before rendering (no fast path, or a leaf computed by a
        renderer). A static body places none."""
        if self.root is None:
            return frozenset()
        if self.fast is None:
            return None
        placed: set[str] = set()
        for _, compiled in self.slots:
            variable = _bare_variable(compiled)
            if variable is not None:
                placed.add(variable)
            elif not any(isinstance(part, Var) for part in compiled.parts):
                return None  # the renderer's value (see _Generator.slot)
        return frozenset(placed)

    @property
    def variables(self) -> frozenset[str]:
        names: set[str] = set()
        for _, compiled in self.slots:
            names |= compiled.variables
        return frozenset(names)


def compile_tree(data: Any, templater: Templater) -> tuple[Compiled, list[Diagnostic]]:
    """Compile every templated string in ``data``; syntax errors become diagnostics."""
    compiler = _Compiler(templater)
    root = compiler.node(data, ())
    static_plain = compiler.static_plain
    compiled = Compiled(root, data if root is None else None, static_plain, compiler.slots)
    if root is not None and not compiler.problems:
        _add_fast_path(compiled, data, templater.max_output)
    return compiled, compiler.problems


class _TooLargeError(Exception):
    """A string of the fast path is over the size limit: the node tree reports it."""


def _too_large() -> str:
    raise _TooLargeError


#: What a fast path's expression raises where the node tree reports an error at its place.
FAST_BUILD_ERRORS = (TemplateError, KeyError, _TooLargeError)


def _add_fast_path(compiled: Compiled, data: Any, limit: int) -> None:
    if not all(c.simple for _, c in compiled.slots):
        return
    generator = _Generator(compiled.slots)
    source = generator.expression(data)
    if source is None:
        return
    namespace: dict[str, Any] = {
        "K": generator.constants,
        "R": generator.renderers,
        "LIMIT": limit,
        "TOO_LARGE": _too_large,
    }
    exec(compile(f"def build(ctx):\n    return {source}\n", "<promspec body>", "exec"), namespace)
    compiled.fast = namespace["build"]
    compiled.used = tuple(sorted(compiled.variables))
    literals_ascii = all(
        part.isascii() for _, c in compiled.slots for part in c.parts if isinstance(part, str)
    )
    compiled.static_plain = compiled.static_plain and literals_ascii


def _has_template(value: Any) -> bool:
    if isinstance(value, str):
        return Templater.is_template(value)
    if isinstance(value, dict):
        return any(_has_template(k) or _has_template(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_template(v) for v in value)
    return False


class _Generator:
    """Python source for one expression building the body (keys and literals via repr)."""

    def __init__(self, slots: list[tuple[Path, CompiledString]]) -> None:
        self.texts = {c.text: c for _, c in slots}
        self.constants: list[Any] = []
        self.renderers: list[Callable[[Mapping[str, Any]], Any]] = []
        self.texts_built = 0

    def expression(self, value: Any) -> str | None:
        if not _has_template(value):
            return self.constant(value)
        if isinstance(value, str):
            compiled = self.texts.get(value) if Templater.is_template(value) else None
            if compiled is None:
                return self.constant(value)
            return self.slot(compiled)
        if isinstance(value, dict):
            return self.mapping(value)
        if isinstance(value, list):
            items = [self.expression(item) for item in value]
            if any(item is None for item in items):
                return None
            return "[" + "".join(f"{item}, " for item in items) + "]"
        return self.constant(value)

    def slot(self, compiled: CompiledString) -> str:
        """What the simple string's renderer computes, as an expression: ``ctx[name]``
        for ``"{{ name }}"``, an f-string of its parts for text, limited in size as the
        renderer limits it (a string over the limit goes to the node tree's error)."""
        variable = _bare_variable(compiled)
        if variable is not None:
            return f"ctx[{variable!r}]"
        if not any(isinstance(part, Var) for part in compiled.parts):
            self.renderers.append(compiled._render)
            return f"R[{len(self.renderers) - 1}](ctx)"
        # str.format_map, which the renderer uses, formats each value with an empty spec:
        # so does an f-string's replacement field. Adjacent literals concatenate.
        pieces = " ".join(
            f'f"{{ctx[{part.name!r}]}}"' if isinstance(part, Var) else repr(part)
            for part in compiled.parts
        )
        text = f"s{self.texts_built}"
        self.texts_built += 1
        return f"({text} if len({text} := {pieces}) <= LIMIT else TOO_LARGE())"

    def mapping(self, value: dict[str, Any]) -> str | None:
        parts = []
        for key, item in value.items():
            if Templater.is_template(key):
                return None
            expression = self.expression(item)
            if expression is None:
                return None
            parts.append(f"{key!r}: {expression}")
        return "{" + ", ".join(parts) + "}"

    def constant(self, value: Any) -> str:
        self.constants.append(value)
        return f"K[{len(self.constants) - 1}]"


def _bare_variable(compiled: CompiledString) -> str | None:
    """The name a simple native string (``"{{ name }}"``) renders, else None."""
    if not (compiled.simple and compiled.native):
        return None
    return next((part.name for part in compiled.parts if isinstance(part, Var)), None)


class _Compiler:
    def __init__(self, templater: Templater) -> None:
        self.templater = templater
        self.slots: list[tuple[Path, CompiledString]] = []
        self.problems: list[Diagnostic] = []
        self.static_plain = True

    def node(self, value: Any, path: Path) -> _Node | None:
        if isinstance(value, str):
            return self.slot(value, path)
        if isinstance(value, dict):
            return self.mapping(value, path)
        if isinstance(value, list):
            return self.sequence(value, path)
        if self.static_plain and not plain_value(value):
            self.static_plain = False
        return None

    def slot(self, text: str, path: Path) -> _Slot | None:
        if not Templater.is_template(text):
            if self.static_plain and not text.isascii():
                self.static_plain = False
            return None
        try:
            compiled = self.templater.compile(text)
        except TemplateError as exc:
            self.problems.append(BuildError(path, exc.code, exc.message, exc.hint).diagnostic())
            return None
        self.slots.append((path, compiled))
        return _Slot(compiled, path)

    def mapping(self, value: dict[str, Any], path: Path) -> _Node | None:
        items: list[tuple[str, _Slot | None, Any, _Node | None]] = []
        dynamic = False
        for key, item in value.items():
            key_slot = self.slot(key, (*path, key))
            node = self.node(item, (*path, key))
            dynamic = dynamic or key_slot is not None or node is not None
            items.append((key, key_slot, item, node))
        return _DictNode(items, path) if dynamic else None

    def sequence(self, value: list[Any], path: Path) -> _Node | None:
        items = [(item, self.node(item, (*path, i))) for i, item in enumerate(value)]
        return _ListNode(items) if any(node is not None for _, node in items) else None
