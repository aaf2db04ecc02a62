"""An executable model of the production PROMINENCE server.

Ground truth: production's ``prominence/validate.py`` and ``prominence/backend/``
(github.com/prominence-eosc/prominence), summarised for users in docs/compatibility.md.
The validator half reproduces the server's ``validate.py`` check by check: the first
error wins, the checks run in the documented order, the messages are the exact strings,
and the Python semantics are kept on purpose (``str(x).isdigit()`` as the integer test,
``in`` as a substring / element test on strings and lists, ``re.match`` with the server's
patterns, ``len()`` in code points, ``> 512``).
Any exception the real validator would raise (type confusion) becomes
``(False, "HTTP 500: <why>")``: the checks are written the way the server writes them and any
exception is caught and converted.

The backend half, :func:`backend_failure`, says why a validator-accepted document would still
fail after validation (reference section 7.1 "after validation", 7.2 "up to 4D", section 3.12
notifications, section 4.5.3 zip values, section 4.4 DAGMan cycles, section 4.6 workflow
placement). Decisions taken where the reference leaves room:

* ``inputs[*].content`` is decoded with ``base64.b64decode(content)`` (``validate=False``, the
  Python default the backend uses): characters outside the alphabet are discarded, then the
  padding is checked. A non-str content or a non-ASCII str raises too, so both count as
  failures.
* ``parameterSweep`` values are converted with ``float()`` as the backend does, so ``"1"``,
  ``true`` and ``"1e3"`` are numeric; ``null``, ``[]``, ``"a"`` are not.
* The counting loop "never finishes" when start <= end and step <= 0, when end is +inf, or when
  adding step no longer changes the value at start or end (float stagnation).
* A factory only matters to the backend if it is *used*: the backend takes, for each job, the
  last factory listing it. An unused factory (empty ``jobs``, or overridden) cannot fail.
* Workflow ``policies.placement``, if truthy, replaces every job's placement; the backend code
  path is simulated literally (including assigning into a non-dict job ``policies``).

``extended=True`` adds failure modes read from the backend source (``create_htcondor_job.py``,
``create_workflow.py``, ``utilities.py``, ``write_htcondor_job.py``) that the reference does
not state, or states as uncertain. They are kept apart because the reference is the contract.
"""

from __future__ import annotations

import base64
import math
import posixpath
import re
from typing import Any

from prominence_spec.counting import server_count

JOB_NAME_RE = r"^[a-zA-Z0-9\-\_\s\/\.]+$"
WORKFLOW_NAME_RE = r"^[a-zA-Z0-9\-\_\s\.\/]+$"
LABEL_KEY_RE = r"^[a-zA-Z0-9]+$"
LABEL_VALUE_RE = r"^[\w\-\_\.\/]+$"

JOB_KEYS = (
    "name",
    "labels",
    "tasks",
    "resources",
    "policies",
    "notifications",
    "inputs",
    "artifacts",
    "outputFiles",
    "outputDirs",
    "storage",
)
TASK_KEYS = (
    "image",
    "cmd",
    "env",
    "app",
    "workdir",
    "procsPerNode",
    "type",
    "runtime",
    "imagePullCredential",
    "imageSha256",
    "stdout",
)
RESOURCE_KEYS = (
    "nodes",
    "cpus",
    "cpusRange",
    "cpusOptions",
    "memory",
    "memoryPerCpu",
    "disk",
    "walltime",
    "totalCpusRange",
)
JOB_POLICY_KEYS = (
    "maximumRetries",
    "maximumTaskRetries",
    "preemptible",
    "maximumTimeInQueue",
    "maximumIdleTimePerResource",
    "leaveInQueue",
    "placement",
    "priority",
    "autoScalingType",
    "ignoreTaskFailures",
    "reportJobSuccessOnTaskFailure",
    "runSerialTasksOnAllNodes",
)
WORKFLOW_KEYS = ("name", "labels", "jobs", "dependencies", "factories", "policies", "notifications")
WORKFLOW_POLICY_KEYS = ("maximumRetries", "placement", "maximumReruns", "leaveInQueue")
TASK_TYPES = ("openmpi", "mpich", "intelmpi", "basic", "sidecar")
STANDARD_TYPES = ("openmpi", "mpich", "intelmpi", "basic")
MPI_TYPES = ("openmpi", "mpich", "intelmpi")


class _RejectError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _fail(message: str) -> None:
    raise _RejectError(message)


def _fmt(template: str, *values: Any) -> str:
    return template % values


