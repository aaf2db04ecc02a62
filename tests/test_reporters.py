"""Tests of the reporters: every format is parsed back, not only compared as text."""

from __future__ import annotations

import io
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from prominence_spec.codes import CODES
from prominence_spec.diagnostics import CheckReport, Diagnostic, FileReport
from prominence_spec.report import FORMATS, REPORTERS, ReportOptions, report
from prominence_spec.report.github import escape_data, escape_property
from prominence_spec.report.sarif import artifact_location, rule_name

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
PLAIN = ReportOptions()
VERBOSE = ReportOptions(verbose=True)

HOSTILE_PATHS = [
    "specs/my job.yaml",
    "specs/a,b.yaml",
    "specs/c:d.yaml",
    "specs/100%.yaml",
    "spéc/ジョブ ☃.yaml",
]


def sample() -> CheckReport:
    """Three files: one with an error, a warning and a note; one valid; stdin."""
    job = FileReport(
        "specs/job.yaml",
        [
            Diagnostic(
                "PS201",
                "unknown key 'cpu'",
                pointer="/resources/cpu",
                line=4,
                column=5,
                hint="did you mean 'cpus'?",
                document=1,
                context=(("key", "cpu"), ("allowed", "cpus, memory, disk")),
            ),
            Diagnostic("PS503", "image tag 'latest' is not pinned", "warning", "/tasks/0", 9),
            Diagnostic("PS505", "job name 'a' is contained in 'ab'", "note"),
        ],
        documents=2,
    )
    ok = FileReport("specs/ok.yaml", [], documents=3)
    stdin = FileReport("-", [Diagnostic("PS101", "mapping values are not allowed", line=1)], 1)
    return CheckReport([job, ok, stdin])


def clean(documents: int = 1, files: int = 1) -> CheckReport:
    return CheckReport([FileReport(f"f{i}.yaml", [], documents) for i in range(files)])


def render(check: CheckReport, fmt: str, options: ReportOptions = PLAIN) -> str:
    stream = io.StringIO()
    report(check, stream, fmt, options)
    return stream.getvalue()


# --------------------------------------------------------------------------- dispatch


