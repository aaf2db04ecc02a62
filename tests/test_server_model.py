"""The server model against the reference: every section 5 message, the section 2.3 digit
test, the section 6.3 acceptances and the section 7.1 crash list. This file doubles as an
executable description of the production server."""

from __future__ import annotations

from typing import Any

import pytest

from prominence_spec.server.validator import (
    Answer,
    Check,
    backend_failure,
    backend_verdict,
    server_runs,
    server_validate,
    validator_verdict,
)

from server_support import DROP, fac, make_job, make_task, make_workflow, par, pol, sweep, zipf

J, W, T = make_job, make_workflow, make_task
NO_CPUS = {"cpus": DROP}


ONEDATA = {"type": "onedata", "mountpoint": "/data", "onedata": {"provider": "p", "token": "t"}}

MESSAGES = [
    # ---- job: top level, name, labels
    ("job", J(foo=1), 'invalid item "foo" in job description'),
    ("job", J(name="a" * 513), "job name must be less than 512 characters in length"),
    ("job", J(name="a$b"), "invalid job name"),
    ("job", J(labels=[]), "labels must be defined as a dict"),
    ("job", J(labels={"k" * 513: "v"}), "label names must be less than 512 characters in length"),
    ("job", J(labels={"k": "v" * 513}), "label values must be less than 512 characters in length"),
    ("job", J(labels={"a-b": "v"}), 'label name "a-b" is invalid'),
    ("job", J(labels={"k": "a b"}), 'label value "a b" is invalid'),
    # ---- resources
    ("job", J(res={"gpus": 1}), 'invalid item "gpus" in resources'),
    ("job", J(res={"nodes": 1.0}), "number of nodes must be an integer"),
    ("job", J(res={"nodes": 0}), "number of nodes must be at least 1"),
    ("job", J(res={"totalCpusRange": "1,2"}), "totalCpusRange must be a list"),
    (
        "job",
        J(res={"totalCpusRange": [1]}),
        "totalCpusRange must be a list containing the min and max allowed total number of CPUs",
    ),
    ("job", J(res={"cpus": -1}), "number of cpus must be an integer"),
    ("job", J(res={"cpus": 0}), "number of cpus must be at least 1"),
    ("job", J(res=NO_CPUS), "one of cpus, cpusRange, cpusOptions must be defined"),
    (
        "job",
        J(res={"cpus": DROP, "cpusRange": [1, 2, 3]}),
        "cpusRange must be a list containing the min and max allowed number of CPUs",
    ),
    (
        "job",
        J(res={"cpus": DROP, "cpusOptions": 4}),
        "cpusOptions must be a list containing the two possible number of CPUs",
    ),
    ("job", J(res={"cpusRange": [1, 2]}), "cpus and cpusRange cannot both be defined"),
    ("job", J(res={"cpusOptions": 7}), "cpus and cpusOptions cannot both be defined"),
    (
        "job",
        J(res={"cpus": DROP, "cpusRange": [1, 2], "cpusOptions": [1, 2]}),
        "cpusRange and cpusOptions cannot both be defined",
    ),
    ("job", J(res={"memory": 1.5}), "memory must be an integer"),
    ("job", J(res={"memory": 0}), "memory must be at least 1"),
    ("job", J(res={"memory": DROP}), "memory or memoryPerCpu (in GB) must be defined"),
    ("job", J(res={"memory": DROP, "memoryPerCpu": True}), "memoryPerCpu must be an integer"),
    ("job", J(res={"memory": DROP, "memoryPerCpu": 0}), "memoryPerCpu must be at least 1"),
    ("job", J(res={"memoryPerCpu": "x"}), "memory and memoryPerCpu cannot both be defined"),
    ("job", J(res={"disk": None}), "required disk must be an integer"),
    ("job", J(res={"disk": 0}), "disk must be at least 1"),
    ("job", J(res={"walltime": "ten"}), "required walltime must be an integer"),
    ("job", J(res={"walltime": 0}), "walltime must be at least 1 minute"),
    ("job", J(resources=DROP), "a job must contain resources"),
    # ---- tasks
    ("job", J(tasks={}), "an array of tasks must be provided"),
    ("job", J(task={"workDir": "/x"}), 'invalid item "workDir" in task'),
    ("job", J(task={"image": DROP}), "each task must specify a container image"),
    (
        "job",
        J(task={"imagePullCredential": {"username": "u"}}),
        "a username and token must be specified in the image pull credential",
    ),
    (
        "job",
        J(task={"runtime": "docker"}),
        "the container runtime must be either udocker or singularity",
    ),
    ("job", J(task={"runtime": DROP}), "a container runtime must be defined"),
    ("job", J(task={"env": []}), "environment variables must be defined as a dict"),
    ("job", J(task={"runtime": "udocker", "app": 1}), "app is only supported by Singularity"),
    ("job", J(task={"app": 1}), "app must be a string"),
    ("job", J(task={"procsPerNode": "2a"}), "number of processes per node must be an integer"),
    ("job", J(task={"procsPerNode": 0}), "number of processes per node must be at least 1"),
    (
        "job",
        J(task={"procsPerNode": 2}),
        "number of processes per node must be less than number of CPU cores per node",
    ),
    ("job", J(task={"cmd": ["ls"]}), "cmd must be a string"),
    ("job", J(task={"type": None}), "invalid task type"),
    (
        "job",
        J(task={"type": "openmpi", "cmd": "mpirun x"}),
        "it is not necessary to include mpirun in the cmd if an MPI flavour has been specified",
    ),
    ("job", J(task={"type": "mpich"}), "A command to execute must be specified for MPI jobs"),
    ("job", J(task={"type": "sidecar"}), "a job cannot contain only sidecar tasks"),
    ("job", J(tasks=[]), "a job cannot contain only sidecar tasks"),
    ("job", J(tasks=DROP), "a job must contain tasks"),
    # ---- artifacts, outputs, inputs
    ("job", J(artifacts={}), "an array of artifacts must be provided"),
    ("job", J(artifacts=[{"url": "u", "path": "p"}]), "invalid item path in artifact"),
    ("job", J(artifacts=[{}]), "an artifact must contain a URL"),
    (
        "job",
        J(artifacts=[{"url": "u", "mountpoint": "a/b:/c"}]),
        "invalid source in mountpoint for artifact",
    ),
    (
        "job",
        J(artifacts=[{"url": "u", "mountpoint": "a:b"}]),
        "the mountpoint for an artifact must be an absolute path",
    ),
    ("job", J(artifacts=[{"url": "u", "mountpoint": "/data"}]), "invalid mountpoint for artifact"),
    ("job", J(outputFiles="out.txt"), "an array of outputFiles must be provided"),
    ("job", J(outputFiles=[1]), "outputFiles must be a list of strings"),
    ("job", J(outputDirs={}), "an array of outputDirs must be provided"),
    ("job", J(outputDirs=[None]), "outputDirs must be a list of strings"),
    ("job", J(inputs={}), "an array of inputs must be provided"),
    ("job", J(inputs=["file://x"]), "invalid item f in input"),
    ("job", J(inputs=[{"content": ""}]), "each input must contain a filename"),
    ("job", J(inputs=[{"filename": "a"}]), "each input must contain base64 encoded content"),
    # ---- storage
    ("job", J(storage={}), "storage type must be defined"),
    ("job", J(storage=ONEDATA | {"type": "b2drop"}), "storage type must be onedata"),
    ("job", J(storage={"type": "onedata"}), "a mount point must be defined"),
    ("job", J(storage=ONEDATA | {"mountpoint": "data"}), "the mountpoint must be an absolute path"),
    ("job", J(storage=ONEDATA | {"default": "yes"}), "default must be either true or false"),
    (
        "job",
        J(storage={"type": "onedata", "mountpoint": None}),
        "OneData storage details must be defined",
    ),
    ("job", J(storage=ONEDATA | {"onedata": {"token": "t"}}), "OneData provider must be defined"),
    ("job", J(storage=ONEDATA | {"onedata": {"provider": "p"}}), "OneData token must be defined"),
    # ---- job policies
    ("job", pol(ignoreTaskTailures=True), 'invalid item "ignoreTaskTailures" in policies'),
    (
        "job",
        pol(runSerialTasksOnAllNodes=1),
        "runSerialTasksOnAllNodes must be either true or false",
    ),
    ("job", pol(leaveInQueue="true"), "leaveInQueue must be either true or false"),
    ("job", pol(placement={"sites": []}), 'invalid item "sites" in placement policy'),
    ("job", pol(placement={"requirements": {"zones": []}}), 'invalid item "zones" in requirements'),
    (
        "job",
        pol(placement={"requirements": {"sites": "s"}}),
        "sites in requirements must be a list",
    ),
    ("job", pol(placement={"preferences": {"x": []}}), 'invalid item "x" in preferences'),
    (
        "job",
        pol(placement={"preferences": {"regions": {}}}),
        "regions in preferences must be a list",
    ),
    ("job", pol(ignoreTaskFailures=0), "ignoreTaskFailures must be either true or false"),
    (
        "job",
        pol(reportJobSuccessOnTaskFailure=None),
        "reportJobSuccessOnTaskFailure must be either true or false",
    ),
    ("job", pol(priority=-1), "the priority must be an integer"),
    (
        "job",
        pol(autoScalingType="auto"),
        "autoScalingType, if defined, must be none, dedicated or shared",
    ),
    ("job", pol(maximumRetries=1.0), "the number of retries must be an integer"),
    ("job", pol(maximumRetries=0), "the number of retries must be greater than 0"),
    ("job", pol(maximumRetries=7), "the number of retries must be less than 6"),
    ("job", pol(maximumTaskRetries="x"), "the number of task retries must be an integer"),
    ("job", pol(maximumTaskRetries=0), "the number of retries must be greater than 0"),
    ("job", pol(maximumTaskRetries=7), "the number of retries must be less than 6"),
    ("job", pol(maximumTimeInQueue=-1), "the maximum time in queue must be an integer"),
    ("job", pol(maximumTimeInQueue=44641), "the maximum time in queue must be less than 44640"),
    (
        "job",
        pol(maximumIdleTimePerResource=False),
        "the maximum idle time per resource must be an integer",
    ),
    (
        "job",
        pol(maximumIdleTimePerResource=0),
        "the maximum idle time per resource must be greater than 0",
    ),
    (
        "job",
        pol(maximumIdleTimePerResource=44641),
        "the maximum idle time per resource must be less than 44640",
    ),
    # ---- job notifications
    ("job", J(notifications={}), "notifications must be in the form of a list"),
    ("job", J(notifications=[{"when": "x"}]), 'invalid item "when" in notifications'),
    (
        "job",
        J(notifications=[{"event": "workflowFinished"}]),
        'invalid notification event "workflowFinished"',
    ),
    ("job", J(notifications=[{"type": "sms", "event": "x"}]), 'invalid notification type "sms"'),
    # ---- workflow: top level, name, jobs
    ("workflow", W(storage={}), 'invalid item "storage" in workflow description'),
    ("workflow", W(name="w" * 513), "workflow name must be less than 512 characters in length"),
    ("workflow", W(name="w:1"), "invalid workflow name"),
    ("workflow", W(jobs=[J(name="a", res={"disk": 0})]), "disk must be at least 1"),
    ("workflow", W(jobs=DROP), "a workflow must contain jobs"),
    (
        "workflow",
        W(jobs=[J(name="a"), J(name="a")]),
        'all jobs must have unique names: "a" is used more than once',
    ),
    ("workflow", W(jobs=[J(name="")]), "names of jobs in workflows cannot be empty"),
    ("workflow", W(jobs=[J()]), "all jobs must have names"),
    # ---- dependencies
    ("workflow", W(dependencies=[]), "dependencies must be a dict"),
    (
        "workflow",
        W(dependencies={"a": "b"}),
        "children of parent job must be in the form of a list",
    ),
    ("workflow", W(dependencies={"a": ["z"]}), 'child job "z" is not actually defined'),
    # ---- factories
    ("workflow", W(factories={}), "factories must be a list"),
    ("workflow", fac({"name": "f", "jobs": []}), "a factory type must be specified"),
    ("workflow", fac({"type": "repeat", "jobs": []}), "a factory name must be specified"),
    ("workflow", fac({"type": "repeat", "name": "f"}), "a list of jobs must be specified"),
    ("workflow", fac({"type": "repeat", "name": "f", "jobs": "a"}), "jobs must be a list"),
    (
        "workflow",
        fac({"type": "repeat", "name": "f", "jobs": ["z"]}),
        "factory f references a job z which is not defined",
    ),
    (
        "workflow",
        fac({"type": "parametricSweep", "name": "f", "jobs": []}),
        "invalid factory type",
    ),
    (
        "workflow",
        fac({"type": "repeat", "name": "f", "jobs": ["a"], "num": 2}),
        "a factory of type repeat must have number specified",
    ),
    (
        "workflow",
        fac({"type": "repeat", "name": "f", "jobs": ["a"], "number": 2.0}),
        "number of repeats must be an integer",
    ),
    (
        "workflow",
        fac({"type": "repeat", "name": "f", "jobs": ["a"], "number": 0}),
        "number of repeats must be at least 1",
    ),
    (
        "workflow",
        fac({"type": "parameterSweep", "name": "f", "jobs": ["a"]}),
        "a factory of type parameterSweep must have parameters specified",
    ),
    ("workflow", fac(sweep() | {"parameters": {}}), "parameters must be a list"),
    ("workflow", fac(sweep({"start": 1, "end": 2, "step": 1})), "a parameter must contain a name"),
    (
        "workflow",
        fac(sweep({"name": "x", "end": 2, "step": 1})),
        "a parameter must contain a start value",
    ),
    (
        "workflow",
        fac(sweep({"name": "x", "start": 2, "step": 1})),
        "a parameter must contain an end value",
    ),
    (
        "workflow",
        fac(sweep({"name": "x", "start": 1, "end": 2})),
        "a parameter must contain a step size or number of steps",
    ),
    (
        "workflow",
        fac(sweep(par(number=3))),
        "a parameter cannot have both a step size and number of steps",
    ),
    ("workflow", fac(sweep(par(), par())), "each parameter must have a unique name"),
    (
        "workflow",
        fac({"type": "zip", "name": "f", "jobs": ["a"]}),
        "a factory of type zip must have parameters specified",
    ),
    ("workflow", fac(zipf() | {"parameters": "p"}), "parameters must be a list"),
    (
        "workflow",
        fac(zipf({"name": "x", "values": [1]}, {"name": "y", "values": [1, 2]})),
        "all parameters must lists of values the same length",
    ),
    ("workflow", fac(zipf({"values": [1]})), "a parameter must contain a name"),
    ("workflow", fac(zipf({"name": "x", "values": "ab"})), "values must be a list"),
    (
        "workflow",
        fac(zipf({"name": "x", "values": [1]}, {"name": "x", "values": [2]})),
        "each parameter must have a unique name",
    ),
    # ---- workflow policies, labels, notifications
    (
        "workflow",
        W(policies={"maximumTaskRetries": 1}),
        'invalid item "maximumTaskRetries" in policies',
    ),
    ("workflow", W(policies={"maximumRetries": "x"}), "the number of retries must be an integer"),
    ("workflow", W(policies={"maximumRetries": 0}), "the number of retries must be greater than 0"),
    ("workflow", W(policies={"maximumRetries": 11}), "the number of retries must be less than 10"),
    ("workflow", W(policies={"maximumReruns": 2.5}), "the number of reruns must be an integer"),
    ("workflow", W(policies={"maximumReruns": 0}), "the number of reruns must be greater than 0"),
    ("workflow", W(policies={"maximumReruns": 11}), "the number of reruns must be less than 10"),
    ("workflow", W(policies={"leaveInQueue": "no"}), "leaveInQueue must be either true or false"),
    ("workflow", W(maximumRetries=3), 'invalid item "maximumRetries" in workflow description'),
    ("workflow", W(labels={"k": ""}), 'label value "" is invalid'),
    (
        "workflow",
        W(notifications=[{"event": "jobFinished"}]),
        'invalid notification event "jobFinished"',
    ),
    ("workflow", W(notifications=""), "notifications must be in the form of a list"),
]


