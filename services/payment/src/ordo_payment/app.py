"""Wiring, and the provider's webhook: notifications go onto ordo.payment.provider as
received, so the consumer decides from one ordered stream per order."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Literal

from aiokafka.errors import KafkaError
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from ordo_events.envelope import Envelope
from ordo_events.events import PaymentNotificationReceived
from ordo_events.topics import PAYMENT_PROVIDER
from ordo_payment.deadlines import sweep
from ordo_payment.domain import Settlement
from ordo_payment.handlers import EVENT_HANDLERS
from ordo_runtime import Service, per_order
from ordo_runtime.http import runtime_of

http = FastAPI(title="Ordo payment")
service = Service(
    "payment",
    handlers=EVENT_HANDLERS,
    http=http,
    tasks=[sweep],
    prefetch=per_order(Settlement.create_id),
)
WEBHOOK_IDS = uuid.UUID("8e6c4f0a-51b2-4d8c-9a3e-7f1d2c3b4a59")


class ProviderNotification(BaseModel):
    order_id: str = Field(min_length=1)
    notification_id: str = Field(min_length=1, description="The provider's id; re-sends repeat it")
    status: Literal["authorized", "declined", "captured", "refunded", "voided"]
    amount: Decimal = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")
    provider_ref: str = Field(min_length=1)
    reason: str | None = None


@http.post("/webhooks/payments", status_code=202)
async def provider_webhook(body: ProviderNotification, request: Request) -> dict[str, str]:
    event = PaymentNotificationReceived(**body.model_dump())
    envelope = Envelope(
        data=event,
        source="/ordo/payment/webhook",
        id=str(uuid.uuid5(WEBHOOK_IDS, body.notification_id)),
    )
    try:
        await runtime_of(request).producer.send_and_wait(
            PAYMENT_PROVIDER.name, envelope.value(), key=envelope.key(), headers=envelope.headers()
        )
    except KafkaError as exc:
        raise HTTPException(503, f"could not record the notification, please retry: {exc}") from exc
    return {"status": "accepted", "notification_id": body.notification_id}