def _isint(value: Any) -> bool:
    """The server's integer test (reference 2.3)."""
    return str(value).isdigit()


def _run(check: Any, doc: Any) -> tuple[bool, str]:
    try:
        check(doc)
    except _RejectError as rejected:
        return False, rejected.message
    except Exception as exc:  # noqa: BLE001 - any exception in validate.py is an HTTP 500
        return False, f"HTTP 500: {type(exc).__name__}: {exc}"
    return True, ""


# --------------------------------------------------------------------------- validator: job


def _check_labels(labels: Any) -> None:
    if not isinstance(labels, dict):
        _fail("labels must be defined as a dict")
    for key in labels:
        if len(key) > 512:
            _fail("label names must be less than 512 characters in length")
        if len(labels[key]) > 512:
            _fail("label values must be less than 512 characters in length")
        if not re.match(LABEL_KEY_RE, key):
            _fail(_fmt('label name "%s" is invalid', key))
        if not re.match(LABEL_VALUE_RE, labels[key]):
            _fail(_fmt('label value "%s" is invalid', labels[key]))


def _check_int(
    value: Any,
    not_int: str,
    low: int | None,
    low_msg: str = "",
    high: int | None = None,
    high_msg: str = "",
) -> None:
    if not _isint(value):
        _fail(not_int)
    if low is not None and value < low:
        _fail(low_msg)
    if high is not None and value > high:
        _fail(high_msg)


def _check_resources(res: Any) -> None:
    for item in res:
        if item not in RESOURCE_KEYS:
            _fail(_fmt('invalid item "%s" in resources', item))
    if "nodes" in res:
        _check_int(
            res["nodes"],
            "number of nodes must be an integer",
            1,
            "number of nodes must be at least 1",
        )
    if "totalCpusRange" in res:
        if not isinstance(res["totalCpusRange"], list):
            _fail("totalCpusRange must be a list")
        if len(res["totalCpusRange"]) != 2:
            _fail(
                "totalCpusRange must be a list containing the min and max allowed total "
                "number of CPUs"
            )
    if "cpus" in res:
        _check_int(
            res["cpus"], "number of cpus must be an integer", 1, "number of cpus must be at least 1"
        )
    elif "cpusRange" not in res and "cpusOptions" not in res:
        _fail("one of cpus, cpusRange, cpusOptions must be defined")
    elif "cpusRange" in res:
        if not isinstance(res["cpusRange"], list) or len(res["cpusRange"]) != 2:
            _fail("cpusRange must be a list containing the min and max allowed number of CPUs")
    elif "cpusOptions" in res:  # noqa: SIM102 - kept as the server writes it
        if not isinstance(res["cpusOptions"], list) or len(res["cpusOptions"]) != 2:
            _fail("cpusOptions must be a list containing the two possible number of CPUs")
    if "cpus" in res and "cpusRange" in res:
        _fail("cpus and cpusRange cannot both be defined")
    elif "cpus" in res and "cpusOptions" in res:
        _fail("cpus and cpusOptions cannot both be defined")
    elif "cpusRange" in res and "cpusOptions" in res:
        _fail("cpusRange and cpusOptions cannot both be defined")
    if "memory" in res:
        _check_int(res["memory"], "memory must be an integer", 1, "memory must be at least 1")
    elif "memoryPerCpu" not in res:
        _fail("memory or memoryPerCpu (in GB) must be defined")
    elif "memoryPerCpu" in res:
        _check_int(
            res["memoryPerCpu"],
            "memoryPerCpu must be an integer",
            1,
            "memoryPerCpu must be at least 1",
        )
    if "memory" in res and "memoryPerCpu" in res:
        _fail("memory and memoryPerCpu cannot both be defined")
    if "disk" in res:
        _check_int(res["disk"], "required disk must be an integer", 1, "disk must be at least 1")
    if "walltime" in res:
        _check_int(
            res["walltime"],
            "required walltime must be an integer",
            1,
            "walltime must be at least 1 minute",
        )


