"""The bundled JSON Schemas: well-formed, documented, and as strict as the server (or stricter)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, validators
from referencing import Registry, Resource

from server_support import DROP, merged
from support import walk

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
JOB = json.loads((SCHEMAS / "job.schema.json").read_text(encoding="utf-8"))
WORKFLOW = json.loads((SCHEMAS / "workflow.schema.json").read_text(encoding="utf-8"))
BY_NAME = {"job.schema.json": JOB, "workflow.schema.json": WORKFLOW}
REGISTRY: Registry = Registry().with_resources(
    (name, Resource.from_contents(doc)) for name, doc in BY_NAME.items()
)

_types = Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _c, x: isinstance(x, int) and not isinstance(x, bool)
)
_extend: Any = validators.extend  # untyped in jsonschema's stubs (as in the package)
Strict = _extend(Draft202012Validator, type_checker=_types)

NAME_RE = (
    "^(?:[a-zA-Z0-9_\\-\\/.\\t\\n\\v\\f\\r\\x1C-\\x1F \\x85\\xA0\\u1680\\u2000-\\u200A"
    "\\u2028\\u2029\\u202F\\u205F\\u3000]+)?$"
)


def resolve(ref: str, here: dict[str, Any]) -> Any:
    doc_name, _, pointer = ref.partition("#")
    node = BY_NAME[doc_name] if doc_name else here
    for part in filter(None, pointer.split("/")):
        node = node[part]
    return node


def job(
    res: dict[str, Any] | None = None, task: dict[str, Any] | None = None, **top: Any
) -> dict[str, Any]:
    resources = merged({"cpus": 1, "memory": 1, "disk": 10, "nodes": 1}, res)
    task = merged({"image": "eoscprominence/testpi", "runtime": "singularity"}, task)
    return merged({"resources": resources, "tasks": [task]}, top)


def pol(**p: Any) -> dict[str, Any]:
    return job(policies=p)


def wf(jobx: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    return merged({"name": "wf", "jobs": [job(**{"name": "a", **(jobx or {})})]}, top)


def fac(**f: Any) -> dict[str, Any]:
    return wf(factories=[{"name": "f", "jobs": ["a"], **f}])


def sweep(*params: dict[str, Any]) -> dict[str, Any]:
    return fac(type="parameterSweep", parameters=list(params))


P = {"name": "x", "start": 1, "end": 3, "step": 1}


def zipf(*values: Any) -> dict[str, Any]:
    return fac(type="zip", parameters=[{"name": "x", "values": list(values)}])


CASES = [
    # (schema, document, expected x-code or None when valid, or "" for invalid without a code)
    pytest.param(JOB, job(), None, id="minimal-job"),
    pytest.param(JOB, job(name=""), None, id="name-empty-ok"),
    pytest.param(JOB, job(name="a\u00a0b c\td"), None, id="name-nbsp-ok"),
    pytest.param(JOB, job(name="x" * 512), None, id="name-512-ok"),
    pytest.param(JOB, job(name="x" * 513), "", id="name-513-bad"),
    pytest.param(JOB, job(name="a!"), "", id="name-bang-bad"),
    pytest.param(JOB, job(name=5), "PS408", id="name-int-bad"),
    pytest.param(JOB, job(labels={"k": "\u00e9"}), None, id="label-value-e-acute-ok"),
    pytest.param(JOB, job(labels={"a\n": "v"}), "PS504", id="label-key-trailing-nl-stricter"),
    pytest.param(JOB, job(labels={"a\n\n": "v"}), "", id="label-key-two-nl-bad"),
    pytest.param(JOB, job(labels={"k": "v" * 513}), "", id="label-value-513-bad"),
    pytest.param(JOB, job(labels={"k": 5}), "PS408", id="label-value-int-bad"),
    pytest.param(JOB, job(labels={"k": "a b"}), "", id="label-value-space-bad"),
    pytest.param(JOB, job(res={"cpus": 2.0}), "", id="cpus-float-bad"),
    pytest.param(JOB, job(res={"disk": DROP}), "PS401", id="disk-missing"),
    pytest.param(JOB, job(res={"cpusRange": [1, 4]}), "PS209", id="cpus-and-cpusRange"),
    pytest.param(JOB, job(res={"cpus": DROP, "cpusRange": [1, 4]}), None, id="cpusRange-ok"),
    pytest.param(JOB, job(res={"cpus": DROP}), "PS209", id="no-cpus"),
    pytest.param(JOB, job(res={"memoryPerCpu": 1}), "PS209", id="memory-and-memoryPerCpu"),
    pytest.param(JOB, job(res={"cpus": DROP, "cpusOptions": [1]}), "", id="cpusOptions-one-item"),
    pytest.param(JOB, job(res={"totalCpusRange": ["a", "b"]}), "PS409", id="totalCpusRange-str"),
    pytest.param(JOB, job(res={"gpus": 1}), "", id="resources-unknown-key"),
    pytest.param(JOB, job(constraints={}), "", id="job-unknown-key"),
    pytest.param(JOB, job(task={"runtime": DROP}), "", id="runtime-missing"),
    pytest.param(JOB, job(task={"runtime": "docker"}), "", id="runtime-docker"),
    pytest.param(JOB, job(task={"image": 5}), "PS408", id="image-int"),
    pytest.param(JOB, job(task={"runtime": "udocker", "app": "x"}), "PS209", id="app-udocker"),
    pytest.param(JOB, job(task={"type": "openmpi"}), "PS309", id="mpi-without-cmd"),
    pytest.param(JOB, job(task={"type": "mpich", "cmd": "mpirun -np 2 x"}), "PS308", id="mpirun"),
    pytest.param(JOB, job(task={"type": "intelmpi", "cmd": "mpirun"}), None, id="mpirun-no-space"),
    pytest.param(JOB, job(task={"type": "sidecar"}), "PS307", id="only-sidecar"),
    pytest.param(JOB, job(tasks=[]), "PS307", id="no-tasks"),
    pytest.param(
        JOB,
        job(tasks=[{"image": "x", "runtime": "udocker", "type": "sidecar"}] + job()["tasks"]),
        None,
        id="sidecar-plus-basic",
    ),
    pytest.param(JOB, job(task={"workDir": "/x"}), "", id="task-workDir-typo"),
    pytest.param(JOB, job(task={"imagePullCredential": "username token"}), "PS503", id="ipc-str"),
    pytest.param(
        JOB,
        job(task={"imagePullCredential": {"username": "u", "token": "t", "x": 1}}),
        None,
        id="ipc-extra-key-ok",
    ),
    pytest.param(JOB, pol(priority="5"), None, id="priority-digit-string-ok"),
    pytest.param(JOB, pol(priority="5\n"), "", id="priority-trailing-nl-bad"),
    pytest.param(JOB, pol(priority="\u00b2"), "", id="priority-superscript-bad"),
    pytest.param(JOB, pol(priority=-1), "", id="priority-negative-bad"),
    pytest.param(JOB, pol(maximumTimeInQueue=-1), "", id="maximumTimeInQueue-minus-1"),
    pytest.param(JOB, pol(maximumTimeInQueue=44640), None, id="maximumTimeInQueue-max-ok"),
    pytest.param(JOB, pol(maximumRetries=6), None, id="maximumRetries-6-ok"),
    pytest.param(JOB, pol(maximumRetries=7), "", id="maximumRetries-7-bad"),
    pytest.param(JOB, pol(maximumIdleTimePerResource=0), "", id="idle-time-0-bad"),
    pytest.param(JOB, pol(autoScalingType=None, preemptible=[1]), None, id="autoscaling-null"),
    pytest.param(JOB, job(policies=[]), "PS503", id="policies-empty-list"),
    pytest.param(JOB, pol(placement=""), "PS503", id="placement-empty-string"),
    pytest.param(JOB, pol(placement={"requirements": {"sites": [1]}}), "PS408", id="site-int"),
    pytest.param(JOB, job(notifications=[{"event": "jobFinished"}]), "PS412", id="notif-no-type"),
    pytest.param(JOB, job(notifications=[[]]), "PS503", id="notif-empty-list"),
    pytest.param(JOB, job(inputs=[["filename", "content"]]), "PS503", id="inputs-list"),
    pytest.param(JOB, job(inputs=[{"filename": "a", "content": "aGk="}]), None, id="inputs-ok"),
    pytest.param(JOB, job(inputs=[{"filename": "d/", "content": "aGk="}]), "", id="inputs-dir"),
    pytest.param(JOB, job(artifacts=[{"url": "u", "mountpoint": "a:/b:c"}]), None, id="art-mount"),
    pytest.param(JOB, job(artifacts=[{"url": "u", "mountpoint": "a/b:/c"}]), "", id="art-src"),
    pytest.param(JOB, job(outputFiles=[1]), "", id="outputFiles-int"),
    pytest.param(
        JOB,
        job(
            storage={
                "type": "onedata",
                "mountpoint": None,
                "x": 1,
                "onedata": {"provider": "p", "token": "t"},
            }
        ),
        None,
        id="storage-ok",
    ),
    pytest.param(
        JOB,
        job(storage={"type": "onedata", "mountpoint": "/d", "onedata": "provider token"}),
        "PS503",
        id="onedata-str",
    ),
    pytest.param(
        JOB,
        job(
            storage={
                "type": "onedata",
                "mountpoint": False,
                "onedata": {"provider": "p", "token": "t"},
            }
        ),
        "PS503",
        id="storage-mountpoint-false",
    ),
    pytest.param(
        JOB,
        job(
            storage={
                "type": "onedata",
                "mountpoint": "data",
                "onedata": {"provider": "p", "token": "t"},
            }
        ),
        "",
        id="storage-mountpoint-relative",
    ),
    # workflows
    pytest.param(WORKFLOW, wf(), None, id="minimal-workflow"),
    pytest.param(WORKFLOW, wf(policies={"maximumRetries": 10}), None, id="wf-retries-10-ok"),
    pytest.param(WORKFLOW, wf(policies={"maximumRetries": 11}), "", id="wf-retries-11-bad"),
    pytest.param(WORKFLOW, wf(policies={"maximumTaskRetries": 1}), "", id="wf-task-retries"),
    pytest.param(WORKFLOW, wf(policies={"placement": {"x": 1}}), "", id="wf-placement-checked"),
    pytest.param(WORKFLOW, wf(jobs=[]), "PS506", id="wf-jobs-empty"),
    pytest.param(WORKFLOW, wf(jobs={}), "PS506", id="wf-jobs-object"),
    pytest.param(WORKFLOW, wf(name=DROP), "PS504", id="wf-no-name"),
    pytest.param(WORKFLOW, wf(name="my wf"), "PS504", id="wf-name-space"),
    pytest.param(WORKFLOW, wf(jobx={"name": DROP}), "", id="wf-job-no-name"),
    pytest.param(WORKFLOW, wf(jobx={"name": ""}), "", id="wf-job-empty-name"),
    pytest.param(WORKFLOW, wf(jobx={"name": "a/b"}), "PS504", id="wf-job-name-slash"),
    pytest.param(WORKFLOW, wf(jobx={"name": "a b"}), "PS504", id="wf-job-name-space"),
    pytest.param(WORKFLOW, wf(jobx={"name": ".."}), "PS504", id="wf-job-name-dotdot"),
    pytest.param(WORKFLOW, wf(jobx={"name": "all_nodes"}), "PS504", id="wf-job-name-all-nodes"),
    pytest.param(WORKFLOW, wf(jobx={"name": "job.dag.x"}), "PS504", id="wf-job-name-job-dag"),
    pytest.param(WORKFLOW, wf(jobx={"name": "a.b-c_0"}), None, id="wf-job-name-ok"),
    pytest.param(WORKFLOW, wf(jobx={"res": {"disk": DROP}}), "PS401", id="wf-job-checked-as-job"),
    pytest.param(WORKFLOW, wf(dependencies={"a": []}), "", id="wf-dep-no-children"),
    pytest.param(
        WORKFLOW, wf(notifications=[{"event": "jobFinished", "type": "email"}]), "", id="wf-event"
    ),
    pytest.param(WORKFLOW, fac(type="repeat", number=3), None, id="repeat-ok"),
    pytest.param(WORKFLOW, fac(type="repeat"), "", id="repeat-no-number"),
    pytest.param(WORKFLOW, fac(type="repeat", num=3, number=0), "", id="repeat-zero"),
    pytest.param(WORKFLOW, sweep(P, {**P, "name": "y", "step": 0.5}), None, id="sweep-ok"),
    pytest.param(WORKFLOW, sweep({**P, "step": DROP, "number": 3}), "PS402", id="sweep-number"),
    pytest.param(WORKFLOW, sweep({**P, "start": "a"}), "PS403", id="sweep-start-str"),
    pytest.param(WORKFLOW, sweep({**P, "step": 0}), "PS404", id="sweep-step-0"),
    pytest.param(WORKFLOW, sweep(*({**P, "name": n} for n in "abcde")), "PS405", id="sweep-5d"),
    pytest.param(WORKFLOW, sweep({**P, "name": "1x"}), "PS504", id="sweep-bad-name"),
    pytest.param(WORKFLOW, fac(type="zip", parameters=[]), "PS406", id="zip-empty"),
    pytest.param(WORKFLOW, zipf("a", 1, 2.5, True), None, id="zip-ok"),
    pytest.param(WORKFLOW, zipf("a b"), "PS407", id="zip-space"),
    pytest.param(WORKFLOW, zipf('a"'), "PS407", id="zip-quote"),
    pytest.param(WORKFLOW, zipf("a\n"), "PS407", id="zip-trailing-nl"),
    pytest.param(WORKFLOW, zipf(None), "PS407", id="zip-null"),
    pytest.param(WORKFLOW, fac(type="grid", name="f"), "", id="factory-type"),
]


def _clean(doc: Any) -> Any:
    """A fresh copy without DROP markers left in nested literals (e.g. {**P, "step": DROP})."""
    if isinstance(doc, dict):
        return {k: _clean(v) for k, v in doc.items() if v is not DROP}
    if isinstance(doc, list):
        return [_clean(v) for v in doc]
    return doc


@pytest.mark.parametrize(("schema", "doc", "code"), CASES)
def test_documents(schema: dict[str, Any], doc: Any, code: str | None) -> None:
    errors = list(Strict(schema, registry=REGISTRY).iter_errors(_clean(doc)))
    if code is None:
        assert errors == [], [e.message for e in errors]
        return
    assert errors, "expected the document to be rejected"
    if code:
        codes = {e.schema.get("x-code") for e in errors if isinstance(e.schema, dict)}
        assert code in codes, [(e.message, e.schema) for e in errors]


@pytest.mark.parametrize("schema", [JOB, WORKFLOW], ids=["job", "workflow"])
def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert all(not path.endswith("/$id") for path, _ in walk(schema))
    Draft202012Validator.check_schema(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("schema", [JOB, WORKFLOW], ids=["job", "workflow"])
def test_every_property_has_a_description(schema: dict[str, Any]) -> None:
    missing = []
    for path, node in walk(schema):
        if "/if/" in path or "/not/" in path:
            continue  # conditions, not declarations
        if path.endswith("/properties") and isinstance(node, dict):
            for key, sub in node.items():
                target = resolve(sub["$ref"], schema) if "$ref" in sub else sub
                if "description" not in sub and "description" not in target:
                    missing.append(f"{path}/{key}")
    assert missing == []


@pytest.mark.parametrize("schema", [JOB, WORKFLOW], ids=["job", "workflow"])
def test_patterns_compile_and_refs_resolve(schema: dict[str, Any]) -> None:
    for path, node in walk(schema):
        if path.endswith("/pattern") and isinstance(node, str):
            re.compile(node)
        if path.endswith("/$ref"):
            resolve(node, schema)


def test_exact_name_pattern() -> None:
    name = JOB["$defs"]["name"]["allOf"]
    assert [b["pattern"] for b in name if "pattern" in b] == [NAME_RE]
    pat = re.compile(NAME_RE)
    for ok in ["", "a-b_c/d.e", "a\u2028b", "\x1c", "a\n"]:
        assert pat.search(ok), repr(ok)
    for bad in ["a!", "\ufeff", "\u00e9"]:
        assert not pat.search(bad), repr(bad)


def test_label_patterns_match_python_dollar_semantics() -> None:
    key = re.compile(JOB["$defs"]["labels"]["propertyNames"]["allOf"][1]["pattern"])
    value = re.compile(JOB["$defs"]["labels"]["additionalProperties"]["allOf"][2]["pattern"])
    assert key.search("abc\n") and not key.search("abc\n\n") and not key.search("")
    assert value.search("\u0663") and value.search("a.b/c-d_e\n") and not value.search("a\n\n")


@pytest.mark.parametrize("schema", [JOB, WORKFLOW], ids=["job", "workflow"])
def test_coded_branches_explain_themselves(schema: dict[str, Any]) -> None:
    """Every x-code has an errorMessage; a PS4xx message says what the server does."""
    for path, node in walk(schema):
        if isinstance(node, dict) and "x-code" in node:
            assert re.fullmatch(r"PS\d{3}", node["x-code"]), path
            assert "errorMessage" in node, path
            assert not node["x-code"].startswith("PS4") or "server" in node["errorMessage"], path
