"""Rules a JSON Schema cannot say: cross-field checks, each with a stable code.

Every rule is a function ``(document) -> Iterator[Diagnostic]`` registered in JOB_RULES or
WORKFLOW_RULES. Rules only look at the parts that have the right shape; wrong shapes are
the schema's to report, so nothing is reported twice.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeGuard

from prominence_spec.diagnostics import Diagnostic, did_you_mean, pointer_of

Rule = Callable[[dict[str, Any], tuple[str | int, ...]], Iterator[Diagnostic]]


def _items(data: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _hint_names(name: Any, names: list[str]) -> str | None:
    if not isinstance(name, str):
        return None
    names = list(dict.fromkeys(names))
    return did_you_mean(name, names) or (f"defined jobs: {', '.join(names)}" if names else None)


# -- job rules ---------------------------------------------------------------------------


def procs_per_node_within_cpus(
    job: dict[str, Any], at: tuple[str | int, ...]
) -> Iterator[Diagnostic]:
    resources = job.get("resources")
    cpus = resources.get("cpus") if isinstance(resources, dict) else None
    if not _is_int(cpus):
        return
    for i, task in _items(job, "tasks"):
        procs = task.get("procsPerNode")
        if _is_int(procs) and procs > cpus:
            yield Diagnostic(
                "PS306",
                f"procsPerNode {procs} is greater than resources.cpus {cpus} "
                "(server: number of processes per node must be less than number of CPU cores "
                "per node)",
                pointer=pointer_of((*at, "tasks", i, "procsPerNode")),
                hint=f"use at most {cpus}, or raise resources.cpus",
            )


def inputs_are_base64(job: dict[str, Any], at: tuple[str | int, ...]) -> Iterator[Diagnostic]:
    for i, item in _items(job, "inputs"):
        content = item.get("content")
        if not isinstance(content, str):
            continue
        try:
            base64.b64decode(content)
        except (binascii.Error, ValueError) as exc:
            yield Diagnostic(
                "PS410",
                f"inputs content is not valid base64 ({exc}): the server accepts this but "
                "fails with HTTP 500 when it decodes the file",
                pointer=pointer_of((*at, "inputs", i, "content")),
                hint="encode the file with `base64 -w0 FILE`",
            )


def ranges_ordered(job: dict[str, Any], at: tuple[str | int, ...]) -> Iterator[Diagnostic]:
    resources = job.get("resources")
    if not isinstance(resources, dict):
        return
    for key in ("cpusRange", "totalCpusRange"):
        pair = resources.get(key)
        if not (isinstance(pair, list) and len(pair) == 2 and all(_is_int(x) for x in pair)):
            continue
        if pair[0] > pair[1]:
            yield Diagnostic(
                "PS209",
                f"{key} is [min, max] but {pair[0]} > {pair[1]}",
                severity="warning",
                pointer=pointer_of((*at, "resources", key)),
                hint=f"write [{pair[1]}, {pair[0]}]",
            )


JOB_RULES: tuple[Rule, ...] = (procs_per_node_within_cpus, inputs_are_base64, ranges_ordered)

#: What each job rule reads ("*" is any list index): a rule none of whose inputs is
#: templated gives the same result at every sweep point, so it runs once.
JOB_RULE_READS: dict[Rule, tuple[tuple[str, ...], ...]] = {
    procs_per_node_within_cpus: (("resources", "cpus"), ("tasks", "*", "procsPerNode")),
    inputs_are_base64: (("inputs",),),
    ranges_ordered: (("resources", "cpusRange"), ("resources", "totalCpusRange")),
}


def varying_job_rules(slot_paths: Iterable[tuple[str | int, ...]]) -> tuple[Rule, ...]:
    """The job rules whose inputs may change with the templated values at ``slot_paths``."""
    paths = list(slot_paths)
    return tuple(
        rule
        for rule in JOB_RULES
        if any(_overlaps(read, path) for read in JOB_RULE_READS[rule] for path in paths)
    )


def _overlaps(pattern: tuple[str, ...], path: tuple[str | int, ...]) -> bool:
    return all(a == "*" or a == b for a, b in zip(pattern, path, strict=False))


# -- workflow rules ----------------------------------------------------------------------


def _job_names(workflow: dict[str, Any]) -> list[str]:
    return [job["name"] for _, job in _items(workflow, "jobs") if isinstance(job.get("name"), str)]


def unique_job_names(workflow: dict[str, Any], at: tuple[str | int, ...]) -> Iterator[Diagnostic]:
    seen: dict[str, int] = {}
    for i, job in _items(workflow, "jobs"):
        name = job.get("name")
        if not isinstance(name, str):
            continue
        if name in seen:
            yield Diagnostic(
                "PS301",
                f'all jobs must have unique names: "{name}" is used more than once '
                f"(first by job {seen[name]})",
                pointer=pointer_of((*at, "jobs", i, "name")),
                hint="rename one of the jobs",
            )
        else:
            seen[name] = i


def _dependencies(workflow: dict[str, Any]) -> dict[str, list[Any]]:
    deps = workflow.get("dependencies")
    if not isinstance(deps, dict):
        return {}
    return {parent: children for parent, children in deps.items() if isinstance(children, list)}


def dependencies_name_jobs(
    workflow: dict[str, Any], at: tuple[str | int, ...]
) -> Iterator[Diagnostic]:
    names = _job_names(workflow)
    defined = set(names)
    for parent, children in _dependencies(workflow).items():
        if parent not in defined:
            yield Diagnostic(
                "PS501",
                f'dependency parent "{parent}" is not a job in this workflow: the server '
                "ignores it silently, so the dependency would not hold",
                pointer=pointer_of((*at, "dependencies", parent)),
                hint=_hint_names(parent, names),
            )
        for j, child in enumerate(children):
            if isinstance(child, str) and child not in defined:
                yield Diagnostic(
                    "PS302",
                    f'child job "{child}" is not actually defined',
                    pointer=pointer_of((*at, "dependencies", parent, j)),
                    hint=_hint_names(child, names),
                )


def dependencies_acyclic(
    workflow: dict[str, Any], at: tuple[str | int, ...]
) -> Iterator[Diagnostic]:
    graph: dict[str, list[str]] = {}
    for parent, children in _dependencies(workflow).items():
        graph[parent] = [c for c in children if isinstance(c, str)]
    cycle = _find_cycle(graph)
    if cycle:
        yield Diagnostic(
            "PS502",
            f"dependencies form a cycle: {' -> '.join(cycle)}; DAGMan would refuse the workflow",
            pointer=pointer_of((*at, "dependencies", cycle[0])),
            hint="remove one edge of the cycle",
        )
        return
    effective = _substring_graph(graph, _job_names(workflow))
    cycle = _find_cycle(effective)
    if cycle:
        yield Diagnostic(
            "PS502",
            f"the server matches dependency names by substring, which can turn these "
            f"dependencies into a cycle: {' -> '.join(cycle)}; DAGMan would then refuse the "
            "workflow, or the server would drop one of the edges",
            pointer=pointer_of((*at, "dependencies")),
            hint="rename jobs so that no job name contains another",
        )


def _substring_graph(graph: dict[str, list[str]], names: list[str]) -> dict[str, list[str]]:
    """The DAG the backend writes: every node whose name contains the parent (child)."""
    edges: dict[str, list[str]] = {}
    for parent, children in graph.items():
        for node in (n for n in names if parent and parent in n):
            targets = edges.setdefault(node, [])
            for child in children:
                targets.extend(m for m in names if child and child in m and m not in targets)
    return edges


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    for start in graph:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail: list[str] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                trail.append(node)
            children = graph.get(node, [])
            if i < len(children):
                stack.append((node, i + 1))
                child = children[i]
                if state.get(child) == 1:
                    return [*trail[trail.index(child) :], child]
                if not state.get(child):
                    stack.append((child, 0))
            else:
                state[node] = 2
                trail.pop()
    return None


def dependency_names_not_substrings(
    workflow: dict[str, Any], at: tuple[str | int, ...]
) -> Iterator[Diagnostic]:
    names = _job_names(workflow)
    used: list[str] = []
    for parent, children in _dependencies(workflow).items():
        used.extend([parent, *[c for c in children if isinstance(c, str)]])
    for name in dict.fromkeys(used):
        others = [n for n in names if n != name and name and name in n]
        if others:
            yield Diagnostic(
                "PS505",
                f'"{name}" is part of the job name(s) {", ".join(others)}: the server matches '
                "dependency names by substring, so this dependency also applies to those jobs",
                severity="warning",
                pointer=pointer_of((*at, "dependencies")),
                hint=f'rename "{name}" so that no other job name contains it',
            )


def factories_name_jobs(
    workflow: dict[str, Any], at: tuple[str | int, ...]
) -> Iterator[Diagnostic]:
    names = _job_names(workflow)
    defined = set(names)
    owner: dict[str, int] = {}
    for i, factory in _items(workflow, "factories"):
        jobs = factory.get("jobs")
        if not isinstance(jobs, list):
            continue
        for j, job in enumerate(jobs):
            if not isinstance(job, str):
                continue
            pointer = pointer_of((*at, "factories", i, "jobs", j))
            if job not in defined:
                yield Diagnostic(
                    "PS303",
                    f"factory {factory.get('name')} references a job {job} which is not defined",
                    pointer=pointer,
                    hint=_hint_names(job, names),
                )
            elif job in owner and owner[job] != i:
                yield Diagnostic(
                    "PS507",
                    f'job "{job}" is already used by factory {owner[job]}: the server keeps '
                    "only the last factory for a job",
                    pointer=pointer,
                    hint="combine the two factories into one",
                )
            else:
                owner[job] = i


def factory_parameters_consistent(
    workflow: dict[str, Any], at: tuple[str | int, ...]
) -> Iterator[Diagnostic]:
    for i, factory in _items(workflow, "factories"):
        params = _items(factory, "parameters")
        seen: set[str] = set()
        for j, param in params:
            name = param.get("name")
            if isinstance(name, str) and name in seen:
                yield Diagnostic(
                    "PS304",
                    f'each parameter must have a unique name: "{name}" is used twice',
                    pointer=pointer_of((*at, "factories", i, "parameters", j, "name")),
                )
            elif isinstance(name, str):
                seen.add(name)
        if factory.get("type") == "zip":
            yield from _zip_lengths(params, (*at, "factories", i))


def _zip_lengths(
    params: list[tuple[int, dict[str, Any]]], at: tuple[str | int, ...]
) -> Iterator[Diagnostic]:
    lengths = [(j, len(p["values"])) for j, p in params if isinstance(p.get("values"), list)]
    if len({n for _, n in lengths}) > 1:
        listed = ", ".join(str(n) for _, n in lengths)
        first = lengths[0][1]
        for j, n in lengths:
            if n != first:
                yield Diagnostic(
                    "PS305",
                    f"zip parameters must all have the same number of values; lengths are {listed}",
                    pointer=pointer_of((*at, "parameters", j, "values")),
                    hint=f"give every parameter {first} values",
                )


MAX_INSTANCES = 1_000_000


def sweeps_generate_jobs(
    workflow: dict[str, Any], at: tuple[str | int, ...]
) -> Iterator[Diagnostic]:
    for i, factory in _items(workflow, "factories"):
        instances = _instances(factory)
        if instances is not None and instances > MAX_INSTANCES:
            yield Diagnostic(
                "PS404",
                f"the factory generates {instances:,} jobs: the server accepts this "
                f"but does not finish generating more than {MAX_INSTANCES:,} before the request "
                "times out",
                pointer=pointer_of((*at, "factories", i)),
                hint="split the sweep into several workflows",
            )
        if factory.get("type") != "parameterSweep":
            continue
        for j, param in _items(factory, "parameters"):
            numbers = _range_of(param)
            if numbers is None or numbers[2] <= 0:
                continue
            start, end, step = numbers
            pointer = pointer_of((*at, "factories", i, "parameters", j))
            if start > end:
                yield Diagnostic(
                    "PS406",
                    f"start {start} is greater than end {end}: the server accepts "
                    "this, generates no job at all, and the factory's jobs silently disappear",
                    pointer=pointer,
                    hint="swap start and end",
                )
            elif start + step == start:
                yield Diagnostic(
                    "PS404",
                    f"step {step} is too small to change {start} in floating point: "
                    "the server accepts this but never finishes generating the jobs",
                    pointer=pointer,
                    hint="use a larger step",
                )


def _instances(factory: dict[str, Any]) -> int | None:
    """How many jobs a factory generates (None when its definition is not well formed)."""
    if factory.get("type") == "repeat":
        number = factory.get("number")
        return number if _is_int(number) else None
    if factory.get("type") != "parameterSweep":
        return None
    total = 1
    for _, param in _items(factory, "parameters"):
        numbers = _range_of(param)
        if numbers is None or numbers[2] <= 0 or numbers[0] > numbers[1]:
            return None
        start, end, step = numbers
        total *= int((end - start) // step) + 1
    return total


def _range_of(param: dict[str, Any]) -> tuple[float, float, float] | None:
    """A sweep parameter's (start, end, step) when all three are numbers."""
    start, end, step = (param.get(k) for k in ("start", "end", "step"))
    if _is_number(start) and _is_number(end) and _is_number(step):
        return start, end, step
    return None


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def factory_jobs_compatible(
    workflow: dict[str, Any], at: tuple[str | int, ...]
) -> Iterator[Diagnostic]:
    jobs = {
        job["name"]: (i, job)
        for i, job in _items(workflow, "jobs")
        if isinstance(job.get("name"), str)
    }
    names = list(jobs)
    for i, factory in _items(workflow, "factories"):
        listed = factory.get("jobs")
        if not isinstance(listed, list):
            continue
        for name in (n for n in listed if isinstance(n, str) and n in jobs):
            k, job = jobs[name]
            yield from _instance_clash(name, names, (*at, "factories", i, "jobs"))
            if factory.get("type") in ("zip", "parameterSweep"):
                yield from _external_artifacts(job, (*at, "jobs", k))


