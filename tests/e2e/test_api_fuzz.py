"""Schemathesis generates valid and invalid requests from /api/schema/ against a running
console: no 5xx, ever."""

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

pytestmark = pytest.mark.e2e


def operations(console):
    schema = schemathesis.openapi.from_url(
        f"{console['url']}/api/schema/?format=json",
        headers={"Authorization": f"Token {console['token']}"},
    )
    return [result.ok() for result in schema.get_all_operations()]


def test_no_request_the_schema_allows_makes_the_console_fail(console):
    headers = {"Authorization": f"Token {console['token']}"}
    server_errors = []
    checked = []
    answers = []

    for operation, mode in itertools.product(operations(console), list(GenerationMode)):

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def call(case):
            response = case.call(base_url=console["url"], headers=headers, timeout=30)
            answers.append(response.status_code)
            if response.status_code >= 500:
                label = operation.label  # noqa: B023 - call() runs inside this iteration
                server_errors.append(f"{label}: {response.status_code} {response.text[:200]}")

        try:
            call()
        except Unsatisfiable:
            continue  # nothing invalid can be said to an operation without inputs
        checked.append(operation.label)
    checked = sorted(set(checked))
    assert "POST /api/incidents/{id}/steps/{step_id}/run/" in checked
    assert len(checked) >= 10
    assert len(answers) >= 5 * len(checked), "hypothesis should try several requests each"
    assert {400, 404} <= set(answers), "bad input must be refused with clear 4xx answers"
    assert server_errors == []
