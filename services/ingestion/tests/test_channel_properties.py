"""Properties of the adapters over generated input: no payload crashes one, money stays
exact from the text the channel wrote, and ids beyond 2^53 survive as written."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ordo_ingestion.channels import ADAPTERS, Adapted
from ordo_ingestion.intake import Refusal, read_channel

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

prices = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2)
big_ids = st.integers(min_value=2**53 + 1, max_value=2**63 - 1)
# No "@" in generated text: it marks the decimals written below (emails never start or end
# with one).
# codec: text a channel can send as UTF-8 (a lone surrogate is refused, rightly, as bad input)
text = st.text(
    st.characters(exclude_characters="@", codec="utf-8"), min_size=1, max_size=20
).filter(str.strip)


@st.composite
def shopify_orders(draw: st.DrawFn) -> tuple[bytes, dict[str, Any]]:
    """A Shopify-shaped order as JSON text, prices written as JSON numbers or strings."""
    lines = draw(
        st.lists(
            st.fixed_dictionaries(
                {"sku": text, "quantity": st.integers(1, 999), "price": prices},
                optional={"requires_shipping": st.booleans(), "extra": st.integers()},
            ),
            min_size=1,
            max_size=5,
        )
    )
    as_numbers = draw(st.booleans())
    order = {
        "id": draw(big_ids),
        "currency": draw(st.sampled_from(["PLN", "EUR", "GBP", "RUB", "USD"])),
        "email": draw(st.emails()),
        "line_items": lines,
        "shipping_address": draw(
            st.none()
            | st.fixed_dictionaries(
                {
                    "address1": text,
                    "city": text,
                    "zip": text,
                    "country_code": st.sampled_from(["PL", "DE", "GB", "RU", "XX"]),
                }
            )
        ),
        "phone": draw(st.none() | st.from_regex(r"\+?[0-9 ()-]{3,18}", fullmatch=True)),
        "total_price": draw(prices),
        "unknown_field": {"nested": [1, 2.5, None]},
    }
    # Written by hand so a price is a JSON number exactly as drawn, never via a float.
    encoded = json.dumps(order, default=lambda d: f"@{d}@")
    quote = "" if as_numbers else '"'
    encoded = encoded.replace('"@', quote).replace('@"', quote)
    return encoded.encode(), order


@FAST
@given(shopify_orders())
def test_any_shopify_shaped_order_maps_and_keeps_money_and_ids_exact(
    case: tuple[bytes, dict[str, Any]],
) -> None:
    raw, order = case
    result = read_channel("shopify", raw)
    assert isinstance(result, Adapted), result
    assert result.order.external_id == str(order["id"])  # beyond 2^53, exact
    assert [line.unit_price for line in result.order.lines] == [
        line["price"] for line in order["line_items"]
    ]
    assert [str(line.unit_price) for line in result.order.lines] == [
        str(line["price"]) for line in order["line_items"]
    ]
    assert result.order.totals is not None
    assert result.order.totals.grand_total == order["total_price"]
    phone = result.order.customer.phone
    assert phone is None or phone.startswith("+")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)
# Keys the adapters look for, so generated objects reach deep into them.
KEYS = [
    "id", "order", "line_items", "lineItems", "items", "products", "orders", "status",
    "price", "quantity", "sku", "currency", "shipping_address", "billing", "delivery",
    "invoice", "payment", "summary", "customer", "order_id", "increment_id", "revision",
]  # fmt: skip
objects = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), json_values, max_size=8)


@FAST
@given(st.sampled_from(sorted(ADAPTERS)), objects)
def test_no_json_object_crashes_an_adapter(channel: str, data: dict[str, Any]) -> None:
    result = read_channel(channel, json.dumps(data).encode())
    if isinstance(result, Refusal):
        assert result.issues  # a refusal always says why


@FAST
@given(st.sampled_from(sorted(ADAPTERS)), st.binary(max_size=200))
def test_no_bytes_crash_an_adapter(channel: str, raw: bytes) -> None:
    result = read_channel(channel, raw)
    assert not isinstance(result, Refusal) or result.issues
