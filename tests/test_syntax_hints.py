"""A YAML syntax error's hint names the usual cause where it is visible in the lines the
parser points at: a missing space after a colon, an indentation that does not line up, an
unquoted ': ' inside a value, a tab."""

from __future__ import annotations

import pytest

from prominence_spec.loading.loader import load_text

CASES = [
    pytest.param(
        "name: x\nresources:\n  cpus: 1\n  memory:2\n  disk: 10\n",
        (5, 3),
        "line 4 needs a space after the colon: write 'memory: 2'",
        id="glued key, the next line errs",
    ),
    pytest.param(
        "name: x\nresources:\n  cpus:1\n  disk: 1\n",
        (4, 7),
        "line 3 needs a space after the colon: write 'cpus: 1'",
        id="glued key read as a multi-line scalar",
    ),
    pytest.param(
        "name: x\nresources:\n  cpus: 1\n   memory: 2\n",
        (4, 10),
        "line 4 is indented more than line 3; keys of one mapping must line up "
        "(or the line above is missing a space after ':')",
        id="over-indented key",
    ),
    pytest.param(
        "name: x\ncmd: a: b: c\n",
        (2, 7),
        "quote a value that holds ': ', e.g. cmd: 'a: b: c'",
        id="colon-space inside a value",
    ),
    pytest.param(
        "name: x\nresources:\n\tcpus: 1\n",
        (3, 1),
        "indent with spaces: YAML does not allow tabs there",
        id="tab",
    ),
]


@pytest.mark.parametrize(("text", "place", "hint"), CASES)
def test_syntax_error_hint(text: str, place: tuple[int, int], hint: str) -> None:
    [diagnostic] = load_text(text).diagnostics
    assert diagnostic.code == "PS101"
    assert (diagnostic.line, diagnostic.column) == place
    assert diagnostic.hint == hint


def test_a_url_or_a_time_is_not_taken_for_a_glued_key() -> None:
    text = "name: x\nurl: http://example.org/a\nat: 10:30\n  bad: indent\n"
    [diagnostic] = load_text(text).diagnostics
    assert diagnostic.code == "PS101"
    assert diagnostic.hint is not None
    assert "needs a space after the colon" not in diagnostic.hint
