"""Roles, tokens, the guard every service's API sits behind, and customer-data masking."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request

from ordo_runtime import auth
from ordo_runtime.auth import Authenticator, Principal, caller, needs, secure
from ordo_runtime.masking import (
    mask_customer_data,
    mask_email,
    mask_phone,
    mask_raw,
    mask_text,
)
from ordo_runtime.settings import Settings

TOKENS: dict[str, dict[str, Any]] = {
    "manager-token-0123456789": {"name": "maria", "role": "manager"},
    "operator-token-0123456789": {"name": "olek", "role": "operator", "markets": ["pl"]},
    "seller-token-0123456789": {"name": "shop", "role": "seller"},
    "viewer-token-0123456789": {"name": "vera", "role": "viewer"},
}


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("manager", set(auth.PERMISSIONS)),
        ("operator", {"orders:read", "tickets:read", "tickets:act", "customer:read"}),
        ("seller", {"orders:create"}),
        ("viewer", {"orders:read", "tickets:read", "read"}),
    ],
)
def test_each_role_holds_exactly_its_permissions(role: str, allowed: set[str]) -> None:
    assert set(auth.ROLES[role]) == allowed


def test_only_the_manager_may_change_things_beyond_orders_and_tickets() -> None:
    assert [r for r, p in auth.ROLES.items() if auth.MANAGE in p] == ["manager"]
    assert [r for r, p in auth.ROLES.items() if auth.RAW_READ in p] == ["manager"]
    assert not any(auth.CUSTOMER_DATA in auth.ROLES[r] for r in ("viewer", "seller"))


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("POST", "/orders", "orders:create"),
        ("GET", "/orders", "orders:read"),
        ("GET", "/orders/abc", "orders:read"),
        ("GET", "/orders/abc/intake", "orders:read"),
        ("GET", "/tickets/t-1", "tickets:read"),
        ("POST", "/tickets/t-1/resolve", "tickets:act"),
        ("GET", "/rejections/r-1", "orders:read"),
        ("GET", "/deadletters", "raw:read"),
        ("GET", "/stock/SKU-1", "read"),
        ("PUT", "/stock/SKU-1", "manage"),
        ("POST", "/webhooks/payments", "manage"),
        ("DELETE", "/orders/abc", "manage"),
    ],
)
def test_a_route_needs_the_tables_permission_else_its_methods_default(
    method: str, path: str, permission: str
) -> None:
    scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    assert auth.permission_for(FastAPI(), scope) == permission


def test_only_probes_tracking_and_signed_webhooks_are_public() -> None:
    assert auth.is_public("GET", "/health")
    assert auth.is_public("GET", "/ready")
    assert auth.is_public("GET", "/track/ABC123")
    assert auth.is_public("POST", "/channels/shopify/orders")
    assert auth.is_public("GET", "/console")  # the empty shell; its data needs a token
    assert not auth.is_public("GET", "/console/queue")
    assert not auth.is_public("GET", "/metrics")
    assert not auth.is_public("POST", "/health")
    assert not auth.is_public("GET", "/track")
    assert not auth.is_public("GET", "/channels/shopify/orders")
    assert not auth.is_public("POST", "/channels/shopify/orders/extra")


def test_an_operator_sees_only_their_markets() -> None:
    olek = Principal.of("olek", "operator", ["pl"])
    assert olek.sees("PL")
    assert not olek.sees("DE")
    assert not olek.sees(None)
    assert Principal.of("maria", "manager").sees("DE")


def test_bad_token_configuration_is_refused_naming_the_problem() -> None:
    with pytest.raises(ValueError, match="unknown role 'admin'"):
        Authenticator.from_config({"x" * 20: {"name": "a", "role": "admin"}})
    with pytest.raises(ValueError, match="needs the markets"):
        Authenticator.from_config({"x" * 20: {"name": "o", "role": "operator"}})
    with pytest.raises(ValueError, match="shorter than 16"):
        Authenticator.from_config({"short": {"name": "m", "role": "manager"}})


def test_without_tokens_a_service_refuses_to_start_unless_auth_is_disabled() -> None:
    with pytest.raises(auth.NoTokensError, match="ORDO_AUTH=disabled"):
        Authenticator.from_settings(Settings())
    disabled = Authenticator.from_settings(Settings(ordo_auth="disabled"))
    assert disabled.identify(None) == auth.ANONYMOUS


def test_tokens_come_from_the_environment_and_a_file(tmp_path: Path) -> None:
    file = tmp_path / "tokens.json"
    file.write_text(json.dumps({"viewer-token-0123456789": TOKENS["viewer-token-0123456789"]}))
    settings = Settings(ordo_tokens=json.dumps(TOKENS), ordo_tokens_file=str(file))
    authenticator = Authenticator.from_settings(settings)
    found = authenticator.identify("Bearer operator-token-0123456789")
    assert found == Principal.of("olek", "operator", ["PL"])
    assert authenticator.identify("Bearer viewer-token-0123456789") is not None
    assert authenticator.identify("Bearer nope-nope-nope-nope") is None
    assert authenticator.identify("Basic manager-token-0123456789") is None
    assert authenticator.identify(None) is None


def app_with_routes() -> FastAPI:
    router = APIRouter()

    @router.get("/whoami")
    async def whoami(request: Request) -> dict[str, Any]:
        who = caller(request)
        return {"name": who.name, "role": who.role}

    @router.post("/tickets/{ticket_id}/resolve")
    async def resolve(ticket_id: str, request: Request) -> dict[str, str]:
        return {"resolved_by": caller(request).name}

    @router.post("/special", openapi_extra=needs(auth.ORDERS_CREATE))
    async def special() -> dict[str, str]:
        return {"ok": "yes"}

    app = FastAPI()
    app.include_router(router)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "alive"}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = app_with_routes()
    secure(app, Authenticator.from_config(TOKENS))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        yield client


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {role}-token-0123456789"}


async def test_no_token_is_a_401_with_a_bearer_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="ordo"'
    unknown = await client.get("/whoami", headers={"Authorization": "Bearer guessed-guessed"})
    assert unknown.status_code == 401
    assert 'error="invalid_token"' in unknown.headers["www-authenticate"]


async def test_probes_need_no_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).status_code == 200


async def test_a_role_without_the_permission_is_a_403_naming_it(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/tickets/t-1/resolve", headers=bearer("viewer"))
    assert response.status_code == 403
    assert response.json()["permission"] == "tickets:act"
    assert "vera (viewer) lacks the permission 'tickets:act'" in response.json()["detail"]
    seller = await client.get("/whoami", headers=bearer("seller"))
    assert (seller.status_code, seller.json()["permission"]) == (403, "read")


async def test_who_acted_comes_from_the_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/tickets/t-1/resolve", headers=bearer("operator"))
    assert response.json() == {"resolved_by": "olek"}
    who = await client.get("/whoami", headers=bearer("viewer"))
    assert who.json() == {"name": "vera", "role": "viewer"}


async def test_a_route_may_name_its_own_permission(client: httpx.AsyncClient) -> None:
    assert (await client.post("/special", headers=bearer("seller"))).status_code == 200
    assert (await client.post("/special", headers=bearer("viewer"))).status_code == 403


async def test_an_app_never_secured_is_called_by_local() -> None:
    transport = httpx.ASGITransport(app=app_with_routes())
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        assert (await client.get("/whoami")).json() == {"name": "local", "role": "manager"}


def test_emails_and_phones_are_masked_as_the_issue_shows() -> None:
    assert mask_email("jan@example.com") == "j***@example.com"
    assert mask_phone("+48 601 234 789") == "+48 *** *** 789"
    assert mask_phone("+48601234789") == "+48******789"
    assert mask_phone("601-234-789") == "***-***-789"
    assert mask_text("call +48 601 234 789 or write to ola@x.pl") == (
        "call +48 *** *** 789 or write to o***@x.pl"
    )


def test_an_order_view_is_masked_wherever_customer_data_sits() -> None:
    address = {"name": "Jan Kowalski", "line1": "ul. Długa 1", "city": "Warszawa"}
    view: dict[str, Any] = {
        "order_id": "o-1",
        "order": {
            "market": "PL",
            "customer": {"name": "Jan Kowalski", "email": "jan@example.com", "phone": None},
            "delivery": {"address": {**address, "postcode": "00-001", "country": "PL"}},
            "invoice": {"company": "ACME", "tax_id": "PL5261040828"},
            "lines": [{"sku": "SKU-1", "name": "Kubek", "delivery_address": address}],
        },
        "open_tickets": [
            {"instructions": "Ask jan@example.com", "correction": {"phone": "+48 601 234 789"}}
        ],
    }
    masked = mask_customer_data(view)
    order = masked["order"]
    assert order["customer"] == {"name": "J*** K***", "email": "j***@example.com", "phone": None}
    assert order["delivery"]["address"] == {
        "name": "J*** K***",
        "line1": "***",
        "city": "Warszawa",
        "postcode": "***",
        "country": "PL",
    }
    assert order["invoice"] == {"company": "A***", "tax_id": "*********828"}
    assert order["lines"][0]["name"] == "Kubek"  # a product's name is no one's
    assert order["lines"][0]["delivery_address"]["line1"] == "***"
    assert masked["open_tickets"][0]["instructions"] == "Ask j***@example.com"
    assert masked["open_tickets"][0]["correction"]["phone"] == "+48 *** *** 789"
    assert view["order"]["customer"]["email"] == "jan@example.com"  # the original is untouched


@pytest.mark.parametrize(
    ("sent", "path"),
    [
        ({"invoice": {"company": "Kowalski Trading", "tax_id": "1"}}, ("invoice", "company")),
        ({"invoice_company": "Kowalski Trading"}, ("invoice_company",)),  # BaseLinker
        ({"delivery_company": "Kowalski Trading"}, ("delivery_company",)),
        ({"billing_address": {"company": "Kowalski Trading"}}, ("billing_address", "company")),
        ({"buyer": {"companyName": "Kowalski Trading"}}, ("buyer", "companyName")),  # Allegro
        (
            {"invoice": {"address": {"company": {"name": "Kowalski Trading", "taxId": "1"}}}},
            ("invoice", "address", "company", "name"),
        ),
    ],
)
def test_a_company_name_is_masked_under_each_channels_key(
    sent: dict[str, Any], path: tuple[str, ...]
) -> None:
    for masked in (mask_customer_data(sent), json.loads(mask_raw(json.dumps(sent)))):
        for key in path:
            masked = masked[key]
        assert masked == "K*** T***"


def test_the_names_an_answer_holds_are_masked_in_its_free_text() -> None:
    order = {
        "customer": {"name": "Will Kowalski", "email": "will@example.com"},
        "delivery": {"collector": "Anna Nowak", "address": {"name": "Will Kowalski"}},
        "invoice": {"company": "The Best Shop Sp. z o.o.", "tax_id": "PL5261040828"},
        "lines": [{"sku": "SKU-1", "name": "Mug"}],
    }
    ticket = {
        "instructions": "Customer: Will Kowalski; invoice for The Best Shop Sp. z o.o.\n"
        "The customer will call back. Kowalski wrote; ANNA NOWAK collects, Anna knows.",
        "details": {"complaint": "Nowak says the best shop sent a broken mug"},
    }
    masked = mask_customer_data({"order": order, "open_tickets": [ticket]})
    assert masked["open_tickets"][0] == {
        "instructions": "Customer: W*** K***; invoice for T*** B*** S*** S*** z*** o***\n"
        "The customer will call back. K*** wrote; A*** N*** collects, A*** knows.",
        # A company's name is masked whole, not word by word: "the best" is anyone's words.
        "details": {"complaint": "N*** says the best shop sent a broken mug"},
    }
    assert masked["order"]["lines"] == order["lines"]
    # A page of tickets without their orders: the orders are given for their names.
    assert mask_customer_data([ticket], orders=[order]) == masked["open_tickets"]
    assert mask_customer_data([ticket])[0]["instructions"].startswith("Customer: Will Kowalski")


def test_a_payloads_own_names_are_masked_in_its_free_text() -> None:
    sent = {"billing": {"first_name": "Bob", "company": "ACME"}, "note": "Bob of ACME: call"}
    assert json.loads(mask_raw(json.dumps(sent)))["note"] == "B*** of A***: call"
    cut = json.dumps(sent)[:-3]  # not JSON: the names come from its pairs
    assert mask_raw(cut).endswith('"note": "B*** of A***: cal')
    # Not JSON: whose a bare "name" is cannot be told, so it is masked, but not looked for
    # in free text, where a product's name would be masked too.
    cut = '{"line_items": [{"name": "Mug"}], "note": "send the Mug", "x'
    assert mask_raw(cut) == '{"line_items": [{"name": "M***"}], "note": "send the Mug", "x'


SHOPIFY_LIKE = {
    "order": {
        "name": "#1001",
        "email": "bob.norman@hostmail.com",
        "customer": {"first_name": "Bob", "last_name": "Norman", "verified_email": True},
        "shipping_address": {
            "name": "Bob Norman",
            "address1": "Chestnut Street 92",
            "zip": 40202,
            "city": "Louisville",
            "phone": "555-625-1199",
        },
        "line_items": [{"name": "IPod Nano - 8gb", "sku": "IPOD2008"}],
    },
    "billing": {"street": ["123 Oak Ave", "Apt 4"], "vat_id": "DE136695976"},
    "buyer": {"firstName": "Jan", "phoneNumber": "+48 601 234 789", "personalIdentity": "670625"},
}
LEAKS = ("bob.norman", "Bob", "Norman", "Chestnut", "40202", "625-1199", "Oak Ave", "Apt 4",
         "DE136695976", "Jan", "601 234", "670625")  # fmt: skip


def test_a_channels_payload_is_masked_by_its_own_key_names() -> None:
    masked = json.loads(mask_raw(json.dumps(SHOPIFY_LIKE)))
    assert not [leak for leak in LEAKS if leak in json.dumps(masked)]
    order = masked["order"]
    assert order["email"] == "b***@hostmail.com"
    assert order["shipping_address"]["name"] == "B*** N***"
    assert order["shipping_address"]["zip"] == "***"
    assert order["shipping_address"]["city"] == "Louisville"  # where, not who
    assert order["customer"]["verified_email"] is True
    assert (order["name"], order["line_items"][0]["name"]) == ("#1001", "IPod Nano - 8gb")
    assert masked["billing"]["street"] == ["***", "***"]
    assert masked["buyer"]["phoneNumber"] == "+48 *** *** 789"


def test_a_masked_payload_is_the_channels_own_text_but_for_what_is_masked() -> None:
    sent = (
        '{"order": {"total_price": 19.90, "weight": 1e3, "id": 820982911946154508123,\n'
        '  "email" :"bob@hostmail.com", "note": "leave it at the door \\u2603",\n'
        '  "shipping_address": {"zip": 40202, "name": "Zoë Ćma", "city": "Łódź"},\n'
        '  "billing_address": {"name": "Zo\\u00eb \\ud800", "country": "PL"},\n'
        '  "line_items": [[{"price": 5.10, "street": ["Oak Ave", ["Apt 4"]]}], [], [3.50]]}}'
    )
    masked = mask_raw(sent)
    assert masked == (
        sent.replace('"bob@hostmail.com"', '"b***@hostmail.com"')
        .replace("40202", '"***"')
        .replace('"Zoë Ćma"', '"Z*** Ć***"')
        .replace('"Zo\\u00eb \\ud800"', '"Z*** \\ud800***"')
        .replace('["Oak Ave", ["Apt 4"]]', '["***", ["***"]]')
    )
    assert json.loads(masked) == mask_customer_data(json.loads(sent))  # by the same rules
    for doc in (SHOPIFY_LIKE, [SHOPIFY_LIKE, "write to jan@example.com"], "jan@example.com"):
        pretty = json.dumps(doc, indent=2, ensure_ascii=False)
        assert json.loads(mask_raw(pretty)) == mask_customer_data(doc)
        assert mask_raw(pretty).count("\n") == pretty.count("\n")


def test_a_payload_that_is_not_json_is_masked_pair_by_pair() -> None:
    whole = json.dumps(SHOPIFY_LIKE)
    for cut in (whole[:-1], whole[: whole.index("Apt") + 2], "email=" + whole):
        masked = mask_raw(cut)
        assert not [leak for leak in LEAKS if leak in masked and leak in cut], cut
    assert '"sku": "IPOD2008"' in mask_raw(whole[:-1])  # what is no one's stays
    assert mask_raw("write to jan@example.com") == "write to j***@example.com"
    cut = '{"email" :  "jan@example.com", "total": 19.90, "zip": 40202, "street": "Oak'
    shown = '{"email" :  "j***@example.com", "total": 19.90, "zip": "***", "street": "***"'
    assert mask_raw(cut) == shown  # spacing and numbers as written here too
    assert mask_raw('{"street": ["Oak Ave", "Apt 4') == '{"street": "***"'  # a list cut short
