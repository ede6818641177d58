"""Sending a returned parcel again from its returned_to_sender ticket. Given an order whose
parcel came back and its ticket, when the operator asks to send it again and inventory and
fulfillment answer, then the ticket closes on the new plan, or a shortage gets a ticket of
its own and the parcel may be asked for again."""

from __future__ import annotations

from typing import Any

import pytest

from ordo_events import events as ev
from ordo_events.order import Address
from ordo_runtime.testing import Scenario, sample_order
from ordo_ticketing.app import service
from ordo_ticketing.commands import CancelOrder, Resolution, ResolveTicket
from ordo_ticketing.domain import TicketRefusedError
from ordo_ticketing.instructions import DEFAULT_LANGUAGE, LANGUAGES, render
from ordo_ticketing.reship import ReshipParcel
from ordo_ticketing.sweep import OpenReturnedTickets

ORDER = sample_order(
    customer={"name": "Jan Kowalski", "email": "jan@example.com"}, payment={"method": "prepaid"}
)
OID = ORDER.order_id
S1, S2, S3 = f"{OID}-S1", f"{OID}-S2", f"{OID}-S3"
LINE = ev.ReservedLine(sku="SKU-1", quantity=2, warehouse="main")
NEW_ADDRESS = Address(line1="Nowa 5", city="Kraków", postcode="30-001", country="PL")
MISSING = [ev.MissingStock(sku="SKU-1", requested=2, available=1, warehouse="north")]


def opened(events: list[ev.Event]) -> ev.TicketOpened:
    (ticket,) = events
    assert isinstance(ticket, ev.TicketOpened)
    return ticket


def came_back(sid: str, replaces: str | None = None) -> ev.ShipmentStatusChanged:
    return ev.ShipmentStatusChanged(
        order_id=OID,
        shipment_id=sid,
        status="returned_to_sender",
        carrier="InPost",
        note="nobody collected it",
        lines=[LINE],
        replaces=replaces,
    )


def planned(sid: str, replaces: str | None) -> ev.ShipmentPlanned:
    return ev.ShipmentPlanned(
        order_id=OID, shipment_id=sid, warehouse="main", lines=[LINE], replaces=replaces
    )


def shortage(sid: str = S1, attempt: int = 1) -> ev.ReshipShortage:
    return ev.ReshipShortage(order_id=OID, shipment_id=sid, missing=MISSING, attempt=attempt)


@pytest.fixture
def returned() -> tuple[Scenario, str]:
    """A prepaid order whose only parcel came back: its returned_to_sender ticket is open."""
    scenario = Scenario(service).given(ev.OrderReceived(order_id=OID, order=ORDER))
    scenario.when(ev.ShipmentStatusChanged(order_id=OID, shipment_id=S1, status="in_transit"))
    return scenario, opened(scenario.when(came_back(S1))).ticket_id


def test_sending_again_asks_for_the_tickets_parcel_and_keeps_the_ticket_open(
    returned: tuple[Scenario, str],
) -> None:
    scenario, tid = returned
    command = ReshipParcel(tid, "ola", NEW_ADDRESS)
    assert scenario.execute(command) == [
        ev.ReshipRequested(
            order_id=OID, ticket_id=tid, shipment_id=S1, requested_by="ola", address=NEW_ADDRESS
        )
    ]
    assert command.ticket["status"] == "open"  # until the outcome


def test_without_an_address_the_parcel_goes_where_it_went(returned: tuple[Scenario, str]) -> None:
    scenario, tid = returned
    (asked,) = scenario.execute(ReshipParcel(tid, "ola"))
    assert isinstance(asked, ev.ReshipRequested)
    assert asked.address is None


def test_a_second_request_while_one_is_in_flight_is_refused(
    returned: tuple[Scenario, str],
) -> None:
    scenario, tid = returned
    scenario.execute(ReshipParcel(tid, "ola"))
    with pytest.raises(TicketRefusedError, match=rf"shipment {S1} is being sent again already"):
        scenario.execute(ReshipParcel(tid, "piotr", NEW_ADDRESS))


def test_only_a_returned_to_sender_ticket_sends_a_parcel_again(
    returned: tuple[Scenario, str],
) -> None:
    scenario, _ = returned
    issue = ev.Issue(code="phone.missing", field="customer.phone", message="No phone number.")
    other = opened(scenario.when(ev.OrderValidationFailed(order_id=OID, issues=[issue])))
    with pytest.raises(TicketRefusedError, match="is a validation_failed ticket"):
        scenario.execute(ReshipParcel(other.ticket_id, "ola"))


def test_a_resolved_ticket_sends_nothing_again(returned: tuple[Scenario, str]) -> None:
    scenario, tid = returned
    scenario.execute(ResolveTicket(tid, Resolution(resolution="refunded by hand"), "ola"))
    with pytest.raises(TicketRefusedError, match="already resolved"):
        scenario.execute(ReshipParcel(tid, "ola"))


def test_an_order_being_cancelled_or_cancelled_sends_nothing_again(
    returned: tuple[Scenario, str],
) -> None:
    scenario, tid = returned
    scenario.execute(CancelOrder(tid, "ola", "customer moved away"))
    with pytest.raises(TicketRefusedError, match=f"order {OID} is being cancelled"):
        scenario.execute(ReshipParcel(tid, "piotr"))
    scenario.when(ev.OrderCancelled(order_id=OID, reason="moved away", cancelled_by="ola"))
    with pytest.raises(TicketRefusedError, match="cancelled with its order"):
        scenario.execute(ReshipParcel(tid, "piotr"))


