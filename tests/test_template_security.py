"""Template safety: the reliability checklist J1-J15 (docs: reliability-checklists.md, §2).

J4 (template file names) does not apply: templates are strings from the parsed spec.
J6, J9 and J12 (unused/undeclared parameters, sweep size, structure injection) are the
sweep renderer's. Dangerous resource tests run in a subprocess with a timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jinja2
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range

from prominence_spec.template.environment import OMIT, TemplateError, Templater

SECRET = "TOKEN-SECRET-123"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    specs = root / "specs"
    (specs / "sub").mkdir(parents=True)
    (specs / "sub" / "real.txt").write_text("inside\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    os.symlink(outside / "secret.txt", specs / "link_out")
    os.symlink(specs / "sub" / "real.txt", specs / "link_in")
    os.symlink(outside, specs / "dir_out")
    os.symlink(specs / "sub", specs / "dir_in")
    return root


@pytest.fixture()
def tpl(repo: Path) -> Templater:
    return Templater(root=repo, base_dir=repo / "specs")


def outcome(templater: Templater, text: str, **context: object) -> tuple[str, str]:
    """("ok", rendered value) or (code, message); never lets anything else escape."""
    try:
        return "ok", repr(templater.compile(text).render(context))
    except TemplateError as exc:
        assert "Traceback" not in exc.message
        assert "\n" not in exc.message
        return exc.code, exc.message


# ----------------------------------------------------------------- J1, J2


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "x {{ ''.__class__.__mro__[1].__subclasses__() }} y",
        "{{ ().__class__.__base__.__subclasses__() }}",
        "{{ [].__class__ }}",
        "{{ {}.__class__ }}",
        "{{ (1).real.__class__ }}",
        "{{ s.__class__ }}",
        "{{ n.__class__ }}",
        "{{ d.__class__ }}",
        "{{ xs.__class__ }}",
        "{{ s['__class__'] }}",
        "{{ d['__class__'] }}",
        "{{ self.__init__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ range.__globals__ }}",
        "{{ dict.__base__ }}",
        "{{ dict.mro() }}",
        "{{ read_file.__globals__ }}",
        "{{ read_file.__closure__ }}",
        "{{ read_file.__code__ }}",
        "{{ read_file_b64.__globals__ }}",
        "{{ omit.__class__ }}",
        "{% for i in [1] %}{{ loop.__class__ }}{% endfor %}",
        "{% macro m() %}{% endmacro %}{{ m._func }}",
        "{% macro m() %}{% endmacro %}{{ m.__call__.__globals__ }}",
        "{{ 'x'|attr('__class__') }}",
        "{{ s|attr('__class__')|string }}",
    ],
)
def test_j1_j2_internals_are_refused(tpl: Templater, text: str) -> None:
    code, message = outcome(tpl, text, s="a", n=1, d={"k": 1}, xs=[1])
    assert code == "PS603", message
    assert message.startswith("unsafe template operation")


@pytest.mark.parametrize(
    "text",
    [
        "{{ cycler.__init__.__globals__ }}",
        "{{ lipsum.__globals__ }}",
        "{{ joiner() }}",
        "{{ namespace(a=1) }}",
        "{{ cycler }}",
    ],
)
def test_j2_removed_globals(tpl: Templater, text: str) -> None:
    code, message = outcome(tpl, text)
    # the name is undefined; touching an internal of that undefined value is unsafe
    assert code in ("PS602", "PS603"), message
    if "__" not in text:
        assert code == "PS602"


def test_j2_no_mutation_of_data(tpl: Templater) -> None:
    data = {"xs": [1], "d": {"k": 1}}
    for text in (
        "{{ xs.append(2) }}",
        "{{ xs.pop() }}",
        "{{ xs.clear() }}",
        "{{ d.update(a=1) }}",
        "{{ d.pop('k') }}",
        "{{ d.clear() }}",
        "{{ d.setdefault('z', 1) }}",
    ):
        code, _message = outcome(tpl, text, **data)
        assert code == "PS603", text
    assert data == {"xs": [1], "d": {"k": 1}}


# ---------------------------------------------------------------------- J3


def test_j3_jinja_version() -> None:
    version = tuple(int(part) for part in jinja2.__version__.split(".")[:3])
    assert version >= (3, 1, 6)


@pytest.mark.parametrize(
    "text",
    [
        "{{ 'a{0.__class__}b'.format(1) }}",
        "x{{ 'a{0.__class__}b'.format(1) }}",
        "{{ '{x.__class__}'.format_map({'x': 1}) }}",
        "{{ '{0.__globals__}'.format(read_file) }}",
        "{{ ('{0.__class__}'|attr('format'))(1) }}",
        "{{ ('{0.__class__}'['format'])(1) }}",
        "{% set f = '{0.__class__}'.format %}{{ f(1) }}",
        "{{ '%s' % ''.__class__ }}",
    ],
)
def test_j3_format_strings_stay_sandboxed(tpl: Templater, text: str) -> None:
    code, message = outcome(tpl, text)
    assert code == "PS603", message


@pytest.mark.slow
def test_j3_stored_format_passed_to_every_filter(tpl: Templater) -> None:
    leaks = []
    for name in sorted(tpl.environment.filters):
        for text in (
            "{% set f = '{0.__class__}{0.__globals__}'.format %}{{ f|" + name + " }}",
            "{% set f = '{0.__class__}'.format %}{{ [1, 2]|" + name + "(f) }}",
            "{% set f = '{0.__class__}'.format %}{{ 'a'|" + name + "(f, f) }}",
            "{% set f = '{0.__class__}'.format %}{{ [f]|" + name + " }}",
        ):
            code, value = outcome(tpl, text)
            if code == "ok" and ("<class" in value or "__builtins__" in value):
                leaks.append((name, text, value))
    assert leaks == []


# ---------------------------------------------------------------------- J5


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("{{ undefined_var }}", "undefined_var"),
        ("x {{ undefined_var }}", "undefined_var"),
        ("{{ cfg.missing }}", "missing"),
        ("{% for i in missing %}{{ i }}{% endfor %}", "missing"),
        ("{% if missing %}x{% endif %}", "missing"),
        ("{{ missing|upper }}", "missing"),
    ],
)
def test_j5_undefined_names_the_variable(tpl: Templater, text: str, name: str) -> None:
    code, message = outcome(tpl, text, cfg={"present": 1})
    assert code == "PS602"
    assert f"`{name}`" in message


# ---------------------------------------------------------------------- J7


def test_j7_range_too_big(tpl: Templater) -> None:
    code, message = outcome(tpl, "{% for i in range(10**9) %}{% endfor %}")
    assert (code, message) == ("PS603", "range() is limited to 100000 items")
    assert outcome(tpl, "{{ range(100000)|length }}") == ("ok", "100000")


# ------------------------------------------------------------ J8 (subprocess)

_RUNNER = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    from prominence_spec.template.environment import Templater, TemplateError
    limits = json.loads(sys.argv[2])  # {} for the defaults, {"timeout": s} for a shorter one
    tpl = Templater(root=Path("."), base_dir=Path("."), **limits)
    results = []
    for text in json.loads(sys.argv[1]):
        started = time.monotonic()
        try:
            outcome = ["ok", repr(tpl.compile(text).render({"big": "x" * 1000000}))[:200]]
        except TemplateError as exc:
            outcome = [exc.code, exc.message]
        results.append([text, outcome, time.monotonic() - started])
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"results": results, "maxrss_kb": maxrss}))
""")


