"""Customer data masked for callers without the customer-data permission.

`mask_customer_data(doc)` walks any JSON-shaped answer (an order, a ticket, a list of them)
and masks by field name, so a view gains fields without gaining leaks: people's and companies'
names, emails, phones, address lines, postcodes and tax ids. Inside free text (instructions,
notes, timeline summaries) emails and +-prefixed phone numbers are masked, and so are the
names the answer itself holds (or the orders it is about): a customer's name wherever it is
written, each word of it too ("Kowalski called"). City and country stay: they say where an
order goes without saying who lives there.

Names are compared in a normal form (`firstName`, `first_name`, `FIRSTNAME` alike) and by how
they end, so payloads as sales channels send them (Shopify, WooCommerce, Magento, Allegro,
BaseLinker: a rejection's raw text) are masked by the same rules as Ordo's own views;
`mask_raw` does it for such a payload's text, even when the text is not valid JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
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
# A company's name: an invoice's, a delivery address's (BaseLinker's `delivery_company`,
# Allegro's `companyName`), or a bare `name` under a key ending in "company".
COMPANY_KEYS = ("company", "companyname")
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


def mask_text(text: str, names: re.Pattern[str] | None = None) -> str:
    """Emails and international phone numbers inside free text, and the names `names` finds
    (`known_names`)."""
    text = EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    text = PHONE.sub(lambda m: mask_phone(m.group(0)), text)
    return text if names is None else names.sub(lambda m: mask_name(m.group(0)), text)


def known_names(found: Iterable[tuple[str, str]]) -> re.Pattern[str] | None:
    """What finds these (kind, name)s in free text, as whole words: each name whole, in any
    case, and each word of a person's name as it is written ("Kowalski called"; a company's
    words may be any word: "The", "Best"). None when there are none."""
    spelt = [(kind, name.split()) for kind, name in found]
    # The pattern finding each text; a whole name (in any case) wins over a word that is all of it.
    sources = {word: re.escape(word) for kind, words in spelt if kind == "name" for word in words}
    for _, words in spelt:
        sources[" ".join(words)] = "(?i:" + r"\s+".join(map(re.escape, words)) + ")"
    longest_first = sorted((text for text in sources if len(text) > 1), key=len, reverse=True)
    if not longest_first:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(sources[t] for t in longest_first) + r")(?!\w)")


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
    if key.endswith(COMPANY_KEYS) or (key == "name" and parent.endswith("company")):
        return "company"
    if key.endswith(NAME_KEYS) or (
        key == "name" and (parent in PERSON_KEYS or parent.endswith("address"))
    ):
        return "name"
    if key.endswith(LINE_KEYS):
        return "line"
    return None


NAMED = ("name", "company")  # the kinds looked for in free text too


def _string(kind: str | None, value: str, names: re.Pattern[str] | None) -> str:
    match kind:
        case "email":
            return mask_email(value)
        case "phone":
            return mask_phone(value)
        case "tax_id":
            return mask_tail(value)
        case "name" | "company":
            return mask_name(value)
        case "line":
            return MASK
    return mask_text(value, names)


def mask_customer_data(doc: Any, orders: Iterable[Any] = ()) -> Any:
    """A copy of `doc` with customer data masked; the original is left as it was. The names
    `doc` holds, and those of `orders` (the orders a page of tickets is about, when it does
    not hold them itself), are masked in its free text too."""
    names = known_names(_names([doc, *orders], None, None))
    return _masked(doc, None, None, names)


def _masked(value: Any, kind: str | None, key: str | None, names: re.Pattern[str] | None) -> Any:
    """`value` (held under `key`, which says it is a `kind` of customer datum, if any) masked."""
    if isinstance(value, dict):
        return {k: _masked(v, kind_of(k, key), k, names) for k, v in value.items()}
    if isinstance(value, list):  # Magento's street: ["line", "line"], masked as its key says
        return [_masked(item, kind, key, names) for item in value]
    return _leaf(kind, value, names)


def _names(value: Any, kind: str | None, key: str | None) -> Iterator[tuple[str, str]]:
    """(kind, name) of each person's and company's name in `value`, found as `_masked` finds
    them."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _names(v, kind_of(k, key), k)
    elif isinstance(value, list):
        for item in value:
            yield from _names(item, kind, key)
    elif kind in NAMED and isinstance(value, str):
        yield kind, value


def _leaf(kind: str | None, value: Any, names: re.Pattern[str] | None) -> Any:
    if isinstance(value, str):
        return _string(kind, value, names)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value if kind is None else MASK  # a postcode or a phone sent as a number
    return value


