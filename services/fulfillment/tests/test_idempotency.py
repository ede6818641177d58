"""Idempotency-Key on returns and complaints: given a request made with a key, when the same
request comes again with that key, then the first result is answered and nothing new is
created; the same key with another body is refused and creates nothing either."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ordo_events import events as ev
from ordo_fulfillment import returns as rma
from ordo_fulfillment.api import router
from ordo_fulfillment.domain import ReleaseGate
from ordo_fulfillment.idempotency import KeyReusedError
from ordo_runtime.testing import InMemoryRuntime, Scenario
from services.fulfillment.tests.support import carrier, released, two_lines

ORDER = two_lines()  # SKU-1 x2, SKU-2 x1
OID = ORDER.order_id


def delivered() -> Scenario:
    scenario = released(ORDER)[0]
    carrier(scenario, shipment_id=f"{OID}-S1", status="delivered")
    return scenario


def asked(quantity: int = 2, reason: str = "does not fit") -> rma.ReturnRequest:
    return rma.ReturnRequest(
        lines=[rma.ReturnLine(sku="SKU-1", quantity=quantity)], reason=reason, by="customer"
    )


def gate(scenario: Scenario) -> ReleaseGate:
    found = scenario.app.get(ReleaseGate, ReleaseGate.create_id(OID))
    assert found is not None
    return found


def test_a_retried_return_answers_the_first_and_creates_nothing() -> None:
    scenario = delivered()
    first = rma.RequestReturn(OID, asked(), key="k-1")
    (requested,) = scenario.execute(first)
    assert isinstance(requested, ev.ReturnRequested)
    # All of SKU-1 is claimed now: without the key the retry would be refused as too many.
    retry = rma.RequestReturn(OID, asked(), key="k-1")
    assert scenario.execute(retry) == []
    assert (retry.return_id, retry.replayed) == (first.return_id, True)
    assert list(gate(scenario).returns) == [first.return_id]
    with pytest.raises(rma.RefusedError, match="2 asked back, but 2 shipped and 2 already"):
        scenario.execute(rma.RequestReturn(OID, asked(), key="k-2"))


def test_the_same_key_with_another_body_is_refused() -> None:
    scenario = delivered()
    scenario.execute(rma.RequestReturn(OID, asked(1), key="k-1"))
    with pytest.raises(KeyReusedError, match="already used for a different return request"):
        scenario.execute(rma.RequestReturn(OID, asked(1, reason="changed my mind"), key="k-1"))
    assert len(gate(scenario).returns) == 1


def test_a_retried_complaint_answers_the_first_and_files_nothing() -> None:
    scenario = delivered()
    said = rma.Complaint(message="box was crushed", by="customer")
    first = rma.FileComplaint(OID, said, key="c-1")
    assert len(scenario.execute(first)) == 1
    retry = rma.FileComplaint(OID, said, key="c-1")
    assert scenario.execute(retry) == []
    assert (retry.complaint_id, retry.replayed) == (first.complaint_id, True)
    with pytest.raises(KeyReusedError, match="different complaint request"):
        scenario.execute(rma.FileComplaint(OID, rma.Complaint(message="late", by="x"), key="c-1"))
    assert gate(scenario).complaints == 1
    unkeyed = rma.FileComplaint(OID, said)  # no key: a second complaint, as before
    scenario.execute(unkeyed)
    assert unkeyed.complaint_id != first.complaint_id


def client(scenario: Scenario) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    app.state.runtime = InMemoryRuntime(scenario)
    return TestClient(app)


def test_over_http_a_replay_is_the_same_answer_and_a_changed_body_is_a_422() -> None:
    scenario = delivered()
    api = client(scenario)
    path = f"/orders/{OID}/returns"
    payload = asked().model_dump()
    first = api.post(path, json=payload, headers={"Idempotency-Key": "abc-123"})
    assert first.status_code == 201, first.text
    again = api.post(path, json=payload, headers={"Idempotency-Key": "abc-123"})
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    changed = api.post(path, json=asked(1).model_dump(), headers={"Idempotency-Key": "abc-123"})
    assert changed.status_code == 422
    assert "already used for a different return request" in changed.json()["detail"]
    bad_key = api.post(path, json=payload, headers={"Idempotency-Key": "a key with spaces"})
    assert bad_key.status_code == 422

    complaint = {"message": "late", "by": "customer"}
    filed = api.post(f"/orders/{OID}/complaints", json=complaint, headers={"Idempotency-Key": "c"})
    refiled = api.post(
        f"/orders/{OID}/complaints", json=complaint, headers={"Idempotency-Key": "c"}
    )
    assert filed.status_code == refiled.status_code == 201
    assert filed.json() == refiled.json()
    assert gate(scenario).complaints == 1