@pytest.mark.parametrize(("kind", "doc", "message"), MESSAGES)
def test_every_section5_message(kind: str, doc: dict[str, Any], message: str) -> None:
    assert server_validate(doc, kind) == (False, message)


def test_section5_messages_all_covered() -> None:
    assert len({m for _, _, m in MESSAGES}) >= 130


# section 2.3: the digit test, shown on resources.cpus and on policies.priority
@pytest.mark.parametrize(
    ("value", "cpus_result", "priority_ok"),
    [
        (1, (True, ""), True),
        (0, (False, "number of cpus must be at least 1"), True),
        (-0, (False, "number of cpus must be at least 1"), True),
        (-1, (False, "number of cpus must be an integer"), False),
        (True, (False, "number of cpus must be an integer"), False),
        (False, (False, "number of cpus must be an integer"), False),
        (1.0, (False, "number of cpus must be an integer"), False),
        (1e2, (False, "number of cpus must be an integer"), False),
        (None, (False, "number of cpus must be an integer"), False),
        ("5", (False, "HTTP 500"), True),
        ("\u00b2", (False, "HTTP 500"), True),
        ("", (False, "number of cpus must be an integer"), False),
        (10**30, (True, ""), True),
    ],
)
def test_digit_test_table(value: Any, cpus_result: tuple[bool, str], priority_ok: bool) -> None:
    ok, msg = server_validate(J(res={"cpus": value}), "job")
    assert (ok, msg[:8] if msg.startswith("HTTP 500") else msg) == cpus_result
    assert server_validate(pol(priority=value), "job")[0] is priority_ok


