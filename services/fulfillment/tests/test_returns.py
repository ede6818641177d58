"""Returns (RMA) and complaints: only what was shipped, no more than is left to return;
requested -> approved or rejected -> received, with the refund at the order's prices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ordo_events import events as ev
from ordo_fulfillment import returns as rma
from ordo_fulfillment.api import router
from ordo_fulfillment.domain import ReleaseGate
from ordo_runtime.auth import Authenticator, Principal, secure
from ordo_runtime.testing import InMemoryRuntime, Scenario
from services.fulfillment.tests.support import carrier, released, two_lines

ORDER = two_lines()  # SKU-1 x2 at 10.00, SKU-2 x1 at 25.50
OID = ORDER.order_id


def delivered() -> Scenario:
    scenario = released(ORDER)[0]
    carrier(scenario, shipment_id=f"{OID}-S1", status="delivered")
    return scenario


def ask(scenario: Scenario, **lines: int) -> str:
    body = rma.ReturnRequest(
        lines=[rma.ReturnLine(sku=sku.replace("_", "-"), quantity=q) for sku, q in lines.items()],
        reason="does not fit",
        by="customer",
    )
    command = rma.RequestReturn(OID, body)
    (event,) = scenario.execute(command)
    assert isinstance(event, ev.ReturnRequested)
    assert event.return_id == command.return_id
    return command.return_id


def test_a_full_return_flow_states_the_refund() -> None:
    scenario = delivered()
    return_id = ask(scenario, SKU_1=1, SKU_2=1)
    assert scenario.execute(rma.DecideReturn(return_id, rma.Approval(by="ola"))) == [
        ev.ReturnApproved(order_id=OID, return_id=return_id, approved_by="ola")
    ]
    (received,) = scenario.execute(rma.ReceiveReturn(return_id, rma.Receipt(by="magazyn")))
    assert received == ev.ReturnReceived(
        order_id=OID,
        return_id=return_id,
        lines=[ev.ReservedLine(sku="SKU-1", quantity=1), ev.ReservedLine(sku="SKU-2", quantity=1)],
        amount=Decimal("35.50"),
        currency="PLN",
    )


def test_nothing_can_be_returned_before_it_ships() -> None:
    scenario = released(ORDER)[0]
    with pytest.raises(rma.RefusedError, match="SKU-1: nothing of it has been shipped"):
        ask(scenario, SKU_1=1)


def test_a_parcel_returned_to_sender_cannot_be_asked_back() -> None:
    """It never reached the customer and is on the shelf again: a return would restock it
    twice and refund goods nobody sent back."""
    scenario = released(ORDER)[0]
    carrier(scenario, shipment_id=f"{OID}-S1", status="in_transit")
    carrier(
        scenario,
        shipment_id=f"{OID}-S1",
        status="returned_to_sender",
        time="2030-01-02T10:00:00Z",
    )
    with pytest.raises(rma.RefusedError, match="SKU-1: nothing of it has been shipped"):
        ask(scenario, SKU_1=1)


def test_not_more_than_shipped_minus_already_returned() -> None:
    scenario = delivered()
    with pytest.raises(rma.RefusedError, match="3 asked back, but 2 shipped"):
        ask(scenario, SKU_1=3)
    ask(scenario, SKU_1=1)
    with pytest.raises(rma.RefusedError, match="2 asked back, but 2 shipped and 1 already"):
        ask(scenario, SKU_1=2)
    ask(scenario, SKU_1=1)  # the last one left


def test_a_rejected_return_frees_its_quantities() -> None:
    scenario = delivered()
    first = ask(scenario, SKU_1=2)
    (rejected,) = scenario.execute(rma.DecideReturn(first, rma.Rejection(by="ola", reason="worn")))
    assert rejected == ev.ReturnRejected(
        order_id=OID, return_id=first, rejected_by="ola", reason="worn"
    )
    assert ask(scenario, SKU_1=2) != first


def test_decisions_follow_the_order_of_things() -> None:
    scenario = delivered()
    return_id = ask(scenario, SKU_2=1)
    with pytest.raises(rma.RefusedError, match="only an approved return is received"):
        scenario.execute(rma.ReceiveReturn(return_id, rma.Receipt(by="magazyn")))
    scenario.execute(rma.DecideReturn(return_id, rma.Approval(by="ola")))
    with pytest.raises(rma.RefusedError, match="approved already"):
        scenario.execute(rma.DecideReturn(return_id, rma.Rejection(by="ola", reason="late")))
    with pytest.raises(rma.NotFoundError):
        scenario.execute(rma.DecideReturn("no-such-return", rma.Approval(by="ola")))
    with pytest.raises(rma.NotFoundError):
        scenario.execute(
            rma.RequestReturn(
                "no-such-order",
                rma.ReturnRequest(
                    lines=[rma.ReturnLine(sku="SKU-1", quantity=1)], reason="x", by="customer"
                ),
            )
        )


def test_a_complaint_is_filed_for_ticketing() -> None:
    scenario = delivered()
    complaint = rma.FileComplaint(OID, rma.Complaint(message="box was crushed", by="customer"))
    assert scenario.execute(complaint) == [
        ev.ComplaintFiled(
            order_id=OID,
            complaint_id=complaint.complaint_id,
            message="box was crushed",
            filed_by="customer",
        )
    ]
    second = rma.FileComplaint(OID, rma.Complaint(message="and late", by="customer"))
    scenario.execute(second)
    assert second.complaint_id != complaint.complaint_id


TOKENS = {
    "t-operator-pl-000001": Principal.of("olek", "operator", ["PL"]),
    "t-operator-de-000001": Principal.of("dora", "operator", ["DE"]),
    "t-viewer-00000000001": Principal.of("vic", "viewer"),
}


def over_http(runtime: InMemoryRuntime) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    app.state.runtime = runtime
    secure(app, Authenticator(TOKENS))
    return TestClient(app)


def as_(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_over_http_the_caller_is_recorded_and_an_operator_acts_only_in_their_markets() -> None:
    assert ORDER.market == "PL"
    scenario = delivered()
    runtime = InMemoryRuntime(scenario)
    client = over_http(runtime)
    asked = client.post(
        f"/orders/{OID}/returns",
        json={"lines": [{"sku": "SKU-1", "quantity": 1}], "reason": "too small", "by": "customer"},
        headers=as_("t-operator-pl-000001"),
    )
    assert asked.status_code == 201, asked.text
    return_id = asked.json()["return_id"]
    stored = scenario.app.get(ReleaseGate, ReleaseGate.create_id(OID))
    assert stored is not None
    assert stored.returns[return_id]["requested_by"] == "customer (entered by olek)"

    approve = f"/returns/{return_id}/approve"
    assert client.post(approve, json={}, headers=as_("t-viewer-00000000001")).status_code == 403
    elsewhere = client.post(approve, json={}, headers=as_("t-operator-de-000001"))
    assert elsewhere.status_code == 404  # another market's return is not there for them
    approved = client.post(approve, json={"by": "mallory"}, headers=as_("t-operator-pl-000001"))
    assert approved.status_code == 202, approved.text
    assert runtime.published[-1] == ev.ReturnApproved(
        order_id=OID,
        return_id=return_id,
        approved_by="olek",  # the token's, not the body's
    )
    complaint = client.post(
        f"/orders/{OID}/complaints", json={"message": "late"}, headers=as_("t-operator-de-000001")
    )
    assert complaint.status_code == 404
