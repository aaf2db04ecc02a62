"""Jinja templating of single strings from an already parsed spec.

Jinja is applied after the YAML is parsed, one string at a time, so a parameter value can
never change the document's structure. A string that is exactly one ``{{ expression }}``
renders to the expression's native value (an int stays an int); any other string renders
to text. Strings made only of literal text and bare ``{{ name }}`` references never go
through Jinja at render time (the hot loop of large sweeps).

Safety (docs: reliability checklist, section 2):

* ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``, no autoescape and no loader;
  ``{% include %}``, ``{% import %}``, ``{% from %}`` and ``{% extends %}`` are refused when
  the string is compiled. ``cycler``, ``joiner``, ``namespace`` and ``lipsum`` are removed
  from the globals; the ``random`` (not reproducible) and ``urlize`` (unbounded output)
  filters are removed.
* ``**``, ``*``, ``+`` and ``%`` are intercepted, ``~`` and every filter, method call, block
  buffer and output value are size-checked, so no intermediate value grows far past
  ``max_output``; each render is bounded in time (``timeout``) in whichever thread runs
  it, by checks at every loop iteration, call, filter and operator (:mod:`.deadline`).
  These are best-effort, in-process limits: untrusted templates should additionally be
  rendered in a subprocess with ``RLIMIT_AS``/``RLIMIT_CPU``.
* Every filter and global is pure and never calls its arguments. The render context must
  hold plain data only (str, int, float, bool, None, lists, dicts), never types, modules or
  callables. Parameter values are data: they are never rendered again.

Every failure is a :class:`TemplateError` with a ``PS6xx`` code and a one-line message.
"""

from __future__ import annotations