@pytest.mark.parametrize(
    ("kind", "doc"),
    [
        ("job", J(name="")),
        ("job", J(name="x" * 512)),
        ("job", J(name="a b\t/c.d_e-f\u00a0")),
        ("job", J(name="a\n")),
        ("job", J(labels={"k\n": "v"})),
        ("job", J(labels={"k": "\u00e9\u0663\n"})),
        ("job", J(labels={"k" * 512: "v" * 512})),
        ("job", J(labels={})),
        ("job", J(policies=[])),
        ("job", J(policies="")),
        ("job", pol(placement=[])),
        ("job", pol(placement="")),
        ("job", pol(placement={"requirements": [], "preferences": ""})),
        ("job", pol(preemptible={"any": ["thing"]})),
        ("job", pol(priority="5")),
        ("job", pol(autoScalingType=None)),
        ("job", pol(maximumTimeInQueue=0)),
        (
            "job",
            pol(
                maximumRetries=6,
                maximumTaskRetries=6,
                maximumTimeInQueue=44640,
                maximumIdleTimePerResource=44640,
            ),
        ),
        ("job", J(notifications=[[], "", {}, {"event": "jobFinished"}, {"type": "email"}])),
        ("job", J(inputs=[["filename", "content"]])),
        ("job", J(artifacts=[["url"]])),
        ("job", J(artifacts=[{"url": 5, "executable": "x", "mountpoint": ":/data"}])),
        ("job", J(artifacts=[{"url": "u", "mountpoint": "a:/b:c"}])),
        ("job", J(inputs=[{"filename": 5, "content": 5, "executable": []}])),
        ("job", J(storage=ONEDATA | {"onedata": "provider+token", "extra": 1})),
        ("job", J(storage=ONEDATA | {"onedata": ["provider", "token"], "mountpoint": 0})),
        ("job", J(task={"imagePullCredential": "username:token"})),
        (
            "job",
            J(task={"image": 5, "workdir": 5, "stdout": 5, "imageSha256": 5, "env": {"A": []}}),
        ),
        ("job", J(task={"type": "openmpi", "cmd": ""})),
        ("job", J(task={"type": "intelmpi", "cmd": "mpirun"})),
        (
            "job",
            J(res={"cpus": DROP, "cpusRange": ["a", "b"], "totalCpusRange": [5, 1], "nodes": 2}),
        ),
        ("job", J(res={"cpus": DROP, "cpusOptions": [None, {}]})),
        ("job", J(res={"disk": DROP})),
        ("job", J(res={"memory": DROP, "memoryPerCpu": 2})),
        ("job", pol(placement={"requirements": {"sites": [1]}})),
        ("job", J(outputFiles=[], outputDirs=[""])),
        ("workflow", W(jobs=[])),
        ("workflow", W(jobs={})),
        ("workflow", W(jobs="")),
        ("workflow", W(policies=[])),
        ("workflow", W(policies={"placement": 5})),
        ("workflow", W(dependencies={"nobody": ["a"]})),
        ("workflow", W(name="")),
        ("workflow", fac(sweep(), zipf() | {"jobs": []})),
        ("workflow", fac(sweep(par(start="a", end=None, step=[], number=DROP)) | {"name": 5})),
        ("workflow", fac(zipf({"name": "x", "values": [None, [], {}]}))),
        ("workflow", W(dependencies={"a": ["a"]})),
    ],
)
def test_section6_acceptances(kind: str, doc: dict[str, Any]) -> None:
    assert server_validate(doc, kind) == (True, "")


