"""What CI and spec-repository users expect of `promspec validate`: repository
configuration (`[tool.promspec]`, `.promspec.yaml`), `--exclude`, `--ignore`, `--strict`,
`-q`, a pre-commit hook that checks only spec files, and README snippets that work."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from prominence_spec.validation.config import Config, ConfigProblem, find_config, with_options
from prominence_spec.validation.paths import BUILTIN_EXCLUDE, Selection, select_paths
from prominence_spec.validation.patterns import compile_pattern, pattern_problem

from cli_support import promspec

ROOT = Path(__file__).resolve().parent.parent
PROMSPEC = [sys.executable, "-m", "prominence_spec"]

VALID = """\
name: ok
resources: {cpus: 1, memory: 1, disk: 10}
tasks:
  - image: busybox
    runtime: singularity
    cmd: echo hi
"""
NO_DISK = VALID.replace(", disk: 10", "")  # PS401, an error
WARNING_ONLY = VALID.replace("cpus: 1, ", "cpusRange: [4, 2], ")  # PS209, a warning


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``promspec ARGS`` in this process (cli_support): what the options and the
    configuration do does not depend on the process."""
    return promspec(*args, cwd=cwd)


def run_process(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``promspec ARGS`` as a process of its own, as a hook or a CI step runs it."""
    return subprocess.run([*PROMSPEC, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    (folder / ".git").mkdir(parents=True)
    return folder


# --- patterns -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "matched"),
    [
        ("specs/**", "specs/a.yaml", True),
        ("specs/**", "specs/deep/a.yaml", True),
        ("specs/**", "other/specs/a.yaml", False),
        ("specs", "other/specs/a.yaml", True),  # no slash: any depth, as in .gitignore
        ("/specs", "other/specs/a.yaml", False),
        ("values/", "values/prod.yaml", True),
        ("values/", "values", False),  # a trailing slash: folders only
        ("*.values.yaml", "deep/x/prod.values.yaml", True),
        ("*.yaml", "a/b.yml", False),
        ("**/rows/*.yaml", "a/b/rows/r.yaml", True),
        ("**/rows/*.yaml", "rows/r.yaml", True),
        ("a/**/b.yaml", "a/b.yaml", True),
        ("a/**/b.yaml", "a/x/y/b.yaml", True),
        ("spec?.yaml", "spec1.yaml", True),
        ("spec[0-9].yaml", "spec7.yaml", True),
        ("spec[!0-9].yaml", "spec7.yaml", False),
        ("spec[.yaml", "spec[.yaml", True),  # never closed: a literal [
        (".*", ".github/workflows/ci.yaml", True),
        (".*", "specs/.hidden.yaml", True),
        (".*", "specs/a.yaml", False),
    ],
)
def test_gitignore_style_patterns(pattern: str, path: str, matched: bool) -> None:
    assert compile_pattern(pattern).matches(path) is matched


@pytest.mark.parametrize("pattern", ["", "/", "!specs/keep.yaml", "specs\\a.yaml"])
def test_unusable_patterns_say_why(pattern: str) -> None:
    assert pattern_problem(pattern)


# --- finding and reading the configuration -------------------------------------------------


def test_pyproject_table(repo: Path) -> None:
    write(
        repo,
        "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.promspec]\n'
        'include = ["specs/**"]\nexclude = ["specs/values/"]\nignore = ["PS505"]\n'
        "strict = true\n",
    )
    (repo / "specs").mkdir()
    config = find_config(repo / "specs")
    assert config == Config(
        root=repo.resolve(),
        source=repo.resolve() / "pyproject.toml",
        include=("specs/**",),
        exclude=("specs/values/",),
        ignore=("PS505",),
        strict=True,
    )


def test_promspec_yaml(repo: Path) -> None:
    write(repo, ".promspec.yaml", "include: [specs/**]\nstrict: false\n")
    config = find_config(repo)
    assert isinstance(config, Config)
    assert config.source == repo.resolve() / ".promspec.yaml"
    assert config.include == ("specs/**",) and config.strict is False


def test_yaml_wins_over_pyproject_with_a_note(repo: Path) -> None:
    write(repo, ".promspec.yaml", "strict: true\n")
    write(repo, "pyproject.toml", "[tool.promspec]\nstrict = false\n")
    config = find_config(repo)
    assert isinstance(config, Config) and config.strict is True
    assert any("[tool.promspec] in pyproject.toml is ignored" in n for n in config.notes)


def test_walks_up_to_the_repository_root(repo: Path) -> None:
    write(repo, ".promspec.yaml", "ignore: [PS401]\n")
    write(repo, "sub/pyproject.toml", '[project]\nname = "sub"\n')  # no table: passed over
    (repo / "sub" / "deeper").mkdir()
    config = find_config(repo / "sub" / "deeper")
    assert isinstance(config, Config)
    assert config.root == repo.resolve() and config.ignore == ("PS401",)


def test_stops_at_git(repo: Path) -> None:
    write(repo.parent, ".promspec.yaml", "strict: true\n")  # above the repository: not read
    assert find_config(repo) == Config(root=repo.resolve())


def test_an_empty_yaml_file_is_no_settings(repo: Path) -> None:
    write(repo, ".promspec.yaml", "# nothing yet\n")
    config = find_config(repo)
    assert isinstance(config, Config) and config.include == () and not config.strict


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            ".promspec.yaml",
            "excludes: [x]\n",
            ".promspec.yaml:1:1: unknown key 'excludes' (did you mean `exclude`?)",
        ),
        (
            ".promspec.yaml",
            "include: [a]\nstrict: yes\n",
            ".promspec.yaml:2:1: strict must be true or false, not 'yes'",
        ),
        (".promspec.yaml", "exclude: specs\n", "exclude must be a list of strings"),
        (".promspec.yaml", "exclude: ['!x']\n", "negated patterns"),
        (
            ".promspec.yaml",
            "ignore: [PS9011]\n",
            "ignore: unknown code 'PS9011' (did you mean `PS901`?)",
        ),
        (".promspec.yaml", "include: [a\n", ".promspec.yaml:2:1: YAML syntax error"),
        (".promspec.yaml", "- a\n", "must be a mapping"),
        (".promspec.yaml", "strict: true\n---\nstrict: false\n", "one YAML document"),
        (".promspec.yaml", "strict: !!python/object:os.system x\n", "unsupported tag"),
        (
            "pyproject.toml",
            "[tool.promspec]\nstrict = 1\n",
            "pyproject.toml: [tool.promspec]: strict must be true or false, not 1",
        ),
        ("pyproject.toml", "[tool.promspec]\nincluded = []\n", "unknown key 'included'"),
        ("pyproject.toml", "[tool.promspec\n", "pyproject.toml: TOML syntax error"),
        ("pyproject.toml", "[tool]\npromspec = 3\n", "[tool.promspec] must be a table"),
    ],
)
def test_bad_configuration_is_exit_2_naming_the_file(
    repo: Path, name: str, text: str, expected: str
) -> None:
    write(repo, name, text)
    write(repo, "ok.yaml", VALID)
    found = find_config(repo)
    assert isinstance(found, list) and all(isinstance(p, ConfigProblem) for p in found)
    result = run(repo, "validate", "ok.yaml")
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in result.stderr
    assert result.stderr.startswith(f"promspec: {name}")
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_every_problem_of_the_file_at_once(repo: Path) -> None:
    write(repo, ".promspec.yaml", "foo: 1\nstrict: maybe\n")
    result = run(repo, "validate", ".")
    assert result.returncode == 2
    assert "unknown key 'foo'" in result.stderr and "strict must be" in result.stderr


def test_options_add_to_and_override_the_file() -> None:
    config = Config(root=Path("/r"), exclude=("a/",), ignore=("PS401",), strict=True)
    merged = with_options(config, exclude=["b/"], ignore=["PS505"], strict=False)
    assert merged == Config(
        root=Path("/r"), exclude=("a/", "b/"), ignore=("PS401", "PS505"), strict=False
    )
    assert with_options(config) == config
    assert with_options(config, ignore=["PS9011"]) == (
        "--ignore: unknown code 'PS9011' (did you mean `PS901`?)"
    )
    assert "negated" in str(with_options(config, exclude=["!x"]))


# --- the options on the command line --------------------------------------------------------


@pytest.mark.parametrize(
    "args", [["--ignore", "PS9011"], ["--ignore", "ps401x"], ["--exclude", "!x"], ["--exclude", ""]]
)
def test_bad_option_values_are_usage_errors(repo: Path, args: list[str]) -> None:
    write(repo, "ok.yaml", VALID)
    result = run(repo, "validate", *args, "ok.yaml")
    assert result.returncode == 2 and result.stderr.startswith("promspec: --"), result.stderr


def test_ignore_drops_a_code(repo: Path) -> None:
    write(repo, "job.yaml", NO_DISK)
    assert run(repo, "validate", "job.yaml").returncode == 1
    result = run(repo, "validate", "--ignore", "PS401", "job.yaml")
    assert result.returncode == 0, result.stdout
    assert "PS401" not in result.stdout


def test_ignore_from_the_file(repo: Path) -> None:
    write(repo, "pyproject.toml", '[tool.promspec]\nignore = ["PS401"]\n')
    write(repo, "job.yaml", NO_DISK)
    assert run(repo, "validate", "job.yaml").returncode == 0


def test_strict_makes_warnings_fail(repo: Path) -> None:
    write(repo, "job.yaml", WARNING_ONLY)
    plain = run(repo, "validate", "job.yaml")
    assert plain.returncode == 0 and "warning[PS209]" in plain.stdout
    strict = run(repo, "validate", "--strict", "job.yaml")
    assert strict.returncode == 1
    assert "error[PS209]" in strict.stdout and "1 error, 0 warnings" in strict.stdout
    report = run(repo, "validate", "--strict", "-f", "json", "job.yaml")
    assert '"valid": false' in report.stdout


def test_strict_from_the_file_and_no_strict_overrides(repo: Path) -> None:
    write(repo, ".promspec.yaml", "strict: true\n")
    write(repo, "job.yaml", WARNING_ONLY)
    assert run(repo, "validate", "job.yaml").returncode == 1
    assert run(repo, "validate", "--no-strict", "job.yaml").returncode == 0


def test_quiet_prints_nothing_when_all_valid(repo: Path) -> None:
    write(repo, "ok.yaml", VALID)
    result = run(repo, "validate", "-q", "ok.yaml")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_quiet_prints_only_the_problems(repo: Path) -> None:
    write(repo, "ok.yaml", VALID)
    write(repo, "bad.yaml", NO_DISK)
    result = run(repo, "validate", "--quiet", "ok.yaml", "bad.yaml")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("bad.yaml:") and "error[PS401]" in lines[0]
    assert not any("file" in line and "error" in line and " in " in line for line in lines)
    assert "valid" not in result.stdout
    github = run(repo, "validate", "-q", "-f", "github", "ok.yaml", "bad.yaml")
    assert all(line.startswith("::") for line in github.stdout.splitlines())


def test_exclude_option(repo: Path) -> None:
    write(repo, "specs/ok.yaml", VALID)
    write(repo, "specs/values/prod.yaml", "image: centos\n")
    assert run(repo, "validate", "specs").returncode == 1
    result = run(repo, "validate", "--exclude", "values/", "specs")
    assert result.returncode == 0, result.stdout
    assert "1 file valid" in result.stdout


def test_patterns_are_relative_to_the_root_from_a_subfolder(repo: Path) -> None:
    write(repo, ".promspec.yaml", "exclude: [/specs/values/]\n")
    write(repo, "specs/ok.yaml", VALID)
    write(repo, "specs/values/prod.yaml", "image: centos\n")
    result = run(repo / "specs", "validate", ".", "values/prod.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 file valid" in result.stdout


def test_skipped_named_files_are_said_on_stderr(repo: Path) -> None:
    write(repo, ".promspec.yaml", "include: [specs/**]\n")
    write(repo, "specs/ok.yaml", VALID)
    write(repo, "values/prod.yaml", "image: centos\n")
    result = run(repo, "validate", "specs/ok.yaml", "values/prod.yaml")
    assert result.returncode == 0
    assert "skipped 1 file" in result.stderr and "-v lists them" in result.stderr
    verbose = run(repo, "validate", "-v", "specs/ok.yaml", "values/prod.yaml")
    assert "skipped values/prod.yaml: matches no include pattern" in verbose.stderr
    assert run(repo, "validate", "-q", "specs/ok.yaml", "values/prod.yaml").stderr == ""


def test_files_outside_the_root_are_always_checked(repo: Path, tmp_path: Path) -> None:
    write(repo, ".promspec.yaml", "include: [specs/**]\n")
    outside = write(tmp_path, "outside/bad.yaml", NO_DISK)
    assert run(repo, "validate", str(outside)).returncode == 1


def test_stdin_is_always_checked(repo: Path) -> None:
    write(repo, ".promspec.yaml", "include: [specs/**]\n")
    result = subprocess.run(
        [*PROMSPEC, "validate", "-"],
        cwd=repo,
        input=NO_DISK,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1


def test_a_folder_whose_specs_are_all_excluded_is_not_an_error(repo: Path) -> None:
    write(repo, "values/prod.yaml", "image: centos\n")
    result = run(repo, "validate", "--exclude", "values/", "values")
    assert result.returncode == 0 and "0 files valid" in result.stdout
    assert "skipped 1 file" in result.stderr
    empty = repo / "empty"
    empty.mkdir()
    assert run(repo, "validate", "empty").returncode == 2  # a wrong path still fails


# --- the pre-commit hook checks only spec files --------------------------------------------

DECOYS = {
    ".github/workflows/ci.yaml": "name: ci\non: [push]\njobs:\n  test:\n    runs-on: x\n",
    ".github/dependabot.yml": "version: 2\nupdates: []\n",
    ".pre-commit-config.yaml": "repos:\n  - repo: local\n    hooks: []\n",
    ".pre-commit-hooks.yaml": "- id: x\n  name: x\n  entry: x\n  language: system\n",
    ".gitlab-ci.yml": "test:\n  script: [echo]\n",
    ".promspec.yaml": "exclude: [values/]\n",
    "docker-compose.yml": "services:\n  web: {image: nginx}\n",
    "compose.yaml": "services:\n  web: {image: nginx}\n",
    "mkdocs.yml": "site_name: x\n",
    "package.json": '{"name": "x"}\n',
    "values/prod.yaml": "image: centos:7\ncpus: 2\n",
}


def _spec_repository(folder: Path) -> Path:
    (folder / ".git").mkdir(parents=True, exist_ok=True)
    write(folder, "specs/job.yaml", VALID)
    write(
        folder,
        "specs/sweep.yaml",
        "promspec:\n  sweep:\n    n: [1, 2]\n" + VALID.replace("name: ok", 'name: "ok-{{ n }}"'),
    )
    for name, text in DECOYS.items():
        write(folder, name, text)
    return folder


def _hook() -> dict[str, object]:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hook, dict)
    return hook


def _files_pre_commit_passes(folder: Path, hook: dict[str, object]) -> list[str]:
    """As pre-commit selects them: every file, by the hook's files and exclude patterns."""
    every = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(folder).parts[:1]
    )
    files, exclude = str(hook["files"]), str(hook.get("exclude", "^$"))
    return [f for f in every if re.search(files, f) and not re.search(exclude, f)]


