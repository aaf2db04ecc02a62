"""The compatibility table: promspec's verdict on documents drawn from the reference.

Each case is ``(kind, document, expectation, code, pointer, reason)``:

* ``ACCEPT``: the server runs it, so promspec must accept it (no error diagnostics);
* ``REJECT``: the server rejects it (400), crashes (500) or fails after validation, so
  promspec must reject it;
* ``STRICTER``: the server runs it but promspec deliberately rejects it; ``reason`` says why.

A REJECT or STRICTER case names the diagnostic it expects: some error has exactly ``code``
and, unless ``pointer`` is None, that JSON pointer, so a rejection for the wrong reason
fails. Every case whose server verdict is a validator message carries a pointer. For PS4xx
(the server accepts, then fails) the message must say so ("server").

Every expectation is first cross-checked against the server model
(prominence_spec/server/validator.py):
ACCEPT <=> server_runs, REJECT => not server_runs, STRICTER => server_runs.
Every section 5 message and every section 7.1 validator crash and backend failure of
test_server_model.py is a REJECT case as well, with its code in MESSAGE_CODES, CRASH_CODES
and BACKEND_CODES.

Comments marked ``WRONG:`` are cases where promspec's answer (asserted as it is today, so
the table pins it) is not what it should be; fixing them needs package changes.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import pytest
from _pytest.mark import ParameterSet

from prominence_spec import Diagnostic, validate
from prominence_spec.codes import CODES
from prominence_spec.server.validator import backend_failure, server_runs, server_validate

from server_support import DROP, fac, make_job, make_workflow, par, pol, rep, sweep, zipf, zpar
from test_server_model import BACKEND_FAILURES, CRASHES, MESSAGES

ACCEPT, REJECT, STRICTER = "ACCEPT", "REJECT", "STRICTER"
J, W = make_job, make_workflow
WF = "workflow"


OD: dict[str, Any] = {
    "type": "onedata",
    "mountpoint": "/data",
    "onedata": {"provider": "p.example", "token": "t"},
}
B64 = "ZWNobyBoaQo="
P0 = "/factories/0/parameters/0"  # the first parameter of the first factory


def case(
    kind: str,
    doc: Any,
    expectation: str,
    code: str | None = None,
    pointer: str | None = None,
    reason: str | None = None,
    id: str | None = None,
) -> ParameterSet:
    return pytest.param(kind, doc, expectation, code, pointer, reason, id=id)


def a(id: str, doc: Any, kind: str = "job") -> ParameterSet:
    """ACCEPT."""
    return case(kind, doc, ACCEPT, id=id)


def r(id: str, doc: Any, code: str, pointer: str | None = None, kind: str = "job") -> ParameterSet:
    """REJECT, with the code (and where given the pointer) of the error that says why."""
    return case(kind, doc, REJECT, code, pointer, id=id)


def s(
    id: str, doc: Any, code: str, pointer: str | None, reason: str, kind: str = "job"
) -> ParameterSet:
    """STRICTER: the server runs it; promspec rejects it with ``code``, for ``reason``."""
    return case(kind, doc, STRICTER, code, pointer, reason, id=id)


CASES = [
    # ------------------------------------------------------------------ ACCEPT: jobs
    a("minimal", J()),
    a("name-empty", J(name="")),
    a("name-512", J(name="n" * 512)),
    a("name-charset", J(name="my job/v1.0_x-y\t2")),
    a("name-nbsp", J(name="a\u00a0b")),
    a("labels", J(labels={"exp": "run-1", "path": "a/b.c_d"})),
    a("labels-empty", J(labels={})),
    a("label-unicode", J(labels={"k": "\u00e9\u0663"})),
    a("label-512", J(labels={"k" * 512: "v" * 512})),
    a("cpusRange", J(res={"cpus": DROP, "cpusRange": [2, 8]})),
    a("cpusOptions", J(res={"cpus": DROP, "cpusOptions": [4, 8]})),
    a("memoryPerCpu", J(res={"memory": DROP, "memoryPerCpu": 2})),
    a("nodes", J(res={"nodes": 4})),
    a("totalCpusRange", J(res={"totalCpusRange": [16, 64]})),
    a("totalCpusRange-nodes", J(res={"totalCpusRange": [16, 64], "nodes": 2})),
    a("walltime", J(res={"walltime": 1})),
    a("walltime-big", J(res={"walltime": 10**6})),
    a("big-cpus", J(res={"cpus": 10**6, "memory": 10**6, "disk": 10**6})),
    a(
        "task-all",
        J(
            task={
                "cmd": "echo $PROMINENCE_JOB_ID",
                "env": {"A": "1", "B": 2, "C": True},
                "app": "x",
                "workdir": "w",
                "procsPerNode": 1,
                "type": "basic",
                "imageSha256": "ab",
                "stdout": "o.txt",
                "imagePullCredential": {"username": "u", "token": "t"},
            }
        ),
    ),
    a("udocker", J(task={"runtime": "udocker", "image": "x.tar"})),
    a("procs-equal-cpus", J(res={"cpus": 4}, task={"procsPerNode": 4})),
    a("procs-cpusRange", J(res={"cpus": DROP, "cpusRange": [1, 2]}, task={"procsPerNode": 8})),
    a("mpi", J(task={"type": "openmpi", "cmd": "/bin/app"})),
    a("mpi-mpirun-no-space", J(task={"type": "mpich", "cmd": "mpirun"})),
    a("sidecar-and-basic", J(tasks=[J()["tasks"][0] | {"type": "sidecar"}, J()["tasks"][0]])),
    a(
        "artifact",
        J(artifacts=[{"url": "https://x/a.tgz", "mountpoint": "a:/data", "executable": True}]),
    ),
    a("artifact-mount-empty-src", J(artifacts=[{"url": "u", "mountpoint": ":/data"}])),
    a("artifact-mount-two-colons", J(artifacts=[{"url": "u", "mountpoint": "a:/b:c"}])),
    a("inputs", J(inputs=[{"filename": "run.sh", "content": B64, "executable": True}])),
    a("inputs-empty-content", J(inputs=[{"filename": "e", "content": ""}])),
    a("outputs", J(outputFiles=["o.txt", "*.log"], outputDirs=["results"])),
    a("outputs-empty-lists", J(outputFiles=[], outputDirs=[])),
    a("storage", J(storage=OD | {"default": True, "directory": "/d"})),
    a("storage-no-mount-null", J(storage=OD | {"mountpoint": None})),
    a("storage-no-mount-empty", J(storage=OD | {"mountpoint": ""})),
    a("onedata-options", J(storage=OD | {"onedata": OD["onedata"] | {"options": "-v"}})),
    a(
        "policies-bounds",
        pol(
            maximumRetries=6,
            maximumTaskRetries=1,
            maximumTimeInQueue=44640,
            maximumIdleTimePerResource=44640,
            priority=0,
        ),
    ),
    a(
        "policies-bools",
        pol(
            leaveInQueue=True,
            ignoreTaskFailures=False,
            reportJobSuccessOnTaskFailure=True,
            runSerialTasksOnAllNodes=False,
        ),
    ),
    a("timeInQueue-0", pol(maximumTimeInQueue=0)),
    a("priority-digit-string", pol(priority="5")),
    a("autoscaling-null", pol(autoScalingType=None)),
    a("autoscaling-shared", pol(autoScalingType="shared")),
    a("preemptible-any", pol(preemptible="yes")),
    a(
        "placement",
        pol(
            placement={
                "requirements": {"sites": ["s1"], "regions": []},
                "preferences": {"regions": ["r"]},
            }
        ),
    ),
    a("notifications", J(notifications=[{"event": "jobFinished", "type": "email"}])),
    a("policies-empty", J(policies={})),
    # --------------------------------------------------------------- ACCEPT: workflows
    a("wf-basic", W(), WF),
    a("wf-deps", W(dependencies={"a": ["b"]}), WF),
    a("wf-repeat", fac(rep(3)), WF),
    a("wf-zip", fac(zipf(zpar("x", [1, 2.5]), zpar("y", ["a", True]))), WF),
    a("wf-sweep", fac(sweep(par(), par("y", start=0.5, end=1.5, step=0.5))), WF),
    a("wf-sweep-4d", fac(sweep(*[par(n) for n in "abcd"])), WF),
    a("wf-factory-deps", fac(rep(2), jobs=None) | {"dependencies": {"a": ["b"]}}, WF),
    a(
        "wf-policies",
        W(policies={"maximumRetries": 10, "maximumReruns": 1, "leaveInQueue": True}),
        WF,
    ),
    a("wf-placement", W(policies={"placement": {"requirements": {"sites": ["s"]}}}), WF),
    a(
        "wf-labels-notifications",
        W(labels={"k": "v"}, notifications=[{"event": "workflowFinished", "type": "email"}]),
        WF,
    ),
    a("wf-factory-empty-jobs", fac(rep(2, jobs=())), WF),
    a("wf-job-leaveInQueue", W(jobs=[J(name="a", policies={"leaveInQueue": True})]), WF),
    # the server ignores number on zip/parameterSweep factories and parameters on repeat ones
    s(
        "wf-zip-ignored-number",
        fac(zipf(zpar()) | {"number": "x"}),
        "PS203",
        "/factories/0/number",
        "type-specific factory keys are checked on every factory, even where ignored",
        WF,
    ),
    s(
        "wf-repeat-ignored-parameters",
        fac(rep(2) | {"parameters": "x"}),
        "PS203",
        "/factories/0/parameters",
        "type-specific factory keys are checked on every factory, even where ignored",
        WF,
    ),
    s(
        "wf-repeat-ignored-duplicate-params",
        fac(rep(2) | {"parameters": [zpar(), zpar()]}),
        "PS304",
        "/factories/0/parameters/1/name",
        "type-specific factory keys are checked on every factory, even where ignored",
        WF,
    ),
    # ------------------------------------------------- REJECT: backend failures (PS4xx)
    r("disk-missing", J(res={"disk": DROP}), "PS401", "/resources"),
    r("sweep-number", fac(sweep(par(step=DROP, number=3))), "PS402", P0, WF),
    r("sweep-start-text", fac(sweep(par(start="a"))), "PS403", f"{P0}/start", WF),
    r("sweep-step-null", fac(sweep(par(step=None))), "PS403", f"{P0}/step", WF),
    r("sweep-step-0", fac(sweep(par(step=0))), "PS404", f"{P0}/step", WF),
    r("sweep-step-negative", fac(sweep(par(step=-1))), "PS404", f"{P0}/step", WF),
    r("sweep-5d", fac(sweep(*[par(n) for n in "abcde"])), "PS405", "/factories/0/parameters", WF),
    r("zip-no-parameters", fac(zipf()), "PS406", "/factories/0/parameters", WF),
    r("zip-value-space", fac(zipf(zpar("x", ["a b"]))), "PS407", f"{P0}/values/0", WF),
    r("zip-value-quote", fac(zipf(zpar("x", ['a"b']))), "PS407", f"{P0}/values/0", WF),
    r("zip-value-list", fac(zipf(zpar("x", [[1, 2]]))), "PS407", f"{P0}/values/0", WF),
    r("image-number", J(task={"image": 5}), "PS408", "/tasks/0/image"),
    r(
        "totalCpusRange-text",
        J(res={"totalCpusRange": ["a", 2]}),
        "PS409",
        "/resources/totalCpusRange/0",
    ),
    r(
        "inputs-bad-base64",
        J(inputs=[{"filename": "f", "content": "abc"}]),
        "PS410",
        "/inputs/0/content",
    ),
    r(
        "inputs-non-ascii",
        J(inputs=[{"filename": "f", "content": "\u00e9"}]),
        "PS410",
        "/inputs/0/content",
    ),
    r(
        "notification-no-type",
        J(notifications=[{"event": "jobFinished"}]),
        "PS412",
        "/notifications/0",
    ),
    r("notification-empty", J(notifications=[{}]), "PS412", "/notifications/0"),
    r(
        "wf-notification-no-event",
        W(notifications=[{"type": "email"}]),
        "PS412",
        "/notifications/0",
        WF,
    ),
    r(
        "wf-job-disk-missing",
        W(jobs=[J(name="a", res={"disk": DROP})]),
        "PS401",
        "/jobs/0/resources",
        WF,
    ),
    # the backend fails on these list or string items (compatibility.md, stricter table #2, #3)
    r("inputs-as-list", J(inputs=[["filename", "content"]]), "PS503", "/inputs/0"),
    r("artifact-as-list", J(artifacts=[["url"]]), "PS503", "/artifacts/0"),
    r("notification-as-list", J(notifications=[[]]), "PS503", "/notifications/0"),
    r("notification-as-string", J(notifications=[""]), "PS503", "/notifications/0"),
    r("wf-cycle", W(dependencies={"a": ["b"], "b": ["a"]}), "PS502", "/dependencies/a", WF),
    r("wf-self-dependency", W(dependencies={"a": ["a"]}), "PS502", "/dependencies/a", WF),
    r(
        "wf-substring-cycle",
        W(jobs=[J(name="a"), J(name="ab")], dependencies={"a": ["ab"]}),
        "PS502",
        "/dependencies",
        WF,
    ),
    r(
        "wf-substring-self-loop",
        W(jobs=[J(name="a"), J(name="b"), J(name="ab")], dependencies={"b": ["a"]}),
        "PS502",
        "/dependencies",
        WF,
    ),
    # the step is too small to change 1e20: a PS404 on the parameter (and one on the factory)
    r("sweep-float-stagnation", fac(sweep(par(start=1e20, end=2e20, step=1))), "PS404", P0, WF),
    r("wf-placement-number", W(policies={"placement": 5}), "PS203", "/policies/placement", WF),
    r(
        "wf-placement-site-number",
        W(policies={"placement": {"requirements": {"sites": [1]}}}),
        "PS408",
        "/policies/placement/requirements/sites/0",
        WF,
    ),
    # ----------------------------------------------------- REJECT: validator 400 / 500
    r("cpus-float", J(res={"cpus": 2.0}), "PS204", "/resources/cpus"),
    r("memory-exponent", J(res={"memory": 1e1}), "PS204", "/resources/memory"),
    # WRONG (code or docs): docs/compatibility.md gives "cpus": "4" (a validator crash) as
    # its example of PS411; promspec says PS203 (wrong type), as for every crash on a type.
    r("cpus-digit-string", J(res={"cpus": "4"}), "PS203", "/resources/cpus"),
    r("cpus-bool", J(res={"cpus": True}), "PS203", "/resources/cpus"),
    r("timeInQueue-minus-1", pol(maximumTimeInQueue=-1), "PS205", "/policies/maximumTimeInQueue"),
    r("priority-bool", pol(priority=True), "PS203", "/policies/priority"),
    r("priority-negative", pol(priority=-5), "PS205", "/policies/priority"),
    r("priority-digit-newline", pol(priority="5\n"), "PS207", "/policies/priority"),
    r("label-value-empty", J(labels={"k": ""}), "PS207", "/labels/k"),
    # a label name is reported at its mapping: a JSON pointer cannot name a key
    r("label-key-empty", J(labels={"": "v"}), "PS207", "/labels"),
    r("label-two-newlines", J(labels={"k": "v\n\n"}), "PS207", "/labels/k"),
    r("name-unicode", J(name="caf\u00e9"), "PS207", "/name"),
    r("name-feff", J(name="a\ufeffb"), "PS207", "/name"),
    r("name-513", J(name="n" * 513), "PS208", "/name"),
    r("runtime-missing", J(task={"runtime": DROP}), "PS202", "/tasks/0"),
    r(
        "mountpoint-null",
        J(artifacts=[{"url": "u", "mountpoint": None}]),
        "PS411",
        "/artifacts/0/mountpoint",
    ),
    r("storage-mount-true", J(storage=OD | {"mountpoint": True}), "PS411", "/storage/mountpoint"),
    r(
        "storage-mount-relative",
        J(storage=OD | {"mountpoint": "data"}),
        "PS207",
        "/storage/mountpoint",
    ),
    # WRONG (code or docs): docs/compatibility.md gives null policies (a validator crash)
    # as its example of PS411; promspec says PS203 (wrong type).
    r("policies-null", J(policies=None), "PS203", "/policies"),
    r("wf-repeat-text", fac(rep("3")), "PS203", "/factories/0/number", WF),
    r("wf-zip-no-values", fac(zipf({"name": "x"})), "PS202", P0, WF),
    r(
        "wf-python-client-num",
        fac({"type": "repeat", "name": "r", "jobs": ["a"], "num": 2}),
        "PS202",
        "/factories/0",
        WF,
    ),
    r("wf-old-factory", W(factory={"type": "parametricSweep"}), "PS201", "/factory", WF),
    # the server iterates the string and complains about job item "a"; jobs is not a list
    r("wf-jobs-string", W(jobs="ab"), "PS203", "/jobs", WF),
    r("wf-job-no-name", W(jobs=[J()]), "PS202", "/jobs/0", WF),
    r("wf-job-name-list", W(jobs=[J(name="a"), J(name=["b"])]), "PS408", "/jobs/1/name", WF),
    r("wf-job-name-object", W(jobs=[J(name={})]), "PS408", "/jobs/0/name", WF),
    # ------------------------------------------- STRICTER: server runs, promspec refuses
    s("policies-list", J(policies=[]), "PS503", "/policies", "non-canonical container"),
    s("policies-string", J(policies=""), "PS503", "/policies", "non-canonical container"),
    s(
        "placement-list",
        pol(placement=[]),
        "PS503",
        "/policies/placement",
        "non-canonical container",
    ),
    s(
        "requirements-string",
        pol(placement={"requirements": ""}),
        "PS503",
        "/policies/placement/requirements",
        "non-canonical container",
    ),
    s(
        "credential-string",
        J(task={"imagePullCredential": "username token"}),
        "PS503",
        "/tasks/0/imagePullCredential",
        "a string that merely contains the key names is not a credential",
    ),
    s(
        "onedata-list",
        J(storage=OD | {"onedata": ["provider", "token"]}),
        "PS503",
        "/storage/onedata",
        "a list that merely contains the key names is not a OneData configuration",
    ),
    s(
        "storage-mount-false",
        J(storage=OD | {"mountpoint": False}),
        "PS503",
        "/storage/mountpoint",
        "use null",
    ),
    s(
        "storage-mount-zero",
        J(storage=OD | {"mountpoint": 0}),
        "PS503",
        "/storage/mountpoint",
        "use null",
    ),
    s(
        "mpi-cmd-empty",
        J(task={"type": "intelmpi", "cmd": ""}),
        "PS309",
        "/tasks/0/cmd",
        "MPI needs a program",
    ),
    # WRONG (this and the four below, and msg:names of jobs in workflows cannot be empty):
    # an empty string is reported as PS208, whose title in codes.py is "value too long";
    # promspec has no code for a too-short (empty) value.
    s("output-empty-name", J(outputFiles=[""]), "PS208", "/outputFiles/0", "stage-out of '' fails"),
    s(
        "outputdir-empty-name",
        J(outputDirs=[""]),
        "PS208",
        "/outputDirs/0",
        "stage-out of '' fails",
    ),
    s(
        "image-empty",
        J(task={"image": ""}),
        "PS208",
        "/tasks/0/image",
        "an empty image cannot be pulled",
    ),
    s(
        "artifact-url-empty",
        J(artifacts=[{"url": ""}]),
        "PS208",
        "/artifacts/0/url",
        "an empty URL cannot be fetched",
    ),
    s(
        "onedata-provider-empty",
        J(storage=OD | {"onedata": {"provider": "", "token": "t"}}),
        "PS208",
        "/storage/onedata/provider",
        "provider must be non-empty",
    ),
    s("artifact-url-number", J(artifacts=[{"url": 5}]), "PS408", "/artifacts/0/url", "source: 500"),
    s(
        "artifact-executable-text",
        J(artifacts=[{"url": "u", "executable": "yes"}]),
        "PS203",
        "/artifacts/0/executable",
        "boolean",
    ),
    s(
        "input-filename-number",
        J(inputs=[{"filename": 5, "content": ""}]),
        "PS408",
        "/inputs/0/filename",
        "source: 500",
    ),
    s(
        "input-executable-number",
        J(inputs=[{"filename": "f", "content": "", "executable": 1}]),
        "PS203",
        "/inputs/0/executable",
        "boolean",
    ),
    s(
        "env-value-null",
        J(task={"env": {"A": None}}),
        "PS203",
        "/tasks/0/env/A",
        "env values are scalars",
    ),
    s("workdir-number", J(task={"workdir": 5}), "PS203", "/tasks/0/workdir", "workdir is a string"),
    s(
        "credential-values-numbers",
        J(task={"imagePullCredential": {"username": 1, "token": 2}}),
        "PS203",
        "/tasks/0/imagePullCredential/username",
        "credential values are strings",
    ),
    s(
        "cpusRange-text",
        J(res={"cpus": DROP, "cpusRange": ["a", "b"]}),
        "PS409",
        "/resources/cpusRange/0",
        "source: 500",
    ),
    s(
        "cpusRange-float",
        J(res={"cpus": DROP, "cpusRange": [1.0, 2.0]}),
        "PS409",
        "/resources/cpusRange/0",
        "integers",
    ),
    # compatibility.md (stricter table #15) files 0 elements under PS409 too; PS205 (out of
    # range) is the more exact code, and the one promspec gives
    s(
        "cpusOptions-zero",
        J(res={"cpus": DROP, "cpusOptions": [0, 2]}),
        "PS205",
        "/resources/cpusOptions/0",
        "integers >= 1",
    ),
    s(
        "totalCpusRange-float",
        J(res={"totalCpusRange": [1.5, 4]}),
        "PS409",
        "/resources/totalCpusRange/0",
        "integers",
    ),
    s(
        "site-number",
        pol(placement={"requirements": {"sites": [1]}}),
        "PS408",
        "/policies/placement/requirements/sites/0",
        "source: 500",
    ),
    s(
        "priority-superscript",
        pol(priority="\u00b2"),
        "PS207",
        "/policies/priority",
        "ASCII digits only (source: bad ClassAd)",
    ),
    s("wf-jobs-empty-list", W(jobs=[]), "PS506", "/jobs", "empty workflow", WF),
    s("wf-jobs-empty-object", W(jobs={}), "PS506", "/jobs", "empty workflow", WF),
    s("wf-jobs-empty-string", W(jobs=""), "PS506", "/jobs", "empty workflow", WF),
    s(
        "wf-parent-unknown",
        W(dependencies={"zzz": ["a"]}),
        "PS501",
        "/dependencies/zzz",
        "the server ignores the dependency",
        WF,
    ),
    s(
        "wf-children-empty",
        W(dependencies={"a": []}),
        "PS210",
        "/dependencies/a",
        "PARENT line without children",
        WF,
    ),
    s(
        "wf-job-two-factories",
        fac(rep(2), rep(3)),
        "PS507",
        "/factories/1/jobs/0",
        "the server keeps only the last factory",
        WF,
    ),
    s("wf-name-missing", W(name=DROP), "PS504", "", "condor_submit_dag -batch-name", WF),
    s("wf-name-empty", W(name=""), "PS504", "/name", "condor_submit_dag -batch-name", WF),
    s("wf-name-space", W(name="my wf"), "PS504", "/name", "condor_submit_dag -batch-name", WF),
    s("wf-job-name-space", W(jobs=[J(name="a b")]), "PS504", "/jobs/0/name", "DAG node name", WF),
    s("wf-job-name-slash", W(jobs=[J(name="a/b")]), "PS504", "/jobs/0/name", "directory name", WF),
    s("wf-job-name-dot", W(jobs=[J(name=".")]), "PS504", "/jobs/0/name", "directory name", WF),
    s(
        "wf-param-name-dash",
        fac(zipf(zpar("a-b"))),
        "PS504",
        f"{P0}/name",
        "not substitutable",
        WF,
    ),
    # a number is not a name at all: a wrong type (PS203), like a numeric factory name
    s(
        "wf-param-name-number",
        fac(sweep(par(5))),  # type: ignore[arg-type]  # a number as the name, on purpose
        "PS203",
        f"{P0}/name",
        "parameter names are identifier strings",
        WF,
    ),
    s(
        "wf-zip-value-equals",
        fac(zipf(zpar("x", ["a=b"]))),
        "PS407",
        f"{P0}/values/0",
        "--param split on =",
        WF,
    ),
    s(
        "wf-zip-value-backslash",
        fac(zipf(zpar("x", ["a\\b"]))),
        "PS407",
        f"{P0}/values/0",
        "DAG escape",
        WF,
    ),
    s(
        "wf-zip-value-null",
        fac(zipf(zpar("x", [None]))),
        "PS407",
        f"{P0}/values/0",
        "becomes 'None'",
        WF,
    ),
    s("wf-zip-values-empty", fac(zipf(zpar("x", []))), "PS406", f"{P0}/values", "no instances", WF),
    s(
        "wf-sweep-no-parameters",
        fac(sweep()),
        "PS406",
        "/factories/0/parameters",
        "no instances",
        WF,
    ),
    s(
        "wf-sweep-start-string",
        fac(sweep(par(start="1"))),
        "PS403",
        f"{P0}/start",
        "JSON number required",
        WF,
    ),
    s(
        "wf-sweep-end-bool",
        fac(sweep(par(end=True))),
        "PS403",
        f"{P0}/end",
        "JSON number required",
        WF,
    ),
    s(
        "wf-sweep-step-0-empty",
        fac(sweep(par(start=3, end=1, step=0))),
        "PS404",
        f"{P0}/step",
        "a non-positive step is an error in every useful case",
        WF,
    ),
    s(
        "wf-unused-sweep-number",
        fac(sweep(par(step=DROP, number=3), jobs=())),
        "PS402",
        P0,
        "unused factories are checked too",
        WF,
    ),
    s(
        "wf-unused-zip-empty",
        fac(zipf(jobs=())),
        "PS406",
        "/factories/0/parameters",
        "unused factories are checked too",
        WF,
    ),
    s(
        "wf-placement-null",
        W(policies={"placement": None}),
        "PS203",
        "/policies/placement",
        "canonical placement",
        WF,
    ),
    s(
        "wf-placement-extra-key",
        W(policies={"placement": {"x": 1}}),
        "PS201",
        "/policies/placement/x",
        "canonical placement",
        WF,
    ),
    s("wf-policies-list", W(policies=[]), "PS503", "/policies", "non-canonical container", WF),
    s(
        "label-key-trailing-nl",
        J(labels={"k\n": "v"}),
        "PS504",
        "/labels",
        "source: breaks the submit file",
    ),
    s(
        "label-value-trailing-nl",
        J(labels={"k": "v\n"}),
        "PS504",
        "/labels/k",
        "source: breaks the submit file",
    ),
    s("name-newline", J(name="a\n"), "PS504", "/name", "source: breaks the submit file"),
    s("name-carriage-return", J(name="a\rb"), "PS504", "/name", "source: breaks the submit file"),
    s("wf-sweep-start-gt-end", fac(sweep(par(start=3, end=1))), "PS406", P0, "no instances", WF),
    s(
        "wf-http-artifact-zip-job",
        W(jobs=[J(name="a", artifacts=[{"url": "https://x/i.tgz"}])], factories=[zipf(zpar())]),
        "PS414",
        "/jobs/0/artifacts/0/url",
        "source: 500",
        WF,
    ),
    # no pointer: promspec points at the factory's whole jobs list (/factories/0/jobs), not
    # at the entry "a" nor at the clashing job's name (/jobs/1/name)
    s(
        "wf-instance-name-clash",
        W(jobs=[J(name="a"), J(name="a_0")], factories=[rep(1)]),
        "PS504",
        None,
        "source: duplicate DAG node",
        WF,
    ),
    s(
        "wf-substring-dropped-edge",
        W(jobs=[J(name=n) for n in ("c", "ba", "a", "ab")], dependencies={"ba": ["a"], "a": ["c"]}),
        "PS502",
        "/dependencies",
        "substring matching: the server silently drops ba's own children",
        WF,
    ),
    s(
        "wf-factory-name-number",
        fac(rep(2) | {"name": 5}),
        "PS203",
        "/factories/0/name",
        "factory name is a string",
        WF,
    ),
]

# (server message, code, pointer) for each test_server_model.MESSAGES entry, in its order
MESSAGE_CODES = [
    # ---- job: top level, name, labels
    ('invalid item "foo" in job description', "PS201", "/foo"),
    ("job name must be less than 512 characters in length", "PS208", "/name"),
    ("invalid job name", "PS207", "/name"),
    ("labels must be defined as a dict", "PS203", "/labels"),
    ("label names must be less than 512 characters in length", "PS208", "/labels"),
    ("label values must be less than 512 characters in length", "PS208", "/labels/k"),
    ('label name "a-b" is invalid', "PS207", "/labels"),
    ('label value "a b" is invalid', "PS207", "/labels/k"),
    # ---- resources
    ('invalid item "gpus" in resources', "PS201", "/resources/gpus"),
    ("number of nodes must be an integer", "PS204", "/resources/nodes"),
    ("number of nodes must be at least 1", "PS205", "/resources/nodes"),
    ("totalCpusRange must be a list", "PS203", "/resources/totalCpusRange"),
    (
        "totalCpusRange must be a list containing the min and max allowed total number of CPUs",
        "PS210",
        "/resources/totalCpusRange",
    ),
    # cpus -1: the server's digit test fails; promspec says "at least 1"
    ("number of cpus must be an integer", "PS205", "/resources/cpus"),
    ("number of cpus must be at least 1", "PS205", "/resources/cpus"),
    ("one of cpus, cpusRange, cpusOptions must be defined", "PS209", "/resources"),
    (
        "cpusRange must be a list containing the min and max allowed number of CPUs",
        "PS210",
        "/resources/cpusRange",
    ),
    (
        "cpusOptions must be a list containing the two possible number of CPUs",
        "PS203",
        "/resources/cpusOptions",
    ),
    ("cpus and cpusRange cannot both be defined", "PS209", "/resources"),
    ("cpus and cpusOptions cannot both be defined", "PS209", "/resources"),
    ("cpusRange and cpusOptions cannot both be defined", "PS209", "/resources"),
    # 1.5 is no integer at all (PS203); PS204 is for integers written 1.0 or 1e1
    ("memory must be an integer", "PS203", "/resources/memory"),
    ("memory must be at least 1", "PS205", "/resources/memory"),
    ("memory or memoryPerCpu (in GB) must be defined", "PS209", "/resources"),
    ("memoryPerCpu must be an integer", "PS203", "/resources/memoryPerCpu"),
    ("memoryPerCpu must be at least 1", "PS205", "/resources/memoryPerCpu"),
    ("memory and memoryPerCpu cannot both be defined", "PS209", "/resources"),
    ("required disk must be an integer", "PS203", "/resources/disk"),
    ("disk must be at least 1", "PS205", "/resources/disk"),
    ("required walltime must be an integer", "PS203", "/resources/walltime"),
    ("walltime must be at least 1 minute", "PS205", "/resources/walltime"),
    ("a job must contain resources", "PS202", ""),
    # ---- tasks
    ("an array of tasks must be provided", "PS203", "/tasks"),
    ('invalid item "workDir" in task', "PS201", "/tasks/0/workDir"),
    ("each task must specify a container image", "PS202", "/tasks/0"),
    (
        "a username and token must be specified in the image pull credential",
        "PS202",
        "/tasks/0/imagePullCredential",
    ),
    ("the container runtime must be either udocker or singularity", "PS206", "/tasks/0/runtime"),
    ("a container runtime must be defined", "PS202", "/tasks/0"),
    ("environment variables must be defined as a dict", "PS203", "/tasks/0/env"),
    ("app is only supported by Singularity", "PS209", "/tasks/0"),
    ("app must be a string", "PS203", "/tasks/0/app"),
    ("number of processes per node must be an integer", "PS203", "/tasks/0/procsPerNode"),
    ("number of processes per node must be at least 1", "PS205", "/tasks/0/procsPerNode"),
    (
        "number of processes per node must be less than number of CPU cores per node",
        "PS306",
        "/tasks/0/procsPerNode",
    ),
    ("cmd must be a string", "PS203", "/tasks/0/cmd"),
    ("invalid task type", "PS206", "/tasks/0/type"),
    (
        "it is not necessary to include mpirun in the cmd if an MPI flavour has been specified",
        "PS308",
        "/tasks/0/cmd",
    ),
    ("A command to execute must be specified for MPI jobs", "PS309", "/tasks/0"),
    ("a job cannot contain only sidecar tasks", "PS307", "/tasks"),
    ("a job cannot contain only sidecar tasks", "PS307", "/tasks"),
    ("a job must contain tasks", "PS202", ""),
    # ---- artifacts, outputs, inputs
    ("an array of artifacts must be provided", "PS203", "/artifacts"),
    ("invalid item path in artifact", "PS201", "/artifacts/0/path"),
    ("an artifact must contain a URL", "PS202", "/artifacts/0"),
    ("invalid source in mountpoint for artifact", "PS207", "/artifacts/0/mountpoint"),
    ("the mountpoint for an artifact must be an absolute path", "PS207", "/artifacts/0/mountpoint"),
    ("invalid mountpoint for artifact", "PS207", "/artifacts/0/mountpoint"),
    ("an array of outputFiles must be provided", "PS203", "/outputFiles"),
    ("outputFiles must be a list of strings", "PS203", "/outputFiles/0"),
    ("an array of outputDirs must be provided", "PS203", "/outputDirs"),
    ("outputDirs must be a list of strings", "PS203", "/outputDirs/0"),
    ("an array of inputs must be provided", "PS203", "/inputs"),
    ("invalid item f in input", "PS203", "/inputs/0"),
    ("each input must contain a filename", "PS202", "/inputs/0"),
    ("each input must contain base64 encoded content", "PS202", "/inputs/0"),
    # ---- storage
    ("storage type must be defined", "PS202", "/storage"),
    ("storage type must be onedata", "PS206", "/storage/type"),
    ("a mount point must be defined", "PS202", "/storage"),
    ("the mountpoint must be an absolute path", "PS207", "/storage/mountpoint"),
    ("default must be either true or false", "PS203", "/storage/default"),
    ("OneData storage details must be defined", "PS202", "/storage"),
    ("OneData provider must be defined", "PS202", "/storage/onedata"),
    ("OneData token must be defined", "PS202", "/storage/onedata"),
    # ---- job policies
    ('invalid item "ignoreTaskTailures" in policies', "PS201", "/policies/ignoreTaskTailures"),
    (
        "runSerialTasksOnAllNodes must be either true or false",
        "PS203",
        "/policies/runSerialTasksOnAllNodes",
    ),
    ("leaveInQueue must be either true or false", "PS203", "/policies/leaveInQueue"),
    ('invalid item "sites" in placement policy', "PS201", "/policies/placement/sites"),
    (
        'invalid item "zones" in requirements',
        "PS201",
        "/policies/placement/requirements/zones",
    ),
    (
        "sites in requirements must be a list",
        "PS203",
        "/policies/placement/requirements/sites",
    ),
    ('invalid item "x" in preferences', "PS201", "/policies/placement/preferences/x"),
    (
        "regions in preferences must be a list",
        "PS203",
        "/policies/placement/preferences/regions",
    ),
    ("ignoreTaskFailures must be either true or false", "PS203", "/policies/ignoreTaskFailures"),
    (
        "reportJobSuccessOnTaskFailure must be either true or false",
        "PS203",
        "/policies/reportJobSuccessOnTaskFailure",
    ),
    # priority -1: the server's digit test fails; promspec says "at least 0"
    ("the priority must be an integer", "PS205", "/policies/priority"),
    (
        "autoScalingType, if defined, must be none, dedicated or shared",
        "PS206",
        "/policies/autoScalingType",
    ),
    ("the number of retries must be an integer", "PS204", "/policies/maximumRetries"),
    ("the number of retries must be greater than 0", "PS205", "/policies/maximumRetries"),
    ("the number of retries must be less than 6", "PS205", "/policies/maximumRetries"),
    ("the number of task retries must be an integer", "PS203", "/policies/maximumTaskRetries"),
    ("the number of retries must be greater than 0", "PS205", "/policies/maximumTaskRetries"),
    ("the number of retries must be less than 6", "PS205", "/policies/maximumTaskRetries"),
    ("the maximum time in queue must be an integer", "PS205", "/policies/maximumTimeInQueue"),
    ("the maximum time in queue must be less than 44640", "PS205", "/policies/maximumTimeInQueue"),
    (
        "the maximum idle time per resource must be an integer",
        "PS203",
        "/policies/maximumIdleTimePerResource",
    ),
    (
        "the maximum idle time per resource must be greater than 0",
        "PS205",
        "/policies/maximumIdleTimePerResource",
    ),
    (
        "the maximum idle time per resource must be less than 44640",
        "PS205",
        "/policies/maximumIdleTimePerResource",
    ),
    # ---- job notifications
    ("notifications must be in the form of a list", "PS203", "/notifications"),
    ('invalid item "when" in notifications', "PS201", "/notifications/0/when"),
    ('invalid notification event "workflowFinished"', "PS206", "/notifications/0/event"),
    ('invalid notification type "sms"', "PS206", "/notifications/0/type"),
    # ---- workflow: top level, name, jobs
    ('invalid item "storage" in workflow description', "PS201", "/storage"),
    ("workflow name must be less than 512 characters in length", "PS208", "/name"),
    ("invalid workflow name", "PS207", "/name"),
    ("disk must be at least 1", "PS205", "/jobs/0/resources/disk"),
    ("a workflow must contain jobs", "PS202", ""),
    ('all jobs must have unique names: "a" is used more than once', "PS301", "/jobs/1/name"),
    # WRONG: PS208 is "value too long" (see output-empty-name)
    ("names of jobs in workflows cannot be empty", "PS208", "/jobs/0/name"),
    ("all jobs must have names", "PS202", "/jobs/0"),
    # ---- dependencies
    ("dependencies must be a dict", "PS203", "/dependencies"),
    ("children of parent job must be in the form of a list", "PS203", "/dependencies/a"),
    ('child job "z" is not actually defined', "PS302", "/dependencies/a/0"),
    # ---- factories
    ("factories must be a list", "PS203", "/factories"),
    ("a factory type must be specified", "PS202", "/factories/0"),
    ("a factory name must be specified", "PS202", "/factories/0"),
    ("a list of jobs must be specified", "PS202", "/factories/0"),
    ("jobs must be a list", "PS203", "/factories/0/jobs"),
    ("factory f references a job z which is not defined", "PS303", "/factories/0/jobs/0"),
    ("invalid factory type", "PS206", "/factories/0/type"),
    ("a factory of type repeat must have number specified", "PS202", "/factories/0"),
    ("number of repeats must be an integer", "PS204", "/factories/0/number"),
    ("number of repeats must be at least 1", "PS205", "/factories/0/number"),
    ("a factory of type parameterSweep must have parameters specified", "PS202", "/factories/0"),
    ("parameters must be a list", "PS203", "/factories/0/parameters"),
    ("a parameter must contain a name", "PS202", P0),
    ("a parameter must contain a start value", "PS202", P0),
    ("a parameter must contain an end value", "PS202", P0),
    ("a parameter must contain a step size or number of steps", "PS202", P0),
    # WRONG: the server's validator rejects step and number together (400), but promspec
    # says PS402 "the server accepts it but fails with HTTP 500"; it should be PS209
    # (invalid combination of keys) at the parameter.
    ("a parameter cannot have both a step size and number of steps", "PS402", P0),
    ("each parameter must have a unique name", "PS304", "/factories/0/parameters/1/name"),
    ("a factory of type zip must have parameters specified", "PS202", "/factories/0"),
    ("parameters must be a list", "PS203", "/factories/0/parameters"),
    (
        "all parameters must lists of values the same length",
        "PS305",
        "/factories/0/parameters/1/values",
    ),
    ("a parameter must contain a name", "PS202", P0),
    ("values must be a list", "PS203", f"{P0}/values"),
    ("each parameter must have a unique name", "PS304", "/factories/0/parameters/1/name"),
    # ---- workflow policies, labels, notifications
    ('invalid item "maximumTaskRetries" in policies', "PS201", "/policies/maximumTaskRetries"),
    ("the number of retries must be an integer", "PS203", "/policies/maximumRetries"),
    ("the number of retries must be greater than 0", "PS205", "/policies/maximumRetries"),
    ("the number of retries must be less than 10", "PS205", "/policies/maximumRetries"),
    ("the number of reruns must be an integer", "PS203", "/policies/maximumReruns"),
    ("the number of reruns must be greater than 0", "PS205", "/policies/maximumReruns"),
    ("the number of reruns must be less than 10", "PS205", "/policies/maximumReruns"),
    ("leaveInQueue must be either true or false", "PS203", "/policies/leaveInQueue"),
    ('invalid item "maximumRetries" in workflow description', "PS201", "/maximumRetries"),
    ('label value "" is invalid', "PS207", "/labels/k"),
    ('invalid notification event "jobFinished"', "PS206", "/notifications/0/event"),
    ("notifications must be in the form of a list", "PS203", "/notifications"),
]

# index in test_server_model.CRASHES (documents the server's validator crashes on with an
# HTTP 500; the two non-object documents are not validated here) -> (code, pointer)
CRASH_CODES = {
    1: ("PS408", "/name"),  # 5
    2: ("PS408", "/name"),  # null
    3: ("PS408", "/name"),  # []
    4: ("PS408", "/labels/k"),  # 5
    5: ("PS408", "/labels/k"),  # ["v"]
    6: ("PS203", "/resources/cpus"),  # "4"; WRONG: compatibility.md says PS411 (cpus-digit-string)
    7: ("PS203", "/policies/maximumTimeInQueue"),  # "5"
    8: ("PS203", "/policies"),  # null; WRONG: compatibility.md says PS411 (policies-null)
    9: ("PS203", "/policies/placement"),  # null
    10: ("PS203", "/policies/placement/requirements"),  # null
    11: ("PS203", "/policies/placement/preferences"),  # null
    12: ("PS203", "/notifications/0"),  # null
    13: ("PS411", "/artifacts/0/mountpoint"),  # null
    14: ("PS411", "/artifacts/0/mountpoint"),  # 5
    15: ("PS411", "/storage/mountpoint"),  # true
    16: ("PS203", "/storage"),  # "type"
    # WRONG: besides this, four PS209 "... cannot both be defined" at /resources, which are
    # false: the schema's not-required checks pass vacuously on a non-object
    17: ("PS203", "/resources"),  # ["cpus"]
    # WRONG: besides this, a false PS209 "app is only supported by Singularity" at /tasks/0
    # and a false PS307 "a job cannot contain only sidecar tasks" at /tasks (same cause)
    18: ("PS203", "/tasks/0"),  # ["image", "runtime"]
    19: ("PS203", "/tasks/0/imagePullCredential"),  # null
    20: ("PS203", "/storage/onedata"),  # null
    22: ("PS408", "/name"),  # workflow name 1
    23: ("PS203", "/jobs"),  # null
    24: ("PS203", "/jobs"),  # 3
    25: ("PS203", "/factories/0/number"),  # "3"
    26: ("PS202", P0),  # zip parameter without values
    27: ("PS203", f"{P0}/values"),  # 3
    28: ("PS203", "/factories/0"),  # a list
    29: ("PS408", "/labels/k"),  # null
    30: ("PS203", "/policies"),  # workflow policies null; WRONG: see 8
}

# index in test_server_model.BACKEND_FAILURES -> (code, pointer)
BACKEND_CODES = {
    0: ("PS401", "/resources"),
    1: ("PS408", "/tasks/0/image"),
    2: ("PS409", "/resources/totalCpusRange/0"),
    3: ("PS410", "/inputs/0/content"),
    4: ("PS408", "/inputs/0/content"),  # 5: not even a string
    5: ("PS503", "/inputs/0"),
    6: ("PS503", "/artifacts/0"),
    7: ("PS412", "/notifications/0"),
    8: ("PS503", "/notifications/0"),
    9: ("PS402", P0),
    10: ("PS403", f"{P0}/start"),
    11: ("PS403", f"{P0}/step"),
    12: ("PS404", f"{P0}/step"),
    13: ("PS404", f"{P0}/step"),
    14: ("PS404", P0),
    15: ("PS405", "/factories/0/parameters"),
    16: ("PS406", "/factories/0/parameters"),
    17: ("PS407", f"{P0}/values/0"),
    18: ("PS407", f"{P0}/values/0"),
    19: ("PS407", f"{P0}/values/0"),
    20: ("PS401", "/jobs/0/resources"),
    21: ("PS203", "/policies/placement"),
    22: ("PS203", "/policies/placement/requirements"),
    23: ("PS503", "/jobs/0/policies"),  # the job's policies "" receives the placement
    24: ("PS502", "/dependencies/a"),
    25: ("PS502", "/dependencies/a"),
    26: ("PS502", "/dependencies"),
    27: ("PS412", "/notifications/0"),
}

CASES += [
    r(f"msg:{msg[:60]}", doc, code, pointer, kind)
    for (kind, doc, msg), (_, code, pointer) in zip(MESSAGES, MESSAGE_CODES, strict=True)
]
CASES += [
    r(f"crash:{i}", doc, *CRASH_CODES[i], kind)
    for i, (kind, doc) in enumerate(CRASHES)
    if isinstance(doc, dict)
]
CASES += [
    r(f"backend:{gist}:{i}", doc, *BACKEND_CODES[i], kind)
    for i, (kind, doc, gist) in enumerate(BACKEND_FAILURES)
]


def _errors(doc: Any, kind: str) -> list[Diagnostic]:
    return [d for d in validate(copy.deepcopy(doc), kind=kind) if d.severity == "error"]


def _show(diags: Iterable[Diagnostic]) -> str:
    return "; ".join(f"{d.code} {d.pointer!r}: {d.message}" for d in diags) or "accepted"


def _validator_message(doc: Any, kind: str) -> str | None:
    """The server validator's 400 message for ``doc``, or None (it accepts, or crashes)."""
    ok, message = server_validate(doc, kind)
    return None if ok or message.startswith("HTTP 500") else message