CRASHES = [
    ("job", None),
    ("job", J(name=5)),
    ("job", J(name=None)),
    ("job", J(name=[])),
    ("job", J(labels={"k": 5})),
    ("job", J(labels={"k": ["v"]})),
    ("job", J(res={"cpus": "4"})),
    ("job", pol(maximumTimeInQueue="5")),
    ("job", J(policies=None)),
    ("job", pol(placement=None)),
    ("job", pol(placement={"requirements": None})),
    ("job", pol(placement={"preferences": None})),
    ("job", J(notifications=[None])),
    ("job", J(artifacts=[{"url": "u", "mountpoint": None}])),
    ("job", J(artifacts=[{"url": "u", "mountpoint": 5}])),
    ("job", J(storage=ONEDATA | {"mountpoint": True})),
    ("job", J(storage="type")),
    ("job", J(resources=["cpus"])),
    ("job", J(tasks=[["image", "runtime"]])),
    ("job", J(task={"imagePullCredential": None})),
    ("job", J(storage=ONEDATA | {"onedata": None})),
    ("workflow", None),
    ("workflow", W(name=1)),
    ("workflow", W(jobs=None)),
    ("workflow", W(jobs=3)),
    ("workflow", fac({"type": "repeat", "name": "f", "jobs": ["a"], "number": "3"})),
    ("workflow", fac(zipf({"name": "x"}))),
    ("workflow", fac(zipf({"name": "x", "values": 3}))),
    ("workflow", fac(["type", "name", "jobs"])),  # type: ignore[arg-type]  # a list, on purpose
    ("workflow", W(labels={"k": None})),
    ("workflow", W(policies=None)),
]


