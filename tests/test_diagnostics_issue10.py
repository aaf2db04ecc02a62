"""Diagnostics that say what is wrong and where (issue 10), each through both
`promspec validate` and `promspec render`, which must report the same."""

from __future__ import annotations

from pathlib import Path

from cli_support import promspec
from support import write

JOB_TAIL = """\
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: busybox
    runtime: singularity
"""


def reported(repo: Path, *args: str, name: str = "spec.yaml") -> list[str]:
    """The diagnostic lines of `validate` (without its summary), checked to be what
    `render` writes to stderr (validate sorts them by place, render gives them as found),
    and both exit codes to agree."""
    validated = promspec("validate", name, *args, cwd=repo)
    rendered = promspec("render", name, *args, "-f", "jsonl", cwd=repo)
    lines = validated.stdout.splitlines()[:-1]
    assert sorted(_entries(rendered.stderr.splitlines()[:-1])) == sorted(_entries(lines))
    assert validated.returncode == rendered.returncode
    return lines


def _entries(lines: list[str]) -> list[tuple[str, ...]]:
    """Each diagnostic with its hint and context lines."""
    entries: list[list[str]] = []
    for line in lines:
        if line.startswith(" ") and entries:
            entries[-1].append(line)
        else:
            entries.append([line])
    return [tuple(entry) for entry in entries]


# -- a float range whose end is not reached exactly -------------------------------------


FLOAT_RANGE = (
    """\
promspec:
  sweep:
    x: {start: 0, end: 0.3, step: 0.1}
name: "job-{{ x }}"
"""
    + JOB_TAIL
    + "    cmd: echo {{ x }}\n"
)


def test_a_float_range_short_of_its_end_warns_naming_the_last_value(repo: Path) -> None:
    write(repo, FLOAT_RANGE)
    assert reported(repo) == [
        "spec.yaml:3:24: warning[PS613] the range 'x' stops at 0.2, not at its end 0.3: the "
        "next value, 0.30000000000000004, is greater than 0.3 (at /promspec/sweep/x/end)",
        "  hint: to include 0.3, set end a little past it (end: 0.35), or list the values",
    ]
    rendered = promspec("render", "spec.yaml", "-f", "jsonl", cwd=repo)
    assert rendered.returncode == 0
    assert [line.count("echo ") for line in rendered.stdout.splitlines()] == [1, 1, 1]
    assert '"echo 0.2"' in rendered.stdout and "0.3" not in rendered.stdout


def test_the_factory_the_warned_range_compiles_to_gives_the_same_points(repo: Path) -> None:
    write(repo, FLOAT_RANGE.replace('name: "job-{{ x }}"', "name: job"))
    factory = promspec("render", "spec.yaml", "--mode", "factory", cwd=repo)
    assert factory.returncode == 0 and "PS613" in factory.stderr
    assert '"end": 0.3' in factory.stdout  # the server counts it to the same 3 values


# -- a settings error does not hide the body's errors; every bad read_file is reported ---


MISSPELLED_PARAMS = """\
promspec:
  parms: {cpus: 2}
name: job
resources: {cpus: "{{ cpus }}", memory: 1, disk: 10, gpus: 1}
tasks:
  - image: busybox
    runtime: singularity
"""


def test_a_misspelled_setting_is_reported_with_the_bodys_errors(repo: Path) -> None:
    write(repo, MISSPELLED_PARAMS)
    lines = reported(repo)
    assert lines[:2] == [
        'spec.yaml:2:3: error[PS607] unknown promspec setting "parms" (at /promspec/parms)',
        "  hint: did you mean `params`?",
    ]
    # read as params, so cpus is defined and the body's own error is found
    assert lines[2].startswith("spec.yaml:4:54: error[PS201] unknown key")
    assert not any("PS602" in line for line in lines)


def test_a_spec_with_a_settings_error_renders_nothing(repo: Path) -> None:
    write(repo, MISSPELLED_PARAMS.replace(", gpus: 1", ""))
    rendered = promspec("render", "spec.yaml", cwd=repo)
    assert rendered.returncode == 1 and rendered.stdout == ""
    assert "PS607" in rendered.stderr and "1 error" in rendered.stderr


def test_other_bad_settings_are_read_as_defaults_and_the_body_checked(repo: Path) -> None:
    text = MISSPELLED_PARAMS.replace("parms:", "params:").replace(
        "promspec:\n", "promspec:\n  expand: job\n  max_points: 0\n  nonsense: 1\n"
    )
    write(repo, text)
    codes = [line.split()[1] for line in reported(repo) if not line.startswith(" ")]
    assert codes == ["error[PS607]"] * 3 + ["error[PS201]"]


