"""The render loop's short cuts give what the general paths give.

`promspec render -f jsonl` encodes every body with one encoder set up for the whole stream
(:func:`compact_encoder`), and a swept job's check asks the compiled validator directly
when the point is plain. Both must be invisible: the same bytes as :func:`api_json`, the
same errors, the same diagnostics as :func:`validate`.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import json
import math
from pathlib import Path
from typing import Any, cast

import pytest

from prominence_spec.report.documents import api_json, compact_encoder
from prominence_spec.validation.document import validate
from prominence_spec.validation.points import PointChecker
from prominence_spec.validation.rules import JOB_RULES

import cli_support
from support import write

JOB: dict[str, Any] = {
    "name": "gas-ideal-0",
    "resources": {"cpus": 1, "memory": 2, "disk": 10, "walltime": 60},
    "tasks": [{"image": "eoscprominence/testpi", "runtime": "singularity", "cmd": "run 1"}],
}

DOCUMENTS: list[Any] = [
    JOB,
    {"name": "héllo wörld ☃ 🙂", "labels": {"ключ": "значение"}, "x": "\u2028\x85\x00"},
    {"numbers": [0, -1, 2**70, 1.5, -0.0, 1e300, 2.0], "flags": [True, False, None]},
    {"nested": {"a": [{"b": [[], {}]}]}, "quote": 'say "hi"\\ / \t\n'},
    [1, "two", {"three": 3}],
    "a string on its own: ☃",
    42,
    None,
    # where orjson's bytes differ from json.dumps's, or it refuses what json.dumps writes
    {"small": [1e-05, -1.5e-07, 9.99e-05, 0.0001, 1e-300, 1e16, 1.5e22]},
    {"text": ["null", "0.00001", "1e-7", "x1e-5y"], "none": None},
    {1: "int key", 2.5: "float key", False: "bool key", None: "null key"},
    {"sub": type("Text", (str,), {})("a str subclass"), "n": type("N", (int,), {})(7)},
    # deeper than orjson goes
    functools.reduce(lambda inner, _: [inner], range(300), cast(Any, [1])),
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_compact_encoder_gives_api_json_bytes(document: Any) -> None:
    assert compact_encoder()(document) == api_json(document)


def test_compact_encoder_writes_every_float_as_api_json() -> None:
    """Floats of every size and sign (the bits drawn at random, seeded), as values."""
    import random
    import struct

    draw = random.Random(19)
    floats = [struct.unpack("d", struct.pack("Q", draw.getrandbits(64)))[0] for _ in range(20000)]
    floats += [float(f"{m}e{e}") for m in (1, -2.5, 9.999) for e in range(-320, 300)]
    documents = [{"v": [f, "x"]} for f in floats if math.isfinite(f)]
    encode = compact_encoder()
    assert [encode(d) for d in documents] == [api_json(d) for d in documents]


def test_one_encoder_serves_a_whole_stream() -> None:
    encode = compact_encoder()
    shared = {"static": ["part", "of", "every", "point"]}
    stream = [{"i": i, "shared": shared, **DOCUMENTS[i % 4]} for i in range(50)]
    assert [encode(d) for d in stream] == [api_json(d) for d in stream]


def _error_of(encode: Any, document: Any) -> tuple[type[BaseException], str]:
    with pytest.raises((ValueError, TypeError)) as caught:
        encode(document)
    return caught.type, str(caught.value)


def _circular() -> dict[str, Any]:
    loop: dict[str, Any] = {"name": "x"}
    loop["self"] = [loop]
    return loop


@pytest.mark.parametrize(
    "document",
    [
        {"memory": math.nan},
        {"memory": math.inf},
        {"when": object()},
        _circular(),
        {"when": datetime.date(2026, 12, 7)},
    ],
    ids=["nan", "infinity", "not-json", "circular", "date"],
)
def test_compact_encoder_fails_as_api_json_fails(document: Any) -> None:
    assert _error_of(compact_encoder(), document) == _error_of(api_json, document)


# -- the swept job check ------------------------------------------------------------------


def _reference(document: Any, plain: bool) -> list[Any]:
    """What the checker found for a swept job before its short cut: validate() with every
    job rule (the static ones once, the same for every point)."""
    return validate(document, "job", plain=plain, rules=JOB_RULES)


def _variants() -> list[tuple[Any, bool]]:
    bad_cpus = json.loads(json.dumps(JOB))
    bad_cpus["resources"]["cpus"] = 0
    no_disk = json.loads(json.dumps(JOB))
    del no_disk["resources"]["disk"]
    unknown = {**JOB, "cpu": 1}
    float_cpus = json.loads(json.dumps(JOB))
    float_cpus["resources"]["cpus"] = 2.0  # not plain: only the Python validator judges it
    unicode = {**JOB, "name": "gas-ïdeal"}
    return [
        (JOB, True),
        (bad_cpus, True),
        (no_disk, True),
        (unknown, True),
        (float_cpus, False),
        (unicode, False),
        (JOB, True),
        ("not a mapping", True),
    ]


def _codes(found: list[Any]) -> list[tuple[str, str]]:
    return sorted((d.code, d.pointer) for d in found)


def test_swept_job_checks_find_what_validate_finds() -> None:
    # slot paths that no rule reads: every rule is static, the short cut runs no rule
    check = PointChecker([("name",), ("tasks", 0, "cmd")], swept=True)
    for document, plain in _variants():
        assert _codes(check(document, "job", plain)) == _codes(_reference(document, plain))


def test_swept_job_checks_run_the_rules_a_point_can_change() -> None:
    # cpus templated: the rule on cpus and cpusRange reads it, so it runs for every point
    check = PointChecker([("resources", "cpus")], swept=True)
    assert check.varying_rules
    both = json.loads(json.dumps(JOB))
    both["resources"]["cpusRange"] = [1, 4]
    for document in (JOB, both, JOB, both):
        assert _codes(check(document, "job", True)) == _codes(_reference(document, True))
    assert _codes(check(both, "job", True)), "cpus with cpusRange is an error"


def test_a_swept_job_over_the_body_limit_is_still_measured() -> None:
    check = PointChecker([("name",)], swept=True)
    assert check(JOB, "job", True) == []
    big = {**JOB, "inputs": [{"filename": "a.txt", "content": "QUFB" * 300_000}]}
    assert [d.code for d in check(big, "job", True)] == ["PS413"]


def test_a_check_returns_a_list_of_its_own() -> None:
    check = PointChecker([("name",)], swept=True)
    first = check(JOB, "job", True)
    first.append("something the caller added")  # type: ignore[arg-type]  # not a Diagnostic, on purpose
    assert check(JOB, "job", True) == []


# -- the whole command --------------------------------------------------------------------

GAS = """\
promspec:
  params: {image: eoscprominence/testpi, memory: 2}
  sweep:
    temperature: {start: 250, end: 254, step: 1}
    pressure: {start: 1, end: 5, step: 2}
    model: [ideal, vdw]
    note: [plain, "é ☃"]
    seed: {repeat: 2}
  name: "gas-{{ model }}-{{ index }}"
