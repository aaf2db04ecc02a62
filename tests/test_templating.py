"""Templater: compiling, native and text rendering, the fast path, filters, files, limits."""

from __future__ import annotations

import base64
import json
import shlex
import signal
import threading
import time
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prominence_spec.template.environment import (
    OMIT,
    CompiledString,
    TemplateError,
    Templater,
    Var,
)

from support import examples


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "specs" / "scripts").mkdir(parents=True)
    (root / "specs" / "scripts" / "run.sh").write_text("#!/bin/sh\necho 'hi' ü\n")
    (root / "data.bin").write_bytes(b"\x00\xff\xfe binary")
    return root


@pytest.fixture()
def tpl(repo: Path) -> Templater:
    return Templater(root=repo, base_dir=repo / "specs")


def render(templater: Templater, text: str, **context: object) -> object:
    return templater.compile(text).render(context)


def error(templater: Templater, text: str, **context: object) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        render(templater, text, **context)
    return info.value


# ----------------------------------------------------------------- compiling


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", False),
        ("a {{ b }}", True),
        ("{% if x %}y{% endif %}", True),
        ("{# note #}", True),
        ("{ not } % #", False),
        ("", False),
    ],
)
def test_is_template(text: str, expected: bool) -> None:
    assert Templater.is_template(text) is expected


def test_compile_is_cached(tpl: Templater) -> None:
    assert tpl.compile("x{{ a }}") is tpl.compile("x{{ a }}")
    assert tpl.expression("a < b") is tpl.expression("a < b")


@pytest.mark.parametrize(
    ("text", "native", "simple", "parts"),
    [
        ("{{ n }}", True, True, (Var("n"),)),
        ("{{n}}", True, True, (Var("n"),)),
        ("  {{ n }}\n", True, True, ("  ", Var("n"), "\n")),
        ("{# c #}{{ n }}", True, True, (Var("n"),)),
        ("a{{ n }}b{{m}}", False, True, ("a", Var("n"), "b", Var("m"))),
        ("plain text", False, True, ("plain text",)),
        ("{{ n + 1 }}", True, False, ()),
        ("{{ n|int }}", True, False, ()),
        ("{{ n.x }}", True, False, ()),
        ("x{{ n.x }}", False, False, ()),
        ("{{ a }}{{ b }}", False, True, (Var("a"), Var("b"))),
        ("{% if a %}{{ a }}{% endif %}", False, False, ()),
        ("{{ omit }}", True, False, ()),
        ("{{ range }}", True, False, ()),
        ("{{ '}}' }}", True, False, ()),
    ],
)
def test_compile_shapes(
    tpl: Templater, text: str, native: bool, simple: bool, parts: tuple[object, ...]
) -> None:
    compiled = tpl.compile(text)
    assert isinstance(compiled, CompiledString)
    assert (compiled.text, compiled.native, compiled.simple, compiled.parts) == (
        text,
        native,
        simple,
        parts,
    )


def test_variables_exclude_globals_and_locals(tpl: Templater) -> None:
    text = (
        "{% set local = 1 %}{% for i in items %}{{ i }}{{ local }}{% endfor %}"
        "{{ read_file(path) }}{{ x if x else omit }}{{ cfg.key }}{{ range(n)|list }}"
    )
    assert tpl.compile(text).variables == {"items", "path", "x", "cfg", "n"}
    assert tpl.expression("a < b and c.d").variables == {"a", "b", "c"}


def test_syntax_error(tpl: Templater) -> None:
    with pytest.raises(TemplateError) as info:
        tpl.compile("{{ x + }}")
    assert info.value.code == "PS601"
    assert "\n" not in info.value.message


def test_syntax_error_names_the_line_of_a_multiline_template(tpl: Templater) -> None:
    with pytest.raises(TemplateError) as info:
        tpl.compile("line one\nline two\n{% if %}")
    assert info.value.code == "PS601"
    assert "(line 3)" in info.value.message


def test_unknown_filter_did_you_mean(tpl: Templater) -> None:
    with pytest.raises(TemplateError) as info:
        tpl.compile("{{ x | b64encod }}")
    assert (info.value.code, info.value.message) == ("PS601", "unknown filter `b64encod`")
    assert info.value.hint == "did you mean `b64encode`?"


def test_unknown_test_did_you_mean(tpl: Templater) -> None:
    with pytest.raises(TemplateError) as info:
        tpl.compile("{{ x is defind }}")
    assert info.value.message == "unknown test `defind`"
    assert info.value.hint == "did you mean `defined`?"


