"""Given a reservation -> when a revision's verdict changes the lines -> then the old holds
are given back and the new lines reserved, never below zero, once."""

from __future__ import annotations

from ordo_events import events as ev
from services.inventory.tests.support import (
    line,
    order_of,
    reservation,
    stock,
    stocked,
    validated,
)

ORDER = order_of("R-1", ("A", 2), ("B", 1))
OID = ORDER.order_id


def revised(*lines: tuple[str, int], **changes: object) -> ev.OrderValidated:
    return ev.OrderValidated(
        order_id=OID, order=order_of("R-1", *lines, **changes), attempt=2, sequence=1
    )


def test_changed_lines_release_the_old_holds_and_reserve_the_new() -> None:
    scenario = stocked(A=3, B=1, C=5)
    scenario.given(validated(ORDER))
    assert scenario.when(revised(("A", 3), ("C", 1))) == [
        ev.StockReleased(order_id=OID, lines=[line("A", 2), line("B", 1)], reason="revised"),
        ev.StockReserved(order_id=OID, lines=[line("A", 3), line("C", 1)]),
    ]
    # A's freed units served the new version; B is free again; nothing below zero
    levels = {sku: stock(scenario, sku).available("main") for sku in "ABC"}
    assert levels == {"A": 0, "B": 1, "C": 4}


def test_a_revision_the_stock_cannot_cover_gives_back_the_old_holds_and_falls_short() -> None:
    scenario = stocked(A=2, B=1)
    scenario.given(validated(ORDER))
    assert scenario.when(revised(("A", 5))) == [
        ev.StockReleased(order_id=OID, lines=[line("A", 2), line("B", 1)], reason="revised"),
        ev.StockShortage(
            order_id=OID, missing=[ev.MissingStock(sku="A", requested=5, available=2)]
        ),
    ]
    assert (stock(scenario, "A").available("main"), stock(scenario, "B").available("main")) == (
        2,
        1,
    )
    assert not reservation(scenario, OID).reserved


def test_a_revision_that_keeps_the_lines_keeps_the_reservation() -> None:
    scenario = stocked(A=3, B=1)
    scenario.given(validated(ORDER))
    address_only = revised(("A", 2), ("B", 1), customer={"email": "new@example.com"})
    assert scenario.when(address_only) == []
    assert stock(scenario, "A").available("main") == 1


def test_the_same_revision_delivered_again_changes_nothing() -> None:
    scenario = stocked(A=3, B=1, C=5)
    scenario.given(validated(ORDER), revised(("C", 2)))
    assert scenario.when(revised(("C", 2))) == []
    levels = {sku: stock(scenario, sku).available("main") for sku in "ABC"}
    assert levels == {"A": 3, "B": 1, "C": 3}
