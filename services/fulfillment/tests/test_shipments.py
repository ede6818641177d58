"""Splitting: a released order becomes one shipment per delivery address and warehouse."""

from __future__ import annotations

from ordo_events import events as ev
from ordo_runtime.testing import sample_order
from services.fulfillment.tests.support import planned, released, two_lines

GIFT = {
    "name": "Ewa Nowak",
    "line1": "ul. Krótka 2",
    "city": "Kraków",
    "postcode": "30-001",
    "country": "PL",
}


def test_one_address_one_warehouse_is_one_shipment() -> None:
    order = two_lines()
    _, events = released(order)
    assert [type(e) for e in events] == [ev.OrderReadyForFulfillment, ev.ShipmentPlanned]
    (shipment,) = planned(events)
    assert shipment.shipment_id == f"{order.order_id}-S1"
    assert [(ln.sku, ln.quantity) for ln in shipment.lines] == [("SKU-1", 2), ("SKU-2", 1)]
    assert shipment.address == order.delivery.address


def test_lines_from_two_warehouses_ship_separately() -> None:
    order = two_lines()
    _, events = released(
        order,
        ev.ReservedLine(sku="SKU-1", quantity=2, warehouse="waw"),
        ev.ReservedLine(sku="SKU-2", quantity=1, warehouse="krk"),
    )
    shipments = planned(events)
    assert [(s.warehouse, [ln.sku for ln in s.lines]) for s in shipments] == [
        ("krk", ["SKU-2"]),
        ("waw", ["SKU-1"]),
    ]
    assert [s.shipment_id for s in shipments] == [f"{order.order_id}-S1", f"{order.order_id}-S2"]
    ready = events[0]
    assert isinstance(ready, ev.OrderReadyForFulfillment)
    assert {(ln.sku, ln.warehouse) for ln in ready.lines} == {("SKU-1", "waw"), ("SKU-2", "krk")}


def test_a_line_with_its_own_address_ships_there() -> None:
    order = sample_order(
        external_id="W-gift",
        lines=[
            {"sku": "SKU-1", "quantity": 1, "unit_price": "10.00"},
            {"sku": "SKU-1", "quantity": 1, "unit_price": "10.00", "delivery_address": GIFT},
        ],
    )
    _, events = released(order, ev.ReservedLine(sku="SKU-1", quantity=2))
    home, gift = planned(events)
    assert home.address == order.delivery.address
    assert gift.address is not None
    assert gift.address.postcode == "30-001"
    assert [(ln.sku, ln.quantity) for ln in home.lines] == [("SKU-1", 1)]
    assert [(ln.sku, ln.quantity) for ln in gift.lines] == [("SKU-1", 1)]


def test_one_sku_split_across_warehouses_and_addresses() -> None:
    order = sample_order(
        external_id="W-split",
        lines=[
            {"sku": "SKU-1", "quantity": 3, "unit_price": "10.00"},
            {"sku": "SKU-1", "quantity": 2, "unit_price": "10.00", "delivery_address": GIFT},
        ],
    )
    _, events = released(
        order,
        ev.ReservedLine(sku="SKU-1", quantity=4, warehouse="a"),
        ev.ReservedLine(sku="SKU-1", quantity=1, warehouse="b"),
    )
    split = [
        (s.warehouse, s.address == order.delivery.address, s.lines[0].quantity)
        for s in planned(events)
    ]
    assert split == [("a", True, 3), ("a", False, 1), ("b", False, 1)]


def test_a_third_person_collecting_is_on_the_shipment() -> None:
    order = sample_order(
        external_id="W-pickup",
        delivery={
            "method": "store_pickup",
            "pickup_point": "WAW-01",
            "collector": "Piotr Zieliński",
        },
    )
    _, events = released(order)
    (shipment,) = planned(events)
    assert (shipment.pickup_point, shipment.collector) == ("WAW-01", "Piotr Zieliński")
    assert shipment.address is None


def test_the_same_order_always_plans_the_same_shipments() -> None:
    order = two_lines()
    reserved = (
        ev.ReservedLine(sku="SKU-2", quantity=1, warehouse="krk"),
        ev.ReservedLine(sku="SKU-1", quantity=2, warehouse="waw"),
    )
    assert planned(released(order, *reserved)[1]) == planned(released(order, *reserved)[1])
