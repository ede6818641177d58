"""Countries, phones, tax ids and languages in one form whatever the channel wrote."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Any

import phonenumbers
import pycountry
from stdnum.eu import vat
from stdnum.exceptions import ValidationError as TaxIdError
from stdnum.gb import vat as gb_vat
from stdnum.pl import nip
from stdnum.ru import inn

from ordo_ingestion.channels.common import Reader

# The language an order is written in when the channel does not say: the market's own.
MARKET_LANGUAGE = {
    "PL": "pl",
    "RU": "ru",
    "DE": "de",
    "AT": "de",
    "CH": "de",
    "GB": "en",
    "IE": "en",
    "US": "en",
    "FR": "fr",
    "CZ": "cs",
    "UA": "uk",
}
# Names pycountry does not know: the countries' own names and common short forms.
_TAX_RULES = {
    "PL": (nip, "Polish NIP"),
    "RU": (inn, "Russian INN"),
    "GB": (gb_vat, "UK VAT number"),
}
_ALIASES = {"uk": "GB", "great britain": "GB", "polska": "PL", "deutschland": "DE", "россия": "RU"}


@lru_cache(maxsize=1024)
def country_code(value: str) -> str | None:
    """ISO 3166-1 alpha-2 for a code ("pl"), alpha-3 ("POL") or name ("Poland", "Russia")."""
    text = value.strip()
    if len(text) == 2 and text.isalpha():
        found = pycountry.countries.get(alpha_2=text.upper())
        return found.alpha_2 if found else None
    if text.lower() in _ALIASES:
        return _ALIASES[text.lower()]
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        pass
    if len(text) < 4:
        return None
    try:
        best = pycountry.countries.search_fuzzy(text)[0]
    except LookupError:
        return None
    # Fuzzy search answers something for anything; take it only if the name really matches.
    names = (getattr(best, n, "") for n in ("name", "official_name", "common_name"))
    return str(best.alpha_2) if any(text.lower() in n.lower() for n in names) else None


def country(reader: Reader, code: str | None, name: str | None, path: str) -> str | None:
    """The country from the channel's code, else its name; a warning when neither reads."""
    for value in (code, name):
        if value:
            found = country_code(value)
            if found:
                return found
    if code or name:
        reader.warn("country.unknown", path, f"{path}: {code or name!r} is not a known country.")
    return None


def phone(reader: Reader, raw: str | None, region: str | None, path: str) -> str | None:
    """E.164, read in the order's country; kept out (with a warning) when it is no number."""
    if raw is None:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        reader.warn("phone.invalid", path, f"{path}: {raw!r} is not a phone number in {region}.")
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def tax_id(reader: Reader, raw: str | None, country: str | None, path: str) -> str | None:
    """The tax id in its compact form, checked by its country's rule: NIP in Poland, INN in
    Russia, VAT numbers in the EU and GB; elsewhere kept as written. A failing one is kept
    as written too, with a warning: it is the customer's, not Ordo's to drop or invent."""
    if raw is None:
        return None
    text = raw.strip()
    if country in _TAX_RULES:
        module, kind = _TAX_RULES[country]
    elif country is None or country.lower() in vat.MEMBER_STATES:
        module, kind = vat, "EU VAT number"
        text = text if text[:2].isalpha() or country is None else country + text
    else:
        return text
    try:
        compact = str(module.validate(text))
        # VAT numbers travel with their country prefix (gb.vat drops it; eu.vat keeps it).
        return "GB" + compact if module is gb_vat else compact
    except TaxIdError:
        reader.warn("tax_id.invalid", path, f"{path}: {raw!r} is not a valid {kind}.")
        return raw.strip()


def language(hint: str | None, market: str | None) -> str:
    """ "pl-PL" -> "pl"; else the market's language; English when nothing says."""
    if hint:
        head = hint.replace("_", "-").split("-")[0].lower()
        if 2 <= len(head) <= 3 and head.isalpha():
            return head
    return MARKET_LANGUAGE.get(market or "", "en")


def totals_check(
    reader: Reader, lines: list[dict[str, Any]], grand_total: Decimal | None, *extra: Decimal | None
) -> None:
    """Warn when the lines and charges do not add up to the total the channel stated."""
    if grand_total is None or reader.issues:
        return
    computed = sum((line["unit_price"] * line["quantity"] for line in lines), Decimal(0))
    computed += total(extra)
    if computed != grand_total:
        reader.warn(
            "totals.mismatch",
            "total",
            f"The lines and charges add up to {computed}, the channel says {grand_total}.",
        )


def address(
    reader: Reader,
    path: str,
    *,
    name: str | None,
    line1: str | None,
    line2: str | None,
    city: str | None,
    postcode: str | None,
    country_code: str | None,
    country_name: str | None = None,
) -> dict[str, Any] | None:
    """A canonical address; None (with a warning naming what is missing) when incomplete."""
    found = country(reader, country_code, country_name, f"{path}.country")
    parts = {"line1": line1, "city": city, "postcode": postcode, "country": found}
    if not any((line1, city, postcode, country_code, country_name)):
        return None
    lacking = [part for part, value in parts.items() if not value]
    if lacking:
        reader.warn("address.incomplete", path, f"{path} lacks {', '.join(lacking)}.")
        return None
    return {"name": name, **parts, "line2": line2 or None}


def full_name(*parts: str | None) -> str | None:
    return " ".join(p.strip() for p in parts if p and p.strip()) or None


def total(amounts: Iterable[Decimal | None]) -> Decimal:
    """The sum of the amounts given, exactly as written (0.00 stays 0.00)."""
    found = [amount for amount in amounts if amount is not None]
    return sum(found[1:], found[0]) if found else Decimal(0)