def run_isolated(
    texts: list[str], timeout: float | None = None
) -> tuple[list[tuple[str, list[str], float]], int]:
    """Each text compiled and rendered in a fresh interpreter by a Templater with the
    default limits, or with a time limit of ``timeout`` seconds."""
    limits = {} if timeout is None else {"timeout": timeout}
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, json.dumps(texts), json.dumps(limits)],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    report = json.loads(done.stdout)
    return [tuple(r) for r in report["results"]], report["maxrss_kb"]


_REFUSED = {"PS603", "PS610"}
_DANGEROUS: dict[str, list[tuple[str, set[str]]]] = {
    "arithmetic": [
        ("{{ 'a' * 10**9 }}", {"PS603"}),
        ("{{ 10**9 * 'a' }}", {"PS603"}),
        ("{{ [1] * 10**9 }}", {"PS603"}),
        ("{{ 10**10**10 }}", {"ok", "PS603"}),  # Jinja's ** is left-associative: 10**100
        ("{{ 10 ** (10 ** 10) }}", {"PS603"}),
        ("{{ 2 ** 101 }}", {"PS603"}),
        ("{{ (10 ** 100) ** 100 }}", {"PS603"}),
        ("{{ (2 ** 100) * (2 ** 100) * (2 ** 100) }}", {"ok"}),
        (
            "{% macro f(n, k) %}{{ f(n * n, k - 1) if k else n }}{% endmacro %}"
            "{{ f(2 ** 64, 40) }}",
            {"PS603"},
        ),
        ("{{ (1).to_bytes(999999999, 'big') }}", {"PS603"}),
    ],
    "strings": [
        ("{{ '%0999999999d' % 1 }}", {"PS603"}),
        ("{{ '%*d' % (999999999, 1) }}", {"PS603"}),
        ("{{ '{:>999999999}'.format(1) }}", {"PS603"}),
        ("{{ '{:{}}'.format(1, 999999999) }}", {"PS603"}),
        ("{{ '{a:>{w}}'.format_map({'a': 1, 'w': 999999999}) }}", {"PS603"}),
        ("{{ '%s' | format(big ~ big) }}", {"PS603"}),
        ("{{ '%0999999999d' | format(1) }}", {"PS603"}),
        ("{{ 'a'.ljust(999999999) }}", {"PS603"}),
        ("{{ 'a'.rjust(999999999) }}", {"PS603"}),
        ("{{ 'a'.center(999999999) }}", {"PS603"}),
        ("{{ 'a'.zfill(999999999) }}", {"PS603"}),
        ("{{ 'a\tb'.expandtabs(999999999) }}", {"PS603"}),
        ("{{ 'ab'.replace('', big) }}", {"PS603"}),
        ("{{ 'ab' | replace('', big) }}", {"PS603"}),
        ("{{ big.join(['a', 'b', 'c']) }}", {"PS603"}),
        ("{{ 'aaa'.translate({97: big}) }}", {"PS603"}),
        ("{{ 'x' | center(999999999) }}", {"PS603"}),
        ("{{ ('a\n' * 500000) | indent(100) }}", {"PS603"}),
        ("{{ big | wordwrap(1, wrapstring='\n\n') }}", {"PS603"}),
        ("{{ ('é' * 500000) | urlencode }}", {"PS603"}),
        ("{{ big ~ big }}", {"PS603"}),
        ("{{ big + big }}", {"PS603"}),
        ("{{ [big] + [big] }}", {"PS603"}),
        ("{{ 'x%s%s' % (big, big) }}", {"PS603"}),
        ("{{ '{}{}'.format(big, big) }}", {"PS603"}),
    ],
    "collections": [
        ("{{ [1] | batch(999999999, 0) | list }}", {"PS603"}),
        ("{{ [1] | slice(999999999) | list }}", {"PS603"}),
        ("{{ range(100000) | map('center', 1000000) | join }}", {"PS603"}),
        ("{{ range(100000) | map('center', 1000000) | list | length }}", {"PS603"}),
        ("{% set x = [big] * 1000 %}{{ x | length }}", {"PS603"}),
        ("{% set x = [big, big, big] %}{{ x | string }}", {"PS603"}),
        ("{% set x = [big, big, big] %}{{ x | join }}", {"PS603"}),
        ("{% set x = [big, big, big] %}{{ x | to_json }}", {"PS603"}),
        ("{% set x = [big, big, big] %}x{{ x }}", _REFUSED),
        ("{% set x = [big, big, big] %}{{ x }}", _REFUSED),
        ("{{ dict(a=big, b=big) }}", _REFUSED),
        ("{{ [[big], [big]] | sum(start=[]) }}", {"PS603"}),
    ],
    "recursion and output": [
        ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", {"PS603"}),
        (
            "{% macro f(s, n) %}{{ f(s ~ s, n - 1) if n else s|length }}{% endmacro %}"
            "{{ f('ab', 60) }}",
            {"PS603"},
        ),
        (
            "{% macro f(s, n) %}{{ f(s + s, n - 1) if n else s|length }}{% endmacro %}"
            "{{ f('ab', 60) }}",
            {"PS603"},
        ),
        (
            "{% macro f(s, n) %}{{ f([s, s], n - 1) if n else s }}{% endmacro %}{{ f('ab', 60) }}",
            _REFUSED,
        ),
        ("{% for i in range(100000) %}{{ big }}{% endfor %}", {"PS610"}),
        (
            "{% macro m() %}{% for i in range(100000) %}{{ big }}{% endfor %}{% endmacro %}"
            "{{ m() | length }}",
            {"PS610"},
        ),
        (
            "{% set s %}{% for i in range(100000) %}{{ big }}{% endfor %}{% endset %}"
            "{{ s | length }}",
            {"PS610"},
        ),
        (
            "{% filter upper %}{% for i in range(100000) %}{{ big }}{% endfor %}{% endfilter %}",
            {"PS610"},
        ),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            {"PS610"},
        ),
    ],
    "time": [
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            {"PS610"},
        ),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% set y = big ~ 'x' %}"
            "{% endfor %}{% endfor %}",
            {"PS610"},
        ),
    ],
}