name: gas
labels: {study: gas-sweep}
resources: {cpus: 1, memory: "{{ memory }}", disk: 10, walltime: 60}
tasks:
  - image: "{{ image }}"
    runtime: singularity
    cmd: simulate --model {{ model }} --temperature {{ temperature }} --seed {{ seed }}
    env: {MODEL: "{{ model }}", TEMPERATURE: "{{ temperature }}", NOTE: "{{ note }}"}
outputFiles: ["result-{{ temperature }}-{{ pressure }}.json"]
"""


def _expected_gas() -> list[dict[str, Any]]:
    documents = []
    index = 0
    for temperature in range(250, 255):
        for pressure in (1, 3, 5):
            for model, note, seed in itertools.product(("ideal", "vdw"), ("plain", "é ☃"), (0, 1)):
                task = {
                    "image": "eoscprominence/testpi",
                    "runtime": "singularity",
                    "cmd": f"simulate --model {model} --temperature {temperature} --seed {seed}",
                    "env": {"MODEL": model, "TEMPERATURE": temperature, "NOTE": note},
                }
                documents.append(
                    {
                        "name": f"gas-{model}-{index}",
                        "labels": {"study": "gas-sweep"},
                        "resources": {"cpus": 1, "memory": 2, "disk": 10, "walltime": 60},
                        "tasks": [task],
                        "outputFiles": [f"result-{temperature}-{pressure}.json"],
                    }
                )
                index += 1
    return documents


def test_jsonl_render_is_api_json_of_every_point(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    spec = write(tmp_path, GAS, "gas.yaml")
    promspec = functools.partial(cli_support.promspec, cwd=tmp_path)
    proc = promspec("render", str(spec), "-f", "jsonl", "-o", "out.jsonl")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    expected = "".join(api_json(d) + "\n" for d in _expected_gas())
    assert (tmp_path / "out.jsonl").read_bytes() == expected.encode("utf-8")
    to_stdout = promspec("render", str(spec), "-f", "jsonl")
    assert to_stdout.stdout == expected


# -- the compiled body's one-expression build ---------------------------------------------

BODY: dict[str, Any] = {
    "name": "x-{{ a }}-{{ index }}",
    "quoted": 'it\'s "{{ a }}" \\ {{ b }}',
    "braces": "{ {{ a }} } {{ b }}}",
    "lines": "line one\nline {{ b }}\ttab",
    "unicode": "☃ {{ u }} é",
    "native": "{{ n }}",
    "padded": "  {{ n }}  ",
    "list": ["{{ a }}", "fixed", {"deep": "{{ f }}/{{ t }}"}],
    "none": "{{ z }} and {{ z }}",
}
CONTEXT: dict[str, Any] = {
    "a": "alpha",
    "b": 7,
    "u": "ünï",
    "n": [1, {"k": 2.5}],
    "f": 1.5,
    "t": True,
    "z": None,
    "index": 3,
}


def _compiled(tmp_path: Path, body: Any, max_output: int = 1_048_576) -> Any:
    from prominence_spec.template.body import compile_tree
    from prominence_spec.template.environment import Templater

    templater = Templater(root=tmp_path, base_dir=tmp_path, max_output=max_output)
    compiled, problems = compile_tree(body, templater)
    assert not problems and compiled.fast is not None
    return compiled


def _by_the_tree(compiled: Any, ctx: dict[str, Any]) -> tuple[Any, bool]:
    import dataclasses

    return dataclasses.replace(compiled, fast=None).build(ctx)  # type: ignore[no-any-return]


def test_the_fast_build_is_the_node_trees_build(tmp_path: Path) -> None:
    compiled = _compiled(tmp_path, BODY)
    fast = compiled.fast(CONTEXT)
    assert fast == _by_the_tree(compiled, CONTEXT)[0]
    assert json.dumps(fast) == json.dumps(_by_the_tree(compiled, CONTEXT)[0])
    assert fast["quoted"] == 'it\'s "alpha" \\ 7'
    assert fast["braces"] == "{ alpha } 7}"
    assert fast["padded"] is CONTEXT["n"]  # a native value, not its text
    assert fast["none"] == "None and None"


def test_an_undefined_variable_is_reported_at_its_place(tmp_path: Path) -> None:
    from prominence_spec.template.body import BuildError

    compiled = _compiled(tmp_path, BODY)
    for missing in ("a", "n", "f"):
        ctx = {k: v for k, v in CONTEXT.items() if k != missing}
        with pytest.raises(BuildError) as fast:
            compiled.build(ctx)
        with pytest.raises(BuildError) as tree:
            _by_the_tree(compiled, ctx)
        assert (fast.value.path, fast.value.code) == (tree.value.path, tree.value.code)
        assert fast.value.code == "PS602" and missing in fast.value.message


def test_a_string_over_the_size_limit_is_reported_at_its_place(tmp_path: Path) -> None:
    from prominence_spec.template.body import BuildError

    compiled = _compiled(tmp_path, {"ok": "{{ a }}", "big": ["{{a}}{{a}}"]}, max_output=11)
    assert compiled.build({"a": "12345"})[0] == {"ok": "12345", "big": ["1234512345"]}
    with pytest.raises(BuildError) as caught:
        compiled.build({"a": "123456"})
    assert (caught.value.path, caught.value.code) == (("big", 0), "PS610")


def test_jsonl_lines_before_a_failure_are_all_written() -> None:
    import io

    from prominence_spec.report.documents import write_documents

    def documents() -> Any:
        for i in range(70):  # more than one batch of lines, and part of another
            yield {"i": i}
        raise KeyboardInterrupt

    stream = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        write_documents(documents(), stream, "jsonl", single=False)
    assert stream.getvalue() == "".join(f'{{"i":{i}}}\n' for i in range(70))


def test_a_failed_jsonl_write_is_not_repeated() -> None:
    from prominence_spec.report.documents import write_documents

    class FullDisk:
        def __init__(self) -> None:
            self.attempts = 0
            self.text = ""

        def write(self, text: str) -> int:
            self.attempts += 1
            if self.attempts == 2:
                raise OSError(28, "No space left on device")
            self.text += text
            return len(text)

    stream = FullDisk()
    with pytest.raises(OSError):
        write_documents(({"i": i} for i in range(200)), stream, "jsonl", single=False)  # type: ignore[arg-type]
    assert stream.attempts == 2
    assert stream.text == "".join(f'{{"i":{i}}}\n' for i in range(64))