def test_template_too_long(repo: Path) -> None:
    small = Templater(root=repo, base_dir=repo, max_output=100)
    with pytest.raises(TemplateError) as info:
        small.compile("{{ x }}" + "y" * 200)
    assert info.value.code == "PS610"


def test_diagnostic_conversion(tpl: Templater) -> None:
    exc = error(tpl, "{{ frme }}", frame=1)
    diagnostic = exc.diagnostic("/task/cmd")
    assert (diagnostic.code, diagnostic.pointer, diagnostic.hint) == (
        "PS602",
        "/task/cmd",
        "did you mean `frame`?",
    )


# -------------------------------------------------------------- native values


@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        ("{{ n }}", {"n": 3}, 3),
        ("  {{ n }}\n", {"n": 3}, 3),
        ("{{ n * 2 }}", {"n": 3}, 6),
        ("{{ n / 2 }}", {"n": 3}, 1.5),
        ("{{ n > 2 }}", {"n": 3}, True),
        ("{{ none }}", {}, None),
        ("{{ {'a': n, 'b': [1, 'x']} }}", {"n": 3}, {"a": 3, "b": [1, "x"]}),
        ("{{ (1, 2) }}", {}, [1, 2]),
        ("{{ xs|map('upper') }}", {"xs": ["a", "b"]}, ["A", "B"]),
        ("{{ range(3) }}", {}, [0, 1, 2]),
        ("{{ d.items() }}", {"d": {"k": 1}}, [["k", 1]]),
        ("{{ 'a' ~ n }}", {"n": 3}, "a3"),
        ("{{ cfg.key }}", {"cfg": {"key": [1]}}, [1]),
        ("{{ '{{ 7*7 }}' }}", {}, "{{ 7*7 }}"),
    ],
)
def test_native_values(
    tpl: Templater, text: str, context: dict[str, object], expected: object
) -> None:
    value = tpl.compile(text).render(context)
    assert value == expected
    assert type(value) is type(expected)


def test_native_fast_path_returns_the_context_value_itself(tpl: Templater) -> None:
    value = {"nested": [1, 2]}
    assert tpl.compile("{{ v }}").render({"v": value}) is value


def test_markup_results_become_plain_str(tpl: Templater) -> None:
    value = tpl.compile("{{ '<a>'|safe }}").render({})
    assert value == "<a>"
    assert type(value) is str


def test_omit(tpl: Templater) -> None:
    assert render(tpl, "{{ omit }}") is OMIT
    assert render(tpl, "{{ x if x else omit }}", x=0) is OMIT
    assert render(tpl, "{{ x if x else omit }}", x=5) == 5
    assert repr(OMIT) == "omit"


@pytest.mark.parametrize(
    "text",
    [
        "--flag {{ omit }}",
        "{{ [1, omit] }}",
        "{{ {'a': omit} }}",
        "{{ 'a' ~ omit }}",
        "{{ omit|to_json }}",
    ],
)
def test_omit_must_be_the_whole_value(tpl: Templater, text: str) -> None:
    assert error(tpl, text).code == "PS601"


@pytest.mark.parametrize(
    "text",
    [
        "{{ dict }}",
        "{{ range }}",
        "{{ read_file }}",
        "{{ 'a'.upper }}",
        "{{ self }}",
        "{{ (1).to_bytes(1, 'big') }}",
    ],
)
def test_native_results_must_be_data(tpl: Templater, text: str) -> None:
    exc = error(tpl, text)
    assert exc.code == "PS601"
    assert "not data" in exc.message


# ---------------------------------------------------------------- text values


@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        ("a{{ n }}b", {"n": 3}, "a3b"),
        ("{{ a }}{{ b }}", {"a": True, "b": None}, "TrueNone"),
        ("v={{ x }}", {"x": 0.1 + 0.2}, "v=0.30000000000000004"),
        ("v={{ x }}", {"x": 1e-7}, "v=1e-07"),
        ("{ not a template }", {}, "{ not a template }"),
        ("{{ a }}}", {"a": 1}, "1}"),
        ("run {{ n + 1 }} {% if n %}yes{% endif %}", {"n": 1}, "run 2 yes"),
        ("{% for i in range(3) %}{{ i }},{% endfor %}", {}, "0,1,2,"),
        ("a\r\nb {{ n }}", {"n": 1}, "a\nb 1"),
        ("x {{ n }}\n", {"n": 1}, "x 1\n"),
        ("{% raw %}{{ n }}{% endraw %}", {"n": 1}, "{{ n }}"),
        ("n={{ n }}", {"n": "{{ 7*7 }}"}, "n={{ 7*7 }}"),
    ],
)
def test_text_values(tpl: Templater, text: str, context: dict[str, object], expected: str) -> None:
    assert tpl.compile(text).render(context) == expected


