"""The API against its own OpenAPI document (schemathesis): generated requests for every operation, no 500s,
and every response (status, content type, headers, body) as the document says.

The operations are driven from a plain test (schemathesis' pytest plugin does not run under pytest 9 yet):
each one gets a bounded hypothesis run of ``MAX_EXAMPLES`` generated requests with every default check.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from kg.qa.engine import Engine
from kg.settings import Settings

MAX_EXAMPLES = 60  # per operation: the whole run stays well under a minute on 2 cores
# "Schema-valid requests are accepted" cannot hold where validity is beyond JSON Schema: a SPARQL query must
# parse, and a source range must have end >= start. Those operations answer such requests with a 400 JSON
# error, which every other check (no 500, documented status, content type, body schema) still verifies.
GRAMMAR_BEYOND_SCHEMA = {"GET /api/v1/sparql", "POST /api/v1/sparql", "GET /api/v1/source"}


@pytest.fixture(scope="module")
def api_app(settings: Settings, engine: Engine) -> Flask:
    tight = settings.with_(sparql_timeout_s=10.0, sparql_max_rows=200, rate_limit="off")
    bounded = Engine(tight, engine.index, engine.embedder)
    return create_app(tight, bounded)


def run_operation(operation: Any) -> tuple[int, str]:
    """(examples run, failure text or "") for one operation."""
    calls = 0

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests every run: a failure reproduces
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        nonlocal calls
        calls += 1
        excluded = [positive_data_acceptance] if operation.label in GRAMMAR_BEYOND_SCHEMA else []
        case.call_and_validate(excluded_checks=excluded)

    try:
        check()
    except Exception as exc:  # schemathesis reports every failed check with the request that caused it
        return calls, f"{operation.label}: {exc}"
    return calls, ""


@pytest.mark.slow
def test_api_conforms_to_its_openapi_document(api_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "schemathesis-secret")  # configured: unsigned requests are 401
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    started, examples, failures, operations = time.monotonic(), 0, [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        calls, failure = run_operation(operation)
        examples += calls
        if failure:
            failures.append(failure)
    seconds = time.monotonic() - started
    print(f"schemathesis: {operations} operations, {examples} examples, {len(failures)} failures in {seconds:.1f} s")
    assert operations >= 11  # every path but the document itself
    assert not failures, "\n\n".join(failures)