def _check_tasks(tasks: Any, res: Any) -> None:
    if not isinstance(tasks, list):
        _fail("an array of tasks must be provided")
    found_standard = False
    for task in tasks:
        for item in task:
            if item not in TASK_KEYS:
                _fail(_fmt('invalid item "%s" in task', item))
        if "image" not in task:
            _fail("each task must specify a container image")
        if "imagePullCredential" in task:
            cred = task["imagePullCredential"]
            if "username" not in cred or "token" not in cred:
                _fail("a username and token must be specified in the image pull credential")
        if "runtime" in task:
            if task["runtime"] != "udocker" and task["runtime"] != "singularity":
                _fail("the container runtime must be either udocker or singularity")
        else:
            _fail("a container runtime must be defined")
        if "env" in task and not isinstance(task["env"], dict):
            _fail("environment variables must be defined as a dict")
        if "app" in task:
            if task["runtime"] == "udocker":
                _fail("app is only supported by Singularity")
            if not isinstance(task["app"], str):
                _fail("app must be a string")
        if "procsPerNode" in task:
            procs = task["procsPerNode"]
            _check_int(
                procs,
                "number of processes per node must be an integer",
                1,
                "number of processes per node must be at least 1",
            )
            if "cpus" in res and procs > res["cpus"]:
                _fail("number of processes per node must be less than number of CPU cores per node")
        if "cmd" in task and not isinstance(task["cmd"], str):
            _fail("cmd must be a string")
        if "type" in task:
            if task["type"] not in TASK_TYPES:
                _fail("invalid task type")
            if task["type"] in STANDARD_TYPES:
                found_standard = True
            if task["type"] in MPI_TYPES:
                if "cmd" in task:
                    if task["cmd"].startswith("mpirun "):
                        _fail(
                            "it is not necessary to include mpirun in the cmd if an MPI "
                            "flavour has been specified"
                        )
                else:  # the server's `cmd == ''` branch below this is unreachable
                    _fail("A command to execute must be specified for MPI jobs")
        else:
            found_standard = True
    if not found_standard:
        _fail("a job cannot contain only sidecar tasks")


def _check_artifacts(artifacts: Any) -> None:
    if not isinstance(artifacts, list):
        _fail("an array of artifacts must be provided")
    for artifact in artifacts:
        for item in artifact:
            if item not in ("url", "mountpoint", "executable"):
                _fail(_fmt("invalid item %s in artifact", item))
        if "url" not in artifact:
            _fail("an artifact must contain a URL")
        if "mountpoint" in artifact:
            mountpoint = artifact["mountpoint"]
            if ":" in mountpoint:
                src = mountpoint.split(":")[0]
                dst = mountpoint.split(":")[1]
                if "/" in src:
                    _fail("invalid source in mountpoint for artifact")
                if not dst.startswith("/"):
                    _fail("the mountpoint for an artifact must be an absolute path")
            else:
                _fail("invalid mountpoint for artifact")


def _check_string_list(value: Any, key: str) -> None:
    if not isinstance(value, list):
        _fail(f"an array of {key} must be provided")
    for item in value:
        if not isinstance(item, str):
            _fail(f"{key} must be a list of strings")


def _check_inputs(inputs: Any) -> None:
    if not isinstance(inputs, list):
        _fail("an array of inputs must be provided")
    for entry in inputs:
        for item in entry:
            if item not in ("filename", "content", "executable"):
                _fail(_fmt("invalid item %s in input", item))
        if "filename" not in entry:
            _fail("each input must contain a filename")
        if "content" not in entry:
            _fail("each input must contain base64 encoded content")


def _check_storage(storage: Any) -> None:
    if "type" not in storage:
        _fail("storage type must be defined")
    if storage["type"] != "onedata":
        _fail("storage type must be onedata")
    if "mountpoint" not in storage:
        _fail("a mount point must be defined")
    if storage["mountpoint"] and not storage["mountpoint"].startswith("/"):
        _fail("the mountpoint must be an absolute path")
    if "default" in storage and not isinstance(storage["default"], bool):
        _fail("default must be either true or false")
    if storage["type"] == "onedata":
        if "onedata" not in storage:
            _fail("OneData storage details must be defined")
        if "provider" not in storage["onedata"]:
            _fail("OneData provider must be defined")
        if "token" not in storage["onedata"]:
            _fail("OneData token must be defined")


def _check_placement(placement: Any) -> None:
    for item in placement:
        if item not in ["requirements", "preferences"]:
            _fail(_fmt('invalid item "%s" in placement policy', item))
    for part in ("requirements", "preferences"):
        if part in placement:
            for item in placement[part]:
                if item not in ["sites", "regions"]:
                    _fail(_fmt('invalid item "%s" in %s', item, part))
                if not isinstance(placement[part][item], list):
                    _fail(_fmt("%s in %s must be a list", item, part))


def _check_bool(policies: Any, key: str) -> None:
    if key in policies and not isinstance(policies[key], bool):
        _fail(f"{key} must be either true or false")


