"""`promspec download SPEC|ID...`: every point's outputs into a folder of its own."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import typer

from prominence_spec.cli import _client_common as common
from prominence_spec.cli import _options as shared

TARGETS_HELP = "A spec file (its latest run's points), or job ids (workflow ids with -w)."


def download(
    targets: list[str] = typer.Argument(..., metavar="SPEC|ID...", help=TARGETS_HELP),
    workflows: bool = typer.Option(False, "--workflows", "-w", help="The ids are workflow ids."),
    directory: Path | None = typer.Option(
        None,
        "--dir",
        "-d",
        metavar="DIR",
        help="Where the folders go [./<spec name>-results; for ids ./results].",
    ),
    layout: str | None = typer.Option(
        None,
        "--layout",
        metavar="TEMPLATE",
        help="A point's folder from its parameters, e.g. '{model}/T{temperature}' "
        "[<index>-<job name>].",
    ),  # fmt: skip
    include_all: bool = typer.Option(
        False, "--all", help="Failed, killed and deleted jobs too (default: completed)."
    ),
    jobs: int = typer.Option(8, "--jobs", "-j", min=1, max=64, metavar="N", help="Files at once."),
    mode: shared.Mode | None = shared.MODE,
    sets: list[str] | None = shared.SET,
    values: list[str] | None = shared.VALUES,
    root: Path | None = shared.ROOT,
    force: bool = typer.Option(False, "--force", help="Fetch again what is already there."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    url: str | None = common.url_option(),
    token_file: str | None = common.token_file_option(),
    state: str | None = common.state_option(),
    verbose: bool = common.verbose_option(),
) -> None:
    """Download every point's output files and directories (unpacked), params.json,
    stdout.txt and stderr.txt into DIR/<index>-<name>/, with DIR/manifest.jsonl."""
    from prominence_spec.cli._download_view import download_into

    with common.guarded():
        client = common.make_client(url, token_file, concurrency=jobs, verbose=verbose)
        with client:
            spec = _spec_source(targets, mode, sets, values, root)
            selection = _select(client, targets, spec, workflows, state, layout, include_all)
            folder = directory or common.results_folder(str(spec.path) if spec else None)
            code = download_into(client, selection, folder, jobs=jobs, force=force,
                                 quiet=quiet, resume=_resume_hint())  # fmt: skip
    raise typer.Exit(code)


def _spec_source(
    targets: list[str],
    mode: str | None,
    sets: list[str] | None,
    values: list[str] | None,
    root: Path | None,
) -> Any:
    """The spec, rendered as it was submitted (the same --mode, --set, --values, --root)."""
    specs = [t for t in targets if not t.isdigit()]
    if len(specs) != 1 or not Path(specs[0]).is_file():
        if mode or sets or values:
            raise typer.BadParameter("--mode, --set and --values go with one SPEC")
        return None
    from prominence_spec.cli._values import spec_values
    from prominence_spec.client.source import SpecSource

    return SpecSource(Path(specs[0]), spec_values(specs[0], values, sets), mode, root)


def _select(
    client: Any,
    targets: list[str],
    spec: Any,
    workflows: bool,
    state: str | None,
    layout: str | None,
    include_all: bool,
) -> Any:
    from prominence_spec.client.download.sources import from_ids
    from prominence_spec.client.download.spec_points import from_spec
    from prominence_spec.client.errors import ConfigError

    ids = [t for t in targets if t.isdigit()]
    specs = [t for t in targets if not t.isdigit()]
    if specs and (ids or len(specs) > 1):
        raise ConfigError("give one spec, or job ids, not both")
    if specs:
        if spec is None:
            raise ConfigError(f"{specs[0]}: neither a job id nor a spec file")
        return from_spec(client, spec, state=state, layout=layout, include_all=include_all)
    if layout is not None:
        raise ConfigError("--layout takes a spec's parameters: give a spec, not ids")
    selection = from_ids(client, [int(i) for i in ids], workflows=workflows,
                         include_all=include_all)  # fmt: skip
    kind = "workflow" if workflows else "job"
    for missing in selection.missing:
        hint = "" if workflows else " (for a workflow, add -w)"
        common.error(f"no such {kind}: {missing}{hint}")
    return selection


def _resume_hint() -> str:
    return "run the same command again to resume: " + shlex.join(["promspec", *sys.argv[1:]])