# The "time" group's loops make no output: only the time limit stops them. They run under
# a limit shorter than the default 2 s (the same alarm, it only fires sooner), and must stop
# by that limit, not by any other.
SHORT_TIME_LIMIT = 0.3


@pytest.mark.slow
@pytest.mark.parametrize("group", sorted(_DANGEROUS))
def test_j8_resource_exhaustion_is_refused(group: str) -> None:
    cases = _DANGEROUS[group]
    timeout = SHORT_TIME_LIMIT if group == "time" else None
    results, maxrss_kb = run_isolated([text for text, _ in cases], timeout)
    for (text, expected), (_text, (code, message), seconds) in zip(cases, results, strict=True):
        assert code in expected, (text, code, message)
        assert seconds < 5, (text, seconds)
        assert "Traceback" not in message
        if timeout is not None:
            assert message == f"rendering took longer than {timeout:g} seconds", message
            assert seconds < timeout + 1, (text, seconds)
    # Nothing above may allocate anywhere near a gigabyte.
    assert maxrss_kb < 400_000, maxrss_kb


def test_j8_the_default_time_limit_is_the_documented_one(tpl: Templater) -> None:
    """Specs render with the default limit (render/prepare.py passes none), which the
    spec format documents; the "time" group above checks the alarm with a shorter one."""
    assert tpl.timeout == 2.0
    documented = (REPO / "docs" / "spec-format.md").read_text(encoding="utf-8")
    assert "Rendering one value is bounded in time (2 s)" in documented