def _check_job_policies(pol: Any) -> None:
    for item in pol:
        if item not in JOB_POLICY_KEYS:
            _fail(_fmt('invalid item "%s" in policies', item))
    _check_bool(pol, "runSerialTasksOnAllNodes")
    _check_bool(pol, "leaveInQueue")
    if "placement" in pol:
        _check_placement(pol["placement"])
    _check_bool(pol, "ignoreTaskFailures")
    _check_bool(pol, "reportJobSuccessOnTaskFailure")
    if "priority" in pol and not _isint(pol["priority"]):
        _fail("the priority must be an integer")
    if "autoScalingType" in pol and pol["autoScalingType"] not in (
        None,
        "none",
        "dedicated",
        "shared",
    ):
        _fail("autoScalingType, if defined, must be none, dedicated or shared")
    if "maximumRetries" in pol:
        _check_int(
            pol["maximumRetries"],
            "the number of retries must be an integer",
            1,
            "the number of retries must be greater than 0",
            6,
            "the number of retries must be less than 6",
        )
    if "maximumTaskRetries" in pol:
        _check_int(
            pol["maximumTaskRetries"],
            "the number of task retries must be an integer",
            1,
            "the number of retries must be greater than 0",
            6,
            "the number of retries must be less than 6",
        )
    if "maximumTimeInQueue" in pol:
        value = pol["maximumTimeInQueue"]
        if not _isint(value):
            _fail("the maximum time in queue must be an integer")
        if value < 1 and value != 0 and value != -1:  # unreachable, kept as in the server
            _fail("the maximum time in queue must be -1, 0 or greater than 0")
        if value > 44640:
            _fail("the maximum time in queue must be less than 44640")
    if "maximumIdleTimePerResource" in pol:
        _check_int(
            pol["maximumIdleTimePerResource"],
            "the maximum idle time per resource must be an integer",
            1,
            "the maximum idle time per resource must be greater than 0",
            44640,
            "the maximum idle time per resource must be less than 44640",
        )


def _check_notifications(notifications: Any, events: list[str]) -> None:
    if not isinstance(notifications, list):
        _fail("notifications must be in the form of a list")
    for notification in notifications:
        for item in notification:
            if item not in ("event", "type"):
                _fail(_fmt('invalid item "%s" in notifications', item))
            if item == "event" and notification[item] not in events:
                _fail(_fmt('invalid notification event "%s"', notification[item]))
            if item == "type" and notification[item] != "email":
                _fail(_fmt('invalid notification type "%s"', notification[item]))


def _check_job(job: Any) -> None:
    for item in job:
        if item not in JOB_KEYS:
            _fail(_fmt('invalid item "%s" in job description', item))
    if "name" in job:
        if len(job["name"]) > 512:
            _fail("job name must be less than 512 characters in length")
        if job["name"] != "" and not re.match(JOB_NAME_RE, job["name"]):
            _fail("invalid job name")
    if "labels" in job:
        _check_labels(job["labels"])
    if "resources" not in job:
        _fail("a job must contain resources")
    _check_resources(job["resources"])
    if "tasks" not in job:
        _fail("a job must contain tasks")
    _check_tasks(job["tasks"], job["resources"])
    if "artifacts" in job:
        _check_artifacts(job["artifacts"])
    if "outputFiles" in job:
        _check_string_list(job["outputFiles"], "outputFiles")
    if "outputDirs" in job:
        _check_string_list(job["outputDirs"], "outputDirs")
    if "inputs" in job:
        _check_inputs(job["inputs"])
    if "storage" in job:
        _check_storage(job["storage"])
    if "policies" in job:
        _check_job_policies(job["policies"])
    if "notifications" in job:
        _check_notifications(job["notifications"], ["jobFinished"])


# ---------------------------------------------------------------------- validator: workflow


