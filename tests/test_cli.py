"""`promspec validate`, `schema` and the top-level options on real files.

The CLI runs in this process (cli_support.promspec) wherever a process adds nothing. Real
processes (cli_support.promspec_process) are kept where the process is what is tested:

* test_stdin_yaml: a spec piped through a real stdin;
* test_missing_file_is_reported_with_other_files: exit status 2 as the process reports it;
* test_console_script: start-up through the installed `promspec` script, statuses 0 and 1;
* test_no_traceback_for_hostile_input: hostile files never give a traceback from the
  command as users start it.

Every run, in-process or not, also checks that no Python traceback reaches stdout or stderr.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import prominence_spec

from cli_support import promspec, promspec_process
from support import write

REPO = Path(__file__).resolve().parent.parent
VALID = """\
resources:
  cpus: 1
  memory: 1
  disk: 10
  nodes: 1
tasks:
  - image: eoscprominence/testpi
    runtime: singularity
"""
TYPO = VALID.replace("  cpus: 1\n", "  cpu: 1\n  cpus: 2.0\n")  # PS201 at 2:3, PS204 at 3:9
VALID_JSON = json.dumps(
    {
        "resources": {"cpus": 1, "memory": 1, "disk": 10, "nodes": 1},
        "tasks": [{"image": "eoscprominence/testpi", "runtime": "singularity"}],
    }
)
LINE = re.compile(
    r"^(?P<path>[^\s:]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning)"
    r"\[(?P<code>PS\d{3})\] (?P<message>.+?)(?: \(at (?P<pointer>/\S*)\))?$"
)


def json_report(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def file_codes(report: dict[str, Any]) -> dict[str, list[str]]:
    return {f["path"]: [d["code"] for d in f["diagnostics"]] for f in report["files"]}


# -- exit codes ----------------------------------------------------------------------------
def test_valid_file_exits_0(tmp_path: Path) -> None:
    write(tmp_path, VALID, "ok.yaml")
    proc = promspec("validate", "ok.yaml", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout == "1 file valid (1 document)\n"


def test_problems_exit_1_with_exact_text_lines(tmp_path: Path) -> None:
    write(tmp_path, TYPO, "bad.yaml")
    proc = promspec("validate", "bad.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == (
        'bad.yaml:2:3: error[PS201] unknown key "cpu" in resources (at /resources/cpu)'
    )
    assert lines[1] == "  hint: did you mean `cpus`?"
    found = LINE.match(lines[2])
    assert found, lines[2]
    assert found.group("path", "line", "col", "sev", "code", "pointer") == (
        "bad.yaml",
        "3",
        "9",
        "error",
        "PS204",
        "/resources/cpus",
    )
    assert lines[3] == "  hint: write 2"
    assert lines[-1] == "2 errors, 0 warnings in 1 of 1 file"
    assert len(lines) == 5


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["validate", "missing.yaml"], id="missing-file"),
        pytest.param(["validate", "--bogus", "ok.yaml"], id="bad-option"),
        pytest.param(["validate", "--format", "xml", "ok.yaml"], id="unknown-format"),
        pytest.param(["validate", "--format"], id="format-without-value"),
        pytest.param(["validate"], id="no-path"),
        pytest.param(["validate", "--kind", "pipeline", "ok.yaml"], id="unknown-kind"),
        pytest.param(["validate", "--stdin-format", "toml", "-"], id="unknown-stdin-format"),
        pytest.param(
            ["validate", "-o", "no/such/dir/report.txt", "ok.yaml"], id="unwritable-output"
        ),
        pytest.param(["validate", ""], id="empty-path"),
        pytest.param(["schema", "bogus"], id="unknown-schema"),
        pytest.param(["frobnicate"], id="unknown-command"),
        pytest.param([], id="no-command"),
    ],
)
def test_usage_and_io_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    write(tmp_path, VALID, "ok.yaml")
    proc = promspec(*args, cwd=tmp_path, stdin=b"")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)


def test_missing_file_is_reported_with_other_files(tmp_path: Path) -> None:
    """Exit status 2 as the process reports it, every file still reported."""
    write(tmp_path, VALID, "ok.yaml")
    proc = promspec_process("validate", "--format", "json", "missing.yaml", "ok.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert file_codes(json_report(proc)) == {"missing.yaml": ["PS100"], "ok.yaml": []}


# -- stdin ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_stdin_yaml(tmp_path: Path) -> None:
    """A real process reading a real pipe."""
    assert promspec_process("validate", "-", cwd=tmp_path, stdin=VALID.encode()).returncode == 0
    proc = promspec_process("validate", "-", cwd=tmp_path, stdin=TYPO.encode())
    assert proc.returncode == 1
    assert proc.stdout.startswith("<stdin>:2:3: error[PS201] ")


def test_stdin_json(tmp_path: Path) -> None:
    proc = promspec(
        "validate", "--stdin-format", "json", "-", cwd=tmp_path, stdin=VALID_JSON.encode()
    )
    assert proc.returncode == 0, proc.stdout
    proc = promspec("validate", "--stdin-format", "json", "-", cwd=tmp_path, stdin=b'{"a": 1,}')
    assert proc.returncode == 1
    assert proc.stdout.startswith("<stdin>:1:9: error[PS101] ")


def test_stdin_empty_and_binary(tmp_path: Path) -> None:
    assert "PS105" in promspec("validate", "-", cwd=tmp_path, stdin=b"").stdout
    assert "PS102" in promspec("validate", "-", cwd=tmp_path, stdin=b"\xff\xfe\x00").stdout


# -- directories and many files ------------------------------------------------------------
def test_directories_are_searched_recursively_skipping_hidden(tmp_path: Path) -> None:
    write(tmp_path, VALID, "d/a.yaml")
    write(tmp_path, TYPO, "d/sub/b.yml")
    write(tmp_path, VALID_JSON, "d/sub/deeper/c.json")
    write(tmp_path, VALID, "d/sub/deeper/UPPER.YAML")
    write(tmp_path, "a: 1\na: 2\n", "d/.hidden/x.yaml")
    write(tmp_path, "not: [a spec", "d/notes.txt")
    write(tmp_path, "echo hi\n", "d/script.sh")
    proc = promspec("validate", "--format", "json", "d", cwd=tmp_path)
    assert proc.returncode == 1
    codes = file_codes(json_report(proc))
    assert codes == {
        os.path.join("d", "a.yaml"): [],
        os.path.join("d", "sub", "b.yml"): ["PS201", "PS204"],
        os.path.join("d", "sub", "deeper", "UPPER.YAML"): [],
        os.path.join("d", "sub", "deeper", "c.json"): [],
    }


def test_every_file_is_reported_in_one_run(tmp_path: Path) -> None:
    write(tmp_path, "resources: [unclosed\n", "1-broken.yaml")
    write(tmp_path, VALID + "tasks: []\n", "2-dup.yaml")
    write(tmp_path, TYPO, "3-typo.yaml")
    write(tmp_path, VALID, "4-ok.yaml")
    write(tmp_path, '{"resources": 1,}', "5-bad.json")
    write(tmp_path, VALID_JSON, "6-ok.json")
    proc = promspec("validate", "--format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 1
    report = json_report(proc)
    assert report["valid"] is False
    codes = {Path(p).name: c for p, c in file_codes(report).items()}
    assert codes == {
        "1-broken.yaml": ["PS101"],
        "2-dup.yaml": ["PS104"],
        "3-typo.yaml": ["PS201", "PS204"],
        "4-ok.yaml": [],
        "5-bad.json": ["PS101"],
        "6-ok.json": [],
    }
    text = promspec("validate", ".", cwd=tmp_path).stdout
    assert text.splitlines()[-1] == "5 errors, 0 warnings in 4 of 6 files"


def test_multi_document_file(tmp_path: Path) -> None:
    write(tmp_path, VALID + "---\n" + TYPO + "---\n", "multi.yaml")
    proc = promspec("validate", "multi.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert "multi.yaml:11:3: error[PS201] " in proc.stdout
    assert "[document 2] (at /resources/cpu)" in proc.stdout
    assert "warning[PS105] document 3 is empty" in proc.stdout


@pytest.mark.parametrize(
    ("text", "pointer"),
    [
        pytest.param(VALID + "name: 5\n", "/name", id="job-name"),
        pytest.param(VALID + "labels: {a: 1}\n", "/labels/a", id="label-value"),
        pytest.param(
            "name: wf\njobs:\n  - name: 5\n" + textwrap.indent(VALID, "    "),
            "/jobs/0/name",
            id="workflow-job",
        ),
    ],
)
def test_non_string_name_is_only_ps408(tmp_path: Path, text: str, pointer: str) -> None:
    write(tmp_path, text, "spec.yaml")
    report = json_report(promspec("validate", "-f", "json", "spec.yaml", cwd=tmp_path))
    found = [(d["code"], d["pointer"]) for d in report["files"][0]["diagnostics"]]
    assert found == [("PS408", pointer)]


@pytest.mark.parametrize("name", ["[a]", "{a: 1}"])
def test_unhashable_workflow_job_name(tmp_path: Path, name: str) -> None:
    write(
        tmp_path, f"name: wf\njobs:\n  - name: {name}\n" + textwrap.indent(VALID, "    "), "wf.yaml"
    )
    proc = promspec("validate", "-f", "json", "wf.yaml", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "PS408" in file_codes(json_report(proc))["wf.yaml"]


# -- report formats ------------------------------------------------------------------------
@pytest.fixture
def two_files(tmp_path: Path) -> Path:
    write(tmp_path, TYPO, "bad.yaml")
    write(tmp_path, VALID, "ok.yaml")
    return tmp_path


def test_json_format(two_files: Path) -> None:
    proc = promspec("validate", "--format", "json", "bad.yaml", "ok.yaml", cwd=two_files)
    assert proc.returncode == 1
    report = json_report(proc)
    assert report["valid"] is False
    bad, ok = report["files"]
    assert (bad["path"], bad["valid"], ok["path"], ok["valid"]) == (
        "bad.yaml",
        False,
        "ok.yaml",
        True,
    )
    first = bad["diagnostics"][0]
    assert {"code", "severity", "message", "line", "column", "pointer", "hint"} <= set(first)
    assert (
        first["code"],
        first["severity"],
        first["line"],
        first["column"],
        first["pointer"],
        first["hint"],
    ) == ("PS201", "error", 2, 3, "/resources/cpu", "did you mean `cpus`?")
    assert bad["diagnostics"][1]["hint"] == "write 2"


def test_github_format(two_files: Path) -> None:
    proc = promspec("validate", "--format", "github", "bad.yaml", "ok.yaml", cwd=two_files)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("::error file=bad.yaml,line=2,col=3,title=PS201")
    assert lines[1].startswith("::error file=bad.yaml,line=3,col=9,title=PS204")
    assert lines[2] == "2 errors, 0 warnings in 1 of 2 files"


def test_junit_format(two_files: Path) -> None:
    proc = promspec("validate", "--format", "junit", "bad.yaml", "ok.yaml", cwd=two_files)
    assert proc.returncode == 1
    suite = ET.fromstring(proc.stdout.encode("utf-8"))
    cases = suite.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["bad.yaml", "ok.yaml"]
    assert [f.get("type") for f in cases[0].findall("failure")] == ["PS201", "PS204"]
    assert cases[1].findall("failure") == []


def test_sarif_format(two_files: Path) -> None:
    proc = promspec("validate", "--format", "sarif", "bad.yaml", "ok.yaml", cwd=two_files)
    assert proc.returncode == 1
    sarif = json.loads(proc.stdout)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["PS201", "PS204"]


@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit", "sarif"])
def test_output_file(two_files: Path, fmt: str) -> None:
    proc = promspec("validate", "-f", fmt, "-o", "report.out", "bad.yaml", "ok.yaml", cwd=two_files)
    assert proc.returncode == 1
    assert proc.stdout == ""
    written = (two_files / "report.out").read_text(encoding="utf-8")
    assert "PS201" in written
    if fmt in ("json", "sarif"):
        json.loads(written)
    elif fmt == "junit":
        ET.fromstring(written.encode("utf-8"))


# -- other commands ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["job", "workflow", "spec"])
def test_schema_command_prints_the_bundled_schema(tmp_path: Path, name: str) -> None:
    proc = promspec("schema", name, cwd=tmp_path)
    assert proc.returncode == 0
    expected = (REPO / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    assert json.loads(proc.stdout) == json.loads(expected)


def test_version(tmp_path: Path) -> None:
    expected = (0, f"promspec {prominence_spec.__version__}\n")
    proc = promspec("--version", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == expected
    proc = promspec("--version", "validate", "missing.yaml", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == expected


def test_help(tmp_path: Path) -> None:
    proc = promspec("validate", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    assert "--format" in proc.stdout


def test_console_script(tmp_path: Path) -> None:
    bindir = str(Path(sys.executable).parent)
    script = shutil.which("promspec", path=os.pathsep.join([bindir, os.environ.get("PATH", "")]))
    assert script, "the promspec console script is not installed"
    write(tmp_path, TYPO, "bad.yaml")
    write(tmp_path, VALID, "ok.yaml")
    assert promspec_process("validate", "ok.yaml", cwd=tmp_path, command=[script]).returncode == 0
    proc = promspec_process("validate", "bad.yaml", cwd=tmp_path, command=[script])
    assert proc.returncode == 1
    assert proc.stdout.startswith("bad.yaml:2:3: error[PS201] ")


# -- hostile input never gives a traceback -------------------------------------------------
HOSTILE: dict[str, bytes] = {
    "python-tag.yaml": b"!!python/object/apply:os.system ['true']\n",
    "bomb.yaml": b'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    + b"".join(
        b"%c: &%c [" % (98 + i, 98 + i) + b",".join([b"*%c" % (97 + i)] * 9) + b"]\n"
        for i in range(8)
    ),
    "dup.yaml": b"a: 1\na: 2\n",
    "latin1.yaml": b"name: caf\xe9\n",
    "utf16.yaml": "a: 1\n".encode("utf-16"),
    "nul.yaml": b"a: \x00\n",
    "escape.yaml": b"a: \x1b\n",
    "tab.yaml": b"\ta: 1\n",
    "unterminated.yaml": b'a: "open\n',
    "deep.yaml": b"[" * 5000 + b"]" * 5000,
    "deep.json": b"[" * 5000 + b"]" * 5000,
    "huge.yaml": b"a: 1e400\n",
    "nan.yaml": b"a: .nan\n",
    "complex-key.yaml": b"? [a]\n: 1\n",
    "list.yaml": b"- a\n",
    "scalar.json": b"3",
    "comments.yaml": b"# nothing\n",
    "trailing-comma.json": b'{"a": 1,}',
    "dup.json": b'{"a": 1, "a": 2}',
    "lone-surrogate.json": b'{"name": "\\ud800"}',
    "lone-surrogate.yaml": b'name: "\\ud800"\n',
    "bad-escape.yaml": b'name: "\\q"\n',
    "wrong-types.yaml": b"resources: 3\ntasks: {a: 1}\nname: [1]\nlabels: {a: {b: c}}\n",
    "workflow.yaml": b"jobs: 3\ndependencies: {a: [b]}\nfactories: x\n",
}


@pytest.mark.slow
def test_no_traceback_for_hostile_input(tmp_path: Path) -> None:
    """As users start it: a real process on every hostile file, in every format."""
    for name, raw in HOSTILE.items():
        write(tmp_path, raw, name)
    for fmt in ("text", "json", "github", "junit", "sarif"):
        proc = promspec_process(
            "validate", "-f", fmt, *HOSTILE, cwd=tmp_path
        )  # asserts no traceback
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr == ""
        if fmt == "json":
            assert all(codes for codes in file_codes(json_report(proc)).values())


# -- the in-process runner itself -----------------------------------------------------------
def test_in_process_runs_leave_no_state_behind(tmp_path: Path) -> None:
    write(tmp_path, VALID, "ok.yaml")
    cwd, environ, streams = os.getcwd(), dict(os.environ), (sys.stdin, sys.stdout, sys.stderr)
    proc = promspec("validate", "ok.yaml", cwd=tmp_path, env={"NO_COLOR": "1", "HOME": None})
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "1 file valid (1 document)\n", "")
    assert (os.getcwd(), dict(os.environ)) == (cwd, environ)
    assert (sys.stdin, sys.stdout, sys.stderr) == streams