@pytest.mark.slow
def test_j8_the_brief_nested_loop_fails_quickly() -> None:
    text = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
    [(_text, (code, _message), seconds)], _rss = run_isolated([text])
    assert code == "PS610"
    assert seconds < 5


# --------------------------------------------------------------------- J10


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{% include '../x' %}", "includes are not supported; use read_file()"),
        ("{% include '/etc/passwd' %}", "includes are not supported; use read_file()"),
        (
            "a {% include 'link_out' ignore missing %} b",
            "includes are not supported; use read_file()",
        ),
        ("{% import 'x' as y %}", None),
        ("{% from 'x' import y %}", None),
        ("{% extends 'base' %}", None),
        (
            "{% if false %}{% include 'x' %}{% endif %}",
            "includes are not supported; use read_file()",
        ),
    ],
)
def test_j10_includes_are_refused_when_compiled(
    tpl: Templater, text: str, message: str | None
) -> None:
    with pytest.raises(TemplateError) as info:
        tpl.compile(text)
    assert info.value.code == "PS603"
    if message:
        assert info.value.message == message


# --------------------------------------------------------------------- J11


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("link_out", "symbolic link"),
        ("link_in", "symbolic link"),
        ("dir_out/secret.txt", "outside the repository root"),
        ("../../outside/secret.txt", "outside the repository root"),
        ("/etc/passwd", "absolute path"),
        ("/etc/hostname", "absolute path"),
        ("~/.prominence/token", "does not exist"),
        ("sub/\x00real.txt", "NUL"),
        ("C:\\secret.txt", "absolute path"),
    ],
)
@pytest.mark.parametrize("function", ["read_file", "read_file_b64"])
def test_j11_files_outside_or_through_symlinks_are_refused(
    tpl: Templater, function: str, path: str, words: str
) -> None:
    code, message = outcome(tpl, "{{ " + function + "(p) }}", p=path)
    assert code == "PS609", message
    assert words in message
    assert SECRET not in message