def _check_factories(factories: Any, jobs: Any) -> None:
    if not isinstance(factories, list):
        _fail("factories must be a list")
    for factory in factories:
        if "type" not in factory:
            _fail("a factory type must be specified")
        if "name" not in factory:
            _fail("a factory name must be specified")
        if "jobs" not in factory:
            _fail("a list of jobs must be specified")
        if not isinstance(factory["jobs"], list):
            _fail("jobs must be a list")
        for wanted in factory["jobs"]:
            found = False
            for job in jobs:
                if "name" in job and job["name"] == wanted:
                    found = True
            if not found:
                _fail(
                    _fmt(
                        "factory %s references a job %s which is not defined",
                        factory["name"],
                        wanted,
                    )
                )
        kind = factory["type"]
        if kind not in ["parameterSweep", "zip", "repeat"]:
            _fail("invalid factory type")
        if kind == "repeat":
            if "number" not in factory:
                _fail("a factory of type repeat must have number specified")
            _check_int(
                factory["number"],
                "number of repeats must be an integer",
                1,
                "number of repeats must be at least 1",
            )
        elif kind == "parameterSweep":
            if "parameters" not in factory:
                _fail("a factory of type parameterSweep must have parameters specified")
            if not isinstance(factory["parameters"], list):
                _fail("parameters must be a list")
            names: list[Any] = []
            for param in factory["parameters"]:
                if "name" not in param:
                    _fail("a parameter must contain a name")
                if "start" not in param:
                    _fail("a parameter must contain a start value")
                if "end" not in param:
                    _fail("a parameter must contain an end value")
                if "step" not in param and "number" not in param:
                    _fail("a parameter must contain a step size or number of steps")
                if "step" in param and "number" in param:
                    _fail("a parameter cannot have both a step size and number of steps")
                if param["name"] in names:
                    _fail("each parameter must have a unique name")
                names.append(param["name"])
        elif kind == "zip":
            if "parameters" not in factory:
                _fail("a factory of type zip must have parameters specified")
            if not isinstance(factory["parameters"], list):
                _fail("parameters must be a list")
            names = []
            previous = -1
            for param in factory["parameters"]:
                current = len(param["values"])  # KeyError without values: HTTP 500
                if current != previous and previous != -1:
                    _fail("all parameters must lists of values the same length")
                previous = current
                if "name" not in param:
                    _fail("a parameter must contain a name")
                if "values" not in param:  # unreachable
                    _fail("a parameter must contain a list of values")
                if not isinstance(param["values"], list):
                    _fail("values must be a list")
                if param["name"] in names:
                    _fail("each parameter must have a unique name")
                names.append(param["name"])


def _check_workflow(wf: Any) -> None:
    for item in wf:
        if item not in WORKFLOW_KEYS:
            _fail(_fmt('invalid item "%s" in workflow description', item))
    if "name" in wf:
        if len(wf["name"]) > 512:
            _fail("workflow name must be less than 512 characters in length")
        if wf["name"] != "" and not re.match(WORKFLOW_NAME_RE, wf["name"]):
            _fail("invalid workflow name")
    if "jobs" not in wf:
        _fail("a workflow must contain jobs")
    for job in wf["jobs"]:
        _check_job(job)  # the first job error is returned as it is
    names: list[Any] = []
    for job in wf["jobs"]:
        if "name" not in job:
            _fail("all jobs must have names")
        if job["name"] in names:
            _fail(_fmt('all jobs must have unique names: "%s" is used more than once', job["name"]))
        names.append(job["name"])
        if job["name"] == "":
            _fail("names of jobs in workflows cannot be empty")
    if "dependencies" in wf:
        deps = wf["dependencies"]
        if not isinstance(deps, dict):
            _fail("dependencies must be a dict")
        for parent in deps:
            children = deps[parent]
            if not isinstance(children, list):
                _fail("children of parent job must be in the form of a list")
            for child in children:
                if child not in names:
                    _fail(_fmt('child job "%s" is not actually defined', child))
    if "factories" in wf:
        _check_factories(wf["factories"], wf["jobs"])
    if "policies" in wf:
        pol = wf["policies"]
        for item in pol:
            if item not in WORKFLOW_POLICY_KEYS:
                _fail(_fmt('invalid item "%s" in policies', item))
        if "maximumRetries" in pol:
            _check_int(
                pol["maximumRetries"],
                "the number of retries must be an integer",
                1,
                "the number of retries must be greater than 0",
                10,
                "the number of retries must be less than 10",
            )
        if "maximumReruns" in pol:
            _check_int(
                pol["maximumReruns"],
                "the number of reruns must be an integer",
                1,
                "the number of reruns must be greater than 0",
                10,
                "the number of reruns must be less than 10",
            )
        _check_bool(pol, "leaveInQueue")
    if "maximumRetries" in wf:  # unreachable: step 1 rejects the key
        _check_int(
            wf["maximumRetries"],
            "the number of retries must be an integer",
            1,
            "the number of retries must be greater than 0",
            6,
            "the number of retries must be less than 6",
        )
    if "labels" in wf:
        _check_labels(wf["labels"])
    if "notifications" in wf:
        _check_notifications(wf["notifications"], ["workflowFinished"])


