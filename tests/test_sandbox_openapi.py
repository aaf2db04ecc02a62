"""The OpenAPI document describes every route and every answer: the served copy equals
``docs/openapi.json``, every Flask route is in it, and a bounded schemathesis run finds
no response it does not describe and no 5xx but the production-faithful ones."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from sandbox_support import Sandbox, make_job, shared_sandbox

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import checks  # noqa: E402

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

DOC = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
REGENERATE = (
    'python -c "import json; from prominence_spec.server.openapi import openapi_document as d; '
    'print(json.dumps(d(), indent=2, sort_keys=True))" > docs/openapi.json'
)
REASON = "X-Promspec-Sandbox-Reason"
EXAMPLES = 6


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return shared_sandbox()


def test_served_document_is_the_one_in_docs(box: Sandbox) -> None:
    served = requests.get(box.url + "/openapi.json", timeout=10).json()
    assert served == json.loads(DOC.read_text()), f"regenerate it: {REGENERATE}"
    assert served["openapi"] == "3.1.0"


def test_every_route_is_documented() -> None:
    from prominence_spec.server.app import create_app

    class Box:  # just enough of a Sandbox for the app to build its routes
        config = type("C", (), {"latency_ms": 0})()

    app = create_app(Box())  # type: ignore[arg-type]
    documented = json.loads(DOC.read_text())["paths"]
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        path = path.replace("{job_id}", "{id}").replace("{wf_id}", "{id}")
        path = path.replace("{obj}", "{object}")
        assert path in documented, path
        assert rule.methods is not None, path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in documented[path], (method, path)


def production_faithful_5xx(ctx: CheckContext, response: Response, case: Case[Any]) -> None:
    """A 5xx is one the production server gives too: it names the reason, and the
    reason is not a sandbox error."""
    if response.status_code >= 500:
        found = [v for k, v in response.headers.items() if k.lower() == REASON.lower()]
        reason = (found[0][0] if isinstance(found[0], list) else found[0]) if found else ""
        if not reason or reason.startswith("sandbox error"):
            raise AssertionError(f"a 5xx that is not production-faithful: {reason!r}")


CHECKS = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    production_faithful_5xx,
]


@pytest.mark.slow
def test_schemathesis_finds_nothing_undocumented(box: Sandbox) -> None:
    raw = json.loads(DOC.read_text())
    schema = schemathesis.openapi.from_dict(raw)
    for job in range(3):
        box.submit(make_job(name=f"st{job}"))  # something for the ids to hit
    session = requests.Session()
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def run(case: Case[Any]) -> None:
            case.call_and_validate(base_url=box.origin, session=session,
                                   headers=box.headers(), checks=CHECKS)  # fmt: skip

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report
            failures.append(f"{operation.label}: {exc}")
    session.close()
    assert not failures, "\n\n".join(failures)
    assert "unexpected error" not in box.log.read_text()
