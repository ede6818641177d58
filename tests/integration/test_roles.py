"""Roles on the real stack: every service asks for a token; a seller submits orders, a viewer
reads them masked, an operator sees only their market, the manager sees everything."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ordo_cli.up import SERVICES
from ordo_runtime.testing import sample_order
from tests.integration.conftest import Ordo, eventually, order_state

pytestmark = pytest.mark.integration


def test_every_service_wants_a_token_except_for_its_probes(ordo: Ordo) -> None:
    for service in SERVICES:
        with ordo.http(service, role=None) as anonymous:
            assert anonymous.get("/ready").status_code == 200
            refused = anonymous.get("/metrics")
        assert refused.status_code == 401, service
        assert refused.headers["www-authenticate"].startswith("Bearer")


def test_each_role_gets_what_it_may(ordo: Ordo) -> None:
    polish = sample_order(
        external_id="roles-pl",
        customer={"name": "Jan Kowalski", "email": "jan@example.com", "phone": "+48 601 234 789"},
    )
    german = sample_order(external_id="roles-de", market="DE", currency="EUR", language="de")
    with ordo.http("ingestion", role="seller") as seller:
        for order in (polish, german):
            response = seller.post("/orders", content=order.model_dump_json())
            assert response.status_code == 202, response.text
    with ordo.http("ticketing", role="seller") as seller:
        refused = seller.get("/tickets")
    assert (refused.status_code, refused.json()["permission"]) == (403, "tickets:read")

    # The manager sees both, whole, once ticketing has them.
    for order in (polish, german):
        state = eventually_state(ordo, order.order_id)
        assert state["order"]["customer"]["email"] == order.customer.email

    with ordo.http("ticketing", role="viewer") as viewer:
        customer = viewer.get(f"/orders/{polish.order_id}").json()["order"]["customer"]
    assert customer == {
        "name": "J*** K***",
        "email": "j***@example.com",
        "phone": "+48 *** *** 789",
    }

    with ordo.http("ticketing", role="operator") as operator:  # works on PL
        mine = operator.get(f"/orders/{polish.order_id}")
        theirs = operator.get(f"/orders/{german.order_id}")
    assert mine.json()["order"]["customer"]["phone"] == "+48 601 234 789"
    assert theirs.status_code == 404
    with ordo.http("ticketing", role="operator-de") as operator:
        assert operator.get(f"/orders/{german.order_id}").status_code == 200
        assert operator.get(f"/orders/{polish.order_id}").status_code == 404


def test_a_refused_payload_is_masked_for_a_viewer_and_kept_to_its_market(ordo: Ordo) -> None:
    order = sample_order(
        external_id="roles-refused",
        customer={"name": "Ewa Nowak", "email": "ewa@example.com", "phone": "+48 602 345 678"},
    ).model_dump(mode="json")
    order["lines"] = []  # refused: an order of nothing
    with ordo.http("ingestion", role="seller") as seller:
        response = seller.post("/orders", content=json.dumps(order))
    assert response.status_code == 422, response.text
    path = f"/rejections/{response.json()['rejection_id']}"

    with ordo.http("ingestion", role="viewer") as viewer:
        seen = viewer.get(path)
    assert seen.status_code == 200, seen.text
    assert json.loads(seen.json()["raw"])["customer"] == {
        "name": "E*** N***",
        "email": "e***@example.com",
        "phone": "+48 *** *** 678",
    }
    assert not [s for s in ("Nowak", "ewa@", "602 345") if s in seen.text]
    with ordo.http("ingestion") as manager:
        assert json.loads(manager.get(path).json()["raw"])["customer"]["email"] == "ewa@example.com"
    with ordo.http("ingestion", role="operator") as operator:  # works on PL, as the order is
        assert operator.get(path).status_code == 200
    with ordo.http("ingestion", role="operator-de") as operator:
        assert operator.get(path).status_code == 404


def test_an_orders_notices_are_masked_for_a_viewer(ordo: Ordo) -> None:
    order = sample_order(external_id="roles-notices", customer={"email": "ola@example.com"})
    with ordo.http("ingestion", role="seller") as seller:
        assert seller.post("/orders", content=order.model_dump_json()).status_code == 202
    path = f"/notices/{order.order_id}"
    with ordo.http("notification", role="viewer") as viewer:
        seen = eventually(lambda: viewer.get(path).json().get("email"), 60, "the notices")
    assert seen == "o***@example.com"
    with ordo.http("notification", role="operator-de") as operator:
        assert operator.get(path).status_code == 404


def eventually_state(ordo: Ordo, order_id: str) -> dict[str, Any]:
    """The order's state once ticketing has the order itself: the read model follows several
    topics, each at its own pace, so a later step's event may show first."""

    def with_order() -> dict[str, Any] | None:
        state = order_state(ordo, order_id)
        return state if state is not None and state.get("order") is not None else None

    return eventually(with_order, 60, f"order {order_id} in ticketing")