def server_validate_job(doc: Any) -> tuple[bool, str]:
    """``validate_job`` of the production server: ``(True, "")`` or ``(False, message)``."""
    return _run(_check_job, doc)


def server_validate_workflow(doc: Any) -> tuple[bool, str]:
    """``validate_workflow`` of the production server."""
    return _run(_check_workflow, doc)


def server_validate(doc: Any, kind: str) -> tuple[bool, str]:
    return server_validate_job(doc) if kind == "job" else server_validate_workflow(doc)


# ------------------------------------------------------------------------------ backend

SWEEP_LOOP_CAP = 10**6  # beyond this many values the counting loop is not simulated
DAG_INSTANCE_CAP = 1000  # instance node names generated per job for dependency expansion
LINE_BREAKS = "\n\r"
INT64 = 2**63


def _is_real(value: Any) -> bool:
    """Accepted by ``'%d' % value`` and by division: int, bool or finite float."""
    if isinstance(value, bool | int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _b64_ok(content: Any) -> bool:
    try:
        base64.b64decode(content)
    except Exception:  # noqa: BLE001 - binascii.Error, ValueError, TypeError
        return False
    return True


def _job_backend(job: dict[str, Any], extended: bool, factory_instances: bool) -> str | None:
    res = job["resources"]
    if "disk" not in res:
        return "resources.disk missing: the backend reads it unconditionally (HTTP 500)"
    for task in job["tasks"]:
        if not isinstance(task["image"], str):
            return "non-string image: the backend's string tests raise (HTTP 500)"
    if "totalCpusRange" in res and not all(_is_real(v) for v in res["totalCpusRange"]):
        return "non-numeric totalCpusRange element: formatted with %d and divided (HTTP 500)"
    for entry in job.get("inputs", []):
        if not isinstance(entry, dict):
            return "an inputs item that is not an object: the backend indexes it (HTTP 500)"
        if not _b64_ok(entry["content"]):
            return "inputs content is not valid base64 (HTTP 500)"
    for artifact in job.get("artifacts", []):
        if not isinstance(artifact, dict):
            return "an artifacts item that is not an object: the backend indexes it (HTTP 500)"
    for notification in job.get("notifications", []):
        if not (
            isinstance(notification, dict) and "event" in notification and "type" in notification
        ):
            return "notification without both event and type: the completion handler fails"
    if extended:
        return _job_backend_extended(job, factory_instances)
    return None


def _placement_block(placement: Any) -> None:
    """The site/region block of ``create_htcondor_job``, literally (raises on bad shapes)."""
    if "requirements" in placement:
        req = placement["requirements"]
        for key in ("sites", "regions"):
            if key in req:
                ",".join(req[key])


def _job_backend_extended(job: dict[str, Any], factory_instances: bool) -> str | None:
    res = job["resources"]
    for key in ("cpusRange", "cpusOptions"):
        if key in res and not all(_is_real(v) for v in res[key]):
            return f"[source] non-numeric {key} element: formatted with %d (HTTP 500)"
    if "totalCpusRange" in res:
        cpus_max = (
            res["cpus"] if "cpus" in res else (res.get("cpusRange") or res.get("cpusOptions"))[1]
        )
        if cpus_max <= 0:
            return "[source] totalCpusRange divided by a max CPUs per node <= 0"
    pol = job.get("policies")
    if isinstance(pol, dict) and "placement" in pol:
        try:
            _placement_block(pol["placement"])
        except Exception:  # noqa: BLE001
            return "[source] non-string placement site/region: ','.join raises (HTTP 500)"
    if (
        isinstance(pol, dict)
        and isinstance(pol.get("priority"), str)
        and not re.fullmatch("[0-9]+", pol["priority"])
    ):
        return "[source] non-ASCII digit priority: +JobPrio is not a valid ClassAd expression"
    for entry in job.get("inputs", []):
        filename = entry["filename"]
        if not isinstance(filename, str):
            return "[source] non-string inputs filename: os.path.basename raises (HTTP 500)"
        if posixpath.basename(filename) in ("", ".", ".."):
            return "[source] inputs filename names a directory: 'Unable to write input file'"
    storage_default = isinstance(job.get("storage"), dict) and bool(job["storage"].get("default"))
    for artifact in job.get("artifacts", []):
        url = artifact["url"]
        if not isinstance(url, str):
            return "[source] non-string artifact url (HTTP 500 or 'does not exist')"
        if factory_instances and ("http" in url or storage_default):
            return (
                "[source] artifact in a zip/parameterSweep job is not a presigned object "
                "URL: the mapped-JSON rewrite raises (HTTP 500)"
            )
    pol_ = pol if isinstance(pol, dict) else {}
    cpus_top = res.get("cpus") or (res.get("cpusRange") or res.get("cpusOptions") or [1, 1])[1]
    scaled = [
        res.get("cpus", 0),
        res.get("nodes", 0),
        res.get("disk", 0) * 1024 * 1024,
        res.get("memory", 0) * 1024,
        res.get("memoryPerCpu", 0) * 1024 * cpus_top,
        res.get("walltime", 0) * 180,
        int(pol_.get("priority", 0)),
    ]
    if any(value >= INT64 for value in scaled):
        return "[source] integer beyond HTCondor's 64-bit ClassAd integers after scaling"
    texts = [job.get("name", "")]
    if isinstance(job.get("labels"), dict):
        texts += [*job["labels"], *job["labels"].values()]
    if any(isinstance(t, str) and any(c in t for c in LINE_BREAKS) for t in texts):
        return "[source] line break in a name or label: breaks the HTCondor submit description"
    return None


def _render_zip_value(value: Any) -> str:
    """``write_parameter_value`` followed by ``'%s'`` formatting."""
    try:
        if isinstance(value, int) or int(value) == value:
            out: Any = "%d" % value  # noqa: UP031 - the backend's formatting
        elif isinstance(value, float):
            out = str(value)
        else:
            out = value
    except Exception:  # noqa: BLE001 - the server's bare except
        out = value
    return _fmt("%s", out)


def _sweep_count(start: float, end: float, step: float) -> int | None:
    """Number of values of the backend's counting loop; None if it never finishes; beyond
    SWEEP_LOOP_CAP not simulated (only the size matters then)."""
    return server_count(start, end, step, SWEEP_LOOP_CAP)


def _factory_failure(factory: dict[str, Any], extended: bool) -> tuple[str | None, int]:
    """(failure, number of instances) for a factory that the backend uses."""
    kind = factory["type"]
    if kind == "repeat":
        if extended and factory["number"] > SWEEP_LOOP_CAP:
            return "[source] repeat factory with more than 10**6 instances (times out)", 0
        return None, factory["number"]
    params = factory["parameters"]
    if kind == "zip":
        if not params:
            return "zip factory with an empty parameters list: the backend indexes [0] (500)", 0
        for param in params:
            if extended and any(c.isspace() for c in _fmt("%s", param["name"])):
                return "[source] zip parameter name with whitespace breaks --param", 0
            for value in param["values"]:
                text = _render_zip_value(value)
                if '"' in text or any(c.isspace() for c in text):
                    return f"zip value {text!r} has whitespace or a double quote", 0
                if extended and "\\" in text:
                    return "[source] zip value with a backslash breaks the DAG VARS line", 0
        return None, len(params[0]["values"])
    counts = []
    for param in params:
        if extended and any(c.isspace() for c in _fmt("%s", param["name"])):
            return "[source] parameterSweep parameter name with whitespace breaks --param", 0
        try:
            start, end = float(param["start"]), float(param["end"])
        except Exception:  # noqa: BLE001
            return "non-numeric parameterSweep start/end: float() raises (HTTP 500)", 0
        if "step" not in param:
            return "parameterSweep parameter uses number instead of step: KeyError (500)", 0
        try:
            step = float(param["step"])
        except Exception:  # noqa: BLE001
            return "non-numeric parameterSweep step: float() raises (HTTP 500)", 0
        count = _sweep_count(start, end, step)
        if count is None:
            return "parameterSweep counting loop never finishes (request hangs)", 0
        counts.append(count)
    if len(params) > 4:
        return "400 Currently only parameter sweeps up to 4D are supported", 0
    if not params:
        return None, 0
    total = math.prod(counts)
    if extended and total > SWEEP_LOOP_CAP:
        return "[source] parameterSweep with more than 10**6 instances (request times out)", 0
    return None, total


def _has_cycle(nodes: list[str], edges: list[tuple[str, str]]) -> bool:
    graph: dict[str, set[str]] = {n: set() for n in nodes}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    state: dict[str, int] = {}
    for root in graph:
        if root in state:
            continue
        stack = [(root, iter(graph[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            for child in children:
                if state.get(child) == 1:
                    return True
                if child not in state:
                    state[child] = 1
                    stack.append((child, iter(graph[child])))
                    break
            else:
                state[node] = 2
                stack.pop()
    return False


def _sandbox_collision(names: list[str]) -> bool:
    """``os.makedirs`` of ``<sandbox>/<name>`` and ``.../input`` in job order."""
    taken = {"S/workflow.json", "S/job.dag", "S/dag.dot", "S/workflow.dag.status"}
    for name in names:
        path = posixpath.normpath("S/" + name)
        parts = path.split("/")
        if (
            not path.startswith("S/")
            or path in taken
            or path + "/input" in taken
            or parts[1].startswith("job.dag")
        ):
            return True
        for i in range(2, len(parts) + 1):
            taken.add("/".join(parts[:i]))
        taken.update({path + "/input", path + "/promlet.py", path + "/job.jdl"})
    return False


def _workflow_backend(wf: dict[str, Any], extended: bool) -> str | None:
    jobs = wf["jobs"] if isinstance(wf["jobs"], list) else []
    pol = wf.get("policies")
    wf_placement = pol.get("placement") if isinstance(pol, dict) else None
    factories = wf.get("factories", [])
    nodes: list[str] = []
    for job in jobs:
        if wf_placement:
            if "policies" in job and not isinstance(job["policies"], dict):
                return "workflow placement copied into a job whose policies is not an object"
            try:
                _placement_block(wf_placement)
            except Exception:  # noqa: BLE001
                return "workflow policies.placement is malformed: the backend raises (500)"
        used = None
        for factory in factories:
            for member in factory["jobs"]:
                if job["name"] == member:
                    used = factory
        instances = 0
        if used is not None:
            reason, instances = _factory_failure(used, extended)
            if reason:
                return f"job {job['name']!r}: {reason}"
            nodes += [f"{job['name']}_{i}" for i in range(min(instances, DAG_INSTANCE_CAP))]
        else:
            nodes.append(job["name"])
        checked = dict(job)
        if wf_placement:
            checked["policies"] = {**job.get("policies", {}), "placement": wf_placement}
        factory_instances = used is not None and used["type"] != "repeat" and instances > 0
        reason = _job_backend(checked, extended, factory_instances)
        if reason:
            return f"job {job['name']!r}: {reason}"
    edges: list[tuple[str, str]] = []
    deps = wf.get("dependencies", {})
    parents: dict[str, str] = {}
    for parent in deps:
        for node in nodes:
            if parent in node:
                parents[node] = parent
    for node, parent in parents.items():
        children = [item for child in deps[parent] for item in nodes if child in item]
        if extended and not children:
            return f"[source] 'PARENT {node} CHILD' with no children is not valid DAG syntax"
        edges += [(node, child) for child in children]
    if _has_cycle(nodes, edges):
        return "dependency cycle in the expanded DAG (substring matching): DAGMan fails"
    for notification in wf.get("notifications", []):
        if not (
            isinstance(notification, dict) and "event" in notification and "type" in notification
        ):
            return "notification without both event and type: the completion handler fails"
    if extended:
        name = wf.get("name", "")
        if name == "" or any(c.isspace() for c in name):
            return "[source] empty or whitespace workflow name: -batch-name is malformed"
        if isinstance(wf.get("labels"), dict) and any(
            any(c in t for c in LINE_BREAKS) for kv in wf["labels"].items() for t in kv
        ):
            return "[source] line break in a workflow label breaks condor_submit_dag -append"
        names = [job["name"] for job in jobs]
        if any(any(c.isspace() for c in n) or n.upper() == "ALL_NODES" for n in names):
            return "[source] job name with whitespace (or ALL_NODES) breaks the DAG JOB line"
        if len(set(nodes)) != len(nodes):
            return "[source] duplicate DAG node names (job name equals a factory instance)"
        if _sandbox_collision(names):
            return "[source] job sandbox directories collide: 'Unable to create job sandbox'"
    return None


def backend_failure(doc: Any, kind: str, *, extended: bool = False) -> str | None:
    """Why a validator-accepted document still fails after validation, else None.

    Returns None for documents the validator rejects (they never reach the backend).
    ``extended`` adds the source-derived failure modes (messages start with ``[source]``).
    """
    if not server_validate(doc, kind)[0]:
        return None
    if kind == "job":
        return _job_backend(doc, extended, factory_instances=False)
    return _workflow_backend(doc, extended)


def server_runs(doc: Any, kind: str, *, extended: bool = False) -> bool:
    """The validator accepts the document and the backend does not then fail on it."""
    return server_validate(doc, kind)[0] and backend_failure(doc, kind, extended=extended) is None
