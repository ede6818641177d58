"""Customer data masked for callers without the customer-data permission.

`mask_customer_data(doc)` walks any JSON-shaped answer (an order, a ticket, a list of them)
and masks by field name, so a view gains fields without gaining leaks: names, emails, phones,
address lines, postcodes and tax ids. Emails and +-prefixed phone numbers inside free text
(instructions, notes, timeline summaries) are masked too. City and country stay: they say
where an order goes without saying who lives there.

Names are compared in a normal form (`firstName`, `first_name`, `FIRSTNAME` alike) and by how
they end, so payloads as sales channels send them (Shopify, WooCommerce, Magento, Allegro,
BaseLinker: a rejection's raw text) are masked by the same rules as Ordo's own views;
`mask_raw` does it for such a payload's text, even when the text is not valid JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request

from ordo_runtime.auth import caller

MASK = "***"
EMAIL = re.compile(r"([^\s@<>(),;:\"']+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
PHONE = re.compile(r"\+\d[\d ()./-]{5,}\d")

# Keys in normal form (lower case, letters and digits only), matched by how they end.
EMAIL_KEYS = ("email", "emailaddress")
PHONE_KEYS = ("phone", "phonenumber", "telephone", "mobile", "fax")
TAX_ID_KEYS = ("taxid", "vatid", "vatnumber", "taxvat", "nip", "personalidentity", "pesel")
NAME_KEYS = ("firstname", "lastname", "middlename", "fullname", "login", "collector")
# Where exactly: street lines, postcodes, coordinates; a key ending in "address" holding
# text is an address line itself (BaseLinker's `delivery_address`).
LINE_KEYS = ("line1", "line2", "address1", "address2", "street", "streetaddress",
             "housenumber", "flatnumber", "postcode", "postalcode", "zip", "zipcode",
             "latitude", "longitude", "address")  # fmt: skip
# A bare `name` is a person's under these (or under any key ending in "address"), else a
# product's, a carrier's, a channel's.
PERSON_KEYS = frozenset({"customer", "recipient", "buyer", "receiver", "naturalperson"})


def mask_email(email: str) -> str:
    """jan.kowalski@example.com -> j***@example.com"""
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return MASK
    return f"{local[0]}{MASK}@{domain}"


def mask_phone(phone: str) -> str:
    """+48 601 234 789 -> +48 *** *** 789: the country code and the last three digits stay."""
    digits = sum(c.isdigit() for c in phone)
    if digits < 6:
        return MASK
    if phone.startswith("+"):
        head = phone.split(" ", 1)[0] if " " in phone else phone[:3]
        keep_front = sum(c.isdigit() for c in head)
    else:
        keep_front = 0
    out, seen = [], 0
    for char in phone:
        if char.isdigit():
            seen += 1
            out.append(char if seen <= keep_front or seen > digits - 3 else "*")
        else:
            out.append(char)
    return "".join(out)


def mask_name(name: str) -> str:
    """Jan Kowalski -> J*** K***"""
    return " ".join(f"{word[0]}{MASK}" for word in name.split()) or MASK


def mask_tail(value: str, keep: int = 3) -> str:
    """PL5261040828 -> *********828: enough to tell two apart, not to use one."""
    return "*" * max(len(value) - keep, 3) + value[-keep:] if len(value) > keep else MASK


def mask_text(text: str) -> str:
    """Emails and international phone numbers inside free text."""
    text = EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    return PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def normal(key: str | None) -> str:
    return "".join(c for c in (key or "").lower() if c.isalnum())


def kind_of(key: str, parent: str | None) -> str | None:
    """Which customer datum `key` holds in a dict under `parent`, if any."""
    key, parent = normal(key), normal(parent)
    if key.endswith(EMAIL_KEYS):
        return "email"
    if key.endswith(PHONE_KEYS):
        return "phone"
    if key.endswith(TAX_ID_KEYS):
        return "tax_id"
    if key.endswith(NAME_KEYS) or (
        key == "name" and (parent in PERSON_KEYS or parent.endswith("address"))
    ):
        return "name"
    if key.endswith(LINE_KEYS):
        return "line"
    return None


def _string(kind: str | None, value: str) -> str:
    match kind:
        case "email":
            return mask_email(value)
        case "phone":
            return mask_phone(value)
        case "tax_id":
            return mask_tail(value)
        case "name":
            return mask_name(value)
        case "line":
            return MASK
    return mask_text(value)


def mask_customer_data(doc: Any, parent: str | None = None) -> Any:
    """A copy of `doc` with customer data masked; the original is left as it was."""
    if isinstance(doc, dict):
        out: dict[str, Any] = {}
        for key, value in doc.items():
            out[key] = _value(value, kind_of(key, parent), key)
        return out
    if isinstance(doc, list):
        return [mask_customer_data(item, parent) for item in doc]
    if isinstance(doc, str):
        return mask_text(doc)
    return doc


def _value(value: Any, kind: str | None, key: str) -> Any:
    if isinstance(value, str):
        return _string(kind, value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value if kind is None else MASK  # a postcode or a phone sent as a number
    if isinstance(value, list) and kind is not None:  # Magento's street: ["line", "line"]
        return [_value(item, kind, key) for item in value]
    return mask_customer_data(value, key)


# `"key": "text"`, `"key": 123` or `"key": ["text", ...]` in a text that does not parse,
# the last one perhaps cut short.
PAIR = re.compile(
    r'"(?P<key>[^"\\]{1,64})"\s*:\s*'
    r'(?P<value>"(?:[^"\\]|\\.)*(?:"|\Z)|-?\d[\d.eE+-]*|\[\s*(?:"(?:[^"\\]|\\.)*"\s*(?:,\s*)?)*\]?)'
)


def _pair(match: re.Match[str]) -> str:
    key = match.group("key")
    # Whose a bare "name" is cannot be told from here: masked, to be safe.
    kind = kind_of(key, "address" if normal(key) == "name" else None)
    if kind is None:
        return match.group(0)
    try:
        value = json.loads(match.group("value"))
    except ValueError:  # cut short, a list, or a number
        value = None
    shown = _string(kind, value) if isinstance(value, str) else MASK
    return f'"{key}": {json.dumps(shown, ensure_ascii=False)}'


def mask_raw(text: str) -> str:
    """A payload's text with customer data masked: decoded and walked when it is JSON (and
    encoded again, so spacing and the spelling of numbers may differ from what was sent),
    else masked pair by pair wherever a `"key": value` can be found, then as free text."""
    try:
        return json.dumps(mask_customer_data(json.loads(text)), ensure_ascii=False)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than can be walked
        return mask_text(PAIR.sub(_pair, text))


def for_caller(request: Request, doc: Any) -> Any:
    """`doc` as the caller may see it: whole with the customer-data permission, else masked."""
    return doc if caller(request).sees_customer_data else mask_customer_data(doc)
