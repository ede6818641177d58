"""A pickup collected at the counter: given a released pickup order and its carrier's
updates, when staff record who collected it, then the shipment is delivered with that
record; anything that is not a ready pickup, or someone other than the order's named
collector without an override, is refused. /track never shows who collected."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_fulfillment.api import router
from ordo_fulfillment.collection import Collected, RecordCollection
from ordo_fulfillment.returns import NotFoundError, RefusedError
from ordo_runtime.auth import Authenticator, Principal, secure
from ordo_runtime.testing import COMPANY_INVOICE, InMemoryRuntime, Scenario, sample_order
from services.fulfillment.tests.support import carrier, released

NAMED = "Piotr Zieliński"


def pickup_order(collector: str | None = NAMED, market: str = "PL") -> CanonicalOrder:
    delivery: dict[str, Any] = {"method": "store_pickup", "pickup_point": "WAW-01"}
    if collector:
        delivery["collector"] = collector
    return sample_order(
        external_id=f"W-pickup-{market}-{bool(collector)}",
        market=market,
        delivery=delivery,
        invoice=COMPANY_INVOICE,
        lines=[{"sku": "SKU-1", "quantity": 2, "unit_price": "10.00"}],
    )


def at_the_counter(order: CanonicalOrder, status: str | None = "in_transit") -> Scenario:
    scenario = released(order)[0]
    if status:
        carrier(scenario, shipment_id=f"{order.order_id}-S1", status=status, carrier="dpd")
    return scenario


def body(name: str = "piotr  ZIELINSKI", **changes: Any) -> Collected:
    data: dict[str, Any] = {
        "collected_by": name,
        "document": {"type": "id_card", "last_digits": "123a"},
        "relation": "authorised third party",
    }
    return Collected.model_validate(data | changes)


def collect(scenario: Scenario, order: CanonicalOrder, what: Collected) -> list[ev.Event]:
    return scenario.execute(RecordCollection(f"{order.order_id}-S1", what, "ola"))


def test_the_named_collector_collects_and_the_shipment_is_delivered() -> None:
    order = pickup_order()
    scenario = at_the_counter(order)
    (event,) = collect(scenario, order, body())
    assert isinstance(event, ev.ShipmentStatusChanged)
    assert event.time is not None  # when it was collected, by the counter's clock
    assert event == ev.ShipmentStatusChanged(
        order_id=order.order_id,
        shipment_id=f"{order.order_id}-S1",
        status="delivered",
        carrier="dpd",
        note="collected at the pickup point",
        lines=[ev.ReservedLine(sku="SKU-1", quantity=2)],
        collection=ev.Collection(
            collector="piotr  ZIELINSKI",  # as the document says; matched to the order's name
            relation="authorised third party",
            document_type="id_card",
            document_last_digits="123A",
            recorded_by="ola",
        ),
        time=event.time,
    )
    # The carrier's own "delivered" afterwards is a repeat: nothing new.
    assert carrier(scenario, shipment_id=f"{order.order_id}-S1", status="delivered") == []


def test_someone_else_needs_an_override_with_a_reason() -> None:
    order = pickup_order()
    scenario = at_the_counter(order)
    with pytest.raises(RefusedError, match="names another person as its collector"):
        collect(scenario, order, body("Anna Nowak"))
    with pytest.raises(ValueError, match="an override needs override_reason"):
        body("Anna Nowak", override=True)
    (event,) = collect(
        scenario,
        order,
        body("Anna Nowak", override=True, override_reason="customer called, wife collects"),
    )
    assert isinstance(event, ev.ShipmentStatusChanged)
    assert event.collection is not None
    assert event.collection.override_reason == "customer called, wife collects"


def test_without_a_named_collector_whoever_shows_a_document_collects() -> None:
    order = pickup_order(collector=None)
    scenario = at_the_counter(order, "packed")
    (event,) = collect(scenario, order, body("Anna Nowak", relation="customer"))
    assert isinstance(event, ev.ShipmentStatusChanged)
    assert event.status == "delivered"


def test_only_a_ready_pickup_not_yet_collected_can_be_collected() -> None:
    order = pickup_order()
    planned_only = at_the_counter(order, None)
    with pytest.raises(RefusedError, match="is planned: not ready for collection yet"):
        collect(planned_only, order, body())
    scenario = at_the_counter(order)
    collect(scenario, order, body())
    with pytest.raises(RefusedError, match="delivered or collected already"):
        collect(scenario, order, body())

    sent_back = at_the_counter(order)
    carrier(
        sent_back,
        shipment_id=f"{order.order_id}-S1",
        status="returned_to_sender",
        time="2030-01-09T10:00:00Z",
    )
    with pytest.raises(RefusedError, match="returned to sender: it is no longer at the pickup"):
        collect(sent_back, order, body())

    courier = sample_order(external_id="W-courier")
    to_an_address = at_the_counter(courier)
    with pytest.raises(RefusedError, match="is not a pickup"):
        collect(to_an_address, courier, body())


def test_an_unknown_or_other_market_shipment_is_not_found() -> None:
    order = pickup_order(market="DE")
    scenario = at_the_counter(order)
    with pytest.raises(NotFoundError):
        scenario.execute(RecordCollection("nope-S1", body(), "ola"))
    only_pl = Principal.of("olek", "operator", ["PL"])
    with pytest.raises(NotFoundError):
        scenario.execute(RecordCollection(f"{order.order_id}-S1", body(), "olek", only_pl.sees))


def test_a_document_number_is_kept_to_its_last_characters() -> None:
    with pytest.raises(ValueError, match="last_digits"):
        body(document={"type": "passport", "last_digits": "ABC123456"})
    with pytest.raises(ValueError, match="relation"):
        body(relation="neighbour")


TOKENS = {"t-operator-000000001": ("olek", "operator"), "t-viewer-00000000001": ("vic", "viewer")}


def guarded(scenario: Scenario) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    app.state.runtime = SimpleNamespace(app=scenario.app, execute=InMemoryRuntime(scenario).execute)
    who = {
        t: Principal.of(n, r, ["PL"] if r == "operator" else None) for t, (n, r) in TOKENS.items()
    }
    secure(app, Authenticator(who))
    return TestClient(app)


def test_over_http_an_operator_records_it_a_viewer_may_not_and_track_stays_quiet() -> None:
    order = pickup_order()
    scenario = at_the_counter(order)
    client = guarded(scenario)
    path = f"/shipments/{order.order_id}-S1/collected"
    payload = body(NAMED).model_dump()
    as_viewer = client.post(
        path, json=payload, headers={"Authorization": "Bearer t-viewer-00000000001"}
    )
    assert as_viewer.status_code == 403
    recorded = client.post(
        path, json=payload, headers={"Authorization": "Bearer t-operator-000000001"}
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["collection"]["recorded_by"] == "olek"  # the token, not the body
    again = client.post(
        path, json=payload, headers={"Authorization": "Bearer t-operator-000000001"}
    )
    assert again.status_code == 409
    assert "collected already" in again.json()["detail"]

    tracked = client.get(f"/track/{order.external_id}", params={"postcode": "00-950"})
    assert tracked.status_code == 200
    assert tracked.json()["status"] == "delivered"
    for secret in ("Piotr", "Zieli", "123", "olek", "id_card"):
        assert secret not in tracked.text