def test_expression(tpl: Templater) -> None:
    where = tpl.expression("a < b")
    assert (where.native, where.simple, where.text) == (True, False, "a < b")
    assert where.render({"a": 1, "b": 2}) is True
    assert where.render({"a": 3, "b": 2}) is False
    flag = tpl.expression("flag")
    assert (flag.simple, flag.parts) == (True, (Var("flag"),))
    assert flag.render({"flag": [1]}) == [1]
    assert tpl.expression("x if x else omit").render({"x": 0}) is OMIT


@pytest.mark.parametrize("expr", ["a <", "a }} b {{ c", "", "{% if %}"])
def test_expression_syntax_error(tpl: Templater, expr: str) -> None:
    with pytest.raises(TemplateError) as info:
        tpl.expression(expr)
    assert info.value.code == "PS601"


# --------------------------------------------------------------- undefined


@pytest.mark.parametrize(
    "text",
    [
        "{{ frme }}",
        "x {{ frme }}",
        "{{ frme + 1 }}",
        "x{{ frme|int }}",
        "{% for i in frme %}{% endfor %}",
    ],
)
def test_undefined_variable_did_you_mean(tpl: Templater, text: str) -> None:
    exc = error(tpl, text, frame=1, other=2)
    assert (exc.code, exc.message, exc.hint) == (
        "PS602",
        "undefined variable `frme`",
        "did you mean `frame`?",
    )


def test_undefined_in_expression(tpl: Templater) -> None:
    with pytest.raises(TemplateError) as info:
        tpl.expression("frme > 1").render({"frame": 1})
    assert (info.value.code, info.value.hint) == ("PS602", "did you mean `frame`?")


def test_undefined_attribute(tpl: Templater) -> None:
    exc = error(tpl, "{{ cfg.missing }}", cfg={"present": 1})
    assert exc.code == "PS602"
    assert "`missing`" in exc.message


def test_undefined_without_close_match_has_no_hint(tpl: Templater) -> None:
    exc = error(tpl, "{{ zzz }}", frame=1)
    assert (exc.code, exc.hint) == ("PS602", None)


def test_default_filter_still_works(tpl: Templater) -> None:
    assert render(tpl, "{{ x | default(5) }}") == 5
    assert render(tpl, "{{ 1 if x is defined else 2 }}") == 2


# ------------------------------------------------------------- runtime errors


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{{ 1 / 0 }}", "PS601"),
        ("{{ 'a' + 1 }}", "PS601"),
        ("{{ d['nope'] }}", "PS602"),
        ("{{ [1][5] }}", "PS602"),
        ("{{ 10.0 ** 99 ** 4 }}", "PS601"),
        ("{{ x|b64encode }}", "PS601"),
        ("{{ x|to_json }}", "PS601"),
    ],
)
def test_runtime_errors_are_template_errors(tpl: Templater, text: str, code: str) -> None:
    exc = error(tpl, text, d={}, x=float("nan"))
    assert exc.code == code
    assert "\n" not in exc.message
    assert "Traceback" not in exc.message


def test_runtime_error_names_the_line(tpl: Templater) -> None:
    exc = error(tpl, "a\nb\n{{ 1 / 0 }}")
    assert exc.message == "template error: division by zero (line 3)"


# ------------------------------------------------------------------ filters


def test_b64encode(tpl: Templater) -> None:
    assert (
        render(tpl, "{{ s|b64encode }}", s="héllo") == base64.b64encode("héllo".encode()).decode()
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("it's", "'it'\"'\"'s'"),
        ("plain", "plain"),
        (3, "3"),
        (1.5, "1.5"),
        (["a b", "c", 1], "'a b' c 1"),
        ("", "''"),
    ],
)
def test_shell_quote(tpl: Templater, value: object, expected: str) -> None:
    assert render(tpl, "{{ v|shell_quote }}", v=value) == expected


def test_shell_quote_refuses_mappings(tpl: Templater) -> None:
    assert error(tpl, "{{ v|shell_quote }}", v={"a": 1}).code == "PS601"


def test_to_json(tpl: Templater) -> None:
    value = {"a": [1, 2.5, None, True], "ü": "😀\u2028"}
    text = render(tpl, "{{ v|to_json }}", v=value)
    assert text == json.dumps(value, ensure_ascii=False)
    assert json.loads(str(text)) == value
    assert render(tpl, "{{ range(2)|to_json }}") == "[0, 1]"


def test_to_json_undefined_inside_names_the_variable(tpl: Templater) -> None:
    exc = error(tpl, "{{ [frme]|to_json }}", frame=1)
    assert (exc.code, exc.hint) == ("PS602", "did you mean `frame`?")


