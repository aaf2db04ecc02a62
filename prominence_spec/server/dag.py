"""A workflow's DAG as the backend writes it: one node per job, or per factory instance
(``<job>_<index>``), and the PARENT/CHILD edges from ``dependencies``, matched by
substring exactly as ``create_workflow.py`` matches them."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prominence_spec.server.factories import Parameters, expand, factory_of, node_name


@dataclass
class Node:
    """One DAG node."""

    node: str
    job_name: str
    index: int | None = None
    #: Backend ``(name, value)`` pairs; None for a job that no factory lists.
    params: Parameters | None = None
    parents: list[str] = field(default_factory=list)


def workflow_jobs(wf: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The workflow's jobs (an empty workflow has none)."""
    jobs = wf.get("jobs")
    return [j for j in jobs if isinstance(j, dict)] if isinstance(jobs, list) else []


def build_nodes(wf: Mapping[str, Any]) -> list[Node]:
    """The nodes, in the order the backend writes them, with their parents."""
    nodes: list[Node] = []
    for job in workflow_jobs(wf):
        name = str(job["name"])
        factory = factory_of(wf, name)
        if factory is None:
            nodes.append(Node(name, name))
            continue
        for inst in expand(factory):
            nodes.append(Node(node_name(name, inst.index), name, inst.index, inst.parameters))
    by_name = {n.node: n for n in nodes}
    for parent, child in edges(wf, [n.node for n in nodes]):
        if parent not in by_name[child].parents:
            by_name[child].parents.append(parent)
    return nodes


def edges(wf: Mapping[str, Any], names: list[str]) -> list[tuple[str, str]]:
    """``PARENT node CHILD ...`` lines: a node takes the last dependency key that is a
    substring of its name; its children are the nodes containing a child's name."""
    deps = wf.get("dependencies") or {}
    if not isinstance(deps, dict):
        return []
    parents: dict[str, str] = {}
    for parent in deps:
        for name in names:
            if parent in name:
                parents[name] = parent
    out = []
    for name, parent in parents.items():
        for child in deps[parent]:
            out += [(name, item) for item in names if child in item]
    return out


def job_document(wf: Mapping[str, Any], job_name: str) -> dict[str, Any]:
    """The description a node's job is created from: the workflow's job, with the
    workflow's placement copied into its policies (when the workflow sets one)."""
    job = next(j for j in workflow_jobs(wf) if j.get("name") == job_name)
    doc = copy.deepcopy(job)
    pol = wf.get("policies")
    placement = pol.get("placement") if isinstance(pol, dict) else None
    if placement:
        doc["policies"] = {**(doc.get("policies") or {}), "placement": placement}
    return doc


def display_name(workflow_name: str, job_name: str, index: int | None) -> str:
    base = f"{workflow_name}/{job_name}"
    return base if index is None else f"{base}/{index}"


__all__ = ["Node", "build_nodes", "display_name", "edges", "job_document", "workflow_jobs"]