def _instance_clash(name: str, names: list[str], at: tuple[str | int, ...]) -> Iterator[Diagnostic]:
    prefix = name + "_"
    for other in names:
        if other.startswith(prefix) and other[len(prefix) :].isdigit():
            yield Diagnostic(
                "PS504",
                f'job "{other}" has the name the server gives instance '
                f'{other[len(prefix) :]} of factory job "{name}"; the DAG would hold two nodes '
                "of that name",
                pointer=pointer_of(at),
                hint=f'rename "{other}"',
            )


def _external_artifacts(job: dict[str, Any], at: tuple[str | int, ...]) -> Iterator[Diagnostic]:
    storage = job.get("storage")
    on_storage = isinstance(storage, dict) and storage.get("default") is True
    for a, artifact in _items(job, "artifacts"):
        url = artifact.get("url")
        if on_storage and isinstance(url, str) and "://" not in url:
            yield Diagnostic(
                "PS414",
                "a relative artifact URL in a job of a zip or parameterSweep factory "
                "whose storage is the default: the server fails rewriting it (HTTP 500)",
                pointer=pointer_of((*at, "artifacts", a, "url")),
                hint="give the artifact's full path on the storage, or drop storage.default",
            )
        if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
            yield Diagnostic(
                "PS414",
                "an external http(s) artifact in a job of a zip or parameterSweep "
                "factory: the server rewrites such jobs' artifact URLs as object-storage "
                "names and fails on this one",
                pointer=pointer_of((*at, "artifacts", a, "url")),
                hint="upload the file with `prominence upload` and use its name, or fetch it "
                "in the task's cmd",
            )


def each_job(workflow: dict[str, Any], at: tuple[str | int, ...]) -> Iterator[Diagnostic]:
    for i, job in _items(workflow, "jobs"):
        for rule in JOB_RULES:
            yield from rule(job, (*at, "jobs", i))


WORKFLOW_RULES: tuple[Rule, ...] = (
    each_job,
    unique_job_names,
    dependencies_name_jobs,
    dependencies_acyclic,
    dependency_names_not_substrings,
    factories_name_jobs,
    factory_parameters_consistent,
    sweeps_generate_jobs,
    factory_jobs_compatible,
)


def run_rules(
    data: dict[str, Any], kind: str, rules: Iterable[Rule] | None = None
) -> list[Diagnostic]:
    if rules is None:
        rules = WORKFLOW_RULES if kind == "workflow" else JOB_RULES
    return [diag for rule in rules for diag in rule(data, ())]