@given(st.text())
@settings(max_examples=examples(200), deadline=None)
def test_filter_round_trips(value: str) -> None:
    tpl = Templater(root=Path("."), base_dir=Path("."))
    ctx = {"v": value}
    assert json.loads(str(tpl.compile("{{ v|to_json }}").render(ctx))) == value
    encoded = str(tpl.compile("{{ v|b64encode }}").render(ctx))
    assert base64.b64decode(encoded).decode("utf-8") == value
    if "\x00" not in value:
        assert shlex.split(str(tpl.compile("{{ v|shell_quote }}").render(ctx))) == [value]


# -------------------------------------------------------------------- files


def test_read_file(tpl: Templater) -> None:
    assert render(tpl, "{{ read_file('scripts/run.sh') }}") == "#!/bin/sh\necho 'hi' ü\n"
    assert render(tpl, "x{{ read_file('scripts/../scripts/run.sh')|length }}") == "x22"


def test_read_file_b64(tpl: Templater, repo: Path) -> None:
    assert (
        render(tpl, "{{ read_file_b64('../data.bin') }}")
        == base64.b64encode((repo / "data.bin").read_bytes()).decode()
    )
    assert (
        base64.b64decode(str(render(tpl, "{{ read_file_b64('scripts/run.sh') }}")))
        == (repo / "specs" / "scripts" / "run.sh").read_bytes()
    )


def test_read_file_from_a_variable(tpl: Templater) -> None:
    assert render(tpl, "{{ read_file(p)|length > 0 }}", p="scripts/run.sh") is True


def test_read_file_is_cached(tpl: Templater, repo: Path) -> None:
    first = render(tpl, "{{ read_file('scripts/run.sh') }}")
    (repo / "specs" / "scripts" / "run.sh").write_text("changed")
    assert render(tpl, "{{ read_file('scripts/run.sh') }}") == first


@pytest.mark.parametrize(
    ("path", "code", "words"),
    [
        ("missing.txt", "PS609", "'missing.txt' does not exist"),
        ("/etc/passwd", "PS609", "absolute path"),
        ("../../outside", "PS609", "outside the repository"),
        ("scripts", "PS609", "not a regular file"),
        ("", "PS609", "empty path"),
    ],
)
def test_read_file_refusals(tpl: Templater, path: str, code: str, words: str) -> None:
    exc = error(tpl, "{{ read_file(p) }}", p=path)
    assert exc.code == code
    assert words in exc.message


def test_read_file_not_text(tpl: Templater) -> None:
    exc = error(tpl, "{{ read_file('../data.bin') }}")
    assert exc.code == "PS609"
    assert exc.hint == "use read_file_b64() for binary files"


def test_read_file_path_must_be_text(tpl: Templater) -> None:
    assert error(tpl, "{{ read_file(3) }}").code == "PS609"


def test_read_file_too_large(tpl: Templater, repo: Path) -> None:
    (repo / "big.txt").write_bytes(b"x" * (1_048_576 + 1))
    exc = error(tpl, "{{ read_file('../big.txt') }}")
    assert exc.code == "PS610"


# ------------------------------------------------------------------- limits


def test_output_limit_fast_path(repo: Path) -> None:
    small = Templater(root=repo, base_dir=repo, max_output=11)
    assert small.compile("{{a}}{{b}}").render({"a": "12345", "b": "12345"}) == "1234512345"
    with pytest.raises(TemplateError) as info:
        small.compile("{{a}}{{b}}").render({"a": "123456", "b": "123456"})
    assert info.value.code == "PS610"


@pytest.mark.parametrize(
    "text",
    [
        "{% for i in range(20) %}x{% endfor %}",
        "{{ 'x' ~ a }}{{ a }}",
        "{% set s %}{% for i in range(20) %}x{% endfor %}{% endset %}{{ s|length }}",
    ],
)
def test_output_limit_through_jinja(repo: Path, text: str) -> None:
    small = Templater(root=repo, base_dir=repo, max_output=10)
    with pytest.raises(TemplateError) as info:
        small.compile(text).render({"a": "123456789"})
    assert info.value.code in ("PS603", "PS610")


def test_native_value_limit(repo: Path) -> None:
    small = Templater(root=repo, base_dir=repo, max_output=10)
    with pytest.raises(TemplateError) as info:
        small.compile("{{ xs|list }}").render({"xs": "abcdefghijklmnop"})
    assert info.value.code in ("PS603", "PS610")


NESTED_LOOPS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"