@pytest.mark.parametrize(("kind", "doc", "expectation", "code", "pointer", "reason"), CASES)
def test_compat(
    kind: str,
    doc: Any,
    expectation: str,
    code: str | None,
    pointer: str | None,
    reason: str | None,
) -> None:
    runs = server_runs(doc, kind)
    server = server_validate(doc, kind)[1] or backend_failure(doc, kind) or "runs"
    if expectation == ACCEPT:
        assert runs, f"table error: the server does not run this ({server})"
    elif expectation == STRICTER:
        assert runs and reason, f"table error: the server does not run this ({server})"
    else:
        assert not runs, "table error: the server runs this"
    errors = _errors(doc, kind)
    if expectation == ACCEPT:
        assert not errors, f"needless false reject: {_show(errors)}"
        return
    assert errors, f"FALSE ACCEPT: promspec accepts, server: {server}"
    hits = [d for d in errors if d.code == code and (pointer is None or d.pointer == pointer)]
    where = "" if pointer is None else f" at {pointer!r}"
    assert hits, f"want {code}{where}, server: {server}; got {_show(errors)}"
    assert code is not None  # a hit's code equals it
    if code.startswith("PS4"):
        assert any("server" in d.message for d in hits), _show(hits)


def test_table_size() -> None:
    assert len(CASES) >= 120
    assert {c.values[2] for c in CASES} == {ACCEPT, REJECT, STRICTER}


