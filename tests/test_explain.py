"""`promspec explain [CODE]` and the code catalogue it reads, which docs/diagnostics.md is
generated from: every example in it is checked by validating it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from prominence_spec.codes import CODES, entries, entry, family
from prominence_spec.codes.explanations import EXPLANATIONS
from prominence_spec.codes.markdown import diagnostics_markdown

from cli_support import promspec, promspec_process
from support import write

REPO = Path(__file__).resolve().parent.parent
DIAGNOSTICS_MD = REPO / "docs" / "diagnostics.md"
WITH_EXAMPLE = sorted(code for code, e in EXPLANATIONS.items() if e.example is not None)
#: The families users commonly hit: every code has a long explanation, most an example.
COMMON_FAMILIES = ("PS1", "PS2", "PS6")
#: Codes of those families for which a small spec cannot show the problem.
NO_EXAMPLE = {"PS100", "PS102", "PS103", "PS107", "PS108", "PS113", "PS299", "PS605"}
NO_EXAMPLE |= {"PS609", "PS610", "PS612"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# -- the catalogue -------------------------------------------------------------------------
def test_every_code_has_a_hint_and_a_family() -> None:
    assert set(EXPLANATIONS) == set(CODES)
    for code in CODES:
        assert entry(code).hint, code
        assert family(code), code


@pytest.mark.parametrize("code", [c for c in sorted(CODES) if c.startswith(COMMON_FAMILIES)])
def test_common_codes_are_explained_at_length(code: str) -> None:
    explained = entry(code)
    assert len(explained.text) > 60, code
    assert (explained.example is None) == (code in NO_EXAMPLE), code


def _validate(folder: Path, text: str) -> tuple[int, list[str]]:
    write(folder, text, "example.yaml")
    proc = promspec("validate", "-f", "json", "example.yaml", cwd=folder)
    report = json.loads(proc.stdout)
    return proc.returncode, [d["code"] for f in report["files"] for d in f["diagnostics"]]


@pytest.mark.parametrize("code", WITH_EXAMPLE)
def test_the_example_gets_the_code_and_its_fix_is_valid(code: str, repo: Path) -> None:
    example = entry(code).example
    assert example is not None
    _, found = _validate(repo, example.bad)
    assert code in found
    assert _validate(repo, example.fixed) == (0, [])


def test_docs_diagnostics_md_is_generated_from_the_catalogue() -> None:
    assert DIAGNOSTICS_MD.read_text(encoding="utf-8") == diagnostics_markdown(), (
        "regenerate: python -m prominence_spec.codes.markdown > docs/diagnostics.md"
    )


def test_docs_diagnostics_md_lists_every_code_in_its_family() -> None:
    text = DIAGNOSTICS_MD.read_text(encoding="utf-8")
    for code, meaning in CODES.items():
        assert f"| [`{code}`](#{code.lower()}) | {meaning} |" in text
        assert f"\n### {code}\n" in text
        heading = f"## PS{code[2]}xx: {family(code)}"
        assert text.index(heading) < text.index(f"\n### {code}\n")


# -- promspec explain CODE ---------------------------------------------------------------------
def test_explain_prints_meaning_explanation_and_example() -> None:
    proc = promspec("explain", "PS204")
    assert (proc.returncode, proc.stderr) == (0, "")
    lines = proc.stdout.splitlines()
    assert lines[:2] == [
        "PS204: number written with a fraction or exponent where an integer is required",
        "(PS2xx: Schema: what the server's validator rejects)",
    ]
    assert "What to do: write the number without a fraction or exponent" in proc.stdout
    bad, fixed = proc.stdout.split("A spec that gets PS204:\n", 1)[1].split("Fixed:\n")
    assert "    resources: {cpus: 2.0, memory: 1, disk: 10}" in bad.splitlines()
    assert "    resources: {cpus: 2, memory: 1, disk: 10}" in fixed.splitlines()
    assert not ANSI.search(proc.stdout)  # not a terminal: plain text
    assert max(len(line) for line in lines) <= 88


@pytest.mark.parametrize("spelling", ["ps204", "Ps204", "204", " PS204 "])
def test_explain_is_case_insensitive_and_takes_the_number(spelling: str) -> None:
    assert promspec("explain", spelling).stdout == promspec("explain", "PS204").stdout


def test_explain_without_an_example_gives_meaning_and_hint() -> None:
    proc = promspec("explain", "PS306")
    assert proc.returncode == 0
    assert proc.stdout == (
        "PS306: procsPerNode greater than cpus\n"
        "(PS3xx: Rules a schema cannot say: what the server's validator rejects)\n"
        "\n"
        "What to do: make procsPerNode at most cpus.\n"
    )


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        ("PS2044", "did you mean `PS204`?"),
        ("PS6O4", "did you mean `PS604`?"),
        ("hello", "promspec explain lists the codes"),
    ],
)
def test_an_unknown_code_is_a_usage_error_with_a_suggestion(code: str, advice: str) -> None:
    proc = promspec("explain", code)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert f"unknown code {code!r} ({advice})" in proc.stderr


def test_explain_without_a_code_lists_every_code_with_its_meaning() -> None:
    proc = promspec("explain")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines() == [f"{e.code}  {e.meaning}" for e in entries()]
    assert "PS204  number written with a fraction or exponent" in proc.stdout


def test_explain_colours_only_when_asked_or_on_a_terminal() -> None:
    colored = promspec("explain", "--color", "PS604")
    assert colored.returncode == 0
    assert ANSI.search(colored.stdout)
    plain = ANSI.sub("", colored.stdout)
    assert plain.startswith("PS604: sweep definition error\n")
    assert all(line == line.rstrip() for line in plain.splitlines())  # no padding
    assert ANSI.search(promspec("explain", "--color").stdout)
    assert ANSI.search(promspec("explain", "PS604", env={"FORCE_COLOR": "1"}).stdout)
    assert not ANSI.search(promspec("explain", "--no-color", "PS604").stdout)


def test_explain_as_a_real_process_through_a_pipe(tmp_path: Path) -> None:
    proc = promspec_process("explain", "ps611", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith("PS611: Jinja in a spec that is not a template\n")
    assert "    promspec: {params: {image: centos:7}}" in proc.stdout
