"""The loader against the YAML checklist (Y1-Y19); JSON and positions: test_loader_positions.

Every hostile input must come back as diagnostics (code, line, column), never as an
exception, a side effect, a crash or a silently different value.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prominence_spec.loading.loader import MAX_BYTES, load, load_bytes, load_text
from prominence_spec.loading.yaml_compose import MAX_DEPTH
from prominence_spec.validation.document import validate

from loader_support import codes, data_of, only
from support import examples

PACKAGE = Path(__file__).resolve().parent.parent / "prominence_spec"


# -- Y1: tags that construct Python objects ------------------------------------------------
@pytest.mark.parametrize(
    "template",
    [
        pytest.param("!!python/object/apply:os.system ['touch {m}']\n", id="top-level-apply"),
        pytest.param("cmd: !!python/object/apply:os.system ['touch {m}']\n", id="value-apply"),
        pytest.param("cmd: !!python/object/new:os.system ['touch {m}']\n", id="value-new"),
        pytest.param(
            "tasks:\n  - !!python/object/apply:os.system\n      args: ['touch {m}']\n",
            id="mapping-form",
        ),
        pytest.param("cmd: !!python/name:os.system\n", id="name"),
    ],
)
def test_python_tags_are_refused_without_side_effect(tmp_path: Path, template: str) -> None:
    marker = tmp_path / "pwned"
    spec = tmp_path / "spec.yaml"
    spec.write_text(template.format(m=marker), encoding="utf-8")
    result = load(spec)
    diag = only(result, "PS109")
    assert diag.line is not None and diag.column is not None
    assert diag.path == str(spec)
    assert result.documents == []
    assert not marker.exists()


# -- Y2/Y3: aliases ------------------------------------------------------------------------
def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_quickly() -> None:
    text = billion_laughs()
    assert len(text) < 400
    started = time.perf_counter()
    result = load_text(text)
    assert time.perf_counter() - started < 1.0
    diag = only(result, "PS108")
    assert diag.is_error and diag.line is not None
    assert result.documents == []


def test_legitimate_anchor_with_two_aliases_is_accepted() -> None:
    text = "base: &img {image: busybox, runtime: singularity}\nfirst: *img\nsecond: *img\n"
    result = load_text(text)
    assert result.diagnostics == []
    data = result.documents[0].data
    assert data["first"] == data["second"] == {"image": "busybox", "runtime": "singularity"}
    assert result.documents[0].source.locate(("second",)) == (3, 9)


def test_plain_merge_key_is_refused() -> None:
    result = load_text("base: &b {cpus: 1}\nres:\n  <<: *b\n  memory: 1\n")
    assert (only(result, "PS109").line, only(result, "PS109").column) == (3, 3)


def test_quoted_merge_like_key_is_a_plain_string() -> None:
    assert data_of("'<<': 1\n") == {"<<": 1}


# -- Y4/Y5: duplicate keys -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "line", "col", "first"),
    [
        pytest.param("a: 1\nb: 2\na: 3\n", 3, 1, 1, id="top-level"),
        pytest.param("name: x\n'name': y\n", 2, 1, 1, id="plain-then-quoted"),
        pytest.param('name: x\n"name": y\n', 2, 1, 1, id="plain-then-double-quoted"),
        pytest.param("tasks:\n  - image: x\n    cmd: c\n    image: y\n", 4, 5, 2, id="nested"),
        pytest.param("res: {cpus: 1, cpus: 2}\n", 1, 16, 1, id="flow"),
    ],
)
def test_duplicate_key_is_reported_at_the_second_key(
    text: str, line: int, col: int, first: int
) -> None:
    result = load_text(text)
    diag = only(result, "PS104")
    assert (diag.line, diag.column) == (line, col)
    assert f"first defined at line {first}" in diag.message
    assert result.documents == []


def test_on_and_true_are_distinct_string_keys() -> None:
    assert data_of("on: 1\ntrue: 2\n") == {"on": 1, "true": 2}


# -- Y6-Y10: YAML 1.2 core schema meanings -------------------------------------------------
@pytest.mark.parametrize(
    ("plain", "expected", "warning"),
    [
        pytest.param("on", "on", None, id="on"),
        pytest.param("yes", "yes", None, id="yes"),
        pytest.param("NO", "NO", None, id="NO"),
        pytest.param("off", "off", None, id="off"),
        pytest.param("0755", 755, "PS110", id="0755"),
        pytest.param("22:22", "22:22", None, id="sexagesimal"),
        pytest.param("3.10", 3.1, "PS110", id="3.10"),
        pytest.param("2024-01-02", "2024-01-02", None, id="date"),
        pytest.param("2024-01-02T10:00:00Z", "2024-01-02T10:00:00Z", None, id="timestamp"),
        pytest.param("1e3", 1000.0, None, id="1e3"),
        pytest.param("1.0e+3", 1000.0, None, id="1.0e+3"),
        pytest.param("0o17", 15, None, id="0o17"),
        pytest.param("0x1F", 31, None, id="0x1F"),
        pytest.param("1_000", "1_000", None, id="underscore"),
        pytest.param("0b101", "0b101", None, id="binary"),
        pytest.param("true", True, None, id="true"),
        pytest.param("~", None, None, id="tilde"),
    ],
)
def test_yaml_1_2_meanings(plain: str, expected: object, warning: str | None) -> None:
    result = load_text(f"value: {plain}\n")
    value = result.documents[0].data["value"]
    assert value == expected and type(value) is type(expected)
    assert codes(result) == ([warning] if warning else [])
    if warning:
        diag = only(result, warning)
        assert (diag.severity, diag.line, diag.column) == ("warning", 1, 8)


def test_date_like_env_value_serialises() -> None:
    data = data_of("env: {DAY: 2024-01-02, DEBUG: on, COUNTRY: NO}\n")
    assert json.loads(json.dumps(data)) == {
        "env": {"DAY": "2024-01-02", "DEBUG": "on", "COUNTRY": "NO"}
    }


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a: .inf\n", id="inf"),
        pytest.param("a: -.Inf\n", id="-inf"),
        pytest.param("a: .nan\n", id="nan"),
        pytest.param("a: 1e400\n", id="1e400"),
    ],
)
def test_non_finite_numbers_are_refused(text: str) -> None:
    diag = only(load_text(text), "PS112")
    assert (diag.line, diag.column) == (1, 4)


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("9" * 5000, id="5000-digits"),
        pytest.param("0x" + "f" * 5000, id="hex-20000-bits"),
        pytest.param(str(2**4096), id="4097-bits"),
    ],
)
def test_huge_integer_is_a_diagnostic(number: str) -> None:
    diag = only(load_text(f"a: 1\nb: {number}\n"), "PS112")
    assert (diag.line, diag.column) == (2, 4)


def test_large_integer_within_the_limit_loads() -> None:
    assert data_of(f"a: {2**4096 - 1}\n") == {"a": 2**4096 - 1}


# -- Y11/Y12: deep nesting, in a subprocess (a segfault must not take pytest down) ---------
DEEP = {
    "flow-40000": ('"[" * 40000 + "]" * 40000', "yaml"),
    "flow-1001": ('"a: " + "{" * 1001 + "}" * 1001', "yaml"),
    "json-40000": ('"[" * 40000 + "]" * 40000', "json"),
    "block-map-2000": ('"".join("  " * i + "k:\\n" for i in range(2000))', "yaml"),
    "block-seq-2000": ('"".join("  " * i + "-\\n" for i in range(2000))', "yaml"),
    "compact-seq-2000": ('"- " * 2000 + "x\\n"', "yaml"),
}
DEEP_SCRIPT = (
    "import json, sys\n"
    "from prominence_spec.loading.loader import load_text\n"
    "r = load_text({expr}, fmt={fmt!r})\n"
    "print(json.dumps([[d.code, d.line, d.column] for d in r.diagnostics]))\n"
    "print(len(r.documents))\n"
)


def run_deep(case: str) -> list[list[Any]]:
    expr, fmt = DEEP[case]
    proc = subprocess.run(
        [sys.executable, "-c", DEEP_SCRIPT.format(expr=expr, fmt=fmt)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode not in (139, -11), "segfault"
    assert proc.returncode == 0, proc.stderr
    diagnostics, documents = proc.stdout.splitlines()
    assert documents == "0"
    found: list[list[Any]] = json.loads(diagnostics)
    return found


@pytest.mark.parametrize("case", [pytest.param(c, id=c) for c in DEEP])
def test_deep_nesting_is_ps107_without_crash(case: str) -> None:
    found = run_deep(case)
    assert len(found) == 1, found
    [[code, line, _col]] = found
    assert code == "PS107"
    if not case.startswith("json"):
        assert line is not None


def test_nesting_limit_is_exact() -> None:
    assert data_of("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert codes(load_text("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))) == ["PS107"]


# -- Y13: size cap -------------------------------------------------------------------------
def test_file_over_the_cap_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# padding\n" * (5 * 1024 * 1024 // 10))
    assert codes(load(big)) == ["PS103"]
    assert codes(load_bytes(b"#" * (MAX_BYTES + 1))) == ["PS103"]


def test_size_cap_does_not_read_the_file(tmp_path: Path) -> None:
    sparse = tmp_path / "sparse.yaml"
    try:
        with open(sparse, "wb") as handle:
            handle.truncate(8 * 1024**3)  # 8 GiB of holes: reading it would take far too long
    except OSError as exc:
        pytest.skip(f"no sparse files here: {exc}")
    started = time.perf_counter()
    assert codes(load(sparse)) == ["PS103"]
    assert time.perf_counter() - started < 1.0


# -- Y14: encodings and characters ---------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "position"),
    [
        pytest.param(b"name: caf\xe9\n", (1, 10), id="latin-1"),
        pytest.param(b"a: 1\nb: \xff\xfe\n", (2, 4), id="latin-1-line-2"),
        pytest.param("a: 1\n".encode("utf-16"), None, id="utf-16-bom"),
        pytest.param(b"\xfe\xff\x00a\x00:", None, id="utf-16-be-bom"),
        pytest.param("a: 1\n".encode("utf-32"), None, id="utf-32-bom"),
        pytest.param(b"a: 1\x00\n", None, id="nul"),
        pytest.param(b"a\x00:\x00 \x001\x00", None, id="utf-16-no-bom"),
    ],
)
def test_not_utf8_is_ps102(raw: bytes, position: tuple[int, int] | None) -> None:
    for fmt in ("yaml", "json"):
        result = load_bytes(raw, path="x", fmt=fmt)
        diag = only(result, "PS102")
        assert diag.path == "x" and result.documents == []
        if position:
            assert (diag.line, diag.column) == position


def test_latin1_file_names_the_file(tmp_path: Path) -> None:
    spec = tmp_path / "latin.yaml"
    spec.write_bytes(b"x: 1\nname: Jos\xe9\n")
    diag = only(load(spec), "PS102")
    assert (diag.path, diag.line, diag.column) == (str(spec), 2, 10)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        pytest.param("a: 1\nb: \x1b[31m\n", (2, 4), id="escape"),
        pytest.param("a: \x07\n", (1, 4), id="bell"),
        pytest.param("a: 'x\x1by'\n", (1, 6), id="escape-in-quotes"),
    ],
)
def test_control_character_is_ps101_with_position(text: str, position: tuple[int, int]) -> None:
    diag = only(load_text(text), "PS101")
    assert (diag.line, diag.column) == position


def test_utf8_bom_is_accepted_and_positions_unchanged() -> None:
    result = load_bytes(b"\xef\xbb\xbfa: 1\nb: x\n")
    assert result.documents[0].data == {"a": 1, "b": "x"}
    assert result.documents[0].source.locate(("b",)) == (2, 4)


# -- Y15-Y17: documents --------------------------------------------------------------------
def test_each_document_is_loaded_with_its_index() -> None:
    result = load_text("a: 1\n---\nb:\n  c: 2\n")
    assert [(d.index, d.data) for d in result.documents] == [(0, {"a": 1}), (1, {"b": {"c": 2}})]
    assert result.documents[1].source.locate(("b", "c")) == (4, 6)
    assert result.diagnostics == []


def test_trailing_empty_document_is_a_warning() -> None:
    result = load_text("a: 1\n---\nb: 2\n---\n")
    assert len(result.documents) == 2
    diag = only(result, "PS105")
    assert (diag.severity, diag.document) == ("warning", 2)
    assert result.ok


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        pytest.param("", "yaml", id="empty"),
        pytest.param("\n\n  \n", "yaml", id="blank"),
        pytest.param("# only\n# comments\n", "yaml", id="comments"),
        pytest.param("---\n", "yaml", id="bare-marker"),
        pytest.param("~\n", "yaml", id="null"),
        pytest.param("", "json", id="json-empty"),
        pytest.param("null", "json", id="json-null"),
    ],
)
def test_empty_input_is_a_ps105_error(text: str, fmt: str) -> None:
    result = load_text(text, fmt=fmt)
    diag = only(result, "PS105")
    assert diag.is_error and result.documents == [] and not result.ok


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("- a\n- b\n", id="list"),
        pytest.param("hello\n", id="string"),
        pytest.param("42\n", id="int"),
        pytest.param("[1, 2]", id="json-list"),
    ],
)
def test_top_level_non_mapping_is_ps106(text: str) -> None:
    result = load_text(text)
    assert result.ok
    assert [d.code for d in validate(result.documents[0].data)] == ["PS106"]


# -- Unicode escapes -----------------------------------------------------------------------
def test_long_unicode_escape_gives_the_character() -> None:
    assert data_of('a: "\\U0001F600"\n') == {"a": "\U0001f600"}


def test_surrogate_pair_escape_gives_the_real_character() -> None:
    assert data_of('a: "\\ud83d\\ude00"\n') == {"a": "\U0001f600"}


# -- Y18: round trip -----------------------------------------------------------------------
# Strings a YAML 1.2 core-schema reader takes as non-strings (the 1.1 dumper leaves 1e3, 0o7
# unquoted): quote them, as a YAML 1.2 writer would.
CORE_NON_STRING = re.compile(
    r"(?:null|Null|NULL|~|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
    r"|\.(?:nan|NaN|NAN))\Z"
)


class Yaml12Dumper(yaml.SafeDumper):
    pass


Yaml12Dumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="'" if CORE_NON_STRING.match(value) else None
    ),
)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
KEYS = st.text().filter(lambda k: k != "<<")  # see test_quoted_merge_like_key_is_a_plain_string
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSONISH)
def test_dumped_data_round_trips(data: Any) -> None:
    if data is None:
        return
    assert data_of(yaml.dump(data, Dumper=Yaml12Dumper)) == data
    assert data_of(json.dumps(data), "json") == data
    assert data_of(json.dumps(data, ensure_ascii=False, indent=1), "json") == data


def test_yaml_1_1_dumper_output_is_read_as_yaml_1_2() -> None:
    assert data_of(yaml.safe_dump({"a": "1e3", "b": "0o7"})) == {"a": 1000.0, "b": 7}


# -- Y19: no unsafe loader in the source ---------------------------------------------------
UNSAFE = re.compile(
    r"yaml\.load\(|unsafe_load|full_load|FullLoader|UnsafeLoader|yaml\.Loader\b"
    r"|\bCLoader\b|CFullLoader|CUnsafeLoader|Loader=yaml\.Loader"
)


def test_no_unsafe_yaml_loader_in_the_package() -> None:
    hits = [
        f"{p.name}:{n}"
        for p in PACKAGE.rglob("*.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if UNSAFE.search(line)
    ]
    assert hits == []
