"""Given events -> when an event -> then events: a service's handlers run through the real
processor on in-memory storage, no servers needed.

    scenario = Scenario(service)
    scenario.given(OrderReceived(...))
    assert scenario.when(OrderCorrected(...)) == [OrderValidated(...)]
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from eventsourcing.persistence import Tracking

from ordo_events.envelope import Envelope, decode
from ordo_events.events import Event
from ordo_events.order import CanonicalOrder
from ordo_events.topics import DEAD_LETTER, topic_for
from ordo_runtime.outbox import OUTGOING_TOPIC, Outgoing
from ordo_runtime.processor import Processor
from ordo_runtime.relay import TRACKING_NAME
from ordo_runtime.service import Service
from ordo_runtime.settings import Settings
from ordo_runtime.store import ServiceApplication, UnitOfWork

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


class Scenario:
    def __init__(self, service: Service):
        self.service = service
        self.app = ServiceApplication(service.name, Settings(), extra_env=IN_MEMORY)
        self.processor = Processor(
            self.app,
            service.group,
            service.source,
            service.handlers,
            service.raw_handlers,
            service.prefetch,
        )
        self._offsets: dict[str, int] = {}
        self._read = 0
        self.last: list[Envelope] = []  # what the last delivery published, with its headers

    def given(self, *events: Event) -> Scenario:
        for event in events:
            self.when(event)
        return self

    def when(self, event: Event | Envelope) -> list[Event]:
        envelope = event if isinstance(event, Envelope) else Envelope(data=event, source="/test")
        topic = topic_for(type(envelope.data)).name
        return self.deliver(topic, envelope.value(), envelope.headers(), envelope.key())

    def when_raw(self, topic: str, value: bytes, key: bytes | None = None) -> list[Event]:
        return self.deliver(topic, value, [], key)

    def deliver(
        self,
        topic: str,
        value: bytes,
        headers: Sequence[tuple[str, bytes]],
        key: bytes | None = None,
        offset: int | None = None,
    ) -> list[Event]:
        """Deliver one record (again, when `offset` repeats one) and return what was published."""
        if offset is None:
            offset = self._offsets.get(topic, -1) + 1
            self._offsets[topic] = offset
        record = ConsumerRecord(
            topic, 0, offset, 0, 0, key, value, None, len(value), -1, tuple(headers)
        )
        self.processor.process_sync(TopicPartition(topic, 0), [record])
        self.last = [e for e in self.published_envelopes() if e is not None]
        return [e.data for e in self.last]

    def execute(
        self, command: Callable[[UnitOfWork], Sequence[Event]], tracking: Tracking | None = None
    ) -> list[Event]:
        """Run a command the way an HTTP route would (Runtime.execute), in memory."""
        uow = UnitOfWork(self.app, tracking)
        events = list(command(uow))
        for event in events:
            uow.publish(Outgoing.of(Envelope(data=event, source=self.service.source)))
        uow.commit()
        self.published_envelopes()
        return events

    def published_envelopes(self) -> list[Envelope | None]:
        """Records published since the last call; None for a dead letter."""
        notes = self.app.process_recorder.select_notifications(
            start=self._read, limit=10_000, topics=[OUTGOING_TOPIC], inclusive_of_start=False
        )
        if notes:
            self._read = notes[-1].id
        out: list[Envelope | None] = []
        for note in notes:
            record = self.app.mapper.to_domain_event(note)
            assert isinstance(record, Outgoing)
            if record.topic == DEAD_LETTER.name:
                self.dead_letters.append(record)
                out.append(None)
            else:
                out.append(decode(record.kafka_value(), record.kafka_headers()))
        return out

    @property
    def dead_letters(self) -> list[Outgoing]:
        if not hasattr(self, "_dead"):
            self._dead: list[Outgoing] = []
        return self._dead


def new_id() -> str:
    return str(uuid.uuid4())


def sample_order(**changes: Any) -> CanonicalOrder:
    """A complete, valid Polish web-shop order; `changes` replace top-level fields."""
    data: dict[str, Any] = {
        "channel": "webshop",
        "external_id": "W-1",
        "market": "PL",
        "currency": "PLN",
        "language": "pl",
        "customer": {
            "name": "Jan Kowalski",
            "email": "jan@example.com",
            "phone": "+48 601 234 567",
        },
        "delivery": {
            "method": "courier",
            "address": {
                "line1": "ul. Długa 1",
                "city": "Warszawa",
                "postcode": "00-001",
                "country": "PL",
            },
        },
        "payment": {"method": "cash_on_delivery"},
        "lines": [{"sku": "SKU-1", "quantity": 1, "unit_price": "10.00"}],
    }
    data.update(changes)
    return CanonicalOrder.model_validate(data)


# A company invoice with a valid NIP and its own address: what a store pickup order carries
# when there is no delivery address to fall back on.
COMPANY_INVOICE: dict[str, Any] = {
    "company": "Firma",
    "tax_id": "5261040828",
    "address": {"line1": "Prosta 2", "city": "Warszawa", "postcode": "00-950", "country": "PL"},
}


class InMemoryRuntime:
    """Runtime.execute on a Scenario's in-memory store, for background tasks and routes under
    test: records what was published and each cause id; `fail` makes the next call raise as a
    lost database connection would."""

    def __init__(self, scenario: Scenario):
        self.scenario, self.app = scenario, scenario.app
        self.published: list[Event] = []
        self.cause_ids: list[str | None] = []
        self.fail = False

    async def execute(
        self,
        command: Callable[[UnitOfWork], Sequence[Event]],
        cause_id: str | None = None,
        tracking: Tracking | None = None,
    ) -> list[Event]:
        if self.fail:
            self.fail = False
            raise ConnectionError("database went away")
        self.cause_ids.append(cause_id)
        events = self.scenario.execute(command, tracking)
        self.published += events
        return events


__all__ = [
    "COMPANY_INVOICE",
    "TRACKING_NAME",
    "InMemoryRuntime",
    "Scenario",
    "new_id",
    "sample_order",
]
