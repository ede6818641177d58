"""The simulated shop: markets, products and places, plausible enough to pass real checks."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Market:
    code: str
    currency: str
    language: str
    per_pln: Decimal  # price of 1 PLN in this currency
    phone_prefixes: tuple[str, ...]  # E.164 prefixes of mobile ranges
    phone_digits: int  # digits after the prefix
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]  # (city, postcode)
    streets: tuple[str, ...]
    lockers: tuple[str, ...]
    mail_domain: str


MARKETS: dict[str, Market] = {
    "PL": Market(
        code="PL",
        currency="PLN",
        language="pl",
        per_pln=Decimal("1"),
        phone_prefixes=("+48501", "+48600", "+48660", "+48790", "+48880"),
        phone_digits=6,
        first_names=("Anna", "Piotr", "Katarzyna", "Tomasz", "Magdalena", "Jakub"),
        last_names=("Nowak", "Kowalska", "Wiśniewski", "Wójcik", "Kamińska", "Lewandowski"),
        cities=(("Warszawa", "00-950"), ("Kraków", "30-001"), ("Gdańsk", "80-001")),
        streets=("ul. Marszałkowska 10", "ul. Długa 5/3", "al. Jerozolimskie 44"),
        lockers=("WAW01M", "KRA12A", "GDA04N", "POZ08P"),
        mail_domain="example.pl",
    ),
    "DE": Market(
        code="DE",
        currency="EUR",
        language="de",
        per_pln=Decimal("0.23"),
        phone_prefixes=("+49151", "+49152", "+49170"),
        phone_digits=8,
        first_names=("Lena", "Lukas", "Mia", "Felix", "Hannah", "Jonas"),
        last_names=("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker"),
        cities=(("Berlin", "10115"), ("Hamburg", "20095"), ("München", "80331")),
        streets=("Hauptstraße 5", "Bahnhofstraße 12", "Gartenweg 3", "Lindenallee 27"),
        lockers=("Packstation 101", "Packstation 214", "Packstation 318"),
        mail_domain="example.de",
    ),
    "GB": Market(
        code="GB",
        currency="GBP",
        language="en",
        per_pln=Decimal("0.20"),
        phone_prefixes=("+447400", "+447500", "+447800"),
        phone_digits=6,
        first_names=("Olivia", "George", "Amelia", "Harry", "Isla", "Oliver"),
        last_names=("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson"),
        cities=(("London", "SW1A 1AA"), ("Manchester", "M1 1AE"), ("Leeds", "LS1 4AP")),
        streets=("10 High Street", "221 Baker Street", "4 Station Road", "17 Church Lane"),
        lockers=("InPost Locker LDN042", "InPost Locker MAN007"),
        mail_domain="example.co.uk",
    ),
}

# (sku, name, price in PLN)
PRODUCTS: tuple[tuple[str, str, Decimal], ...] = (
    ("MUG-001", "Ceramic mug", Decimal("39.00")),
    ("TEE-BLK-M", "T-shirt black M", Decimal("79.90")),
    ("TEE-WHT-L", "T-shirt white L", Decimal("79.90")),
    ("BAG-CANVAS", "Canvas tote bag", Decimal("59.00")),
    ("CAP-NAVY", "Baseball cap navy", Decimal("69.00")),
    ("SOCK-3PK", "Socks, 3 pack", Decimal("29.99")),
    ("NOTE-A5", "Notebook A5", Decimal("24.50")),
    ("BOTTLE-750", "Steel bottle 750 ml", Decimal("89.00")),
)

# Never in stock: the SKU that sends orders for it to a ticket.
SOLD_OUT = ("LAMP-LTD", "Limited edition lamp", Decimal("349.00"))

STORES = ("STORE-WAW-1", "STORE-KRK-2", "STORE-BER-1", "STORE-LON-1")


def stock_levels(plenty: int) -> dict[str, int]:
    """What the simulator seeds into inventory before it sends orders."""
    return {**{sku: plenty for sku, _, _ in PRODUCTS}, SOLD_OUT[0]: 0}