def test_every_rejection_names_its_code() -> None:
    """A REJECT or STRICTER case without a code would pass on a rejection for any reason."""
    for c in CASES:
        kind, doc, expectation, code, pointer, reason = c.values
        if expectation == ACCEPT:
            assert code is None and pointer is None, c.id
        else:
            assert code in CODES, f"{c.id}: no code, or one not in the catalogue: {code!r}"
            assert (
                pointer is None
                or pointer == ""
                or (isinstance(pointer, str) and pointer.startswith("/"))
            ), c.id


def test_server_message_cases_name_their_pointer() -> None:
    """Where the server answers with a validator message, the case says where the problem is."""
    missing = []
    for c in CASES:
        kind, doc, expectation, code, pointer, reason = c.values
        assert isinstance(kind, str), c.id
        if expectation == REJECT and pointer is None and _validator_message(doc, kind):
            missing.append(c.id)
    assert not missing


def test_code_tables_follow_the_server_model() -> None:
    assert [m for m, _, _ in MESSAGE_CODES] == [m for _, _, m in MESSAGES]
    assert set(CRASH_CODES) == {i for i, (_, doc) in enumerate(CRASHES) if isinstance(doc, dict)}
    assert set(BACKEND_CODES) == set(range(len(BACKEND_FAILURES)))