def test_j11_secret_never_appears(tpl: Templater) -> None:
    for text in (
        "{{ read_file('link_out') }}",
        "x{{ read_file('dir_out/secret.txt') }}",
        "{{ read_file_b64('link_out') }}",
        "{{ read_file('link_out') | default('') }}",
    ):
        code, message = outcome(tpl, text)
        assert code == "PS609"
        assert SECRET not in message


def test_j11_symlinked_directories_inside_the_root_are_fine(tpl: Templater) -> None:
    assert outcome(tpl, "{{ read_file('dir_in/real.txt') }}") == ("ok", repr("inside\n"))
    assert outcome(tpl, "{{ read_file('sub/real.txt') }}") == ("ok", repr("inside\n"))


# --------------------------------------------------------------------- J14


@pytest.mark.parametrize(
    "text",
    [
        "{{ v }}",
        "cmd {{ v }}",
        "{{ v ~ '' }}",
        "x{{ v|upper|lower }}",
        "{{ [v] }}",
        "{{ v|to_json }}",
        "{{ v|shell_quote }}",
    ],
)
def test_j14_values_are_data_never_rendered_again(tpl: Templater, text: str) -> None:
    for value, marker in (
        ("{{ 7*7 }}", "7*7"),
        ("{% include 'x' %}", "include"),
        ("{{ ''.__class__ }}", ".__class__"),
    ):
        rendered = tpl.compile(text).render({"v": value})
        flat = json.dumps(rendered, ensure_ascii=False)
        assert "49" not in flat
        assert marker in flat


def test_j14_file_contents_are_data(tpl: Templater, repo: Path) -> None:
    (repo / "specs" / "t.txt").write_text("{{ 7*7 }}")
    assert tpl.compile("{{ read_file('t.txt') }}").render({}) == "{{ 7*7 }}"


def test_j14_expression_values_are_data(tpl: Templater) -> None:
    assert tpl.expression("v").render({"v": "{{ 7*7 }}"}) == "{{ 7*7 }}"
    assert tpl.expression("v == '{{ 7*7 }}'").render({"v": "{{ 7*7 }}"}) is True


# --------------------------------------------------------------------- J15

_FILTERS = [
    "abs",
    "attr",
    "b64encode",
    "batch",
    "capitalize",
    "center",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "filesizeformat",
    "first",
    "float",
    "forceescape",
    "format",
    "groupby",
    "indent",
    "int",
    "items",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "pprint",
    "promspec ticking",  # every loop's iterable, for the time limit; no template can name it
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "shell_quote",
    "slice",
    "sort",
    "string",
    "striptags",
    "sum",
    "title",
    "to_json",
    "tojson",
    "trim",
    "truncate",
    "unique",
    "upper",
    "urlencode",
    "wordcount",
    "wordwrap",
    "xmlattr",
]


def test_j15_environment_configuration(tpl: Templater) -> None:
    env = tpl.environment
    assert isinstance(env, ImmutableSandboxedEnvironment)
    assert env.sandboxed
    assert env.undefined is jinja2.StrictUndefined
    assert env.autoescape is False
    assert env.loader is None
    assert env.extensions == {}
    assert env.keep_trailing_newline is True
    assert {"**", "*"} <= env.intercepted_binops
    assert sorted(env.globals) == ["dict", "omit", "range", "read_file", "read_file_b64"]
    assert env.globals["range"] is safe_range
    assert env.globals["dict"] is dict
    assert env.globals["omit"] is OMIT
    assert sorted(env.filters) == _FILTERS


def test_j15_each_templater_has_its_own_file_globals(repo: Path) -> None:
    one = Templater(root=repo, base_dir=repo / "specs")
    two = Templater(root=repo, base_dir=repo / "specs" / "sub")
    assert one.environment is not two.environment
    assert one.compile("{{ read_file('sub/real.txt') }}").render({}) == "inside\n"
    assert two.compile("{{ read_file('real.txt') }}").render({}) == "inside\n"
