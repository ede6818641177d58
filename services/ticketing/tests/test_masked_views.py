"""What a viewer (no customer-data permission) reads of the read model, on a real PostgreSQL
through the real guard: the customer's and the invoice company's names masked in every view,
in free text too, and lists (which hold no order) masked by their orders' names read from the
read model. An operator and the manager read the same views whole."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from ordo_events import events as ev
from ordo_runtime.auth import Authenticator, secure
from ordo_runtime.testing import sample_order

if TYPE_CHECKING:
    from services.ticketing.tests.conftest import ReadSide

pytestmark = pytest.mark.integration
CALLERS: dict[str, dict[str, Any]] = {
    "manager": {"name": "maria", "role": "manager"},
    "operator": {"name": "olek", "role": "operator", "markets": ["PL"]},
    "viewer": {"name": "vera", "role": "viewer"},
}
SECRETS = ("Kowalski", "Nowak", "jan@example.com")


def as_(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {role}-token-for-masked-view-tests"}


async def test_a_viewer_reads_no_customers_or_companys_name_anywhere(side: ReadSide) -> None:
    order = sample_order(
        customer={"name": "Jan Kowalski", "email": "jan@example.com"},
        invoice={"company": "Nowak Trading", "tax_id": "5261040828"},
    )
    complaint = ev.ComplaintFiled(
        order_id=order.order_id,
        complaint_id="c-1",
        message="Kowalski says the mug from Nowak Trading broke",
        filed_by="ola",
    )
    (ticket,) = await side.happen(ev.OrderReceived(order_id=order.order_id, order=order), complaint)
    assert isinstance(ticket, ev.TicketOpened)
    assert "Jan Kowalski" in ticket.instructions  # the instructions name the customer
    views = (
        f"/orders/{order.order_id}",
        f"/tickets/{ticket.ticket_id}",
        f"/console/tickets/{ticket.ticket_id}",
        "/tickets",
        "/queue",
        "/console/queue",
    )
    for path in views:
        seen = await side.client.get(path, headers=as_("viewer"))
        assert seen.status_code == 200, seen.text
        assert not [s for s in SECRETS if s in seen.text], (path, seen.text)
        for role in ("operator", "manager"):
            whole = await side.client.get(path, headers=as_(role))
            assert "Kowalski" in whole.text, (role, path)
    listed = (await side.client.get("/tickets", headers=as_("viewer"))).json()
    assert "Customer: J*** K***;" in listed[0]["instructions"]
    queue = (await side.client.get("/queue", headers=as_("viewer"))).json()
    assert queue["items"][0]["summary"] == "K*** says the mug from N*** T*** broke"


@pytest.fixture
def side(read_side: ReadSide) -> ReadSide:
    tokens = {as_(role)["Authorization"].split()[1]: who for role, who in CALLERS.items()}
    secure(read_side.app, Authenticator.from_config(tokens))
    return read_side