def test_every_bad_read_file_is_reported_not_only_the_first(repo: Path) -> None:
    write(
        repo,
        """\
promspec: {}
name: "job-{{ read_file('missing1.txt') }}"
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: "{{ read_file('missing2.txt') }}"
    runtime: singularity
    cmd: "{{ read_file('../outside.sh') }}"
""",
    )
    lines = [line for line in reported(repo) if not line.startswith(" ")]
    assert [line.split(" error")[0] for line in lines] == [
        "spec.yaml:2:7:",
        "spec.yaml:5:12:",
        "spec.yaml:7:10:",
    ]
    assert "'missing1.txt' does not exist" in lines[0]
    assert "'missing2.txt' does not exist" in lines[1]
    assert "'../outside.sh' leads outside the repository" in lines[2]


def test_a_bad_read_file_in_a_sweep_is_grouped_per_place(repo: Path) -> None:
    write(
        repo,
        """\
promspec:
  sweep: {n: [1, 2]}
name: "job-{{ n }}"
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: "{{ read_file('missing.txt') }}"
    runtime: singularity
    cmd: "{{ read_file('in-' ~ n ~ '.sh') }}"
""",
    )
    (repo / "in-1.sh").write_text("run 1\n")
    lines = [line for line in reported(repo) if not line.startswith(" ")]
    assert len(lines) == 2
    assert "'missing.txt' does not exist (fails for all 2 points" in lines[0]
    assert "'in-2.sh' does not exist (fails for 1 of 2 points, first at index 1: n=2)" in lines[1]


# -- undefined variables: a sweep parameter out of reach, and no far-fetched suggestion ---


SCATTER_GATHER = """\
promspec:
  expand: workflow
  params: {image: busybox}
  sweep:
    frame: [1, 2]
  workflow:
    name: study
    setup:
      resources: {cpus: 1, memory: 1, disk: 10}
      tasks:
        - image: busybox
          runtime: singularity
          cmd: split {{ parts }}
    gather:
      resources: {cpus: 1, memory: 1, disk: 10}
      tasks:
        - image: busybox
          runtime: singularity
          cmd: merge {{ frame }}
name: "work-{{ frame }}"
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: "{{ image }}"
    runtime: singularity
    cmd: run {{ frame }}
"""


def test_a_sweep_parameter_in_the_gather_job_says_it_is_out_of_reach(repo: Path) -> None:
    write(repo, SCATTER_GATHER)
    lines = reported(repo)
    gather = lines.index(
        'spec.yaml:19:16: error[PS602] "frame" is a sweep parameter, which the gather job '
        "cannot use: the gather job runs once, after the point jobs "
        "(at /promspec/workflow/gather/tasks/0/cmd)"
    )
    assert lines[gather + 1] == (
        "  hint: use frame in the body, which is rendered once per point; the gather job sees "
        "promspec.params, --values and --set"
    )
    assert not any("did you mean `range`" in line for line in lines)


def test_the_setup_and_gather_jobs_are_both_checked(repo: Path) -> None:
    write(repo, SCATTER_GATHER)
    lines = reported(repo)
    assert lines[:2] == [
        'spec.yaml:13:16: error[PS602] "parts" is undefined '
        "(at /promspec/workflow/setup/tasks/0/cmd)",
        "  hint: define it under promspec.params, in --values or with --set parts=...",
    ]
    assert sum("error[PS602]" in line for line in lines) == 2


def test_an_undefined_name_without_a_close_match_gets_the_define_it_hint(repo: Path) -> None:
    write(
        repo,
        """\
promspec:
  params: {image: busybox}
name: job
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: "{{ imag }}"
    runtime: singularity
    cmd: render {{ frame }}
""",
    )
    assert reported(repo) == [
        'spec.yaml:6:12: error[PS602] "imag" is undefined (at /tasks/0/image)',
        "  hint: did you mean `image`?",
        'spec.yaml:8:10: error[PS602] "frame" is undefined (at /tasks/0/cmd)',
        "  hint: define it under promspec.params, in --values or with --set frame=...",
    ]


# -- a value from promspec.params, --values or --set says where it was defined ----------