def test_registry_has_every_format() -> None:
    assert set(REPORTERS) == {"text", "json", "github", "junit", "sarif"}
    assert tuple(REPORTERS) == FORMATS


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_report_dispatches_and_never_prints(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    direct = io.StringIO()
    REPORTERS[fmt](sample(), direct, PLAIN)
    assert render(sample(), fmt) == direct.getvalue()
    assert direct.getvalue().endswith("\n")
    assert capsys.readouterr() == ("", "")


def test_unknown_format_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        render(sample(), "xml")


# --------------------------------------------------------------------------- text


def test_text_exact_lines() -> None:
    assert render(sample(), "text").splitlines() == [
        "specs/job.yaml:4:5: error[PS201] unknown key 'cpu' [document 2] (at /resources/cpu)",
        "  hint: did you mean 'cpus'?",
        "  context: key=cpu, allowed=cpus, memory, disk",
        "specs/job.yaml:9: warning[PS503] image tag 'latest' is not pinned (at /tasks/0)",
        "-:1: error[PS101] mapping values are not allowed",
        "2 errors, 1 warning in 2 of 3 files",
    ]


def test_text_verbose_shows_notes() -> None:
    lines = render(sample(), "text", VERBOSE).splitlines()
    assert "specs/job.yaml: note[PS505] job name 'a' is contained in 'ab'" in lines
    assert len(lines) == 7


def test_text_document_only_for_multi_document_files() -> None:
    single = FileReport("a.yaml", [Diagnostic("PS201", "m", document=0, line=2, column=1)], 1)
    none = FileReport("b.yaml", [Diagnostic("PS201", "m", document=None)], 4)
    first = FileReport("c.yaml", [Diagnostic("PS201", "m", document=0)], 4)
    lines = render(CheckReport([single, none, first]), "text").splitlines()
    assert lines[:3] == [
        "a.yaml:2:1: error[PS201] m",
        "b.yaml: error[PS201] m",
        "c.yaml: error[PS201] m [document 1]",
    ]


def test_text_uses_the_diagnostics_own_path() -> None:
    diagnostic = Diagnostic("PS605", "bad row", line=3, path="sweeps/grid.csv")
    text = render(CheckReport([FileReport("spec.yaml", [diagnostic], 1)]), "text")
    assert text.startswith("sweeps/grid.csv:3: error[PS605] bad row\n")


def test_text_multiline_message_stays_one_entry() -> None:
    diagnostic = Diagnostic("PS101", "bad\nsyntax here\r\n  ^", pointer="/a", hint="one\ntwo")
    lines = render(CheckReport([FileReport("a.yaml", [diagnostic], 1)]), "text").splitlines()
    assert lines[:5] == [
        "a.yaml: error[PS101] bad",
        "    syntax here",
        "      ^ (at /a)",
        "  hint: one",
        "    two",
    ]
    assert all(line.startswith(" ") for line in lines[1:5])


def test_text_color_only_when_asked() -> None:
    plain = render(sample(), "text", VERBOSE)
    colored = render(sample(), "text", ReportOptions(verbose=True, color=True))
    assert "\x1b" not in plain
    assert "\x1b[1;31merror\x1b[0m[PS201]" in colored
    assert "\x1b[1;33mwarning\x1b[0m[PS503]" in colored
    assert "\x1b[1;36mnote\x1b[0m[PS505]" in colored
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == plain


@pytest.mark.parametrize(
    ("check", "summary"),
    [
        (clean(documents=1, files=1), "1 file valid (1 document)"),
        (clean(documents=2, files=3), "3 files valid (6 documents)"),
        (
            CheckReport([FileReport("a", [], 2), FileReport("b", [], 3)]),
            "2 files valid (5 documents)",
        ),
        (CheckReport([]), "0 files valid (0 documents)"),
        (
            CheckReport(
                [FileReport("a", [Diagnostic("PS503", "w", "warning")], 1), *clean().files]
            ),
            "0 errors, 1 warning in 1 of 2 files",
        ),
        (
            CheckReport([FileReport("a", [Diagnostic("PS505", "n", "note")], 1)]),
            "1 file valid (1 document)",
        ),
    ],
)
def test_summary_line(check: CheckReport, summary: str) -> None:
    for fmt in ("text", "github"):
        for options in (PLAIN, VERBOSE):
            assert render(check, fmt, options).splitlines()[-1] == summary


def test_text_no_diagnostics_is_only_the_summary() -> None:
    assert render(clean(documents=5, files=3), "text") == "3 files valid (15 documents)\n"


def test_text_many_files() -> None:
    files = [
        FileReport(f"specs/{i:03}.yaml", [Diagnostic("PS202", "missing", line=i + 1)] * (i % 3), 1)
        for i in range(300)
    ]
    lines = render(CheckReport(files), "text").splitlines()
    assert len(lines) == 300 + 1
    assert lines[0] == "specs/001.yaml:2: error[PS202] missing"
    assert lines[-1] == "300 errors, 0 warnings in 200 of 300 files"


# --------------------------------------------------------------------------- json


@pytest.mark.parametrize("options", [PLAIN, VERBOSE])
def test_json_is_as_dict(options: ReportOptions) -> None:
    out = render(sample(), "json", options)
    assert out == json.dumps(sample().as_dict(), indent=2) + "\n"
    parsed = json.loads(out)
    assert parsed["valid"] is False
    codes = [d["code"] for f in parsed["files"] for d in f["diagnostics"]]
    assert codes == ["PS201", "PS503", "PS505", "PS101"]  # notes included


# --------------------------------------------------------------------------- github

COMMAND = re.compile(r"^::(?P<name>error|warning|notice) (?P<props>[^:]*)::(?P<data>.*)$")


def unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    text = text.replace("%3A", ":").replace("%2C", ",")
    return unescape_data(text)


def parse_commands(out: str) -> list[tuple[str, dict[str, str], str]]:
    """(command, properties, message) of every workflow command line, unescaped."""
    commands = []
    for line in out.splitlines():
        match = COMMAND.match(line)
        if match is None:
            continue
        props = dict(p.split("=", 1) for p in match["props"].split(","))
        props = {key: unescape_property(value) for key, value in props.items()}
        commands.append((match["name"], props, unescape_data(match["data"])))
    return commands


def test_github_exact_lines() -> None:
    assert render(sample(), "github").splitlines() == [
        "::error file=specs/job.yaml,line=4,col=5,title=PS201 unknown key::unknown key 'cpu'"
        " [document 2] (at /resources/cpu) \u2014 hint: did you mean 'cpus'?",
        "::warning file=specs/job.yaml,line=9,title=PS503 non-canonical container value::"
        "image tag 'latest' is not pinned (at /tasks/0)",
        "::error line=1,title=PS101 YAML or JSON syntax error::mapping values are not allowed",
        "2 errors, 1 warning in 2 of 3 files",
    ]


def test_github_notice_only_when_verbose() -> None:
    names = [c[0] for c in parse_commands(render(sample(), "github", VERBOSE))]
    assert names == ["error", "warning", "notice", "error"]
    assert "notice" not in [c[0] for c in parse_commands(render(sample(), "github"))]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_github_round_trips_paths_and_messages(path: str) -> None:
    message = "100% wrong,\r\nsee: a::b\nend %0A"
    diagnostic = Diagnostic("PS207", message, line=2, column=3, hint="use 50%, not 100%")
    out = render(CheckReport([FileReport(path, [diagnostic], 1)]), "github")
    lines = out.splitlines()
    assert len(lines) == 2  # one command, one summary: no raw newline leaked
    [(name, props, data)] = parse_commands(out)
    assert name == "error"
    assert props == {
        "file": path,
        "line": "2",
        "col": "3",
        "title": "PS207 value does not match the required pattern",
    }
    assert data == message + " \u2014 hint: use 50%, not 100%"


def test_github_unknown_code_title_is_the_code() -> None:
    out = render(CheckReport([FileReport("a.yaml", [Diagnostic("PS999", "x")], 1)]), "github")
    assert out.splitlines()[0] == "::error file=a.yaml,title=PS999::x"


@given(st.text())
def test_github_escaping_round_trips(text: str) -> None:
    data = escape_data(text)
    prop = escape_property(text)
    assert unescape_data(data) == text
    assert unescape_property(prop) == text
    assert not {"\r", "\n"} & set(data)
    assert not {"\r", "\n", ":", ","} & set(prop)


# --------------------------------------------------------------------------- junit


def parse_junit(out: str) -> ET.Element:
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(out)


def test_junit_structure() -> None:
    suite = parse_junit(render(sample(), "junit"))
    assert suite.tag == "testsuite"
    assert suite.attrib == {"name": "promspec", "tests": "3", "failures": "2", "errors": "0"}
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["specs/job.yaml", "specs/ok.yaml", "-"]
    assert {c.get("classname") for c in cases} == {"promspec"}

    job, ok, stdin = cases
    [failure] = job.findall("failure")
    assert failure.attrib == {"message": "PS201: unknown key 'cpu'", "type": "PS201"}
    assert failure.text == "\n".join(render(sample(), "text").splitlines()[:3])
    system_out = job.findtext("system-out")
    assert system_out is not None
    assert "warning[PS503]" in system_out
    assert "PS505" not in system_out  # notes only when verbose
    assert len(ok) == 0 and not (ok.text or "").strip()
    assert [f.get("type") for f in stdin.findall("failure")] == ["PS101"]
    assert stdin.find("system-out") is None


def test_junit_verbose_notes_in_system_out() -> None:
    suite = parse_junit(render(sample(), "junit", VERBOSE))
    assert "note[PS505]" in (suite.find("testcase/system-out").text or "")  # type: ignore[union-attr]


def test_junit_one_failure_per_error() -> None:
    errors = [Diagnostic("PS202", f"missing key {i}", line=i + 1) for i in range(4)]
    warning = Diagnostic("PS503", "w", "warning")
    suite = parse_junit(render(CheckReport([FileReport("a.yaml", [*errors, warning], 1)]), "junit"))
    assert suite.get("failures") == "1"
    failures = suite.findall("testcase/failure")
    assert [f.get("message") for f in failures] == [f"PS202: missing key {i}" for i in range(4)]


def test_junit_hostile_text_is_well_formed() -> None:
    message = 'a < b & "c" \x00\x1b\ufffe\udcff\nnext line ]]> %'
    paths = [*HOSTILE_PATHS, "weird\x07name.yaml"]
    files = [FileReport(p, [Diagnostic("PS101", message, line=1)], 1) for p in paths]
    suite = parse_junit(render(CheckReport(files), "junit"))
    names = [c.get("name") for c in suite.findall("testcase")]
    assert names == [*HOSTILE_PATHS, "weird\\u0007name.yaml"]
    failure = suite.find("testcase/failure")
    assert failure is not None
    assert failure.get("message") == (
        'PS101: a < b & "c" \\u0000\\u001b\\ufffe\\udcff\nnext line ]]> %'
    )


def test_junit_no_files_and_many_files() -> None:
    empty = parse_junit(render(CheckReport([]), "junit"))
    assert (empty.get("tests"), empty.get("failures")) == ("0", "0")
    many = CheckReport(
        [
            FileReport(f"{i}.yaml", [Diagnostic("PS202", "m")] if i % 4 == 0 else [], 1)
            for i in range(100)
        ]
    )
    suite = parse_junit(render(many, "junit"))
    assert (suite.get("tests"), suite.get("failures")) == ("100", "25")
    assert len(suite.findall("testcase")) == 100
    assert len(suite.findall("testcase/failure")) == 25


# --------------------------------------------------------------------------- sarif


@pytest.fixture(scope="module")
def sarif_validator() -> Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    resource = Resource.from_contents(schema, default_specification=DRAFT4)
    # A referencing.Registry never retrieves anything by itself: validation is offline.
    registry: Registry = Registry().with_resource(schema["id"], resource)
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)


