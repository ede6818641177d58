"""Customer data masked for callers without the customer-data permission.

`mask_customer_data(doc)` walks any JSON-shaped answer (an order, a ticket, a list of them)
and masks by field name, so a view gains fields without gaining leaks: names, emails, phones,
address lines, postcodes and tax ids. Emails and +-prefixed phone numbers inside free text
(instructions, notes, timeline summaries) are masked too. City and country stay: they say
where an order goes without saying who lives there.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from ordo_runtime.auth import caller

MASK = "***"
EMAIL = re.compile(r"([^\s@<>(),;:\"']+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
PHONE = re.compile(r"\+\d[\d ()./-]{5,}\d")

# Dicts under these keys are addresses; these of their fields say who and where exactly.
ADDRESS_KEYS = frozenset({"address", "delivery_address", "billing_address"})
ADDRESS_FIELDS = frozenset({"name", "line1", "line2", "postcode"})
# Fields that are customer data wherever they appear, and how each is masked.
PERSON_KEYS = frozenset({"customer", "recipient", "buyer"})


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


def _field(key: str, value: str, parent: str | None) -> str:
    if key == "email":
        return mask_email(value)
    if key == "phone":
        return mask_phone(value)
    if key in ("tax_id", "vat_id"):
        return mask_tail(value)
    if key in ("name", "collector") and (parent in PERSON_KEYS or key == "collector"):
        return mask_name(value)
    if key in ADDRESS_FIELDS and parent in ADDRESS_KEYS:
        return mask_name(value) if key == "name" else MASK
    return mask_text(value)


def mask_customer_data(doc: Any, parent: str | None = None) -> Any:
    """A copy of `doc` with customer data masked; the original is left as it was."""
    if isinstance(doc, dict):
        out: dict[str, Any] = {}
        for key, value in doc.items():
            if isinstance(value, str):
                out[key] = _field(key, value, parent)
            else:
                out[key] = mask_customer_data(value, key)
        return out
    if isinstance(doc, list):
        return [mask_customer_data(item, parent) for item in doc]
    if isinstance(doc, str):
        return mask_text(doc)
    return doc


def for_caller(request: Request, doc: Any) -> Any:
    """`doc` as the caller may see it: whole with the customer-data permission, else masked."""
    return doc if caller(request).sees_customer_data else mask_customer_data(doc)