@pytest.mark.parametrize(
    "text",
    [
        NESTED_LOOPS,
        "{% macro f(n) %}{{ f(n) if n else '' }}{% endmacro %}"
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ f(0) }}{% endfor %}"
        "{% endfor %}",
        "{% for i in range(100000) %}{{ range(100000)|map('string')|join|length }}{% endfor %}",
        "{% for x in range(100000) recursive %}{% for y in range(100000) %}{% endfor %}"
        "{% endfor %}",
    ],
    ids=["nested-loops", "macro-calls", "filters", "recursive-loop"],
)
def test_timeout_touches_no_signal_state(repo: Path, text: str) -> None:
    quick = Templater(root=repo, base_dir=repo, timeout=0.2)
    before = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    with pytest.raises(TemplateError) as info:
        quick.compile(text).render({})
    assert info.value.code == "PS610"
    assert "longer than 0.2 seconds" in info.value.message
    assert time.monotonic() - started < 5
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_timeout_holds_in_threads_each_with_its_own_limit(repo: Path) -> None:
    """Two threads at once: the one with the short limit stops at it, the other finishes."""
    short = Templater(root=repo, base_dir=repo, timeout=0.1)
    long = Templater(root=repo, base_dir=repo, timeout=60)
    hostile = short.compile(NESTED_LOOPS)
    bounded = long.compile("{% for i in range(300) %}{% for j in range(300) %}{% endfor %}"
                           "{% endfor %}{{ 'done' }}")  # fmt: skip
    results: dict[str, object] = {}

    def render(name: str, compiled: Any) -> None:
        try:
            results[name] = compiled.render({})
        except TemplateError as exc:
            results[name] = exc.code

    threads = [
        threading.Thread(target=render, args=("hostile", hostile)),
        threading.Thread(target=render, args=("bounded", bounded)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert results == {"hostile": "PS610", "bounded": "done"}


def test_timeout_keeps_an_outer_timer(repo: Path) -> None:
    fired: list[int] = []
    handler = lambda signum, frame: fired.append(signum)  # noqa: E731
    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 60)
        tpl = Templater(root=repo, base_dir=repo, timeout=0.05)
        assert tpl.compile("{{ 1 + n }}").render({"n": 1}) == 2
        with pytest.raises(TemplateError):
            tpl.compile(NESTED_LOOPS).render({})
        remaining, _interval = signal.getitimer(signal.ITIMER_REAL)
        assert 50 < remaining <= 60
        assert signal.getsignal(signal.SIGALRM) is handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert fired == []


def test_rendering_in_a_worker_thread(repo: Path) -> None:
    tpl = Templater(root=repo, base_dir=repo)
    results: list[object] = []
    worker = threading.Thread(
        target=lambda: results.append(tpl.compile("{{ n * 2 }}-{{ m }}").render({"n": 2, "m": 1}))
    )
    worker.start()
    worker.join()
    assert results == ["4-1"]


# -------------------------------------------------------- fast path vs Jinja

_NAMES = ("a", "b", "frame", "ü")
_SHAPES = ("{{ %s }}", "{{%s}}", "{{- %s }}", "{{ %s -}}", "{{  %s\n}}")
_VALUES = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.1 + 0.2, 1e-7, 1e16, -0.0, 5e-324, True, False, None, "", "é😀\u2028"]),
    st.booleans(),
    st.none(),
    st.text(),
)
_LITERAL = st.text(alphabet=st.characters(blacklist_characters="{"), max_size=8)
_PIECE = st.one_of(_LITERAL, st.tuples(st.sampled_from(_SHAPES), st.sampled_from(_NAMES)))


def _template_text(pieces: list[str | tuple[str, str]]) -> str:
    return "".join(p if isinstance(p, str) else p[0] % p[1] for p in pieces)


@pytest.mark.slow
@given(st.lists(_PIECE, max_size=6), st.fixed_dictionaries({n: _VALUES for n in _NAMES}))
@settings(max_examples=examples(600), deadline=None)
def test_fast_path_matches_jinja(
    pieces: list[str | tuple[str, str]], context: dict[str, object]
) -> None:
    text = _template_text(pieces)
    tpl = Templater(root=Path("."), base_dir=Path("."))
    compiled = tpl.compile(text)
    assert compiled.simple
    expected = jinja2.Environment(keep_trailing_newline=True).from_string(text).render(context)
    result = compiled.render(context)
    if compiled.native:
        name = next(p.name for p in compiled.parts if isinstance(p, Var))
        assert result is context[name]
        assert expected == "".join(p if isinstance(p, str) else str(result) for p in compiled.parts)
    else:
        assert result == expected
        assert type(result) is str