# Failure modes read from the backend source, beyond the reference (server_model
# ``extended=True``). The reference contract says the server runs these; the source says
# otherwise. Informational: xfail (non-strict) while promspec accepts them.
SOURCE_CASES = [
    pytest.param("job", J(labels={"k\n": "v"}), id="label-key-newline-breaks-submit-file"),
    pytest.param("job", J(name="a\nb"), id="name-newline-breaks-submit-file"),
    pytest.param("job", J(inputs=[{"filename": "dir/", "content": ""}]), id="input-dir-name"),
    pytest.param("job", J(inputs=[{"filename": "..", "content": ""}]), id="input-dotdot"),
    pytest.param("job", pol(priority="\u0663"), id="priority-arabic-digit"),
    pytest.param(
        "workflow",
        W(jobs=[J(name="a"), J(name="a_0")], factories=[rep(1)]),
        id="instance-node-name-clash",
    ),
    pytest.param("workflow", W(jobs=[J(name="workflow.json")]), id="job-named-workflow.json"),
    pytest.param("workflow", W(jobs=[J(name="job.dag")]), id="job-named-job.dag"),
    pytest.param("workflow", W(jobs=[J(name="ALL_NODES")]), id="job-named-ALL_NODES"),
    pytest.param(
        "workflow",
        W(jobs=[J(name="a", artifacts=[{"url": "https://x/i.tgz"}])], factories=[zipf(zpar())]),
        id="http-artifact-in-zip-job",
    ),
    pytest.param(
        "workflow",
        W(
            jobs=[J(name="a", artifacts=[{"url": "in.tgz"}], storage=OD | {"default": True})],
            factories=[sweep(par())],
        ),
        id="storage-default-artifact-sweep",
    ),
    pytest.param("workflow", fac(sweep(par(end=2e6))), id="sweep-2-million-instances"),
    pytest.param("workflow", fac(sweep(par("y"), par("z", end=10**6))), id="sweep-product-huge"),
    pytest.param("workflow", fac(rep(10**9)), id="repeat-a-billion"),
    pytest.param("job", J(res={"disk": 10**13}), id="disk-overflows-int64-RequestDisk"),
    pytest.param("job", J(res={"walltime": 10**400}), id="walltime-overflows-float"),
    pytest.param("job", pol(priority=2**63), id="priority-overflows-int64"),
]


# Failures beyond the reference, read from the backend source: promspec rejects them all.
@pytest.mark.parametrize(("kind", "doc"), SOURCE_CASES)
def test_source_derived_failures(kind: str, doc: dict[str, Any]) -> None:
    assert server_runs(doc, kind) and not server_runs(doc, kind, extended=True)
    assert _errors(doc, kind), f"promspec accepts: {backend_failure(doc, kind, extended=True)}"


def test_dependency_hints_survive_non_string_names() -> None:
    """Found by fuzzing: a non-string child name reached the did-you-mean hint."""
    doc = make_workflow(dependencies={"a": [5]})
    assert any(d.is_error for d in validate(doc, kind="workflow"))