def test_a_value_inside_a_mapping_parameter_says_where_it_was_defined(repo: Path) -> None:
    write(
        repo,
        """\
promspec:
  params:
    res:
      cpus: 2.0
      memory: 1
      disk: 10
name: job
resources: "{{ res }}"
tasks:
  - image: busybox
    runtime: singularity
""",
    )
    [error, _] = reported(repo)
    assert error.startswith("spec.yaml:8:12: error[PS204] expected an integer, got 2.0")
    assert "(value 2.0 from promspec.params.res.cpus at 4:13) (at /resources/cpus)" in error
    [error, _] = reported(repo, "--set", "res={cpus: 3.0, memory: 1, disk: 10}")
    assert "(value 3.0 from --set res) (at /resources/cpus)" in error


def test_a_value_used_by_the_workflow_settings_says_where_it_was_defined(repo: Path) -> None:
    write(
        repo,
        """\
promspec:
  expand: workflow
  params:
    keep: yes
  sweep: {n: [1, 2]}
  workflow:
    policies: {leaveInQueue: "{{ keep }}"}
name: "job-{{ n }}"
"""
        + JOB_TAIL,
    )
    assert reported(repo) == [
        "spec.yaml:7:30: error[PS203] expected true or false, got 'yes' (value \"yes\" from "
        "promspec.params.keep at 4:11) (at /promspec/workflow/policies/leaveInQueue)",
        "  hint: YAML 1.2 reads yes as a string: write true",
    ]
    [error, _] = reported(repo, "--set", "keep=on")
    assert '(value "on" from --set keep)' in error


# -- the YAML traps: yes/no/on/off for booleans, tabs in indentation ---------------------


def test_a_tab_after_a_sequence_dash_gets_the_indent_with_spaces_hint(repo: Path) -> None:
    write(repo, "promspec: {}\nname: job\ntasks:\n  -\timage: busybox\n    runtime: singularity\n")
    [error, hint] = reported(repo)
    assert error.startswith("spec.yaml:4:4: error[PS101] YAML syntax error")
    assert hint == "  hint: indent with spaces: YAML does not allow tabs there"


def test_yes_from_set_where_a_boolean_is_expected_gets_the_yaml_hint(repo: Path) -> None:
    write(
        repo,
        """\
promspec:
  params: {executable: true}
name: job
resources: {cpus: 1, memory: 1, disk: 10}
inputs:
  - {filename: run.sh, content: ZWNobyBoaQo=, executable: "{{ executable }}"}
tasks:
  - image: busybox
    runtime: singularity
""",
    )
    assert reported(repo) == []
    [error, hint] = reported(repo, "--set", "executable=yes")
    assert "expected true or false, got 'yes' (value \"yes\" from --set executable)" in error
    assert hint == "  hint: YAML 1.2 reads yes as a string: write true"


# -- an unquoted template read as a YAML mapping is reported at its own place ------------


def test_an_unquoted_template_as_a_key_is_one_diagnostic_at_the_template(repo: Path) -> None:
    write(repo, "promspec: {params: {k: team}}\nname: job\nlabels:\n  {{ k }}: a\n" + JOB_TAIL)
    assert reported(repo) == [
        "spec.yaml:4:3: error[PS111] {{ k }} is read by YAML as a mapping, not as a template "
        "(at /labels)",
        '  hint: quote the template: "{{ k }}"',
    ]


def test_an_unquoted_template_in_a_values_file_is_located_in_that_file(repo: Path) -> None:
    write(repo, FLOAT_RANGE.replace("end: 0.3", "end: 0.35"))
    write(repo, "tag: {{ x }}\n", name="values.yaml")
    validated = promspec("validate", "spec.yaml", "--values", "values.yaml", cwd=repo)
    assert validated.returncode == 2
    assert validated.stderr == (
        "promspec: values.yaml:1:6: {{ x }} is read by YAML as a mapping, not as a template "
        '(quote the template: "{{ x }}")\n'
    )
    rendered = promspec("render", "spec.yaml", "--values", "values.yaml", cwd=repo)
    assert rendered.returncode == 2
    assert rendered.stderr.startswith("values.yaml:1:6: error[PS111] {{ x }} is read by YAML")


def test_every_bad_file_one_value_reads_is_reported(repo: Path) -> None:
    write(
        repo,
        "promspec: {}\nname: job\n"
        + JOB_TAIL
        + "    cmd: \"{{ read_file('a.sh') }} {{ read_file('ok.sh') }} "
        "{{ read_file_b64('b.sh') }}\"\n",
    )
    (repo / "ok.sh").write_text("true\n")
    lines = [line for line in reported(repo) if not line.startswith(" ")]
    assert lines == [
        "spec.yaml:7:10: error[PS609] file 'a.sh' does not exist (at /tasks/0/cmd)",
        "spec.yaml:7:10: error[PS609] file 'b.sh' does not exist (at /tasks/0/cmd)",
    ]