@pytest.mark.parametrize(("kind", "doc"), CRASHES)
def test_section7_validator_crashes(kind: str, doc: Any) -> None:
    ok, msg = server_validate(doc, kind)
    assert not ok and msg.startswith("HTTP 500"), msg


BACKEND_FAILURES = [
    ("job", J(res={"disk": DROP}), "disk"),
    ("job", J(task={"image": 5}), "image"),
    ("job", J(res={"totalCpusRange": ["a", 2]}), "totalCpusRange"),
    ("job", J(inputs=[{"filename": "f", "content": "abc"}]), "base64"),
    ("job", J(inputs=[{"filename": "f", "content": 5}]), "base64"),
    ("job", J(inputs=[["filename", "content"]]), "inputs item"),
    ("job", J(artifacts=[["url"]]), "artifacts item"),
    ("job", J(notifications=[{"event": "jobFinished"}]), "notification"),
    ("job", J(notifications=[""]), "notification"),
    ("workflow", fac(sweep(par(step=DROP, number=3))), "number instead of step"),
    ("workflow", fac(sweep(par(start="a"))), "non-numeric"),
    ("workflow", fac(sweep(par(step=None))), "non-numeric"),
    ("workflow", fac(sweep(par(step=0))), "never finishes"),
    ("workflow", fac(sweep(par(step=-1))), "never finishes"),
    ("workflow", fac(sweep(par(start=1e20, end=2e20, step=1))), "never finishes"),
    ("workflow", fac(sweep(*[par(name=n) for n in "abcde"])), "up to 4D"),
    ("workflow", fac(zipf()), "empty parameters"),
    ("workflow", fac(zipf({"name": "x", "values": ["a b"]})), "whitespace"),
    ("workflow", fac(zipf({"name": "x", "values": ['a"b']})), "double quote"),
    ("workflow", fac(zipf({"name": "x", "values": [[1, 2]]})), "whitespace"),
    ("workflow", W(jobs=[J(name="a", res={"disk": DROP})]), "disk"),
    ("workflow", W(policies={"placement": 5}), "placement"),
    ("workflow", W(policies={"placement": {"requirements": None}}), "placement"),
    (
        "workflow",
        W(policies={"placement": {"requirements": {}}}, jobs=[J(name="a", policies="")]),
        "placement",
    ),
    ("workflow", W(dependencies={"a": ["a"]}), "cycle"),
    ("workflow", W(dependencies={"a": ["b"], "b": ["a"]}), "cycle"),
    ("workflow", W(jobs=[J(name="a"), J(name="ab")], dependencies={"a": ["ab"]}), "cycle"),
    ("workflow", W(notifications=[{"type": "email"}]), "notification"),
]


