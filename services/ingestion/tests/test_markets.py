"""Markets end to end through ingestion: PL, RU, DE and GB orders carry their market (from
the shipping country, given by name here), currency, language, E.164 phone and checked tax id."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from ordo_events import events as ev
from ordo_ingestion.app import service
from ordo_runtime.testing import Scenario
from services.ingestion.tests.support import parsed

E164 = {"PL": "+48601234567", "RU": "+79123456789", "DE": "+4930901820", "GB": "+442079460018"}
MARKETS = [
    ("PL", "Polska", "+48 601 234 567", "PLN", "pl", "5260250274", "5260250274"),
    ("RU", "Russia", "8 (912) 345-67-89", "RUB", "ru", "7707083893", "7707083893"),
    ("DE", "Germany", "030 901820", "EUR", "de", "136695976", "DE136695976"),
    ("GB", "United Kingdom", "020 7946 0018", "GBP", "en", "GB980780684", "GB980780684"),
]


@pytest.mark.parametrize(
    ("market", "country", "phone", "currency", "lang", "tax", "tax_out"), MARKETS
)
def test_markets_from_the_shipping_country(
    market: str, country: str, phone: str, currency: str, lang: str, tax: str, tax_out: str
) -> None:
    data = parsed("baselinker_getorders.json")
    order = data["orders"][0]
    order.update(
        delivery_country=country,
        delivery_country_code="",  # the name alone must do
        invoice_country_code=market,
        phone=phone,
        currency=currency,
        invoice_nip=tax,
    )
    (event,) = Scenario(service).when_raw(
        "ordo.channel.baselinker.orders", json.dumps(data, default=str).encode()
    )
    assert isinstance(event, ev.OrderReceived)
    o = event.order
    assert (o.market, o.currency, o.language) == (market, currency, lang)
    assert o.delivery.address is not None
    assert o.delivery.address.country == market
    assert o.customer.phone == E164[market]
    assert o.invoice is not None
    assert o.invoice.tax_id == tax_out
    assert event.warnings == []
    assert o.total == Decimal("52.0")
