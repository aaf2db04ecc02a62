"""The sandbox answers type-confused documents as production does (issue 18).

Two halves, both against a real ``promspec sandbox`` subprocess:

* named cases, one per disagreement class found by reading the server's
  ``create_workflow.py`` and ``create_htcondor_job.py`` (docs/sandbox.md, "Faithfulness"),
  each with production's status and body;
* a generated corpus: every field of a rich job and of a rich workflow replaced in turn by
  type-confused values (None, bools, huge ints, strings where lists go, lists and objects
  where strings go, nested junk), each POSTed; the answer must be the one the executable
  model of production (``prominence_spec/server/validator.py``) predicts, and never a fault
  of the sandbox's own.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox_support import Sandbox, shared_sandbox
from server_support import DROP, fac, make_job, make_workflow, rep, sweep, zipf, zpar

REASON = "X-Promspec-Sandbox-Reason"
HTML = "html"  # as an expected body: Flask's HTML 500 page, production's own
FAILED = {"error": "Workflow submission failed"}


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return shared_sandbox()


def _answer(box: Sandbox, kind: str, doc: Any) -> tuple[int, Any]:
    r = box.post("/jobs" if kind == "job" else "/workflows", json=doc)
    assert not r.headers.get(REASON, "").startswith("sandbox error"), r.headers[REASON]
    if r.headers["Content-Type"].startswith("text/html"):
        return r.status_code, HTML
    body = r.json()
    return r.status_code, (body if r.status_code != 201 else "stored")


def _artifact_job(url: Any, **over: Any) -> dict[str, Any]:
    return make_job(artifacts=[{"url": url}], **over)


ONEDATA = {"type": "onedata", "mountpoint": "/data", "default": True,
           "onedata": {"provider": "p", "token": "t"}}  # fmt: skip


def _factory_job_artifact(factory: dict[str, Any], url: str) -> dict[str, Any]:
    return fac(factory, jobs=[make_job(name="a", artifacts=[{"url": url}]), make_job(name="b")])


# (id, kind, document, production's (status, body))
CASES = [
    # create_htcondor_job: `'http' not in artifact['url']` raises for a number, bool or None
    ("artifact url is an int", "job", _artifact_job(5), (500, HTML)),
    ("artifact url is null", "job", _artifact_job(None), (500, HTML)),
    # ... and is an element test on a list: without 'http' it names an object ('%s' of it)
    ("artifact url is a list", "job", _artifact_job(["a"]),
     (400, {"error": "Artifact ['a'] does not exist"})),
    ("artifact url is a list holding 'http'", "job", _artifact_job(["http"]), (201, "stored")),
    ("artifact url is an object with an 'http' key", "job", _artifact_job({"http": 1}),
     (201, "stored")),
    ("artifact url is a list, custom storage", "job",
     _artifact_job(["a"], storage=ONEDATA), (201, "stored")),
    # the object test is 'http' not in url: a scheme other than http names an object...
    ("ftp artifact url names an object", "job", _artifact_job("ftp://host/x.tgz"),
     (400, {"error": "Artifact ftp://host/x.tgz does not exist"})),
    # ... and 'http' anywhere in the text does not
    ("artifact name holding 'http'", "job", _artifact_job("httpdata.tgz"), (201, "stored")),
    ("object artifact with custom storage", "job", _artifact_job("x.tgz", storage=ONEDATA),
     (201, "stored")),
    # a factory job's artifacts are not looked up when it is created (jobfactory=True) ...
    ("object artifact in a repeat job", "workflow",
     _factory_job_artifact(rep(2), "data.tgz"), (201, "stored")),
    ("object artifact in a zip job", "workflow",
     _factory_job_artifact(zipf(zpar("x")), "data.tgz"), (201, "stored")),
    # ... except by the mapped-JSON rewrite, when the name has a parameter in it
    ("templated object artifact in a zip job", "workflow",
     _factory_job_artifact(zipf(zpar("x", [7, 8])), "in_$x.dat"),
     (400, {"error": "Artifact in_7.dat does not exist"})),
    # create_workflow: '--param %s=...' % name is written into the job's arguments, which
    # HTCondor splits on whitespace: submission succeeds, the worker fails
    ("zip parameter name with a space", "workflow", fac(zipf(zpar("a b"))), (201, "stored")),
    # (zpar's name given a wrong type on purpose, so the type: ignore of the next four)
    ("zip parameter name is a list of two", "workflow", fac(zipf(zpar(["a", "b"]))),  # type: ignore[arg-type]
     (500, HTML)),
    # mapping[parameter['name']] raises for a list or an object
    ("zip parameter name is a list", "workflow", fac(zipf(zpar(["a"]))), (500, HTML)),  # type: ignore[arg-type]
    ("sweep parameter name is an object", "workflow",
     fac(sweep({"name": {"a": 1}, "start": 1, "end": 2, "step": 1})), (500, HTML)),
    ("zip parameter name is an int", "workflow", fac(zipf(zpar(7))), (201, "stored")),  # type: ignore[arg-type]
    ("zip parameter name is null", "workflow", fac(zipf(zpar(None))), (201, "stored")),  # type: ignore[arg-type]
    # a failure met after the 201 (a dependency cycle) does not hide one met before it
    ("cycle and a workflow name with a space", "workflow",
     make_workflow(name="w f", dependencies={"a": ["b"], "b": ["a"]}), (400, FAILED)),
    ("cycle alone", "workflow", make_workflow(dependencies={"a": ["b"], "b": ["a"]}),
     (201, "stored")),
    ("bad notification and a 64-bit overflow", "job",
     make_job(res={"memory": 2**60}, notifications=[{"event": "jobFinished"}]),
     (400, {"error": "Job submission failed with an exception: integer out of range"})),
    # create_htcondor_job's order: inputs, images, resources, placement, artifacts, then
    # totalCpusRange; a workflow's zip values fail only at condor_submit_dag, after every job
    ("input named '.' with bad base64", "job",
     make_job(inputs=[{"filename": ".", "content": "a"}]),
     (400, {"error": "Unable to write input file to disk"})),
    ("uploaded image and no disk", "job",
     make_job(res={"disk": DROP}, task={"image": "pi.sif"}),
     (400, {"error": "Image pi.sif does not exist"})),
    ("uploaded artifact and a non-numeric totalCpusRange", "job",
     make_job(res={"totalCpusRange": ["a", "b"]}, artifacts=[{"url": "data.tgz"}]),
     (400, {"error": "Artifact data.tgz does not exist"})),
    ("zip value with a space, then a job without disk", "workflow",
     fac(zipf(zpar("x", ["a b"])),
         jobs=[make_job(name="a"), make_job(name="b", res={"disk": DROP})]),
     (500, HTML)),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "doc", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_answered_as_production(
    box: Sandbox, kind: str, doc: Any, expected: tuple[int, Any]
) -> None:
    assert _answer(box, kind, doc) == expected


# ----------------------------------------------------------------- the generated corpus

JUNK: list[Any] = [None, True, False, 0, -1, 2**70, 1.5, "", "a b", "x", "$x", "a\nb",
                   "http", [], [1], ["a", "b"], ["http"], {}, {"a": 1}, {"http": 1}, [{}],
                   [[1]]]  # fmt: skip
RICH_JOB: dict[str, Any] = make_job(
    name="j1",
    labels={"a": "b"},
    res={"walltime": 10, "nodes": 1},
    task={"cmd": "true", "env": {"A": "1"}, "workdir": "/tmp", "type": "basic"},
    policies={"maximumRetries": 1, "priority": 1, "leaveInQueue": True,
              "placement": {"requirements": {"sites": ["s"], "regions": ["r"]}}},
    notifications=[{"event": "jobFinished", "type": "email"}],
    inputs=[{"filename": "in.txt", "content": "aGk="}],
    artifacts=[{"url": "https://example.org/x.tgz", "mountpoint": "x:/data"}],
    outputFiles=["out.txt"],
    outputDirs=["outd"],
)  # fmt: skip
RICH_WORKFLOW: dict[str, Any] = make_workflow(
    jobs=[make_job(name="a", task={"cmd": "echo $x"}), make_job(name="b"),
          make_job(name="c", artifacts=[{"url": "https://example.org/x.tgz"}])],
    labels={"k": "v"},
    dependencies={"a": ["b"]},
    factories=[sweep({"name": "x", "start": 1, "end": 2, "step": 1}, jobs=("a",)),
               zipf(zpar("y"), jobs=("b",))],
    policies={"maximumRetries": 1},
    notifications=[{"event": "workflowFinished", "type": "email"}],
)  # fmt: skip


def _places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict | list):
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            yield from _places(item, (*path, key))


def _replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    out = copy.deepcopy(doc)
    parent = out
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return out


def corpus(kind: str) -> Iterator[tuple[str, Any]]:
    base = RICH_JOB if kind == "job" else RICH_WORKFLOW
    for path in _places(base):
        for value in JUNK:
            yield "/".join(map(str, path)) + f" = {value!r}", _replaced(base, path, value)


def predicted(kind: str, doc: Any) -> tuple[int, Any]:
    """Production's answer by the model: the validator's verdict, then the backend's
    failure kind (the body of a 400 the backend gives is checked by the named cases)."""
    from prominence_spec.server.validator import Answer, Check, backend_verdict
    from prominence_spec.server.validator import validator_verdict as verdict

    checked = verdict(doc, kind)
    if checked.check is Check.RAISES:
        return 500, HTML
    if checked.check is Check.REJECTED:
        return 400, {"error": checked.message}
    failure = backend_verdict(doc, kind, extended=True)
    if failure is None or failure.answer is Answer.ACCEPTED:
        return 201, "stored"
    return (500, HTML) if failure.answer is Answer.SERVER_ERROR else (400, "error")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["job", "workflow"])
def test_generated_type_confusion_is_answered_as_the_model_predicts(
    box: Sandbox, kind: str
) -> None:
    disagreements = []
    for label, doc in corpus(kind):
        expected = predicted(kind, doc)
        got = _answer(box, kind, doc)
        if expected == (400, "error") and got[0] == 400 and isinstance(got[1], dict):
            got = (400, "error")
        if expected == (201, "stored") and got[0] == 400 and "does not exist" in str(got[1]):
            continue  # an uploaded object the sandbox does not have (named cases above)
        if got != expected:
            disagreements.append((label, expected, got))
    assert disagreements == [], disagreements[:10]


@pytest.mark.slow
def test_the_corpus_reaches_every_kind_of_answer() -> None:
    """The corpus is not all rejections: it gets documents stored, refused by the
    validator, raising in the validator and failing in the backend."""
    answers = {predicted(kind, doc)[0] for kind in ("job", "workflow") for _, doc in corpus(kind)}
    assert answers == {201, 400, 500}
    from prominence_spec.server.validator import Answer, backend_verdict

    kinds = {
        failure.answer
        for kind in ("job", "workflow")
        for _, doc in corpus(kind)
        if (failure := backend_verdict(doc, kind, extended=True)) is not None
    }
    assert {Answer.SERVER_ERROR, Answer.ACCEPTED, Answer.SUBMISSION_FAILED} <= kinds


# ------------------------------------------------------------ a fault of the sandbox's own


def test_a_fault_of_the_sandbox_is_a_json_500_without_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The app's own handler (in process: a route that fails on purpose is the only way
    to have the sandbox fail; the corpus above finds none)."""
    from prominence_spec.server.app import UNEXPECTED, create_app
    from prominence_spec.server.config import SandboxConfig
    from prominence_spec.server.service import Sandbox

    box = Sandbox(SandboxConfig(data_dir=tmp_path / "data", executor="noop"))
    app = create_app(box)

    def broken() -> str:
        raise ZeroDivisionError("the sandbox's own bug")

    app.add_url_rule("/api/v1/broken", view_func=broken)
    try:
        with caplog.at_level(logging.ERROR, logger="promspec.sandbox"):
            r = app.test_client().get("/api/v1/broken")
    finally:
        box.close()
    assert (r.status_code, r.mimetype, r.get_json()) == (500, "application/json",
                                                         {"error": UNEXPECTED})  # fmt: skip
    assert "Traceback" not in r.get_data(as_text=True)
    assert r.headers[REASON] == "sandbox error (ZeroDivisionError)"
    assert "Traceback" in caplog.text and "the sandbox's own bug" in caplog.text