@pytest.mark.parametrize(("kind", "doc", "gist"), BACKEND_FAILURES)
def test_section7_backend_failures(kind: str, doc: dict[str, Any], gist: str) -> None:
    assert server_validate(doc, kind) == (True, "")
    reason = backend_failure(doc, kind)
    assert reason is not None and gist in reason
    assert not server_runs(doc, kind)


@pytest.mark.parametrize(
    ("kind", "doc"),
    [
        ("job", J()),
        ("job", J(inputs=[{"filename": "f", "content": "aGk=\n"}])),
        ("job", J(res={"totalCpusRange": [4, 8.0], "nodes": 2})),
        ("job", J(notifications=[{"event": "jobFinished", "type": "email"}])),
        ("workflow", W()),
        ("workflow", W(jobs=[])),
        ("workflow", W(policies={"placement": None})),
        ("workflow", fac(sweep(par(start="1", end=True, step="0.5")))),
        ("workflow", fac(sweep(par(start=3, end=1, step=0)))),
        ("workflow", fac(sweep(par(step=DROP, number=3)) | {"jobs": []})),
        ("workflow", fac(zipf(), sweep(par(step=0), jobs=["a"]), sweep(par(), jobs=["a"]))),
        ("workflow", fac(zipf({"name": "x", "values": [1, 2.0, "a", None, True]}))),
        ("workflow", W(dependencies={"a": ["b"], "zzz": ["a"]})),
        (
            "workflow",
            W(
                policies={"placement": {"requirements": {"sites": ["s"]}}},
                jobs=[J(name="a", policies={})],
            ),
        ),
    ],
)
def test_backend_runs(kind: str, doc: dict[str, Any]) -> None:
    assert server_runs(doc, kind), backend_failure(doc, kind)


