"""A parameter study for the per-point tests (issue 17): each job appends its index to
``executions.log`` outside the sandbox (so executions can be counted), writes
``result.json`` with values computed from its index, prints ``square=<i*i>``, and fails
with exit code 3 when its index is listed in the folder's ``fail`` file."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prominence_spec.client import Client
    from prominence_spec.client.points import PointStatus

JOB = """\
import json, pathlib, sys
i, here = int(sys.argv[1]), pathlib.Path(sys.argv[2])
with open(here / "executions.log", "a") as log:
    log.write(f"{i}\\n")
with open("result.json", "w") as out:
    json.dump({"square": i * i, "stats": {"half": i / 2}}, out)
print(f"square={i * i}")
fail = (here / "fail").read_text().split() if (here / "fail").exists() else []
sys.exit(3 if str(i) in fail else 0)
"""

STUDY = """\
# {marker}
promspec:
  sweep:
    i: [{values}]
  name: "p-{{{{ i }}}}"
name: study
resources: {{cpus: 1, memory: 1, disk: 1, walltime: 5}}
outputFiles: [result.json]
tasks:
  - image: busybox
    runtime: singularity
    cmd: {python} {job} {{{{ i }}}} {folder}
"""


def study(folder: Path, points: int, *, fail: tuple[int, ...] = ()) -> Path:
    """The study's spec in ``folder`` (a repository root of its own)."""
    import uuid

    (folder / ".git").mkdir(parents=True, exist_ok=True)
    job = folder / "job.py"
    job.write_text(JOB, encoding="utf-8")
    (folder / "fail").write_text(" ".join(map(str, fail)), encoding="utf-8")
    spec = folder / "study.yaml"
    text = STUDY.format(
        marker=uuid.uuid4(),
        values=", ".join(map(str, range(points))),
        python=sys.executable,
        job=job,
        folder=folder,
    )
    spec.write_text(text, encoding="utf-8")
    return spec


def executions(folder: Path) -> list[int]:
    """The indices of every job run so far, in the order they ran."""
    log = folder / "executions.log"
    return [int(x) for x in log.read_text().split()] if log.exists() else []


def fetch_like_download(client: Client, points: Iterable[PointStatus], root: Path) -> None:
    """What ``download`` leaves for completed points (results-fetch's layout): a folder
    ``<index>-<job name>`` with ``params.json``, ``stdout.txt`` and the output files, each
    fetched from the URL in the point's record."""
    import json

    import requests

    for point in points:
        if point.status != "completed" or point.record is None:
            continue
        folder = root / f"{point.index}-{point.name}"
        folder.mkdir(parents=True)
        for output in point.record.get("outputFiles", []):
            answer = requests.get(output["url"], timeout=30)
            answer.raise_for_status()
            (folder / output["name"]).write_bytes(answer.content)
        assert point.id is not None  # a point with a record has its job
        (folder / "stdout.txt").write_bytes(client.stdout(point.id))
        saved = {k: getattr(point, k) for k in ("index", "params", "id", "status", "exit_code")}
        (folder / "params.json").write_text(json.dumps(saved), encoding="utf-8")
