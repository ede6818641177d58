"""Given events -> when the release gate accepts a channel's revision -> then a verdict,
only when one is needed, naming the version it judged."""

from __future__ import annotations

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder, Correction
from ordo_runtime.testing import Scenario, sample_order
from ordo_validation.app import service

ORDER = sample_order()
OID = ORDER.order_id
NO_PHONE = sample_order(customer={"name": "Jan", "email": "jan@example.com"})
TWO_UNITS = sample_order(lines=[{"sku": "SKU-1", "quantity": 2, "unit_price": "10.00"}])


def received(order: CanonicalOrder) -> ev.OrderReceived:
    return ev.OrderReceived(order_id=OID, order=order)


def accepted(order: CanonicalOrder, sequence: int = 1) -> ev.OrderRevisionAccepted:
    return ev.OrderRevisionAccepted(order_id=OID, order=order, sequence=sequence)


def test_a_passing_revision_is_validated_again_for_the_new_version() -> None:
    scenario = Scenario(service).given(received(ORDER))
    assert scenario.when(accepted(TWO_UNITS)) == [
        ev.OrderValidated(order_id=OID, order=TWO_UNITS, attempt=2, sequence=1)
    ]


def test_a_failed_order_whose_revision_passes_resumes() -> None:
    scenario = Scenario(service).given(received(NO_PHONE))
    assert scenario.when(accepted(ORDER)) == [
        ev.OrderValidated(order_id=OID, order=ORDER, attempt=2, sequence=1)
    ]


def test_a_passing_order_whose_revision_fails_fails() -> None:
    scenario = Scenario(service).given(received(ORDER))
    (failed,) = scenario.when(accepted(NO_PHONE))
    assert isinstance(failed, ev.OrderValidationFailed)
    assert (failed.attempt, failed.sequence) == (2, 1)
    assert [i.code for i in failed.issues] == ["phone.missing"]


def test_the_same_failure_again_is_not_announced_again() -> None:
    still_no_phone = NO_PHONE.model_copy(update={"lines": TWO_UNITS.lines})
    scenario = Scenario(service).given(received(NO_PHONE))
    assert scenario.when(accepted(still_no_phone)) == []  # the open ticket already says it
    # ... but the version is recorded: a correction now judges it, as version 1
    fixed = Correction(phone="+48 601 234 567")
    corrected = ev.OrderCorrected(
        order_id=OID,
        ticket_id="t-1",
        corrected_by="ola",
        correction=fixed,
        order=fixed.apply(still_no_phone),
    )
    (verdict,) = scenario.when(corrected)
    assert isinstance(verdict, ev.OrderValidated)
    assert verdict.sequence == 1


def test_a_repeated_or_older_revision_changes_nothing() -> None:
    scenario = Scenario(service).given(received(ORDER), accepted(TWO_UNITS, 2))
    assert scenario.when(accepted(TWO_UNITS, 2)) == []
    assert scenario.when(accepted(NO_PHONE, 1)) == []


def test_a_revision_that_overtook_its_order_is_judged_and_the_order_is_not() -> None:
    scenario = Scenario(service)
    assert scenario.when(accepted(TWO_UNITS)) == [
        ev.OrderValidated(order_id=OID, order=TWO_UNITS, attempt=1, sequence=1)
    ]
    assert scenario.when(received(ORDER)) == []


PHONE = Correction(phone="+48 601 234 567")
REVISED_NO_PHONE = NO_PHONE.model_copy(update={"lines": TWO_UNITS.lines})


def corrected(built_on: CanonicalOrder, sequence: int = 0) -> ev.OrderCorrected:
    """What ticketing sends when an operator adds the phone to the version it holds."""
    return ev.OrderCorrected(
        order_id=OID,
        ticket_id="t-1",
        corrected_by="ola",
        correction=PHONE,
        order=PHONE.apply(built_on),
        sequence=sequence,
    )


def test_a_correction_built_on_a_replaced_version_keeps_the_revisions_changes() -> None:
    # The gate took the channel's revision (two units) while the operator, whose ticket still
    # showed the order as received, added the phone: only the phone is applied to it.
    scenario = Scenario(service).given(received(NO_PHONE), accepted(REVISED_NO_PHONE))
    assert scenario.when(corrected(NO_PHONE, sequence=0)) == [
        ev.OrderValidated(order_id=OID, order=PHONE.apply(REVISED_NO_PHONE), attempt=3, sequence=1)
    ]


def test_a_revision_after_a_correction_keeps_the_corrected_fields() -> None:
    # The channel never had the phone the operator added: its next version lacks it.
    scenario = Scenario(service).given(received(NO_PHONE), corrected(NO_PHONE))
    assert scenario.when(accepted(REVISED_NO_PHONE)) == [
        ev.OrderValidated(order_id=OID, order=PHONE.apply(REVISED_NO_PHONE), attempt=3, sequence=1)
    ]


def test_a_revision_with_a_phone_of_its_own_after_a_correction_is_judged_with_it() -> None:
    # Ticketing notes that the channel had no phone when the operator added one; the
    # customer then gave the shop a new one: that phone is in force, and it is checked.
    fix = PHONE.based_on(NO_PHONE)
    correction = ev.OrderCorrected(
        order_id=OID, ticket_id="t-1", corrected_by="ola", correction=fix, order=fix.apply(NO_PHONE)
    )
    scenario = Scenario(service).given(received(NO_PHONE), correction)
    customer = NO_PHONE.customer.model_copy(update={"phone": "+48 602 000 111"})
    own_phone = REVISED_NO_PHONE.model_copy(update={"customer": customer})
    assert scenario.when(accepted(own_phone)) == [
        ev.OrderValidated(order_id=OID, order=own_phone, attempt=3, sequence=1)
    ]
    bad = own_phone.model_copy(update={"customer": customer.model_copy(update={"phone": "12"})})
    (failed,) = scenario.when(accepted(bad, 2))
    assert isinstance(failed, ev.OrderValidationFailed)
    assert [i.code for i in failed.issues] == ["phone.invalid"]
