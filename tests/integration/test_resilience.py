"""A service killed mid-stream loses no order and releases none twice, and every order's
state rebuilt from the log (OrderState) matches what the services decided."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter, defaultdict

import pytest

from ordo_events import OrderState
from ordo_events.envelope import Envelope
from ordo_events.topics import CHANNEL_ORDERS, FULFILLMENT, ORDER_HISTORY, TICKETS
from ordo_fulfillment.domain import ReleaseGate
from ordo_inventory.domain import Reservation
from ordo_payment.domain import Settlement
from ordo_runtime.settings import Settings
from ordo_runtime.store import ServiceApplication
from ordo_runtime.testing import sample_order
from ordo_validation.domain import OrderCheck
from tests.integration.conftest import Ordo, eventually, order_state
from tests.integration.kafka_tools import read_events, send

pytestmark = pytest.mark.integration
ORDERS = 300


def test_sigkill_mid_stream_loses_nothing_and_releases_once(ordo: Ordo) -> None:
    with ordo.http("inventory") as api:
        api.put("/stock/KILL-1", json={"on_hand": 100_000}).raise_for_status()
    orders = [
        sample_order(
            external_id=f"kill-{i}",
            customer={"name": "Ewa", "email": f"ewa{i}@example.com", "phone": "+48 601 234 567"}
            if i % 10
            else {"name": "Ewa", "email": f"ewa{i}@example.com"},  # every tenth lacks a phone
            lines=[{"sku": "KILL-1", "quantity": 1, "unit_price": "5.00"}],
        )
        for i in range(ORDERS)
    ]
    records: list[tuple[bytes, bytes, list[tuple[str, bytes]]]] = [
        (o.order_id.encode(), o.model_dump_json().encode(), []) for o in orders
    ]
    send(ordo.stack.kafka_bootstrap, CHANNEL_ORDERS.name, records[: ORDERS // 2])
    time.sleep(0.3)  # let the pipeline get going, then kill two services without warning
    for name in ("inventory", "fulfillment"):
        os.kill(ordo.supervisor.children[name].process.pid, signal.SIGKILL)
    send(ordo.stack.kafka_bootstrap, CHANNEL_ORDERS.name, records[ORDERS // 2 :])
    ordo.restart("inventory", "fulfillment")

    ids = {o.order_id for o in orders}
    complete = {o.order_id for i, o in enumerate(orders) if i % 10}

    def all_released() -> set[str] | None:
        released = {
            e.subject
            for e in read_events(ordo.stack.kafka_bootstrap, FULFILLMENT.name)
            if e.type == "OrderReadyForFulfillment"
        }
        return released if complete <= released else None

    released = eventually(all_released, 120, "every complete order to be released")
    assert released & ids == complete  # the ones without a phone wait for an operator

    releases = [
        e
        for e in read_events(ordo.stack.kafka_bootstrap, FULFILLMENT.name)
        if e.subject in ids and e.type == "OrderReadyForFulfillment"
    ]
    per_order = Counter(e.subject for e in {e.id: e for e in releases}.values())
    assert set(per_order.values()) == {1}, "an order was released twice"

    def all_ticketed() -> set[str] | None:
        opened = {
            e.subject
            for e in read_events(ordo.stack.kafka_bootstrap, TICKETS.name)
            if e.type == "TicketOpened"
        }
        return opened if ids - complete <= opened else None

    # Releases do not wait for ticketing: the tickets get a deadline of their own.
    eventually(all_ticketed, 60, "a ticket for every order without a phone")
    with ordo.http("inventory") as api:
        assert api.get("/stock/KILL-1").json()["reserved"] == len(complete)


def test_sigterm_stops_a_service_cleanly_and_it_resumes_where_it_stopped(ordo: Ordo) -> None:
    with ordo.http("inventory") as api:
        api.put("/stock/TERM-1", json={"on_hand": 1000}).raise_for_status()
    orders = [
        sample_order(
            external_id=f"term-{i}", lines=[{"sku": "TERM-1", "quantity": 1, "unit_price": "2.00"}]
        )
        for i in range(100)
    ]
    send(
        ordo.stack.kafka_bootstrap,
        CHANNEL_ORDERS.name,
        [(o.order_id.encode(), o.model_dump_json().encode(), []) for o in orders],
    )
    validation = ordo.supervisor.children["validation"].process
    validation.send_signal(signal.SIGTERM)
    assert validation.wait(20) == 0  # the batch in flight finished, the relay flushed
    ordo.restart("validation")
    ids = {o.order_id for o in orders}
    eventually(
        lambda: (
            ids <= {e.subject for e in read_events(ordo.stack.kafka_bootstrap, FULFILLMENT.name)}
        ),
        120,
        "every order to be released after the restart",
    )


def test_state_rebuilt_from_the_log_matches_what_services_decided(ordo: Ordo) -> None:
    decided = ServiceState(ordo.stack.database_url)
    try:
        # A service stores its decision before its relay publishes the event, so while
        # anything is in flight the two may differ for a moment: compare until they agree.
        deadline, mismatches = time.monotonic() + 90, ["not compared yet"]
        while mismatches and time.monotonic() < deadline:
            mismatches = compare(ordo, decided)
        assert not mismatches, mismatches[:10]
    finally:
        decided.close()


def compare(ordo: Ordo, decided: ServiceState) -> list[str]:
    history: dict[str, list[Envelope]] = defaultdict(list)
    for topic in ORDER_HISTORY:
        for envelope in read_events(ordo.stack.kafka_bootstrap, topic.name):
            history[envelope.subject].append(envelope)
    assert len(history) >= ORDERS
    mismatches = []
    for order_id, envelopes in history.items():
        if any(not e.source.startswith("/ordo/") for e in envelopes):
            continue  # a test wrote some of this order's events itself: no service decided them
        folded = OrderState.fold(order_id, envelopes)
        expected = (folded.released, folded.validated, folded.reserved, folded.paid)
        actual = (
            decided.released(order_id),
            decided.validated(order_id),
            decided.reserved(order_id),
            decided.paid(order_id),
        )
        if expected != actual:
            mismatches.append(f"{order_id}: log says {expected}, services {actual}")
            continue
        if folded.released and not folded.cancelled:  # a cancellation gives the stock back
            assert folded.validated is True
            assert folded.reserved is True
            assert folded.paid
        served = order_state(ordo, order_id)
        if served is None or served["status"] != folded.status.value:
            mismatches.append(
                f"{order_id}: read model says {served and served['status']}, log {folded.status}"
            )
    return mismatches


UNCACHED = {"AGGREGATE_CACHE_MAXSIZE": ""}  # each comparison must read what is stored now


class ServiceState:
    """What each service decided, read from its own event store."""

    def __init__(self, database_url: str) -> None:
        settings = Settings(database_url=database_url)
        self.apps = {
            name: ServiceApplication(name, settings, extra_env=UNCACHED)
            for name in ("validation", "inventory", "payment", "fulfillment")
        }

    def released(self, order_id: str) -> bool:
        gate = self.apps["fulfillment"].get(ReleaseGate, ReleaseGate.create_id(order_id))
        return gate is not None and gate.released

    def validated(self, order_id: str) -> bool | None:
        check = self.apps["validation"].get(OrderCheck, OrderCheck.create_id(order_id))
        return None if check is None else check.passed

    def reserved(self, order_id: str) -> bool | None:
        reservation = self.apps["inventory"].get(Reservation, Reservation.create_id(order_id))
        return None if reservation is None or reservation.attempts == 0 else reservation.reserved

    def paid(self, order_id: str) -> bool:
        settlement = self.apps["payment"].get(Settlement, Settlement.create_id(order_id))
        return (
            settlement is not None
            and settlement.outcome in ("authorized", "cash_on_delivery")
            and not settlement.voided  # a cancelled order's hold is given back
        )

    def close(self) -> None:
        for app in self.apps.values():
            app.close()
