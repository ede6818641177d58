"""The dry run's replay: orders and verdicts from the log, judged again by proposed rules."""

from __future__ import annotations

from ordo_cli.dryrun import replay
from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_events.order import Correction
from ordo_rules import compile_rules, default_text
from ordo_runtime.testing import sample_order


def log(*events: ev.Event) -> list[Envelope]:
    return [Envelope(data=e, source="/test") for e in events]


def test_changed_verdicts_are_reported_with_why_and_nothing_else() -> None:
    cod = sample_order(external_id="cod")
    prepaid = sample_order(external_id="prepaid", payment={"method": "prepaid"})
    no_phone = sample_order(external_id="no-phone", customer={"email": "a@example.com"})
    unjudged = sample_order(external_id="unjudged")
    phone = ev.Issue(code="phone.missing", message="No phone number.")
    rules = compile_rules(
        "processes:\n  - stages:\n      - name: pay\n        rules:\n"
        "          - check: payment_method_allowed\n            params: {methods: [prepaid]}\n"
    )
    result = replay(
        log(
            *(ev.OrderReceived(order_id=o.order_id, order=o) for o in (cod, prepaid, no_phone)),
            ev.OrderReceived(order_id=unjudged.order_id, order=unjudged),
            ev.OrderValidated(order_id=cod.order_id, order=cod),
            ev.OrderValidated(order_id=prepaid.order_id, order=prepaid),
            ev.OrderValidationFailed(order_id=no_phone.order_id, issues=[phone]),
        ),
        rules,
    )
    assert (result.judged, result.unchanged, result.not_yet_judged) == (3, 1, 1)
    kinds = {c.order.external_id: (c.kind, [i.code for i in c.after]) for c in result.changes}
    assert kinds == {
        "cod": ("would now fail", ["payment.method_not_allowed"]),
        "no-phone": ("would fail differently", ["payment.method_not_allowed"]),
    }


def test_an_order_is_judged_as_last_corrected_against_its_latest_verdict() -> None:
    order = sample_order(customer={"email": "a@example.com"})
    fixed = Correction(phone="+48 601 234 567").apply(order)
    phone = ev.Issue(code="phone.missing", message="No phone number.")
    corrected = ev.OrderCorrected(
        order_id=order.order_id,
        ticket_id="t-1",
        corrected_by="ola",
        correction=Correction(phone="+48 601 234 567"),
        order=fixed,
    )
    result = replay(
        log(
            ev.OrderReceived(order_id=order.order_id, order=order),
            corrected,
            ev.OrderValidationFailed(order_id=order.order_id, issues=[phone], attempt=1),
            ev.OrderValidated(order_id=order.order_id, order=fixed, attempt=2),
        ),
        compile_rules(default_text()),
    )
    assert (result.judged, result.unchanged, result.changes) == (1, 1, [])


def test_a_correction_made_before_a_revision_was_seen_is_judged_on_the_revision() -> None:
    # The operator added the phone to the order as received; the channel's revision, taken
    # meanwhile, broke the email: validation judged the revision with the phone, and so does
    # the dry run, not the older version the correction carries.
    order = sample_order(customer={"email": "a@example.com"})
    revised = order.model_copy(
        update={"customer": order.customer.model_copy(update={"email": "not-an-email"})}
    )
    fix = Correction(phone="+48 601 234 567")
    invalid = ev.Issue(code="email.invalid", message="Not an email address.")
    result = replay(
        log(
            ev.OrderReceived(order_id=order.order_id, order=order),
            ev.OrderRevised(order_id=order.order_id, order=revised),
            ev.OrderCorrected(
                order_id=order.order_id,
                ticket_id="t-1",
                corrected_by="ola",
                correction=fix,
                order=fix.apply(order),
            ),
            ev.OrderValidationFailed(order_id=order.order_id, issues=[invalid], attempt=3),
        ),
        compile_rules(default_text()),
    )
    assert (result.judged, result.unchanged, result.changes) == (1, 1, [])