@pytest.mark.parametrize(
    ("kind", "doc"),
    [
        ("job", J(res={"cpus": DROP, "cpusRange": ["a", "b"]})),
        ("job", pol(placement={"requirements": {"sites": [1]}})),
        ("job", pol(priority="\u00b2")),
        ("job", J(inputs=[{"filename": "dir/", "content": ""}])),
        ("job", J(artifacts=[{"url": 5}])),
        ("job", J(name="a\nb")),
        ("workflow", W(name="")),
        ("workflow", W(name="a b")),
        ("workflow", W(jobs=[J(name="a b")])),
        ("workflow", W(jobs=[J(name="a/b"), J(name="a")])),
        (
            "workflow",
            W(
                jobs=[J(name="a"), J(name="a_0")],
                factories=[{"type": "repeat", "name": "f", "jobs": ["a"], "number": 1}],
            ),
        ),
        ("workflow", W(dependencies={"a": []})),
        ("job", J(res={"disk": 10**13})),
        ("job", J(res={"walltime": 10**400})),
        ("workflow", fac({"type": "repeat", "name": "f", "jobs": ["a"], "number": 10**7})),
        (
            "workflow",
            W(
                jobs=[J(name="a", artifacts=[{"url": "https://x/y"}]), J(name="b")],
                factories=[zipf({"name": "x", "values": [1]})],
            ),
        ),
    ],
)
def test_extended_source_failures(kind: str, doc: dict[str, Any]) -> None:
    assert server_runs(doc, kind)
    assert not server_runs(doc, kind, extended=True)
    reason = backend_failure(doc, kind, extended=True)
    assert reason is not None and "[source]" in reason