def test_the_new_parcels_plan_resolves_the_ticket_by_whoever_asked(
    returned: tuple[Scenario, str],
) -> None:
    scenario, tid = returned
    assert scenario.when(planned(S2, None)) == []  # another parcel's first plan: nothing
    scenario.execute(ReshipParcel(tid, "ola", NEW_ADDRESS))
    assert scenario.when(planned(S3, S1)) == [
        ev.TicketResolved(
            order_id=OID,
            ticket_id=tid,
            resolved_by="ola",
            resolution=f"sent again as shipment {S3} to the corrected address",
        )
    ]
    assert scenario.when(planned(S3, S1)) == []  # redelivered
    with pytest.raises(TicketRefusedError, match="already resolved"):
        scenario.execute(ReshipParcel(tid, "ola"))


def test_a_shortage_opens_a_ticket_and_the_parcel_may_be_asked_for_again(
    returned: tuple[Scenario, str],
) -> None:
    scenario, tid = returned
    scenario.execute(ReshipParcel(tid, "ola"))
    short = opened(scenario.when(shortage()))
    assert (short.reason, short.stage, short.severity) == ("reship_short", "inventory", "high")
    assert (short.details["subject"], short.details["returned_ticket"]) == (S1, tid)
    assert "SKU-1 (warehouse north): 2 needed, 1 available" in short.instructions
    assert "Nothing is held for it" in short.instructions
    assert f"returned_to_sender ticket ({tid}), which is still open" in short.instructions
    assert "Jan Kowalski" in short.instructions
    assert scenario.when(shortage()) == []  # redelivered: the same ticket

    (again,) = scenario.execute(ReshipParcel(tid, "piotr"))  # restocked meanwhile
    assert isinstance(again, ev.ReshipRequested)
    assert again.attempt == 2  # numbered: inventory's answer names it
    assert scenario.when(shortage()) == []  # the first answer again: old news
    assert scenario.when(shortage(attempt=2)) == []  # short again: the live ticket says so
    (third,) = scenario.execute(ReshipParcel(tid, "piotr"))
    assert isinstance(third, ev.ReshipRequested)
    assert third.attempt == 3
    resolved = scenario.when(planned(S2, S1))
    assert [(r.ticket_id, r.resolved_by) for r in resolved if isinstance(r, ev.TicketResolved)] == [
        (tid, "piotr"),
        (short.ticket_id, "piotr"),
    ]
    assert len(resolved) == 2


def test_a_shortage_after_the_last_ones_ticket_was_resolved_opens_a_new_one(
    returned: tuple[Scenario, str],
) -> None:
    scenario, tid = returned
    scenario.execute(ReshipParcel(tid, "ola"))
    first = opened(scenario.when(shortage()))
    scenario.execute(ResolveTicket(first.ticket_id, Resolution(resolution="restocked"), "ola"))
    scenario.execute(ReshipParcel(tid, "ola"))
    assert opened(scenario.when(shortage(attempt=2))).ticket_id != first.ticket_id


def test_a_parcel_sent_again_gets_no_second_ticket_and_its_replacement_coming_back_does(
    returned: tuple[Scenario, str],
) -> None:
    scenario, tid = returned
    scenario.execute(ReshipParcel(tid, "ola"))
    scenario.when(planned(S2, S1))
    assert scenario.execute(OpenReturnedTickets(OID)) == []  # the sweep: S1 is settled
    assert scenario.when(came_back(S1)) == []  # said again
    scenario.when(ev.ShipmentStatusChanged(order_id=OID, shipment_id=S2, status="in_transit"))
    again = opened(scenario.when(came_back(S2, replaces=S1)))
    assert (again.reason, again.details["subject"]) == ("returned_to_sender", S2)
    assert again.ticket_id != tid


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("returned_ticket", ["t-1", None])
def test_the_shortage_ticket_says_what_to_do_in_every_language(
    language: str, returned_ticket: str | None
) -> None:
    def rendered(lang: str) -> str:
        details: dict[str, Any] = {
            "shipment_id": S1,
            "missing": [m.model_dump(mode="json") for m in MISSING],
            "returned_ticket": returned_ticket,
        }
        return render(
            "reship_short", order_id=OID, order=ORDER, issues=[], language=lang, **details
        )

    text = rendered(language)
    assert S1 in text
    assert "SKU-1" in text
    assert "PUT /stock/{sku}" in text
    assert ("reship" in text) is (returned_ticket is not None)
    assert ("t-1" in text) is (returned_ticket is not None)
    assert language == DEFAULT_LANGUAGE or text != rendered(DEFAULT_LANGUAGE)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_shortage_naming_no_units_says_ordo_does_not_know_them(language: str) -> None:
    # A parcel noted as returned before reservations kept its lines: inventory cannot say
    # what to hold, and asking again would end the same way.
    def rendered(lang: str, missing: list[dict[str, Any]]) -> str:
        details = {"shipment_id": S1, "missing": missing, "returned_ticket": "t-1"}
        return render(
            "reship_short", order_id=OID, order=ORDER, issues=[], language=lang, **details
        )

    text = rendered(language, [])
    assert S1 in text
    assert "PUT /stock/{sku}" in text
    assert "t-1" not in text  # asking again from that ticket would not help
    assert "Ordo" in text
    assert text != rendered(language, [m.model_dump(mode="json") for m in MISSING])
    assert language == DEFAULT_LANGUAGE or text != rendered(DEFAULT_LANGUAGE, [])