def sarif(check: CheckReport, options: ReportOptions = PLAIN) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(render(check, "sarif", options))
    return log


def assert_valid_sarif(log: dict[str, Any], validator: Draft4Validator) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    # What GitHub code scanning needs beyond the schema.
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["region"]["startLine"] >= 1
        assert physical["region"].get("startColumn", 1) >= 1
        assert physical["artifactLocation"]["uri"]


def test_sarif_validates_against_the_schema(sarif_validator: Draft4Validator) -> None:
    log = sarif(sample(), ReportOptions(tool_version="9.8.7"))
    assert_valid_sarif(log, sarif_validator)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    driver = run["tool"]["driver"]
    assert driver["name"] == "promspec"
    assert driver["version"] == "9.8.7"
    assert driver["informationUri"] == "https://github.com/promspec/promspec"


def test_sarif_schema_really_checks(sarif_validator: Draft4Validator) -> None:
    log = sarif(sample())
    log["runs"][0]["results"][0]["level"] = "fatal"
    log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert len(list(sarif_validator.iter_errors(log))) == 2


def test_sarif_rules_and_results() -> None:
    [run] = sarif(sample(), VERBOSE)["runs"]
    assert run["tool"]["driver"]["rules"] == [
        {"id": "PS101", "name": "YAMLOrJSONSyntaxError",
         "shortDescription": {"text": "YAML or JSON syntax error"}},
        {"id": "PS201", "name": "UnknownKey", "shortDescription": {"text": "unknown key"}},
        {"id": "PS503", "name": "NonCanonicalContainerValue",
         "shortDescription": {"text": "non-canonical container value"}},
        {"id": "PS505", "name": "JobNameContainedInAnotherJobNameUsedInDependencies",
         "shortDescription": {"text": CODES["PS505"]}},
    ]  # fmt: skip
    results = run["results"]
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in results] == [
        ("PS201", 1, "error"),
        ("PS503", 2, "warning"),
        ("PS505", 3, "note"),  # notes are results whatever the verbosity
        ("PS101", 0, "error"),
    ]
    first = results[0]
    assert first["message"]["text"] == (
        "unknown key 'cpu' [document 2] (at /resources/cpu) \u2014 hint: did you mean 'cpus'?"
    )
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "specs/job.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4, "startColumn": 5},
    }
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in results]
    assert regions[1:] == [{"startLine": 9}, {"startLine": 1}, {"startLine": 1}]
    assert results[3]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stdin"
    assert sarif(sample()) == sarif(sample(), VERBOSE)


