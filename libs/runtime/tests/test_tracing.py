"""Trace context travels from a consumed event to the events it causes."""

from __future__ import annotations

from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_runtime.testing import Scenario, sample_order
from ordo_runtime.tracing import child_of
from ordo_validation.app import service

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_a_child_keeps_the_trace_and_gets_a_new_span() -> None:
    child = child_of(PARENT)
    version, trace_id, span_id, flags = child.split("-")
    assert (version, trace_id, flags) == ("00", "0af7651916cd43dd8448eb211c80319c", "01")
    assert len(span_id) == 16
    assert span_id != "b7ad6b7169203331"


def test_no_parent_starts_a_new_trace() -> None:
    first, second = child_of(None).split("-"), child_of("garbage").split("-")
    assert len(first[1]) == 32
    assert first[1] != second[1]


def test_events_a_handler_returns_carry_the_consumed_events_trace() -> None:
    order = sample_order()
    scenario = Scenario(service)
    received = ev.OrderReceived(order_id=order.order_id, order=order)
    scenario.when(Envelope(data=received, source="/t", traceparent=PARENT))
    (verdict,) = scenario.last
    assert verdict.traceparent is not None
    assert verdict.traceparent.split("-")[1] == PARENT.split("-")[1]
    assert verdict.traceparent != PARENT
