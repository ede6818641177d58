"""The channel simulator: seeds stock, sends orders as sales channels do, plays the payment
provider for prepaid orders, and watches until every order has come to rest."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import httpx
from aiokafka import AIOKafkaProducer

from ordo_cli.mix import SimOrder
from ordo_cli.watch import Observed, OutcomeWatcher
from ordo_events.envelope import Envelope
from ordo_events.topics import CHANNEL_ORDERS, PAYMENT_PROVIDER

PROVIDER_SOURCE = "/simulator/payment-provider"

Tick = Callable[[int], None]


@dataclass
class RunResult:
    outcomes: dict[str, Observed]
    sent_at: dict[str, float]
    tickets: int
    first_send: float
    last_outcome: float | None = None

    @property
    def elapsed_s(self) -> float:
        end = self.last_outcome if self.last_outcome is not None else time.perf_counter()
        return end - self.first_send


async def seed_stock(
    inventory_url: str, levels: Mapping[str, int], token: str | None = None
) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=inventory_url, timeout=10.0, headers=headers) as http:
        for sku, on_hand in levels.items():
            response = await http.put(f"/stock/{sku}", json={"on_hand": on_hand})
            response.raise_for_status()


def producer(bootstrap: str) -> AIOKafkaProducer:
    # No idempotence: Tansu refuses InitProducerId. Batching keeps the bench honest.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="ordo-simulator",
        linger_ms=5,
        max_batch_size=256 * 1024,
        enable_idempotence=False,
    )


async def run(
    plan: Sequence[SimOrder],
    *,
    bootstrap: str,
    rate: float | None,
    timeout_s: float,
    on_sent: Tick | None = None,
    on_settled: Tick | None = None,
) -> RunResult:
    """Send `plan` at `rate` orders/s (None: as fast as the broker takes them) and wait up to
    `timeout_s` for every order's outcome."""
    watcher = OutcomeWatcher(bootstrap, (sim.order_id for sim in plan))
    await watcher.start()
    kafka = producer(bootstrap)
    await kafka.start()
    result = RunResult(watcher.outcomes, {}, 0, time.perf_counter())
    sending = asyncio.create_task(_send(kafka, plan, rate, result, on_sent))
    try:
        deadline = time.monotonic() + timeout_s
        while watcher.pending and time.monotonic() < deadline:
            if settled := await watcher.poll():
                result.last_outcome = time.perf_counter()
                if on_settled:
                    on_settled(settled)
            if sending.done():
                sending.result()  # a failed send ends the run with its error
        if not watcher.pending:
            await sending  # the last notifications may still be on their way out
    finally:
        sending.cancel()
        await kafka.stop()
        await watcher.stop()
    result.tickets = watcher.tickets
    return result


async def _send(
    kafka: AIOKafkaProducer,
    plan: Sequence[SimOrder],
    rate: float | None,
    result: RunResult,
    on_sent: Tick | None,
) -> None:
    started = result.first_send = time.perf_counter()
    deliveries = []
    for i, sim in enumerate(plan):
        if rate:
            ahead = started + i / rate - time.perf_counter()
            if ahead > 0:
                await asyncio.sleep(ahead)
        key = sim.order_id.encode()
        result.sent_at[sim.order_id] = time.perf_counter()
        value = sim.order.model_dump_json().encode()
        deliveries.append(await kafka.send(CHANNEL_ORDERS.name, value, key=key))
        if sim.notification is not None:
            envelope = Envelope(data=sim.notification, source=PROVIDER_SOURCE)
            deliveries.append(
                await kafka.send(
                    PAYMENT_PROVIDER.name, envelope.value(), key=key, headers=envelope.headers()
                )
            )
        if on_sent:
            on_sent(1)
    await asyncio.gather(*deliveries)