def test_sarif_no_diagnostics(sarif_validator: Draft4Validator) -> None:
    log = sarif(clean(files=3))
    assert_valid_sarif(log, sarif_validator)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("specs/my job.yaml", "specs/my%20job.yaml"),
        ("specs/a,b.yaml", "specs/a%2Cb.yaml"),
        ("c:d.yaml", "c%3Ad.yaml"),  # else "c:" would read as a URI scheme
        ("specs/100%.yaml", "specs/100%25.yaml"),
        ("spéc/ジョブ.yaml", "sp%C3%A9c/%E3%82%B8%E3%83%A7%E3%83%96.yaml"),
        ("./specs/../specs/x#1?.yaml", "specs/x%231%3F.yaml"),
        ("-", "stdin"),
        ("<stdin>", "stdin"),
        ("bad\udcffname.yaml", "bad%FFname.yaml"),  # an undecodable byte, via os.fsdecode
    ],
)
def test_sarif_uris(path: str, uri: str) -> None:
    assert artifact_location(path) == {"uri": uri, "uriBaseId": "%SRCROOT%"}


def test_sarif_absolute_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    (root / "specs").mkdir(parents=True)
    monkeypatch.chdir(root)
    inside = artifact_location(str(root / "specs" / "a b.yaml"))
    assert inside == {"uri": "specs/a%20b.yaml", "uriBaseId": "%SRCROOT%"}
    outside = artifact_location(str(tmp_path / "other" / "a b.yaml"))
    assert outside == {"uri": (tmp_path / "other" / "a b.yaml").as_uri()}
    assert str(outside["uri"]).startswith("file:///")


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_sarif_hostile_paths_and_messages(path: str, sarif_validator: Draft4Validator) -> None:
    message = "100% wrong,\r\nsee: a::b\n\udcff"
    check = CheckReport([FileReport(path, [Diagnostic("PS207", message, line=None, column=7)], 1)])
    log = sarif(check)
    assert_valid_sarif(log, sarif_validator)
    [result] = log["runs"][0]["results"]
    physical = result["locations"][0]["physicalLocation"]
    assert unquote(physical["artifactLocation"]["uri"]) == path
    assert " " not in physical["artifactLocation"]["uri"]
    assert physical["region"] == {"startLine": 1}  # no line: no column either
    assert result["message"]["text"] == "100% wrong,\r\nsee: a::b\n?"


