"""Rendering templated specs (library level): specs that use a template, files read by
templates, and the every-point check of `promspec validate` (pipeline.check_templated).
"""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path

import pytest

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.loading.loader import load
from prominence_spec.validation.templated import check_templated

from render_support import TASK, names, ok, opened, run, where
from support import write

# -- specs that use a template ------------------------------------------------------------
TEMPLATE = """\
promspec:
  params: {image: busybox, cpus: 1}
  sweep:
    rows: points.csv
  name: "t-{{ s }}"
name: t
resources: {cpus: "{{ cpus }}", memory: 1, disk: 10}
tasks:
  - image: "{{ image }}"
    runtime: singularity
    cmd: "run {{ s }}"
"""


@pytest.fixture
def template(repo: Path) -> Path:
    write(repo, "s\na\nb\n", "templates/points.csv")
    return write(repo, TEMPLATE, "templates/t.yaml")


def test_template_settings_are_defaults(repo: Path, template: Path) -> None:
    documents = ok(write(repo, "promspec:\n  template: ../templates/t.yaml\n", "specs/a.yaml"))
    assert names(documents) == ["t-a", "t-b"]  # rows file relative to the template
    assert documents[0]["tasks"][0]["image"] == "busybox"


def test_spec_params_and_sweep_override_the_template(repo: Path, template: Path) -> None:
    path = write(
        repo,
        "promspec:\n  template: ../templates/t.yaml\n  params: {cpus: 2}\n"
        "  sweep: {s: [x, y, z]}\n",
        "specs/b.yaml",
    )
    documents = ok(path)
    assert names(documents) == ["t-x", "t-y", "t-z"]
    assert {(d["resources"]["cpus"], d["tasks"][0]["image"]) for d in documents} == {(2, "busybox")}


@pytest.mark.parametrize(
    ("reference", "words"),
    [
        pytest.param("../../outside.yaml", "outside the repository", id="outside-root"),
        pytest.param("ABSOLUTE", "must be relative", id="absolute"),
        pytest.param("../templates/link.yaml", "symbolic link", id="symlink"),
        pytest.param("../templates/missing.yaml", "no such template", id="missing"),
    ],
)
def test_template_path_refusals_are_ps609(
    repo: Path, template: Path, reference: str, words: str
) -> None:
    (repo.parent / "outside.yaml").write_text("name: x\n" + TASK)
    os.symlink("t.yaml", repo / "templates" / "link.yaml")
    reference = str(template) if reference == "ABSOLUTE" else reference
    path = write(repo, f"promspec:\n  template: {reference}\n", "specs/c.yaml")
    renderer, problems = opened(path)
    assert renderer is None
    [diag] = problems
    assert where(diag) == ("PS609", 2, 13) and words in diag.message and diag.path == str(path)


def test_body_keys_next_to_a_template_are_ps607(repo: Path, template: Path) -> None:
    path = write(repo, "promspec:\n  template: ../templates/t.yaml\nname: x\n", "specs/d.yaml")
    renderer, problems = opened(path)
    assert renderer is None and [where(d) for d in problems] == [("PS607", 3, 7)]
    assert '"name" belongs in the template' in problems[0].message


def test_problems_in_a_template_body_are_located_in_the_template(
    repo: Path, template: Path
) -> None:
    bad = write(repo, TEMPLATE.replace("{{ image }}", "{{ imagee }}"), "templates/bad.yaml")
    documents, diagnostics = run(
        write(repo, "promspec:\n  template: ../templates/bad.yaml\n", "specs/e.yaml")
    )
    assert documents == []
    [diag] = diagnostics
    assert where(diag) == ("PS602", 9, 12) and diag.path == str(bad)


# -- files --------------------------------------------------------------------------------
READER = """\
promspec:
  params: {script: scripts/run.sh}
name: x
resources: {cpus: 1, memory: 1, disk: 10}
inputs:
  - filename: run.sh
    content: "{{ read_file_b64(script) }}"
    executable: true
tasks:
  - image: busybox
    runtime: singularity
    cmd: "{{ read_file('scripts/cmd.txt') | trim }}"
"""


