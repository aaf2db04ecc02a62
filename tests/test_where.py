"""`where:` in a templated spec: evaluated on each point's parameters over the spec's
values, compiled once, within the template time limit. Which points are kept, and the
messages for a bad expression, are what they were when each point built its own Jinja
context; the time limit now comes from one timer per pass, which must leave nothing behind.
"""

from __future__ import annotations

import functools
import signal
import threading
from pathlib import Path
from typing import Any

import jinja2.environment
import pytest

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.render import prepare as prepare_module
from prominence_spec.template.environment import TemplateError, Templater

from cli_support import promspec
from render_support import TASK, ok, renderer_of, run
from support import write

SWEEP = """\
promspec:
  params: {{limit: 3}}
  sweep:
    model: [ideal, vdw, rk]
    pressure: {{start: 1, end: 4, step: 1}}
    {filter}
  name: "gas-{{{{ model }}}}-{{{{ pressure }}}}"
"""


def sweep_spec(repo: Path, filter_line: str, name: str = "spec.yaml") -> Path:
    return write(repo, SWEEP.format(filter=filter_line) + TASK, name)


def names(path: Path, values: dict[str, Any] | None = None) -> list[str]:
    return [document["name"] for document in ok(path, values)]


def where_problems(path: Path) -> list[tuple[str, str, str | None, int | None]]:
    _, diagnostics = run(path)
    return [(d.code, d.message, d.hint, d.line) for d in diagnostics if d.is_error]


# -- which points are kept ----------------------------------------------------------------
def test_where_keeps_the_points_an_equivalent_exclude_keeps(repo: Path) -> None:
    where = sweep_spec(repo, "where: \"model != 'vdw' or pressure != 3\"", "where.yaml")
    exclude = sweep_spec(repo, "exclude: [{model: vdw, pressure: 3}]", "exclude.yaml")
    kept = names(where)
    assert kept == names(exclude)
    assert len(kept) == 11 and "gas-vdw-3" not in kept and "gas-vdw-2" in kept


def test_where_sees_the_spec_params_and_the_values_given(repo: Path) -> None:
    path = sweep_spec(repo, "where: \"pressure < limit and model == 'rk'\"")
    assert names(path) == ["gas-rk-1", "gas-rk-2"]
    assert names(path, {"limit": 4}) == ["gas-rk-1", "gas-rk-2", "gas-rk-3"]


def test_a_bare_name_is_its_truth_value(repo: Path) -> None:
    path = write(
        repo,
        "promspec:\n  sweep:\n    flag: [0, 1, [], [x], '', y]\n    where: flag\n"
        + TASK
        + '    cmd: "echo {{ flag }}"\n',
    )
    documents, diagnostics = run(path)
    assert not diagnostics
    assert [item.params for item in documents] == [{"flag": 1}, {"flag": ["x"]}, {"flag": "y"}]


def test_count_with_where_is_the_count_with_exclude(repo: Path) -> None:
    where = sweep_spec(repo, "where: \"model != 'vdw' or pressure != 3\"", "where.yaml")
    exclude = sweep_spec(repo, "exclude: [{model: vdw, pressure: 3}]", "exclude.yaml")
    counts = [promspec("render", str(path), "--count") for path in (where, exclude)]
    assert [(r.returncode, r.stdout) for r in counts] == [(0, "11\n"), (0, "11\n")]


# -- messages for a bad where -------------------------------------------------------------
@pytest.mark.parametrize(
    ("expression", "message", "hint"),
    [
        pytest.param(
            "pressure <",
            "where: template syntax error: unexpected 'end of template'",
            None,
            id="syntax",
        ),
        pytest.param(
            "presure > 1",
            "where: undefined variable `presure`",
            "did you mean `pressure`?",
            id="undefined",
        ),
        pytest.param(
            "range",
            "where: the expression gives a function value, which is not data",
            "a value must be text, a number, true/false, null, a list or a mapping",
            id="not-data",
        ),
    ],
)
def test_a_where_that_fails_everywhere_is_reported_once(
    repo: Path, expression: str, message: str, hint: str | None
) -> None:
    path = sweep_spec(repo, f'where: "{expression}"')
    assert where_problems(path) == [
        ("PS601" if "undefined" not in message else "PS602", message, hint, 6),
        ("PS606", "exclude/where remove all 12 points; the sweep has no points", None, 3),
    ]


