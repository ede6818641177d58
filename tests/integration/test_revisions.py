"""A channel's revision of an order on the real stack: before release it replaces the order
(judged and reserved again); after release it changes nothing and an operator gets a ticket."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_events.topics import FULFILLMENT, VALIDATION
from ordo_runtime.testing import sample_order
from tests.integration.conftest import Ordo, eventually, wait_for_status
from tests.integration.kafka_tools import read_events
from tests.integration.test_order_paths import (
    notify_payment,
    open_ticket,
    resolve,
    set_stock,
    submit,
)

pytestmark = pytest.mark.integration


def version(external_id: str, payment: str, **lines: int) -> CanonicalOrder:
    return sample_order(
        external_id=external_id,
        payment={"method": payment},
        lines=[{"sku": sku, "quantity": q, "unit_price": "10.00"} for sku, q in lines.items()],
    )


def reserved(ordo: Ordo, sku: str) -> int:
    with ordo.http("inventory") as api:
        found: dict[str, Any] = api.get(f"/stock/{sku}").json()
    return int(found["reserved"])


def events_of(ordo: Ordo, topic: str, order_id: str) -> list[ev.Event]:
    found = read_events(ordo.stack.kafka_bootstrap, topic)
    unique = {e.id: e.data for e in found if e.subject == order_id}  # a relay may publish twice
    return list(unique.values())


def test_a_revision_before_release_is_judged_and_reserved_again(ordo: Ordo) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    old_sku, new_sku = f"REV-A-{tag}", f"REV-B-{tag}"
    set_stock(ordo, old_sku, 10)
    set_stock(ordo, new_sku, 10)
    first = version(f"rev-{tag}", "prepaid", **{old_sku: 2})  # waits for its payment
    order_id = submit(ordo, first)
    eventually(lambda: reserved(ordo, old_sku) == 2, what="the first version reserved")

    second = version(f"rev-{tag}", "prepaid", **{new_sku: 3})
    assert submit(ordo, second) == order_id  # the same order, revised: never a second one
    eventually(
        lambda: (reserved(ordo, old_sku), reserved(ordo, new_sku)) == (0, 3),
        what="the old lines given back and the new ones reserved",
    )
    verdicts = events_of(ordo, VALIDATION.name, order_id)
    assert all(isinstance(v, ev.OrderValidated) for v in verdicts)
    assert [(v.sequence, v.order) for v in verdicts if isinstance(v, ev.OrderValidated)] == [
        (0, first),
        (1, second),
    ]

    notify_payment(ordo, order_id, f"n-{tag}", "authorized", "30.00")
    state = wait_for_status(ordo, order_id, "ready_for_fulfillment")
    assert [line["sku"] for line in state["order"]["lines"]] == [new_sku]
    (ready,) = [
        e for e in events_of(ordo, FULFILLMENT.name, order_id)
        if isinstance(e, ev.OrderReadyForFulfillment)
    ]  # fmt: skip
    assert [(line.sku, line.quantity) for line in ready.lines] == [(new_sku, 3)]


def test_a_revision_after_release_opens_a_ticket_and_changes_nothing(ordo: Ordo) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    sku = f"REV-C-{tag}"
    set_stock(ordo, sku, 10)
    order_id = submit(ordo, version(f"late-{tag}", "cash_on_delivery", **{sku: 1}))
    wait_for_status(ordo, order_id, "ready_for_fulfillment")

    submit(ordo, version(f"late-{tag}", "cash_on_delivery", **{sku: 4}))
    ticket = open_ticket(ordo, order_id, "revised_after_release")
    assert "changed this order after it was released to the warehouse" in ticket["instructions"]
    assert f"{sku}: 1 released, 4 in the channel's version" in ticket["instructions"]
    assert reserved(ordo, sku) == 1  # the warehouse's version still holds the stock
    fulfillment = [type(e).__name__ for e in events_of(ordo, FULFILLMENT.name, order_id)]
    assert "OrderRevisedAfterRelease" in fulfillment
    assert "OrderRevisionAccepted" not in fulfillment
    judged = [
        (type(v).__name__, v.sequence)
        for v in events_of(ordo, VALIDATION.name, order_id)
        if isinstance(v, ev.OrderValidated | ev.OrderValidationFailed)
    ]
    assert judged == [("OrderValidated", 0)]  # validation never saw the late version


def test_a_phone_the_channel_sends_after_a_correction_replaces_the_operators(
    ordo: Ordo,
) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    sku = f"REV-D-{tag}"
    set_stock(ordo, sku, 10)
    lines = [{"sku": sku, "quantity": 1, "unit_price": "10.00"}]
    customer = {"name": "Ewa Lis", "email": f"ewa.{tag.lower()}@example.com"}
    no_phone = sample_order(
        external_id=f"fix-{tag}", customer=customer, payment={"method": "prepaid"}, lines=lines
    )
    order_id = submit(ordo, no_phone)
    ticket = open_ticket(ordo, order_id, "validation_failed")
    resolve(ordo, ticket["ticket_id"], {"phone": "+48 512 345 678"})  # told on the phone
    eventually(lambda: reserved(ordo, sku) == 1, what="the corrected order reserved")

    # The customer then puts a number of their own in the shop: the channel's newer word.
    own = sample_order(
        external_id=f"fix-{tag}",
        customer={**customer, "phone": "+48 601 234 567"},
        payment={"method": "prepaid"},
        lines=lines,
    )
    assert submit(ordo, own) == order_id
    verdicts = eventually(
        lambda: [
            v for v in events_of(ordo, VALIDATION.name, order_id)
            if isinstance(v, ev.OrderValidated) and v.sequence == 1
        ] or None,
        what="the channel's version judged",
    )  # fmt: skip
    assert verdicts[0].order.customer.phone == "+48 601 234 567"

    notify_payment(ordo, order_id, f"n-{tag}", "authorized", "10.00")
    state = wait_for_status(ordo, order_id, "ready_for_fulfillment")
    assert state["order"]["customer"]["phone"] == "+48 601 234 567"
