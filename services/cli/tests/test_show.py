"""`ordo order show` against a stand-in for the ticketing service's API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from typer.testing import CliRunner

from ordo_cli.main import app

ORDER = {
    "order_id": "0b6f7c1e-0000-5000-8000-000000000001",
    "status": "needs_attention",
    "order": {
        "channel": "webshop",
        "external_id": "WEB-1",
        "delivery": {"method": "courier"},
        "payment": {"method": "prepaid"},
    },
    "validated": False,
    "reserved": None,
    "payment": "authorized",
    "released": False,
    "open_tickets": [
        {
            "ticket_id": "tkt-42",
            "reason": "phone_missing",
            "stage": "validation",
            "instructions": "Call the customer and ask for a phone number.",
        },
        "tkt-43",
    ],
    "timeline": [
        {
            "time": "2025-03-14T12:00:00+00:00",
            "type": "OrderReceived",
            "source": "/ingestion",
            "summary": "received from webshop as WEB-1, 1 line(s)",
        },
        {
            "time": "2025-03-14T12:00:01+00:00",
            "type": "TicketOpened",
            "source": "/ticketing",
            "summary": "ticket tkt-42 opened: no phone",
        },
    ],
}


class Ticketing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        found = self.path == f"/orders/{ORDER['order_id']}"
        body = json.dumps(ORDER if found else {"detail": "not found"}).encode()
        self.send_response(200 if found else 404)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Ticketing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_shows_status_and_timeline(api: str) -> None:
    result = CliRunner().invoke(app, ["order", "show", str(ORDER["order_id"]), "--api", api])
    assert result.exit_code == 0, result.output
    assert "needs_attention" in result.output
    assert "tkt-42" in result.output
    assert "Call the customer" in result.output
    assert "tkt-43" in result.output
    assert "TicketOpened" in result.output
    assert "received from webshop" in result.output


def test_an_unknown_order_is_a_clear_message_and_exit_1(api: str) -> None:
    result = CliRunner().invoke(app, ["order", "show", "nope", "--api", api])
    assert result.exit_code == 1
    assert "no order nope" in result.output


def test_no_ticketing_to_ask_is_exit_1() -> None:
    result = CliRunner().invoke(app, ["order", "show", "x", "--api", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "did not answer" in result.output