import json
from collections.abc import (
    Callable,
    Generator,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    ValuesView,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

from jinja2 import StrictUndefined, meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Template, TemplateExpression
from jinja2.exceptions import TemplateSyntaxError
from jinja2.parser import Parser
from jinja2.runtime import Context, Undefined, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment

from prominence_spec.template import deadline
from prominence_spec.template.errors import (
    OMIT,
    TemplateError,
    _convert,
    _variable_hint,
)
from prominence_spec.template.files import FileProblemError, TemplateFiles
from prominence_spec.template.limits import (
    MAX_EXPONENT,
    _b64encode,
    _check_binop,
    _check_call,
    _format_size,
    _guard_filter,
    _kind,
    _need,
    _shell_quote,
    _size,
    _to_json,
)

__all__ = [
    "GLOBALS",
    "MAX_EXPONENT",
    "OMIT",
    "CompiledString",
    "Evaluator",
    "TemplateError",
    "Templater",
    "Var",
]

#: Names the templates see besides the render context (a context key of the same name
#: would shadow them; the caller should refuse such parameter names).
GLOBALS: Final[frozenset[str]] = frozenset({"dict", "omit", "range", "read_file", "read_file_b64"})
_REMOVED_GLOBALS: Final = ("cycler", "joiner", "namespace", "lipsum")
_REMOVED_FILTERS: Final = ("random", "urlize")
#: Names a bare ``{{ name }}`` may not take the fast path for (globals, Jinja specials).
_SPECIAL_NAMES: Final = GLOBALS | {"self", "loop", "caller", "varargs", "kwargs", "super"}
_T = TypeVar("_T")
#: An expression compiled once and evaluated on many sets of parameters
#: (see :meth:`Templater.evaluator`).
Evaluator = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Var:
    """A bare variable reference in a simple template."""

    name: str


@dataclass(frozen=True)
class CompiledString:
    """One compiled string; ``render`` returns a native value, text, or :data:`OMIT`."""

    text: str
    native: bool
    simple: bool
    parts: tuple[str | Var, ...]
    variables: frozenset[str]
    _render: Callable[[Mapping[str, Any]], Any] = field(repr=False, compare=False)
    #: the problems of the files it reads by a constant name (``read_file('run.sh')``)
    file_problems: Callable[[], list[TemplateError]] = field(
        default=lambda: [], repr=False, compare=False
    )

    def render(self, context: Mapping[str, Any]) -> Any:
        return self._render(context)


# --------------------------------------------------------------- environment


#: The filter every loop's iterable is read through (the time limit's check); a name
#: with a space, so no template can name it.
_TICKING: Final = "promspec ticking"


class _CodeGenerator(CodeGenerator):
    """Routes ``a ~ b`` through a size-checked join and every loop's iterable through the
    time limit's check."""

    def visit_Template(  # noqa: N802
        self, node: nodes.Template, frame: Frame | None = None
    ) -> None:
        for loop in node.find_all(nodes.For):  # before the filters in use are collected
            inner = loop.iter
            if not (isinstance(inner, nodes.Filter) and inner.name == _TICKING):
                loop.iter = nodes.Filter(inner, _TICKING, [], [], None, None, lineno=inner.lineno)
        super().visit_Template(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802
        self.write("environment.join_checked(context.eval_ctx.autoescape, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"**", "*", "+", "%"})
    code_generator_class = _CodeGenerator

    def __init__(self, *, max_output: int) -> None:
        super().__init__(
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=self._finalize,
        )
        self.max_output = max_output
        for name in _REMOVED_GLOBALS:
            self.globals.pop(name, None)
        filters = {k: v for k, v in self.filters.items() if k not in _REMOVED_FILTERS}
        filters.update(b64encode=_b64encode, shell_quote=_shell_quote, to_json=_to_json)
        self.filters = {k: _guard_filter(k, v, max_output) for k, v in filters.items()}
        self.filters[_TICKING] = deadline.ticking

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        deadline.check()
        _check_binop(operator, left, right, self.max_output)
        result = self.binop_table[operator](left, right)
        _need(_size(result, self.max_output), self.max_output, f"`{operator}`")
        return result

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        deadline.check()
        args = _check_call(obj, args, kwargs, self.max_output)
        result = super().call(context, obj, *args, **kwargs)
        _need(_size(result, self.max_output), self.max_output, "the call")
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt: str = value.__self__
        limit = self.max_output

        def checked(*args: Any, **kwargs: Any) -> str:
            _need(_format_size(fmt, args, kwargs, limit), limit, f"str.{value.__name__}()")
            return wrapped(*args, **kwargs)

        return checked

    def join_checked(self, autoescape: bool, values: tuple[Any, ...]) -> str:
        _need(sum(_size(v, self.max_output) for v in values), self.max_output, "`~`")
        return markup_join(values) if autoescape else str_join(values)

    def concat(self, parts: Iterable[str]) -> str:
        """Joins block, macro and filter-block output, bounded like the final output."""
        out: list[str] = []
        size = 0
        for part in parts:
            size += len(part)
            if size > self.max_output:
                raise _output_too_large(self.max_output)
            out.append(part)
        return "".join(out)

    def _finalize(self, value: Any) -> Any:
        if not isinstance(value, str) and _size(value, self.max_output) > self.max_output:
            raise _output_too_large(self.max_output)
        return value


def _output_too_large(limit: int) -> TemplateError:
    return TemplateError(
        "PS610",
        f"the rendered value is longer than the limit of {limit} characters",
        "a spec value cannot be that large",
    )


# -------------------------------------------------------------- native values


class _Budget:
    __slots__ = ("left",)

    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, amount: int, limit: int) -> None:
        self.left -= amount
        if self.left < 0:
            raise _output_too_large(limit)


_SCALARS: Final = (str, int, float, type(None))


def _plain(value: Any, limit: int) -> Any:
    """The native result as plain data (lists, dicts, scalars) or :data:`OMIT`."""
    if value is OMIT:
        return OMIT
    return _plain_item(value, _Budget(limit), limit)


def _plain_item(value: Any, budget: _Budget, limit: int) -> Any:
    if isinstance(value, str):
        budget.spend(len(value), limit)
        return value if type(value) is str else str.__str__(value)
    if isinstance(value, _SCALARS):
        budget.spend(8, limit)
        return value
    if isinstance(value, dict):
        budget.spend(2 + 2 * len(value), limit)
        return {_plain_key(k): _plain_item(v, budget, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple, range, Iterator, KeysView, ValuesView, ItemsView)):
        return [_plain_item(item, budget, limit) for item in _spent(value, budget, limit)]
    raise _not_data(value)


def _spent(items: Iterable[Any], budget: _Budget, limit: int) -> Iterator[Any]:
    for item in items:
        budget.spend(2, limit)
        yield item


def _plain_key(key: Any) -> str:
    """Mapping keys as JSON writes them (the request body has only string keys)."""
    if isinstance(key, str):
        return key if type(key) is str else str.__str__(key)
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, (int, float)):
        return json.dumps(key)
    raise _not_data(key)


def _not_data(value: Any) -> TemplateError:
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises its own (undefined or security) error
    if value is OMIT:
        return TemplateError(
            "PS601", "`omit` must be the whole value, not inside a list or mapping"
        )
    return TemplateError(
        "PS601",
        f"the expression gives {_kind(value)}, which is not data",
        "a value must be text, a number, true/false, null, a list or a mapping",
    )


# ------------------------------------------------------------------ compiling


def _refuse_includes(ast: nodes.Template) -> None:
    for node in ast.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        if isinstance(node, nodes.Include):
            raise TemplateError("PS603", "includes are not supported; use read_file()")
        raise TemplateError(
            "PS603",
            "`{% import %}`, `{% from %}` and `{% extends %}` are not supported",
            "use read_file() to embed a file",
        )


def _constant_reads(ast: nodes.Template) -> tuple[tuple[str, str], ...]:
    """``(function, path)`` of each ``read_file('path')``/``read_file_b64('path')`` call
    with a constant path, in source order."""
    reads: list[tuple[str, str]] = []
    for call in ast.find_all(nodes.Call):
        function = call.node
        if (
            isinstance(function, nodes.Name)
            and function.name in ("read_file", "read_file_b64")
            and call.args
            and isinstance(call.args[0], nodes.Const)
            and isinstance(call.args[0].value, str)
        ):
            reads.append((function.name, call.args[0].value))
    return tuple(dict.fromkeys(reads))


def _simple_parts(ast: nodes.Template) -> tuple[str | Var, ...] | None:
    """Literal text and bare names, or None when the template does more."""
    parts: list[str | Var] = []
    for statement in ast.body:
        if not isinstance(statement, nodes.Output):
            return None
        for node in statement.nodes:
            if isinstance(node, nodes.TemplateData):
                if parts and isinstance(parts[-1], str):
                    parts[-1] += node.data
                else:
                    parts.append(node.data)
            elif type(node) is nodes.Name and node.name not in _SPECIAL_NAMES:
                parts.append(Var(node.name))
            else:
                return None
    return tuple(parts)


_SKIPPED_TOKENS: Final = frozenset({"comment_begin", "comment", "comment_end"})


def _native_source(env: _Environment, text: str) -> str | None:
    """The expression's source when ``text`` is one ``{{ }}`` with only blanks around it."""
    inner: list[str] | None = None
    source: str | None = None
    for _line, kind, value in env.lex(text):
        if kind in _SKIPPED_TOKENS or (kind == "data" and not value.strip()):
            continue
        if kind == "variable_begin" and source is None and inner is None:
            inner = []
        elif kind == "variable_end" and inner is not None:
            source, inner = "".join(inner), None
        elif inner is not None:
            inner.append(value)
        else:
            return None
    return source


def _simple_renderer(
    parts: tuple[str | Var, ...], native: bool, limit: int
) -> Callable[[Mapping[str, Any]], Any]:
    names = [p.name for p in parts if isinstance(p, Var)]
    if native:
        return _variable_renderer(names[0])
    if not names:
        text = "".join(p for p in parts if isinstance(p, str))
        return lambda context: text
    # str.format_map formats a plain value with an empty spec exactly as str() does.
    fmt = "".join(
        p.replace("{", "{{").replace("}", "}}") if isinstance(p, str) else "{" + p.name + "}"
        for p in parts
    )

    def render(context: Mapping[str, Any]) -> str:
        try:
            text = fmt.format_map(context)
        except KeyError:
            missing = next(name for name in names if name not in context)
            raise _undefined_var(missing, context) from None
        if len(text) > limit:
            raise _output_too_large(limit)
        return text

    return render


def _variable_renderer(name: str) -> Callable[[Mapping[str, Any]], Any]:
    def render(context: Mapping[str, Any]) -> Any:
        try:
            return context[name]
        except KeyError:
            raise _undefined_var(name, context) from None

    return render


def _undefined_var(name: str, context: Mapping[str, Any]) -> TemplateError:
    return TemplateError(
        "PS602", f"undefined variable `{name}`", _variable_hint(name, [*context, *GLOBALS])
    )


class Templater:
    """Compiles and renders the template strings of one spec file.

    ``root`` is the repository root (files may be read only inside it); ``base_dir`` is
    the spec's folder (relative file paths start there).
    """

    def __init__(
        self, *, root: Path, base_dir: Path, max_output: int = 1_048_576, timeout: float = 2.0
    ) -> None:
        self.root = root
        self.base_dir = base_dir
        self.max_output = max_output
        self.timeout = timeout
        self._files = TemplateFiles(root=root, base_dir=base_dir)
        self._env = _Environment(max_output=max_output)
        self._env.globals.update(omit=OMIT, **_file_readers(self._files))
        self._compiled: dict[str, CompiledString] = {}
        self._expressions: dict[str, CompiledString] = {}

    @property
    def environment(self) -> ImmutableSandboxedEnvironment:
        """The sandboxed Jinja environment (for inspection and tests)."""
        return self._env

    @staticmethod
    def is_template(text: str) -> bool:
        return "{{" in text or "{%" in text or "{#" in text

    def compile(self, text: str) -> CompiledString:
        compiled = self._compiled.get(text)
        if compiled is None:
            compiled = self._compile(text)
            self._compiled[text] = compiled
        return compiled

    def expression(self, expr: str) -> CompiledString:
        compiled = self._expressions.get(expr)
        if compiled is None:
            compiled = self._compile_expression(expr)
            self._expressions[expr] = compiled
        return compiled

    def evaluator(self, expr: str, values: Mapping[str, Any]) -> Evaluator:
        """``expr`` compiled once, to be evaluated on ``values`` overlaid with each call's
        parameters (a sweep's ``where``, once per point).

        ``evaluator(expr, values)(params)`` gives the value, or raises the TemplateError,
        that ``expression(expr).render({**values, **params})`` would, in a fraction of the
        time: the globals and ``values`` are merged once, and one Jinja context is reused
        instead of a new one per call. A syntax error is found once and raised by every call.
        """
        try:
            compiled = self.expression(expr)
        except TemplateError as exc:
            return _failing(exc)
        if compiled.simple:
            first = compiled.parts[0]
            assert isinstance(first, Var)
            return _lookup(first.name, values)
        try:
            template = self._expression_template(expr)
        except TemplateError as exc:
            return _failing(exc)
        return self._evaluate_with(template, values)

    # -- compiling

    def _expression_template(self, source: str) -> Template:
        """The template ``compile_expression`` builds: ``result = <expression>``."""

        def build() -> Template:
            parser = Parser(self._env, source, state="variable")
            expression = parser.parse_expression()
            if not parser.stream.eos:
                lineno = parser.stream.current.lineno
                raise TemplateSyntaxError("chunk after expression", lineno, None, None)
            expression.set_environment(self._env)
            body = [nodes.Assign(nodes.Name("result", "store"), expression, lineno=1)]
            return self._env.from_string(nodes.Template(body, lineno=1))

        return self._run(build, (), False)

    def _evaluate_with(self, template: Template, values: Mapping[str, Any]) -> Evaluator:
        """Evaluations of ``template`` in one reused context, whose variables are replaced
        by each call's (the expression assigns only ``result``; nothing else persists)."""
        root = template.root_render_func
        context = template.new_context(shared=True)
        base = {**template.globals, **values}
        limit = self.max_output

        def run() -> Any:
            context.vars.clear()
            for _ in root(context):
                pass
            value = context.vars["result"]
            return value if type(value) is bool else _plain(value, limit)

        def evaluate(params: Mapping[str, Any]) -> Any:
            parent = base.copy()
            parent.update(params)
            context.parent = parent
            return self._run(run, parent, False)

        return evaluate

    def _compile(self, text: str) -> CompiledString:
        self._check_length(text)
        ast, variables = self._parse(text, "\n" in text)
        _refuse_includes(ast)
        parts = _simple_parts(ast)
        source = _native_source(self._env, text)
        native = source is not None
        if parts is not None:
            render = _simple_renderer(parts, native, self.max_output)
        elif source is not None:
            render = self._native_renderer(source)
        else:
            render = self._text_renderer(ast, "\n" in text)
        reads = _constant_reads(ast)
        return CompiledString(
            text,
            native,
            parts is not None,
            parts or (),
            variables,
            render,
            (lambda: self._file_problems(reads)) if reads else (lambda: []),
        )

    def _file_problems(self, reads: tuple[tuple[str, str], ...]) -> list[TemplateError]:
        """What is wrong with each file that ``reads`` names (function, path), in order."""
        readers = {"read_file": self._files.read_text, "read_file_b64": self._files.read_b64}
        found: list[TemplateError] = []
        for function, name in reads:
            try:
                readers[function](name)
            except FileProblemError as exc:
                found.append(TemplateError(exc.code, exc.message, exc.hint))
        return found

    def _compile_expression(self, expr: str) -> CompiledString:
        self._check_length(expr)
        render = self._native_renderer(expr)
        ast, variables = self._parse("{{ " + expr + " }}", False)
        parts = _simple_parts(ast)
        simple = parts is not None and len(parts) == 1 and isinstance(parts[0], Var)
        if simple and parts is not None:
            render = _simple_renderer(parts, True, self.max_output)
        return CompiledString(
            expr, True, simple, parts if simple and parts else (), variables, render
        )

    def _parse(self, text: str, multiline: bool) -> tuple[nodes.Template, frozenset[str]]:
        """The syntax tree and free variables (``find_undeclared_variables`` also finds
        unknown filters and tests)."""

        def parse() -> tuple[nodes.Template, frozenset[str]]:
            ast = self._env.parse(text)
            return ast, frozenset(meta.find_undeclared_variables(ast)) - GLOBALS

        return self._run(parse, (), multiline)

    def _check_length(self, text: str) -> None:
        if len(text) > self.max_output:
            raise TemplateError(
                "PS610",
                f"the template is {len(text)} characters long; the limit is {self.max_output}",
            )

    def _native_renderer(self, source: str) -> Callable[[Mapping[str, Any]], Any]:
        expression: TemplateExpression = self._run(
            lambda: self._env.compile_expression(source, undefined_to_none=False), (), False
        )
        limit = self.max_output

        def render(context: Mapping[str, Any]) -> Any:
            return self._run(lambda: _plain(expression(context), limit), context, False)

        return render

    def _text_renderer(
        self, ast: nodes.Template, multiline: bool
    ) -> Callable[[Mapping[str, Any]], Any]:
        template = self._run(lambda: self._env.from_string(ast), (), multiline)
        limit = self.max_output

        def produce(context: Mapping[str, Any]) -> str:
            out: list[str] = []
            size = 0
            pieces = template.generate(context)
            try:
                for piece in pieces:
                    size += len(piece)
                    if size > limit:
                        raise _output_too_large(limit)
                    out.append(piece)
            finally:
                if isinstance(pieces, Generator):
                    pieces.close()
            return "".join(out)

        def render(context: Mapping[str, Any]) -> str:
            return self._run(lambda: produce(context), context, multiline)

        return render

    # -- running

    def _run(self, action: Callable[[], _T], names: Iterable[str], multiline: bool) -> _T:
        """``action()`` within the time limit, every failure as a TemplateError."""
        try:
            return deadline.within(action, self.timeout)
        except deadline.Timeout:
            raise TemplateError(
                "PS610",
                f"rendering took longer than {self.timeout:g} seconds",
                "the template loops too much; compute large values outside the spec",
            ) from None
        except Exception as exc:  # every error becomes a one-line TemplateError
            raise _convert(exc, [*names, *GLOBALS], self._env, multiline) from None


def _failing(error: TemplateError) -> Evaluator:
    """An evaluator for an expression that does not compile: each call raises its error."""

    def evaluate(params: Mapping[str, Any]) -> Any:
        raise TemplateError(error.code, error.message, error.hint)

    return evaluate


def _lookup(name: str, values: Mapping[str, Any]) -> Evaluator:
    """An evaluator for a bare name: the parameter, else the value, else undefined."""

    def evaluate(params: Mapping[str, Any]) -> Any:
        if name in params:
            return params[name]
        if name in values:
            return values[name]
        raise _undefined_var(name, {**values, **params})

    return evaluate


def _file_readers(files: TemplateFiles) -> dict[str, Callable[[object], str]]:
    """``read_file``/``read_file_b64`` globals: closures, so no attribute leads to ``files``."""

    def read_file(path: object) -> str:
        try:
            return files.read_text(path)
        except FileProblemError as exc:
            raise TemplateError(exc.code, exc.message, exc.hint) from None

    def read_file_b64(path: object) -> str:
        try:
            return files.read_b64(path)
        except FileProblemError as exc:
            raise TemplateError(exc.code, exc.message, exc.hint) from None

    return {"read_file": read_file, "read_file_b64": read_file_b64}
