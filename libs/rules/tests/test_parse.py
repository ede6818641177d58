"""Rule files: the default one, processes per channel and market, stage order and conditions,
and broken files refused with the line and field at fault."""

from __future__ import annotations

import textwrap

import pytest

from ordo_rules import RuleSetError, compile_rules, default_rules
from ordo_runtime.testing import sample_order

STRICT = """\
name: strict
processes:
  - name: marketplace in Germany
    match: {channel: marketplace, market: DE}
    mode: sequence
    stages:
      - name: payment
        rules:
          - check: payment_method_allowed
            params: {methods: [prepaid]}
      - name: contact
        rules:
          - check: phone_valid
  - name: everything else
    stages:
      - name: contact
        mode: sequence
        rules:
          - check: phone_valid
          - check: email_valid
      - name: cash limit
        when: {payment_method: cash_on_delivery, currency: PLN}
        rules:
          - check: cod_limit
            params: {max: 5}
          - check: max_quantity_per_line
            params: {max: 1}
            when: {channel: webshop}
"""


def codes(text: str, **changes: object) -> list[str]:
    return [i.code for i in compile_rules(text).check(sample_order(**changes))]


def errors(text: str) -> list[str]:
    with pytest.raises(RuleSetError) as caught:
        compile_rules(textwrap.dedent(text))
    return [str(e) for e in caught.value.errors]


def test_the_default_rules_give_todays_codes_in_todays_order() -> None:
    order = sample_order(
        customer={"email": "jan@@example"},
        delivery={"method": "courier"},
        invoice={"company": "", "tax_id": ""},
    )
    assert [i.code for i in default_rules().check(order)] == [
        "phone.missing",
        "email.invalid",
        "delivery.address_missing",
        "invoice.incomplete",
    ]
    assert default_rules().version == 0


def test_the_first_process_whose_match_fits_applies() -> None:
    lines = [{"sku": "A", "quantity": 2, "unit_price": "3"}]
    german = {"channel": "marketplace", "market": "DE", "customer": {"phone": "030 901820"}}
    assert codes(STRICT, **german) == ["payment.method_not_allowed"]  # sequence: stops there
    assert codes(STRICT, lines=lines) == ["payment.cod_limit_exceeded", "lines.quantity_exceeded"]
    assert codes(STRICT, lines=lines, channel="shop") == ["payment.cod_limit_exceeded"]


def test_a_sequence_stage_stops_at_its_first_failing_rule() -> None:
    prepaid = {"method": "prepaid"}
    assert codes(STRICT, customer={"email": "bad"}, payment=prepaid) == ["phone.missing"]


def test_a_stage_whose_condition_does_not_hold_is_skipped() -> None:
    lines = [{"sku": "A", "quantity": 9, "unit_price": "3"}]
    assert codes(STRICT, lines=lines, payment={"method": "prepaid"}) == []
    assert codes(STRICT, lines=lines, currency="EUR") == []


def test_the_compiled_process_is_chosen_once_per_channel_and_market() -> None:
    rules = compile_rules(STRICT)
    first = rules.process_for("webshop", "PL")
    assert rules.process_for("webshop", "PL") is first
    assert rules.process_for("marketplace", "DE").name == "marketplace in Germany"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("processes: [", "line 1, (top): not valid YAML"),
        ("", "file, (top): the file is empty"),
        (
            "processes:\n  - stages:\n      - name: a\n        rules:\n          - check: phone_vaild\n",
            "line 5, processes[0].stages[0].rules[0].check: unknown check 'phone_vaild'; known: ",
        ),
        (
            "processes:\n  - stages:\n      - name: a\n        rules:\n          - check: cod_limit\n",
            "line 5, processes[0].stages[0].rules[0].params.max: 'max' is required by check 'cod_limit'",
        ),
        (
            "processes:\n  - stages:\n      - name: a\n        rules:\n          - check: cod_limit\n"
            "            params: {max: 5, maks: 6}\n",
            "line 6, processes[0].stages[0].rules[0].params.maks: 'maks' is not a known field of check 'cod_limit'",
        ),
        (
            "processes:\n  - stages:\n      - name: a\n        when: {delivery_method: courrier}\n"
            "        rules: [{check: phone_valid}]\n",
            "line 4, processes[0].stages[0].when.delivery_method[0]: Input should be 'courier'",
        ),
        (
            "processes:\n  - stages:\n      - name: a\n        rules: []\n",
            "line 4, processes[0].stages[0].rules: List should have at least 1 item",
        ),
        (
            "processes:\n  - stages:\n      - nmae: a\n        rules: [{check: phone_valid}]\n",
            "line 3, processes[0].stages[0].nmae: 'nmae' is not a known field",
        ),
        (
            "processes:\n  - match: {channel: web}\n    stages:\n      - name: a\n"
            "        rules: [{check: phone_valid}]\n",
            "line 2, processes[0].match: the last process must match every order",
        ),
        (
            "processes:\n  - stages:\n      - name: a\n        rules: [{check: phone_valid}]\n"
            "      - name: a\n        rules: [{check: email_valid}]\n",
            "line 5, processes[0].stages[1].name: a second stage named 'a'",
        ),
        ("name: a\nname: b\nprocesses: []\n", "line 2, (top): duplicate key 'name'"),
    ],
)
def test_a_broken_file_is_refused_with_the_line_and_field_at_fault(
    text: str, expected: str
) -> None:
    found = errors(text)
    assert any(e.startswith(expected) for e in found), found


def test_every_problem_is_reported_at_once() -> None:
    text = """\
    processes:
      - stages:
          - name: a
            rules:
              - check: nope
              - check: max_lines
                params: {max: 0}
    """
    found = errors(text)
    assert len(found) == 2, found
    assert found[0].startswith("line 5")
    assert "unknown check 'nope'" in found[0]
    assert found[1].startswith("line 7, processes[0].stages[0].rules[1].params.max:"), found