def test_a_where_that_fails_for_some_points_drops_them(repo: Path) -> None:
    path = sweep_spec(repo, 'where: "12 / (pressure - 2) > 0"')
    documents, diagnostics = run(path)
    assert [(d.code, d.message, d.line) for d in diagnostics if d.is_error] == [
        ("PS601", "where: template error: division by zero", 6)
    ]
    assert [d.document["name"] for d in documents] == [
        f"gas-{model}-{pressure}" for model in ("ideal", "vdw", "rk") for pressure in (3, 4)
    ]


# -- compiled once, one context -----------------------------------------------------------
def test_where_is_compiled_once_with_one_context_for_every_point(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, each point built a Jinja context of its own (over a copy of the globals),
    which cost ten times what the comparison does."""
    contexts: list[object] = []
    new_context = jinja2.environment.Template.new_context

    def counted(self: jinja2.environment.Template, *args: Any, **kwargs: Any) -> Any:
        contexts.append(self)
        return new_context(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.environment.Template, "new_context", counted)
    path = write(
        repo,
        "promspec:\n  sweep:\n    a: {start: 0, end: 999, step: 1}\n    b: [x, y]\n"
        '    where: "a % 7 != 0 or b == \'x\'"\n  name: "p-{{ a }}-{{ b }}"\n' + TASK,
    )
    assert renderer_of(path).count() == 2000 - 143
    assert len(contexts) == 1


# -- the time limit -----------------------------------------------------------------------
SLOW = " and ".join(["(range(100000)|map('string')|map('center', 10)|join|length) > n"] * 4)


def alarm_state() -> tuple[Any, tuple[float, float]]:
    return signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL)


def test_a_slow_where_is_stopped_at_the_time_limit(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = functools.partial(Templater, timeout=0.05)
    monkeypatch.setattr(prepare_module, "Templater", quick)
    before = alarm_state()
    path = write(
        repo, f'promspec:\n  sweep:\n    n: [1, 2]\n    where: "{SLOW}"\nname: "n-{{{{ n }}}}"\n'
    )
    diagnostics: list[Diagnostic] = run(path)[1]
    assert [(d.code, d.message) for d in diagnostics if d.is_error] == [
        ("PS610", "where: rendering took longer than 0.05 seconds"),
        ("PS606", "exclude/where remove all 2 points; the sweep has no points"),
    ]
    assert alarm_state() == before == (signal.SIG_DFL, (0.0, 0.0))


def test_a_slow_where_is_stopped_in_a_worker_thread(repo: Path) -> None:
    """The limit holds off the main thread too (a library user rendering in a thread)."""
    tpl = Templater(root=repo, base_dir=repo, timeout=0.05)
    slow = tpl.evaluator(SLOW, {})
    errors: list[BaseException] = []

    def evaluate() -> None:
        try:
            slow({"n": 1})
        except BaseException as exc:  # the assertion below names what came out
            errors.append(exc)

    worker = threading.Thread(target=evaluate)
    worker.start()
    worker.join(60)
    assert not worker.is_alive()
    assert [(type(e), getattr(e, "code", None)) for e in errors] == [(TemplateError, "PS610")]
    assert alarm_state() == (signal.SIG_DFL, (0.0, 0.0))


def test_evaluations_after_a_timeout_have_their_full_time(repo: Path) -> None:
    tpl = Templater(root=repo, base_dir=repo, timeout=0.05)
    fast = tpl.evaluator("n > 1", {})
    slow = tpl.evaluator(SLOW, {})
    assert [fast({"n": n}) for n in range(3)] == [False, False, True]
    with pytest.raises(TemplateError) as info:
        slow({"n": 1})
    assert info.value.code == "PS610"
    assert fast({"n": 2}) is True
    assert alarm_state() == (signal.SIG_DFL, (0.0, 0.0))


def test_an_outer_timer_is_left_alone(repo: Path) -> None:
    fired: list[int] = []

    def outer(signum: int, frame: object) -> None:
        fired.append(signum)

    previous = signal.signal(signal.SIGALRM, outer)
    try:
        signal.setitimer(signal.ITIMER_REAL, 60)
        tpl = Templater(root=repo, base_dir=repo, timeout=0.05)
        fast, slow = tpl.evaluator("n > 1", {}), tpl.evaluator(SLOW, {})
        assert fast({"n": 2}) is True
        with pytest.raises(TemplateError) as info:
            slow({"n": 1})
        assert info.value.code == "PS610"
        assert signal.getsignal(signal.SIGALRM) is outer
        remaining, _interval = signal.getitimer(signal.ITIMER_REAL)
        assert 50 < remaining <= 60
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        handler = signal.signal(signal.SIGALRM, previous)
    assert fired == [] and handler is outer
