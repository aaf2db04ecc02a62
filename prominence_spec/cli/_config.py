"""The repository configuration on the command line: found from the current folder, the
options on top, problems shown as one line each (exit 2)."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import typer

from prominence_spec.validation.config import Config, find_config, with_options
from prominence_spec.validation.paths import Selection, Skipped


def run_config(exclude: Sequence[str], ignore: Sequence[str], strict: bool | None) -> Config:
    """The settings for this run: the repository's file, then the options."""
    found = find_config(Path.cwd())
    if isinstance(found, list):
        for problem in found:
            shown = dataclasses.replace(problem, path=shown_path(problem.path))
            sys.stderr.write(f"promspec: {shown}\n")
        raise typer.Exit(2)
    merged = with_options(found, exclude=exclude, ignore=ignore, strict=strict)
    if isinstance(merged, str):
        sys.stderr.write(f"promspec: {merged}\n")
        raise typer.Exit(2)
    return merged


def selection_of(config: Config) -> Selection:
    return Selection(root=config.root, include=config.include, exclude=config.exclude)


def shown_path(path: str | Path) -> str:
    """``path`` as the user reaches it from the current folder."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def tell_notes(config: Config, *, quiet: bool) -> None:
    if quiet:
        return
    source = shown_path(config.source) if config.source else "configuration"
    for note in config.notes:
        sys.stderr.write(f"promspec: note: {source}: {note}\n")


def tell_skipped(skipped: Sequence[Skipped], config: Config, *, verbose: bool, quiet: bool) -> None:
    """Say which named files were not checked: each with its reason when verbose, else a
    count (never silently, never with ``-q``)."""
    if quiet or not skipped:
        return
    if verbose:
        for item in skipped:
            sys.stderr.write(f"promspec: skipped {item.path}: {item.reason}\n")
        return
    count = f"{len(skipped)} file" + ("s" if len(skipped) != 1 else "")
    source = f"; patterns from {shown_path(config.source)}" if config.source else ""
    sys.stderr.write(
        f"promspec: skipped {count} that are not specs here (built-in or configured "
        f"excludes{source}; -v lists them)\n"
    )
