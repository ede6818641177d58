"""What the simulator counts as an order's outcome, given the events the services publish."""

from __future__ import annotations

from ordo_cli.watch import Outcome, OutcomeWatcher
from ordo_events import events as ev
from ordo_events.envelope import Envelope


def record(event: ev.Event) -> tuple[bytes, list[tuple[str, bytes]]]:
    envelope = Envelope(data=event, source="/test")
    return envelope.value(), envelope.headers()


def ticket(order_id: str, ticket_id: str) -> ev.TicketOpened:
    return ev.TicketOpened(
        order_id=order_id, ticket_id=ticket_id, reason="r", stage="s", instructions="i"
    )


async def test_first_final_event_settles_an_order_and_tickets_are_counted() -> None:
    watcher = OutcomeWatcher("127.0.0.1:1", ["a", "b", "c"])
    events = [
        ev.StockReserved(order_id="a", lines=[]),
        ev.OrderReadyForFulfillment(order_id="a", lines=[]),
        ticket("b", "t1"),
        ticket("b", "t2"),
        ev.OrderRejected(order_id="c", channel="webshop", issues=[], raw="{}"),
        ev.OrderReadyForFulfillment(order_id="someone-else", lines=[]),
    ]
    settled = sum(watcher.observe(*record(e), now=float(i)) for i, e in enumerate(events))
    assert settled == 3
    assert {k: v.outcome for k, v in watcher.outcomes.items()} == {
        "a": Outcome.RELEASED,
        "b": Outcome.TICKET,
        "c": Outcome.REJECTED,
    }
    assert watcher.outcomes["b"].at == 2.0
    assert watcher.tickets == 2
    assert watcher.pending == 0


async def test_garbage_is_ignored() -> None:
    watcher = OutcomeWatcher("127.0.0.1:1", ["a"])
    headers = [("ce_type", b"OrderReadyForFulfillment"), ("ce_id", b"1"), ("ce_source", b"/x")]
    assert watcher.observe(b"not json", headers, 0.0) == 0
    assert watcher.observe(b"{}", [], 0.0) == 0
    assert watcher.pending == 1
