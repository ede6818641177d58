"""The operator console in a real headless Chromium against the real stack: an order without a
phone gets a ticket, the operator resolves it in the form, and the order goes on; another is
cancelled from its ticket, and the console shows fulfillment's answer; a parcel that came back
is sent again from its ticket."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ordo_runtime.testing import sample_order
from tests.integration.conftest import Ordo, eventually, wait_for_status
from tests.integration.test_reship_flows import leave_and_come_back

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.integration
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; `make test` installs it (target `chromium`)
OPERATOR = "it-operator-pl"  # the name the suite's operator token stands for


def open_ticket_for(ordo: Ordo, order_id: str) -> dict[str, Any] | None:
    with ordo.http("ticketing") as api:
        tickets = api.get("/tickets", params={"status": "open"}).json()
    return next((t for t in tickets if t["order_id"] == order_id), None)


@contextmanager
def console(ordo: Ordo, tmp_path: Path) -> Iterator[tuple[Page, list[str]]]:
    """The console in headless Chromium, signed in as the suite's operator; and what the page
    itself saw go wrong (shown when a wait fails)."""
    if not CHROMIUM.exists():
        pytest.skip(
            "no /usr/bin/chromium: `make test` installs Debian's chromium with apt-get, and"
            " could not on this machine"
        )
    from playwright.sync_api import Response, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = browser.new_page(locale="en-GB")
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))

            def on_response(response: Response) -> None:
                if not response.ok:
                    problems.append(f"{response.status} {response.url}")

            page.on("response", on_response)
            page.goto(f"{ordo.urls['ticketing']}/console")
            # The operator's token (kept in localStorage, sent as a bearer token on every
            # fetch) and name, as a person types them into the console's header.
            page.fill("#token", ordo.tokens["operator"])
            page.fill("#operator", OPERATOR)
            page.click("#save-identity")
            yield page, problems
        finally:
            browser.close()


def missing_phone_ticket(ordo: Ordo, sku: str, external_id: str, name: str) -> str:
    """An order without a phone, in the operator's queue: its order id."""
    with ordo.http("inventory") as api:
        api.put(f"/stock/{sku}", json={"on_hand": 5}).raise_for_status()
    order = sample_order(
        external_id=external_id,
        customer={"name": name, "email": f"{external_id}@example.com"},
        lines=[{"sku": sku, "quantity": 1, "unit_price": "25.00"}],
    )
    with ordo.http("ingestion") as api:
        assert api.post("/orders", content=order.model_dump_json()).status_code == 202
    eventually(lambda: open_ticket_for(ordo, order.order_id), 60, "the missing-phone ticket")
    return order.order_id


def open_in_console(page: Page, problems: list[str], order_id: str, tmp_path: Path) -> None:
    row = page.locator(f'tr[data-order="{order_id}"]')
    try:
        row.wait_for(timeout=30_000)
    except Exception:
        page.screenshot(path=tmp_path / "console.png", full_page=True)
        shown = page.inner_html("#queue")[:2000]
        raise AssertionError(f"no ticket row; page saw {problems}; queue: {shown}") from None
    row.click()
    page.locator("#resolve").wait_for()


def refreshed(page: Page, where: str) -> str:
    """The text at `where` once the detail fragment is fetched again."""
    page.click("#refresh-detail")
    page.wait_for_timeout(300)  # the fragment is fetched after the click
    return page.inner_text(where)


def shows_status(page: Page, status: str) -> Callable[[], bool]:
    return lambda: refreshed(page, "#order-status") == status


def test_an_operator_gives_a_missing_phone_in_the_console_and_the_order_goes_on(
    ordo: Ordo, tmp_path: Path
) -> None:
    order_id = missing_phone_ticket(ordo, "CONSOLE-1", "console-1", "Ewa Konsola")
    with console(ordo, tmp_path) as (page, problems):
        open_in_console(page, problems, order_id, tmp_path)
        assert "The customer gave no phone number." in page.inner_text("#instructions")
        assert page.inner_text("#order-status") == "needs_attention"

        page.fill('#resolve input[name="resolution"]', "the customer gave a phone number")
        page.fill('#resolve input[name="correction.phone"]', "+48 601 234 567")
        page.click('#resolve button[type="submit"]')
        page.wait_for_function("document.querySelector('#message').textContent === 'Done.'")
        ready = shows_status(page, "ready_for_fulfillment")
        eventually(ready, 60, "the console to show the order ready for fulfillment")
        assert OPERATOR in page.inner_text("#ticket")  # who resolved it
        assert "resolved" in page.inner_text("#ticket-status")

    state = wait_for_status(ordo, order_id, "ready_for_fulfillment")
    assert state["order"]["customer"]["phone"] == "+48 601 234 567"


def test_an_operator_cancels_in_the_console_and_fulfillment_answers(
    ordo: Ordo, tmp_path: Path
) -> None:
    order_id = missing_phone_ticket(ordo, "CONSOLE-2", "console-2", "Jan Anulowany")
    with console(ordo, tmp_path) as (page, problems):
        open_in_console(page, problems, order_id, tmp_path)
        page.fill('#cancel-order input[name="reason"]', "the customer changed their mind")
        page.click('#cancel-order button[type="submit"]')
        # A request, not yet a cancellation: the console says who decides.
        page.wait_for_function(
            "document.querySelector('#message').textContent.startsWith('Cancellation requested')"
        )
        eventually(shows_status(page, "cancelled"), 60, "the console to show it cancelled")
        # The ticket closes when ticketing has heard fulfillment's answer, which can reach
        # the read model a batch after the order's new status.
        eventually(
            lambda: "cancelled" in refreshed(page, "#ticket-status"),
            30,
            "the console to show the ticket cancelled",
        )
    state = wait_for_status(ordo, order_id, "cancelled")
    assert state["cancellation"] == "cancelled"


def test_an_operator_sends_a_returned_parcel_again_from_the_console(
    ordo: Ordo, tmp_path: Path
) -> None:
    with ordo.http("inventory") as api:
        api.put("/stock/CONSOLE-3", json={"on_hand": 5}).raise_for_status()
    order = sample_order(
        external_id="console-3", lines=[{"sku": "CONSOLE-3", "quantity": 1, "unit_price": "9.00"}]
    )
    with ordo.http("ingestion") as api:
        assert api.post("/orders", content=order.model_dump_json()).status_code == 202
    wait_for_status(ordo, order.order_id, "ready_for_fulfillment")
    leave_and_come_back(ordo, f"{order.order_id}-S1", "IT-CONSOLE-3")
    eventually(lambda: open_ticket_for(ordo, order.order_id), 60, "the returned parcel's ticket")
    with console(ordo, tmp_path) as (page, problems):
        open_in_console(page, problems, order.order_id, tmp_path)
        assert page.inner_text("#order-status") == "returned_to_sender"
        page.click('#reship button[type="submit"]')  # no new address: where it went
        page.wait_for_function(
            "document.querySelector('#message').textContent.startsWith('Sending again requested')"
        )
        # Held again and planned as a new parcel: the order is back with the warehouse.
        ready = shows_status(page, "ready_for_fulfillment")
        eventually(ready, 60, "the console to show the parcel planned again")
        eventually(
            lambda: "resolved" in refreshed(page, "#ticket-status"),
            30,
            "the console to show the ticket resolved",
        )
        assert "sending S1 again" in page.inner_text("#timeline")