DECODER = json.JSONDecoder()
Edit = tuple[int, int, str]  # the span of a text to replace, and what replaces it


def _spans(
    text: str,
    at: int,
    kind: str | None,
    key: str | None,
    names: re.Pattern[str] | None,
    edits: list[Edit],
) -> int:
    """Where the JSON value at `at` ends; what `_masked` would mask of it goes to `edits`,
    and everything else stays as written. `text` is known to be JSON: nothing is checked."""
    if text[at] not in "{[":
        value, end = DECODER.raw_decode(text, at)
        shown = _leaf(kind, value, names)
        if shown is not value and shown != value:  # `is`: a NaN differs even from itself
            # Escaped as the channel escaped it: an ASCII token (\u00eb, \ud800) stays ASCII.
            edits.append((at, end, json.dumps(shown, ensure_ascii=text[at:end].isascii())))
        return end
    close = "}" if text[at] == "{" else "]"
    at = _space(text, at + 1)
    while text[at] != close:
        if close == "}":
            name, at = DECODER.raw_decode(text, at)
            at = _space(text, _space(text, at) + 1)  # past the colon
            at = _spans(text, at, kind_of(name, key), name, names, edits)
        else:
            at = _spans(text, at, kind, key, names, edits)
        at = _space(text, at)
        if text[at] == ",":
            at = _space(text, at + 1)
    return at + 1


def _space(text: str, at: int) -> int:
    """Past the whitespace JSON allows between tokens."""
    while at < len(text) and text[at] in " \t\n\r":
        at += 1
    return at


def _edited(text: str, edits: list[Edit]) -> str:
    pieces, last = [], 0
    for start, end, shown in edits:
        pieces += [text[last:start], shown]
        last = end
    return "".join(pieces) + text[last:]


# `"key": "text"`, `"key": 123` or `"key": ["text", ...]` in a text that does not parse,
# the last one perhaps cut short, in the middle of a string too.
STRING = r'"(?:[^"\\]|\\.)*(?:"|\Z)'
PAIR = re.compile(
    r'"(?P<key>[^"\\]{1,64})"\s*:\s*'
    rf"(?P<value>{STRING}|-?\d[\d.eE+-]*|\[\s*(?:{STRING}\s*(?:,\s*)?)*\]?)"
)


def _pair(match: re.Match[str], names: re.Pattern[str] | None) -> str:
    key = match.group("key")
    # Whose a bare "name" is cannot be told from here: masked, to be safe.
    kind = kind_of(key, "address" if normal(key) == "name" else None)
    if kind is None:
        return match.group(0)
    value = _pair_value(match)
    shown = _string(kind, value, names) if isinstance(value, str) else MASK
    head = match.group(0)[: match.start("value") - match.start()]
    return head + json.dumps(shown, ensure_ascii=False)


def _pair_value(match: re.Match[str]) -> Any:
    try:
        return json.loads(match.group("value"))
    except ValueError:  # cut short, a list, or a number
        return None


def _pair_names(text: str) -> Iterator[tuple[str, str]]:
    """(kind, name) of each pair whose key says it holds a name (a bare "name" does not: it
    may be a product's, and a product's name is no one's to mask in free text)."""
    for match in PAIR.finditer(text):
        kind, value = kind_of(match.group("key"), None), _pair_value(match)
        if kind in NAMED and isinstance(value, str):
            yield kind, value


def mask_raw(text: str) -> str:
    """A payload's text with customer data masked and the rest as the channel sent it:
    spacing, key order, escapes and the spelling of numbers (19.90 stays 19.90, not 19.9).
    JSON is masked value by value by the rules of `mask_customer_data`; text that is not
    JSON is masked pair by pair wherever a `"key": value` can be found, then as free text.
    The names the payload holds are masked in its free text (a note, an instruction) too."""
    edits: list[Edit] = []
    try:
        names = known_names(_names(json.loads(text), None, None))  # valid JSON: walked freely
        _spans(text, _space(text, 0), None, None, names, edits)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than can be walked
        names = known_names(_pair_names(text))
        return mask_text(PAIR.sub(lambda match: _pair(match, names), text), names)
    return _edited(text, edits)


def for_caller(request: Request, doc: Any, orders: Iterable[Any] = ()) -> Any:
    """`doc` as the caller may see it: whole with the customer-data permission, else masked
    (`orders`: what it is about, when it does not hold them itself; see mask_customer_data)."""
    return doc if caller(request).sees_customer_data else mask_customer_data(doc, orders)
