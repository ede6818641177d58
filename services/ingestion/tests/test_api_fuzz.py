"""An API fuzz run: schemathesis generates requests from ingestion's own OpenAPI document
(valid and invalid ones) against the app on an in-memory runtime; none may be answered 5xx."""

from __future__ import annotations

from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, GenerationMode
from schemathesis.core.result import Err

from ordo_ingestion.app import service
from ordo_runtime.testing import Scenario
from services.ingestion.tests.support import FakeRuntime

MIN_CASES = 1000
PER_OPERATION = 120  # per operation and generation mode: 5 operations x 2 modes

schema = schemathesis.openapi.from_asgi("/openapi.json", service.http)


def test_no_generated_request_gets_a_5xx() -> None:
    service.http.state.runtime = FakeRuntime(Scenario(service))
    calls: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    unsatisfiable: list[str] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=PER_OPERATION,
                deadline=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: schemathesis.Case[APIOperation[Any, Any, Any, Any]]) -> None:
                response = case.call()
                calls[case.operation.label] += 1
                statuses[response.status_code] += 1
                assert response.status_code < 500, (case.as_curl_command(), response.text)

            try:
                run()
            except Unsatisfiable:
                # Nothing in this operation can be made invalid (GET /rejections/{id} takes
                # any string the path allows); its valid cases still ran.
                unsatisfiable.append(f"{operation.label} {mode.value}")
    assert sum(calls.values()) >= MIN_CASES, (calls, unsatisfiable)
    assert len(unsatisfiable) <= 1, unsatisfiable
    # The run reached past the front door: orders were accepted and bodies were refused.
    assert statuses[202] > 0
    assert statuses[422] > 0
