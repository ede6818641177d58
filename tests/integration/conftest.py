"""The real stack for the integration suite: embedded (or configured) Kafka-protocol broker,
PostgreSQL and SMTP, and every service as its own process, as `ordo up` runs them."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from ordo_cli.supervisor import ServiceSpec, Supervisor
from ordo_cli.up import SERVICES
from ordo_devstack import Stack, ensure_topics, start_stack

T = TypeVar("T")
# The suite's API callers, by the name tests ask for them with: `ordo.http(service, role=...)`.
CALLERS: dict[str, dict[str, Any]] = {
    "manager": {"name": "it-manager", "role": "manager"},
    "operator": {"name": "it-operator-pl", "role": "operator", "markets": ["PL"]},
    "operator-de": {"name": "it-operator-de", "role": "operator", "markets": ["DE"]},
    "seller": {"name": "it-seller", "role": "seller"},
    "viewer": {"name": "it-viewer", "role": "viewer"},
}
TOKENS = {caller: f"integration-{caller}-token-0123456789" for caller in CALLERS}
# Ingestion checks Shopify webhooks' signatures with this (test_channels.py signs with it).
SHOPIFY_WEBHOOK_SECRET = "integration-shopify-webhook-secret"
# Unpaid holds of this channel's orders expire after 2 s (test_inventory_flows.py's expiry
# test orders through it); every other order keeps the usual time to live, so no other
# test's unpaid reservation expires under it. The sweep looks often enough to see it.
EXPIRY_CHANNEL = "it-expiry"
SERVICE_ENV = {
    "inventory": {
        "INVENTORY_HOLD_TTLS": json.dumps({EXPIRY_CHANNEL: 2}),
        "INVENTORY_SWEEP_EVERY_S": "0.5",
    }
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Ordo:
    stack: Stack
    supervisor: Supervisor
    urls: dict[str, str]
    specs: dict[str, ServiceSpec]
    tokens: dict[str, str] = field(default_factory=lambda: dict(TOKENS))

    def http(self, service: str, role: str | None = "manager") -> httpx.Client:
        """A client of `service` calling as `role` (a CALLERS name); None sends no token."""
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.urls[service], timeout=10, headers=headers)

    def restart(self, *services: str) -> None:
        for service in services:
            self.supervisor.children.pop(service).process.wait(20)
        for service in services:
            self.supervisor.start(self.specs[service])
        self.supervisor.wait_ready(deadline_s=60)


def eventually(probe: Callable[[], T | None], deadline_s: float = 60, what: str = "") -> T:
    """Poll until `probe` returns something truthy, or fail with what we waited for."""
    end = time.monotonic() + deadline_s
    last: T | None = None
    while time.monotonic() < end:
        last = probe()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"gave up after {deadline_s}s waiting for {what or probe}; last: {last!r}")


@pytest.fixture(scope="session")
def ordo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ordo]:
    workdir: Path = tmp_path_factory.mktemp("ordo")
    with start_stack(workdir / "stack") as stack:
        asyncio.run(ensure_topics(stack.kafka_bootstrap))
        supervisor = Supervisor(workdir / "logs")
        specs = {
            name: ServiceSpec(
                name=name,
                argv=[sys.executable, "-m", f"ordo_{name}"],
                port=(port := free_port()),
                env={
                    **stack.env(),
                    "HTTP_PORT": str(port),
                    "OTEL_SERVICE_NAME": name,
                    "ORDO_TOKENS": json.dumps({TOKENS[c]: who for c, who in CALLERS.items()}),
                    "ORDO_SHOPIFY_WEBHOOK_SECRET": SHOPIFY_WEBHOOK_SECRET,
                    **SERVICE_ENV.get(name, {}),
                },
            )
            for name in SERVICES
        }
        try:
            for spec in specs.values():
                supervisor.start(spec)
            supervisor.wait_ready(deadline_s=120)
            yield Ordo(stack, supervisor, {n: s.url for n, s in specs.items()}, specs)
        finally:
            supervisor.stop()


def order_state(ordo: Ordo, order_id: str) -> dict[str, Any] | None:
    with ordo.http("ticketing") as api:
        response = api.get(f"/orders/{order_id}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    state: dict[str, Any] = response.json()
    return state


def wait_for_status(
    ordo: Ordo,
    order_id: str,
    status: str,
    deadline_s: float = 60,
    events: Collection[str] = (),
    **fields: Any,
) -> dict[str, Any]:
    """The order's state once it has `status`, the given `fields` and `events` (types) in its
    timeline. The read model follows several topics, each at its own pace: a status may show
    before another topic's fact or event."""

    def probe() -> dict[str, Any] | None:
        state = order_state(ordo, order_id)
        if not state or state["status"] != status:
            return None
        if not set(events) <= {entry["type"] for entry in state["timeline"]}:
            return None
        return state if all(state.get(k) == v for k, v in fields.items()) else None

    wanted = ", ".join([status, *(f"{k}={v}" for k, v in fields.items()), *events])
    return eventually(probe, deadline_s, f"order {order_id} to reach {wanted}")