def test_hook_passes_only_spec_files(tmp_path: Path) -> None:
    folder = _spec_repository(tmp_path / "repo")
    assert _files_pre_commit_passes(folder, _hook()) == [
        "specs/job.yaml",
        "specs/sweep.yaml",
        "values/prod.yaml",
    ]


def test_hook_entry_checks_only_spec_files(tmp_path: Path) -> None:
    """The hook's entry as pre-commit runs it: from the root, with the files it selects."""
    folder = _spec_repository(tmp_path / "repo")
    hook = _hook()
    entry = str(hook["entry"]).split()
    assert entry[0] == "promspec"
    files = _files_pre_commit_passes(folder, hook)
    result = run_process(folder, *entry[1:], *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 files valid (2 documents" in result.stdout


def test_every_file_named_still_checks_only_specs(tmp_path: Path) -> None:
    """A user's own `files:`/`exclude:` override the hook's; promspec still leaves
    well-known non-spec files and the configured excludes alone."""
    folder = _spec_repository(tmp_path / "repo")
    every = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*.*")
        if p.is_file() and p.suffix in (".yaml", ".yml", ".json")
    )
    result = run(folder, "validate", *every)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 files valid (2 documents" in result.stdout
    assert "skipped" in result.stderr


def test_include_restricts_named_files(tmp_path: Path) -> None:
    folder = _spec_repository(tmp_path / "repo")
    write(folder, ".promspec.yaml", "include: ['specs/**']\n")
    write(folder, "other/notes.yaml", "hello: world\n")
    result = run(folder, "validate", "specs/job.yaml", "other/notes.yaml", "values/prod.yaml")
    assert result.returncode == 0, result.stdout
    assert "1 file valid" in result.stdout


@pytest.mark.parametrize(
    "path",
    [
        *DECOYS,
        "specs/job.yaml",
        "specs/.x/a.yaml",
        "a/docker-compose.override.yml",
        "node_modules/x/a.json",
        "compose.prod.yaml",
        "composer.yaml",
        "specs/package.yaml",
    ],
)
def test_hook_exclude_agrees_with_the_built_in_excludes(path: str) -> None:
    hook_skips = bool(re.search(str(_hook()["exclude"]), path))
    selection = Selection(root=Path("/r"))
    built_in = selection.skip_reason(f"/r/{path}") is not None
    assert hook_skips is built_in or path == "values/prod.yaml", path
    assert built_in is (
        path not in ("values/prod.yaml", "specs/job.yaml", "composer.yaml", "specs/package.yaml")
    )


def test_built_in_excludes_are_documented() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = [p for p in BUILTIN_EXCLUDE if f"`{p}`" not in text]
    assert not missing


def test_select_paths_without_a_selection_keeps_everything(tmp_path: Path) -> None:
    folder = _spec_repository(tmp_path / "repo")
    named = [str(folder / ".github/workflows/ci.yaml")]
    assert select_paths(named, None).paths == named


PRE_COMMIT = shutil.which("pre-commit")
PROMSPEC_SOURCE = (
    "pyproject.toml",
    "README.md",
    ".pre-commit-hooks.yaml",
    "prominence_spec",
    "schemas",
    "templates",
)


def _git(folder: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _promspec_clone(folder: Path) -> tuple[Path, str]:
    """The working tree's promspec as a git repository, as a clone would have it."""
    folder.mkdir(parents=True)
    for name in PROMSPEC_SOURCE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, folder / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copyfile(source, folder / name)
    _git(folder, "init", "-q")
    _git(folder, "add", "-A")
    _git(folder, "commit", "-q", "-m", "promspec")
    return folder, _git(folder, "rev-parse", "HEAD")


def _readme_block(heading: str, language: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(rf"```{language}\n(.*?)```", section, re.S)
    return str(block)


def test_readme_pre_commit_snippet_installs_from_a_clone() -> None:
    text = _readme_block("In pre-commit", "yaml")
    (repo,) = yaml.safe_load(text)["repos"]
    assert repo["repo"] == "local"  # no rev of a repository that may not exist
    (hook,) = repo["hooks"]
    published = _hook()
    assert {k: hook[k] for k in ("id", "entry", "language")} == {
        k: published[k] for k in ("id", "entry", "language")
    }
    assert hook["additional_dependencies"] == ["/path/to/promspec"]
    assert "github.com" not in text and "rev:" not in text


def test_readme_actions_example_installs_from_the_checkout() -> None:
    workflow = yaml.safe_load(_readme_block("In GitHub Actions", "yaml"))
    runs = [s["run"] for s in workflow["jobs"]["validate"]["steps"] if "run" in s]
    assert runs[0] == "pip install ."
    assert not any("pip install promspec" in r for r in runs)


@pytest.mark.slow
def test_readme_actions_example_commands_run(tmp_path: Path) -> None:
    workflow = yaml.safe_load(_readme_block("In GitHub Actions", "yaml"))
    runs = [s["run"] for s in workflow["jobs"]["validate"]["steps"] if "run" in s][1:]
    folder = tmp_path / "checkout"
    for name in ("specs", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    (folder / ".git").mkdir()
    for command in runs:
        args = command.split()
        assert args[0] == "promspec", command
        result = run_process(folder, *args[1:])
        assert result.returncode == 0, command + result.stdout + result.stderr


@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed (optional)")
def test_real_pre_commit_run_with_the_readme_snippet(tmp_path: Path) -> None:
    """pre-commit itself, with the README's snippet pointing at a clone of this tree: it
    installs the hook from the clone and checks only the spec files, then fails on a bad one."""
    clone, _ = _promspec_clone(tmp_path / "promspec")
    folder = _spec_repository(tmp_path / "specs-repo")
    shutil.rmtree(folder / ".git")
    snippet = _readme_block("In pre-commit", "yaml").replace("/path/to/promspec", str(clone))
    write(folder, ".pre-commit-config.yaml", snippet)
    _git(folder, "init", "-q")
    _git(folder, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    env.pop("VIRTUAL_ENV", None)

    def pre_commit() -> subprocess.CompletedProcess[str]:
        assert PRE_COMMIT is not None
        return subprocess.run(
            [PRE_COMMIT, "run", "--all-files", "--verbose"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    passed = pre_commit()
    if passed.returncode != 0 and "An unexpected error has occurred" in passed.stdout:
        pytest.skip(f"pre-commit could not install the hook here: {passed.stdout[-400:]}")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "2 files valid (2 documents" in passed.stdout
    write(folder, "specs/job.yaml", NO_DISK)
    _git(folder, "add", "-A")
    failed = pre_commit()
    assert failed.returncode == 1, failed.stdout
    assert "specs/job.yaml:2:1: error[PS401]" in failed.stdout


@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed (optional)")
def test_real_pre_commit_try_repo(tmp_path: Path) -> None:
    """`pre-commit try-repo` with a clone of this tree: the published hook's own files and
    exclude patterns, on a repository full of YAML that is not a spec."""
    clone, rev = _promspec_clone(tmp_path / "promspec")
    folder = _spec_repository(tmp_path / "specs-repo")
    shutil.rmtree(folder / ".git")
    _git(folder, "init", "-q")
    _git(folder, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    env.pop("VIRTUAL_ENV", None)
    assert PRE_COMMIT is not None
    result = subprocess.run(
        [
            PRE_COMMIT,
            "try-repo",
            str(clone),
            "promspec-validate",
            "--ref",
            rev,
            "--all-files",
            "--verbose",
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0 and "An unexpected error has occurred" in result.stdout:
        pytest.skip(f"pre-commit could not install the hook here: {result.stdout[-400:]}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 files valid (2 documents" in result.stdout
