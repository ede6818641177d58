"""The operator console in a real headless Chromium against the real stack: an order without a
phone gets a ticket, the operator resolves it in the form, and the order goes on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ordo_runtime.testing import sample_order
from tests.integration.conftest import Ordo, eventually, wait_for_status

pytestmark = pytest.mark.integration
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; `make test` installs it (target `chromium`)
OPERATOR = "it-operator-pl"  # the name the suite's operator token stands for


def open_ticket_for(ordo: Ordo, order_id: str) -> dict[str, Any] | None:
    with ordo.http("ticketing") as api:
        tickets = api.get("/tickets", params={"status": "open"}).json()
    return next((t for t in tickets if t["order_id"] == order_id), None)


def test_an_operator_gives_a_missing_phone_in_the_console_and_the_order_goes_on(
    ordo: Ordo, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            "no /usr/bin/chromium: `make test` installs Debian's chromium with apt-get, and"
            " could not on this machine"
        )
    from playwright.sync_api import Response, sync_playwright

    with ordo.http("inventory") as api:
        api.put("/stock/CONSOLE-1", json={"on_hand": 5}).raise_for_status()
    order = sample_order(
        external_id="console-1",
        customer={"name": "Ewa Konsola", "email": "ewa.konsola@example.com"},
        lines=[{"sku": "CONSOLE-1", "quantity": 1, "unit_price": "25.00"}],
    )
    with ordo.http("ingestion") as api:
        assert api.post("/orders", content=order.model_dump_json()).status_code == 202
    eventually(lambda: open_ticket_for(ordo, order.order_id), 60, "the missing-phone ticket")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = browser.new_page(locale="en-GB")
            problems: list[str] = []  # shown if a wait fails: what the page itself saw
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
            row = page.locator(f'tr[data-order="{order.order_id}"]')
            try:
                row.wait_for(timeout=30_000)
            except Exception:
                page.screenshot(path=tmp_path / "console.png", full_page=True)
                shown = page.inner_html("#queue")[:2000]
                raise AssertionError(
                    f"no ticket row; page saw {problems}; queue: {shown}"
                ) from None
            row.click()
            page.locator("#resolve").wait_for()
            assert "The customer gave no phone number." in page.inner_text("#instructions")
            assert page.inner_text("#order-status") == "needs_attention"

            page.fill('#resolve input[name="resolution"]', "the customer gave a phone number")
            page.fill('#resolve input[name="correction.phone"]', "+48 601 234 567")
            page.click('#resolve button[type="submit"]')
            page.wait_for_function("document.querySelector('#message').textContent === 'Done.'")

            def ready() -> bool:
                page.click("#refresh-detail")
                page.wait_for_timeout(300)  # the fragment is fetched after the click
                return page.inner_text("#order-status") == "ready_for_fulfillment"

            eventually(ready, 60, "the console to show the order ready for fulfillment")
            assert OPERATOR in page.inner_text("#ticket")  # who resolved it
            assert "resolved" in page.inner_text("#ticket-status")
        finally:
            browser.close()

    state = wait_for_status(ordo, order.order_id, "ready_for_fulfillment")
    assert state["order"]["customer"]["phone"] == "+48 601 234 567"
