"""JSON loading, and the source positions of loaded values (YAML and JSON).

Positions are 1-based (line, column) in characters; ``locate(path)`` gives a value's
position, ``prefer_key=True`` its key's.
"""

from __future__ import annotations

import json

import pytest

from prominence_spec.loading.loader import load_text
from prominence_spec.loading.sourcemap import LazySourceMap

from loader_support import codes, data_of, only

# -- JSON ----------------------------------------------------------------------------------
JOB_JSON = """{
  "name": "pi",
  "resources": {"cpus": 1, "memory": 1},
  "tasks": [
    {
      "image": "eoscprominence/testpi",
      "runtime": "singularity"
    }
  ]
}
"""


def test_valid_json_loads() -> None:
    assert data_of(JOB_JSON, "json") == json.loads(JOB_JSON)


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        pytest.param(("tasks", 0, "image"), (6, 16), (6, 7), id="image"),
        pytest.param(("tasks", 0), (5, 5), (5, 5), id="task"),
        pytest.param(("name",), (2, 11), (2, 3), id="name"),
        pytest.param(("resources", "memory"), (3, 38), (3, 28), id="memory"),
    ],
)
def test_json_positions(
    path: tuple[str | int, ...], value: tuple[int, int], key: tuple[int, int]
) -> None:
    document = load_text(JOB_JSON, fmt="json").documents[0]
    assert isinstance(document.source, LazySourceMap)
    assert document.source.locate(path) == value
    assert document.source.locate(path, prefer_key=True) == key


# JSON positions come from promspec's own JSON scanner: valid JSON that YAML rejects or
# reads differently (these were bugs while positions came from re-reading JSON as YAML).
def _yaml_bug(what: str) -> tuple[pytest.MarkDecorator, ...]:
    return ()


@pytest.mark.parametrize(
    ("text", "position"),
    [
        pytest.param(
            '{"a": "\\ud83d\\ude00",\n "b": 1}',
            (2, 7),
            id="surrogate-pair-escape",
            marks=_yaml_bug("libyaml rejects the surrogate escape \\ud83d"),
        ),
        pytest.param(
            '{"a": "\x7f",\n "b": 1}',
            (2, 7),
            id="raw-DEL",
            marks=_yaml_bug("YAML does not allow a raw DEL, JSON does"),
        ),
        pytest.param(
            '{"' + "k" * 1100 + '": 1,\n "b": 1}',
            (2, 7),
            id="key-over-1024",
            marks=_yaml_bug("YAML keys are limited to 1024 characters"),
        ),
        pytest.param(
            '{"a": "\u2028",\n "b": 1}',
            (2, 7),
            id="raw-U+2028",
            marks=_yaml_bug("YAML counts U+2028 as a line break, JSON does not"),
        ),
        pytest.param('{"a": "\\u00e9\\n",\n "b": 1}', (2, 7), id="bmp-escapes"),
        pytest.param('{"a": "\u00e9\u65e5",\n\t"b": 1}', (2, 7), id="tab-and-non-ascii"),
    ],
)
def test_json_positions_of_valid_json_yaml_dislikes(text: str, position: tuple[int, int]) -> None:
    document = load_text(text, fmt="json").documents[0]
    assert document.source.locate(("b",)) == position


def test_json_trailing_comma() -> None:
    diag = only(load_text('{\n  "a": 1,\n}', fmt="json"), "PS101")
    assert (diag.line, diag.column) == (3, 1)


def test_json_duplicate_key() -> None:
    diag = only(load_text('{\n  "a": 1,\n  "b": {"c": 1, "c": 2}\n}', fmt="json"), "PS104")
    assert (diag.line, diag.column) == (3, 17)
    assert "first defined at line 3" in diag.message


def test_json_huge_float() -> None:
    diag = only(load_text('{\n  "a": 1e400\n}', fmt="json"), "PS112")
    assert (diag.line, diag.column) == (2, 8)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_refused(constant: str) -> None:
    result = load_text(f'{{"a": 1,\n "b": {constant}}}', fmt="json")
    diag = only(result, "PS112")
    assert (diag.line, diag.column) == (2, 7)
    assert result.documents == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"name": "NaN",\n "b": NaN}', id="NaN-in-a-string"),
        pytest.param('{"Infinity": 1,\n "b": -Infinity}', id="Infinity-as-a-key"),
    ],
)
def test_json_nan_position_ignores_strings(text: str) -> None:
    diag = only(load_text(text, fmt="json"), "PS112")
    assert (diag.line, diag.column) == (2, 7)


def test_json_huge_integer_is_a_diagnostic() -> None:
    diag = only(load_text('{"a": 1,\n "b": ' + "9" * 5000 + "}", fmt="json"), "PS112")
    assert (diag.line, diag.column) == (2, 7)


def test_json_huge_integer_next_to_a_surrogate_escape() -> None:
    text = '{"a": "\\ud83d\\ude00",\n "b": ' + "9" * 5000 + "}"
    assert codes(load_text(text, fmt="json")) == ["PS112"]


# -- positions in YAML ---------------------------------------------------------------------
NESTED = """\
# comment
name: job
resources:
  cpus: 1
  memory: "2"
tasks:
  - image: busybox
    cmd: >-
      echo hi
    env: {A: "1", B: x}
  -   image: "alpine"
      args:
        - [1, 2]
        - - deep
"quoted key": 'v'
"""


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        pytest.param(("name",), (2, 7), (2, 1), id="name"),
        pytest.param(("resources",), (4, 3), (3, 1), id="resources"),
        pytest.param(("resources", "cpus"), (4, 9), (4, 3), id="cpus"),
        pytest.param(("resources", "memory"), (5, 11), (5, 3), id="memory"),
        pytest.param(("tasks", 0, "image"), (7, 12), (7, 5), id="image"),
        pytest.param(("tasks", 0, "cmd"), (8, 10), (8, 5), id="block-scalar"),
        pytest.param(("tasks", 0, "env", "B"), (10, 22), (10, 19), id="flow-map"),
        pytest.param(("tasks", 1, "image"), (11, 14), (11, 7), id="wide-indent"),
        pytest.param(("tasks", 1, "args", 0, 1), (13, 15), (13, 15), id="flow-seq"),
        pytest.param(("tasks", 1, "args", 1, 0), (14, 13), (14, 13), id="nested-seq"),
        pytest.param(("quoted key",), (15, 15), (15, 1), id="quoted-key"),
        pytest.param(("tasks", 0, "missing"), (7, 5), (7, 5), id="nearest-ancestor"),
    ],
)
def test_yaml_positions(
    path: tuple[str | int, ...], value: tuple[int, int], key: tuple[int, int]
) -> None:
    source = load_text(NESTED).documents[0].source
    assert source.locate(path) == value
    assert source.locate(path, prefer_key=True) == key


@pytest.mark.parametrize(
    ("text", "path", "position"),
    [
        pytest.param("a: 1\r\nb:\r\n  c: 2\r\n", ("b", "c"), (3, 6), id="crlf"),
        pytest.param('{a: "日本", b: 1}\n', ("b",), (1, 14), id="wide-characters"),
        pytest.param("x: &a {k: v}\ny: *a\n", ("y", "k"), (2, 4), id="alias"),
        pytest.param("a:\n- 1\n- [2, {b: 3}]\n", ("a", 1, 1, "b"), (3, 11), id="mixed"),
    ],
)
def test_more_yaml_positions(
    text: str, path: tuple[str | int, ...], position: tuple[int, int]
) -> None:
    assert load_text(text).documents[0].source.locate(path) == position