def test_sarif_many_files(sarif_validator: Draft4Validator) -> None:
    codes = sorted(CODES)
    files = [
        FileReport(f"specs/{i}.yaml", [Diagnostic(codes[i % len(codes)], "m", line=i + 1)], 1)
        for i in range(200)
    ]
    log = sarif(CheckReport(files))
    assert_valid_sarif(log, sarif_validator)
    [run] = log["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == codes
    assert len(run["results"]) == 200


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("PS411", "ValueTheServersValidatorCrashesOn"),
        ("PS401", "MissingResourcesDisk"),
        ("PS306", "ProcsPerNodeGreaterThanCpus"),
        ("PS410", "InvalidBase64InInputsContent"),
        ("PS999", "PS999"),
    ],
)
def test_sarif_rule_names(code: str, name: str) -> None:
    assert rule_name(code) == name
    assert re.fullmatch(r"[A-Za-z0-9]+", name)


def test_every_code_has_a_rule_name() -> None:
    names = [rule_name(code) for code in CODES]
    assert all(re.fullmatch(r"[A-Z][A-Za-z0-9]*", n) for n in names)
    assert len(set(names)) == len(names)


def test_schema_copy_is_the_oasis_one() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    assert (SCHEMA_PATH.parent / "sarif-schema-2.1.0.LICENSE.md").is_file()
    assert os.path.getsize(SCHEMA_PATH) > 100_000
