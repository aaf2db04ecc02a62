"""A repository's settings for ``promspec validate``: ``.promspec.yaml`` or the
``[tool.promspec]`` table of ``pyproject.toml``, read into a plain :class:`Config`.

The file is found by walking up from a folder (the current one) to the nearest folder that
holds ``.promspec.yaml``, a ``pyproject.toml`` with a ``[tool.promspec]`` table, or
``.git``; that folder is the root the patterns are relative to. When one folder holds both
files, ``.promspec.yaml`` wins and the ``[tool.promspec]`` table is ignored, with a note.

Keys (the same in both files)::

    include = ["specs/**"]        # only these files are specs (default: every file)
    exclude = ["specs/values/"]   # never these (added to the built-in excludes)
    ignore = ["PS505"]            # codes never reported
    strict = true                 # warnings fail the check (exit 1)

Nothing here raises for a bad file: problems are :class:`ConfigProblem` values.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from prominence_spec.codes import CODES
from prominence_spec.diagnostics import did_you_mean
from prominence_spec.loading.loader import load
from prominence_spec.validation.patterns import pattern_problem

CONFIG_FILE = ".promspec.yaml"
PYPROJECT = "pyproject.toml"
TABLE = "[tool.promspec]"
KEYS = ("include", "exclude", "ignore", "strict")
YAML11_BOOLEANS = frozenset({"yes", "no", "on", "off", "y", "n"})

#: where a key's value is in the file, when the format says (YAML does, TOML does not)
Locate = Callable[[tuple[str | int, ...]], "tuple[int, int] | None"]


@dataclass(frozen=True)
class Config:
    """The settings in force, and where they came from (``source`` None: no file)."""

    root: Path
    source: Path | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    strict: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConfigProblem:
    """A bad configuration file or value: ``path:line:col: message``."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        return f"{where}: {self.message}"


@dataclass
class _Reading:
    """What a settings mapping gives: the values read and the problems found."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)


def find_config(start: Path) -> Config | list[ConfigProblem]:
    """The settings for a run started in ``start`` (see the module's docstring)."""
    here = start.resolve()
    for folder in (here, *here.parents):
        found = _config_in(folder)
        if found is not None:
            return found
        if (folder / ".git").exists():
            return Config(root=folder)
    return Config(root=here)


def _config_in(folder: Path) -> Config | list[ConfigProblem] | None:
    """The settings that ``folder`` holds, or None when it holds none."""
    yaml_file, pyproject = folder / CONFIG_FILE, folder / PYPROJECT
    table = _pyproject_table(pyproject) if pyproject.is_file() else None
    if yaml_file.is_file():
        config = read_yaml_config(yaml_file, folder)
        if isinstance(config, Config) and table is not None:
            note = f"{CONFIG_FILE} wins: {TABLE} in {PYPROJECT} is ignored (keep one of them)"
            return replace(config, notes=(*config.notes, note))
        return config
    if isinstance(table, list):
        return table
    if table is None:
        return None
    return _settings(table, pyproject, folder, f"{TABLE}: ", None)


def _pyproject_table(path: Path) -> Mapping[str, Any] | list[ConfigProblem] | None:
    """``[tool.promspec]`` of a ``pyproject.toml``; None when it has none."""
    if sys.version_info >= (3, 11):  # imported here: most runs find no pyproject.toml
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return [ConfigProblem(str(path), f"cannot read: {exc.strerror}")]
    except UnicodeDecodeError:
        return [ConfigProblem(str(path), "not UTF-8 text")]
    except tomllib.TOMLDecodeError as exc:
        return [ConfigProblem(str(path), f"TOML syntax error: {exc}")]
    tool = data.get("tool")
    table = tool.get("promspec") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        return [ConfigProblem(str(path), f"{TABLE} must be a table")]
    return table


def read_yaml_config(path: Path, root: Path) -> Config | list[ConfigProblem]:
    """The settings of a ``.promspec.yaml`` (read with promspec's own safe loader)."""
    loaded = load(path)
    errors = [d for d in loaded.diagnostics if d.is_error and d.code != "PS105"]
    if errors:
        return [ConfigProblem(str(path), d.message, d.line, d.column) for d in errors]
    if not loaded.documents:  # an empty file: no settings
        return Config(root=root, source=path)
    if len(loaded.documents) > 1:
        return [ConfigProblem(str(path), "must hold one YAML document, a mapping")]
    (document,) = loaded.documents
    if not isinstance(document.data, dict):
        return [ConfigProblem(str(path), "must be a mapping of settings", 1, 1)]
    source = document.source
    return _settings(document.data, path, root, "", lambda at: source.locate(at, prefer_key=True))


def _settings(
    settings: Mapping[str, Any], path: Path, root: Path, prefix: str, locate: Locate | None
) -> Config | list[ConfigProblem]:
    reading = _Reading()

    def problem(key: str, message: str) -> None:
        position = locate((key,)) if locate else None
        line, column = position if position else (None, None)
        reading.problems.append(ConfigProblem(str(path), prefix + message, line, column))

    for key, value in settings.items():
        if key not in KEYS:
            hint = did_you_mean(key, KEYS)
            known = ", ".join(KEYS)
            problem(key, f"unknown key {key!r} ({hint or f'the keys are {known}'})")
            continue
        message = _check_value(key, value)
        if message:
            problem(key, message)
        else:
            reading.values[key] = tuple(value) if isinstance(value, list) else value
    if reading.problems:
        return reading.problems
    return Config(root=root, source=path, **reading.values)


def _check_value(key: str, value: Any) -> str | None:
    """Why ``value`` is not good for ``key``, or None."""
    if key == "strict":
        if isinstance(value, bool):
            return None
        yaml11 = isinstance(value, str) and value.lower() in YAML11_BOOLEANS
        hint = " (YAML 1.2 reads it as a string: write true or false)" if yaml11 else ""
        return f"strict must be true or false, not {value!r}{hint}"
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return f"{key} must be a list of strings, not {value!r}"
    if key == "ignore":
        unknown = code_problem(value)
        return f"ignore: {unknown}" if unknown else None
    bad = [(v, pattern_problem(v)) for v in value]
    return next((f"{key}: {v!r}: {why}" for v, why in bad if why), None)


def code_problem(codes: Iterable[str]) -> str | None:
    """Why one of ``codes`` cannot be ignored (it is not in the catalogue), or None."""
    for code in codes:
        if code not in CODES:
            hint = did_you_mean(code.upper(), CODES) or "promspec explain lists the codes"
            return f"unknown code {code!r} ({hint})"
    return None


def with_options(
    config: Config,
    *,
    exclude: Sequence[str] = (),
    ignore: Sequence[str] = (),
    strict: bool | None = None,
) -> Config | str:
    """The settings with the command line's on top: ``--exclude`` and ``--ignore`` add to
    the file's lists, ``--strict``/``--no-strict`` replace its ``strict``. A bad option
    value gives the message to show."""
    bad = code_problem(ignore)
    if bad:
        return f"--ignore: {bad}"
    why = next((f"--exclude {p!r}: {w}" for p in exclude if (w := pattern_problem(p))), None)
    if why:
        return why
    return replace(
        config,
        exclude=(*config.exclude, *exclude),
        ignore=(*config.ignore, *ignore),
        strict=config.strict if strict is None else strict,
    )