def test_first_error_wins_and_document_order() -> None:
    doc = J(labels={"ok": "v", "b-d": "v"}, name="$")
    assert server_validate(doc, "job") == (False, "invalid job name")
    assert server_validate(doc | {"foo": 1}, "job")[1] == 'invalid item "foo" in job description'
    bad_label = J(labels={"ok": "v", "b-d": "v"})
    assert server_validate(bad_label, "job")[1] == 'label name "b-d" is invalid'
    doc = J(notifications=[{"type": "sms", "event": "bad"}])
    assert server_validate(doc, "job") == (False, 'invalid notification type "sms"')
    assert server_validate(W(jobs="ab"), "workflow")[1] == 'invalid item "a" in job description'
    task_as_job = W(jobs=[T()])
    assert server_validate(task_as_job, "workflow")[1] == 'invalid item "image" in job description'


# -- results as values: the validator's Check and the backend's Answer (issue 18) -----------
@pytest.mark.parametrize(
    ("doc", "check"),
    [
        (make_job(), Check.ACCEPTED),
        (make_job(foo=1), Check.REJECTED),
        (make_job(labels={"a": 1}), Check.RAISES),
    ],
)
def test_the_validator_verdict_says_which_answer(doc: dict[str, Any], check: Check) -> None:
    verdict = validator_verdict(doc, "job")
    assert verdict.check is check
    assert verdict.pair() == server_validate(doc, "job")


@pytest.mark.parametrize(
    ("kind", "doc", "answer"),
    [
        ("job", make_job(artifacts=[{"url": 5}]), Answer.SERVER_ERROR),
        ("job", make_job(artifacts=[{"url": ["a"]}]), Answer.NO_OBJECT),
        ("job", make_job(artifacts=[{"url": ["http"]}]), None),
        ("workflow", fac(zipf({"name": "a b", "values": [1]})), Answer.ACCEPTED),
        ("workflow", fac(zipf({"name": ["a"], "values": [1]})), Answer.SERVER_ERROR),
        ("workflow", fac(zipf({"name": ["a"], "values": []})), None),
        # a parameter named by a dict, on purpose (so the type: ignore of the next two lines)
        ("workflow", fac(sweep(par(name={"a": 1}))), Answer.SERVER_ERROR),  # type: ignore[arg-type]
        ("workflow", fac(sweep(par(name={"a": 1}, start=2, end=1))), None),  # type: ignore[arg-type]
        ("workflow", fac(zipf({"name": 7, "values": [1]})), None),
        ("workflow", make_workflow(dependencies={"a": ["b"], "b": ["a"]}), Answer.ACCEPTED),
        (
            "workflow",
            make_workflow(name="w f", dependencies={"a": ["b"], "b": ["a"]}),
            Answer.SUBMISSION_FAILED,
        ),
    ],
)
def test_the_backend_failure_kind_is_productions_answer(
    kind: str, doc: dict[str, Any], answer: Answer | None
) -> None:
    failure = backend_verdict(doc, kind, extended=True)
    assert (failure and failure.answer) == answer