def test_read_file_b64_into_inputs_decodes_to_the_file(repo: Path) -> None:
    payload = b"#!/bin/sh\necho \xc3\xa9 ok\r\n\tdone\n"
    write(repo, "", "scripts/run.sh").write_bytes(payload)
    write(repo, "./run.sh --fast\n", "scripts/cmd.txt")
    [document] = ok(write(repo, READER))
    assert base64.b64decode(document["inputs"][0]["content"], validate=True) == payload
    assert document["tasks"][0]["cmd"] == "./run.sh --fast"


@pytest.mark.parametrize(
    ("script", "words"),
    [
        pytest.param("../secret.txt", "outside the repository", id="dot-dot"),
        pytest.param("ABSOLUTE", "absolute path", id="absolute"),
    ],
)
def test_reading_outside_the_root_is_ps609_at_the_spec_line(
    repo: Path, script: str, words: str
) -> None:
    secret = repo.parent / "secret.txt"
    secret.write_text("secret")
    write(repo, "x\n", "scripts/cmd.txt")
    script = str(secret) if script == "ABSOLUTE" else script
    path = write(repo, READER.replace("scripts/run.sh}", f"{script}}}"))
    documents, diagnostics = run(path)
    assert documents == []
    [diag] = diagnostics
    assert where(diag) == ("PS609", 7, 14) and words in diag.message
    assert diag.path == str(path) and diag.pointer == "/inputs/0/content"


# -- promspec validate on templated specs -------------------------------------------------
CHECKED = """\
promspec:
  MAX
  sweep:
    n: {start: 1, end: END, step: 1}
name: x
resources:
  cpus: "{{ 0 if n == 8 else 1 }}"
  memory: 1
  disk: 10
tasks:
  - image: busybox
    runtime: singularity
    cmd: "run {{ n }}"
"""


def check(path: Path) -> list[Diagnostic]:
    return check_templated(load(path).documents[0]).diagnostics


def test_check_templated_reports_a_failing_point(repo: Path) -> None:
    path = write(repo, CHECKED.replace("  MAX\n", "").replace("END", "10"))
    [diag] = check(path)
    assert where(diag) == ("PS205", 6, 9)
    assert "fails for 1 of 10 points, first at index 7: n=8" in diag.message


@pytest.mark.parametrize(
    ("limit", "end", "shown"),
    [
        pytest.param(
            "",
            "1000000000",
            "1,000,000,000 points, more than max_points (1,000,000)",
            id="default-limit-1e9",
        ),
        pytest.param("max_points: 5", "10", "10 points, more than max_points (5)", id="own-limit"),
    ],
)
def test_check_templated_refuses_more_than_max_points_at_once(
    repo: Path, limit: str, end: str, shown: str
) -> None:
    path = write(repo, CHECKED.replace("MAX", limit).replace("END", end))
    started = time.monotonic()
    diagnostics = check(path)
    assert time.monotonic() - started < 2
    [diag] = diagnostics
    assert diag.code == "PS604" and diag.is_error and shown in diag.message


def test_read_file_in_a_template_body_is_relative_to_the_template(repo: Path) -> None:
    write(repo, "echo hi\n", "templates/run.sh")
    write(
        repo,
        "name: t\n"
        + TASK.replace(
            "runtime: singularity",
            "runtime: singularity\n"
            "inputs: [{filename: run.sh, content: \"{{ read_file_b64('run.sh') }}\"}]",
        ),
        "templates/t.yaml",
    )
    spec = write(repo, "promspec:\n  template: ../templates/t.yaml\n", "specs/s.yaml")
    [document] = ok(spec)
    assert base64.b64decode(document["inputs"][0]["content"]) == b"echo hi\n"
