"""Values given on the command line: where a diagnostic's value was defined, and names
that the spec never uses or that its sweep overrides (issue 10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.loading.loader import load
from prominence_spec.validation.templated import open_templated

from cli_support import promspec
from support import write

SPEC = """\
promspec:
  params:
    cpus: 2.0
    image: busybox
  sweep:
    frame: [1, 2, 3]
name: x
resources: {cpus: "{{ cpus }}", memory: 1, disk: 10}
tasks:
  - image: "{{ image }}"
    runtime: singularity
    cmd: run {{ frame }}
"""


def diagnostics(path: Path, values: dict[str, Any], origins: dict[str, str]) -> list[Diagnostic]:
    [document] = load(path).documents
    run, problems = open_templated(document, values=values, origins=origins)
    assert run is not None, problems
    list(run.documents())
    return run.diagnostics()


def test_a_value_from_the_params_says_where_it_was_defined(repo: Path) -> None:
    path = write(repo, SPEC)
    [error] = [d for d in diagnostics(path, {}, {}) if d.is_error]
    assert error.code == "PS204" and (error.line, error.column) == (8, 19)
    assert "(value 2.0 from promspec.params.cpus at 3:11)" in error.message


def test_a_value_from_set_or_a_values_file_says_so(repo: Path) -> None:
    path = write(repo, SPEC)
    [error] = [d for d in diagnostics(path, {"cpus": 2.5}, {"cpus": "--set cpus"}) if d.is_error]
    assert "(value 2.5 from --set cpus)" in error.message
    found = diagnostics(path, {"cpus": 0}, {"cpus": "--values v.yaml"})
    [error] = [d for d in found if d.is_error]
    assert "(value 0 from --values v.yaml)" in error.message


def test_an_unused_name_is_a_warning_with_did_you_mean(repo: Path) -> None:
    path = write(repo, SPEC.replace("cpus: 2.0", "cpus: 2"))
    found = diagnostics(path, {"imagee": "foo"}, {"imagee": "--set imagee"})
    [warning] = found
    assert (warning.code, warning.severity) == ("PS612", "warning")
    assert warning.message == "--set imagee: the spec never uses imagee"
    assert warning.hint == "did you mean `image`?"
    assert warning.path == str(path)


def test_a_name_the_sweep_sets_says_the_sweep_wins(repo: Path) -> None:
    path = write(repo, SPEC.replace("cpus: 2.0", "cpus: 2"))
    [warning] = diagnostics(path, {"frame": 9}, {"frame": "--values v.yaml"})
    assert warning.code == "PS612"
    assert "frame, which is also a sweep parameter: the sweep's value wins" in warning.message


def test_names_used_only_by_workflow_settings_or_where_are_used(repo: Path) -> None:
    text = (
        SPEC.replace("cpus: 2.0", "cpus: 2").replace(
            "    frame: [1, 2, 3]\n", "    frame: [1, 2, 3]\n    where: frame > low\n"
        )
        + ""
    )
    text = text.replace("promspec:\n", "promspec:\n  workflow: {name: 'w-{{ team }}'}\n")
    path = write(repo, text)
    found = diagnostics(path, {"low": 1, "team": "a"}, {"low": "--set low", "team": "--set team"})
    assert [d for d in found if d.code == "PS612"] == []


def test_a_value_from_a_values_file_says_where_in_it(repo: Path) -> None:
    path = write(repo, SPEC.replace("cpus: 2.0", "cpus: 1"))
    values = write(repo, "# study values\nimagee: centos\ncpus: 2.0\n", "v.yaml")
    for command in ("validate", "render"):
        proc = promspec(command, str(path), "--values", str(values), cwd=repo)
        said = proc.stdout + proc.stderr  # validate reports on stdout, render on stderr
        assert proc.returncode == 1, said
        assert f"(value 2.0 from --values {values} at 3:7)" in said
        assert f"--values {values} at 2:9 sets imagee, which the spec never uses" in said


NESTED = """\
promspec:
  params:
    res: {cpus: 1.5, memory: 1, disk: 10}
name: x
resources: "{{ res }}"
tasks: [{image: busybox, runtime: singularity}]
"""


def test_a_value_inside_a_mapping_is_credited_to_what_set_it(repo: Path) -> None:
    path = write(repo, NESTED)
    values = write(repo, "res:\n  memory: 2.5\n", "v.yaml")
    proc = promspec("validate", str(path), "--values", str(values), cwd=repo)
    assert "(value 1.5 from promspec.params.res.cpus at 3:17)" in proc.stdout  # merged: kept
    assert f"(value 2.5 from --values {values} at 2:11)" in proc.stdout
    proc = promspec("validate", str(path), "--set", "res.cpus=3.5", cwd=repo)
    assert "(value 3.5 from --set res.cpus)" in proc.stdout
    assert "PS612" not in proc.stdout  # res.cpus is used: res is
    proc = promspec(
        "validate", str(path), "--set", "res={cpus: 2.0, memory: 1, disk: 10}", cwd=repo
    )
    assert "(value 2.0 from --set res)" in proc.stdout
