"""Each channel's webhook: `POST /channels/{channel}/orders` with the channel's own JSON.

Where the channel signs its webhooks (Shopify, WooCommerce) and a secret is configured, the
signature is checked on the raw body before anything else is read. A body the adapter can
take is queued on the channel's topic as it came, so the Kafka intake judges HTTP and Kafka
orders alike; one it cannot take is stored at once and answered with its issues."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ordo_events.events import Issue
from ordo_events.order import order_id_for
from ordo_events.topics import CHANNEL_ORDERS, CHANNEL_TOPICS
from ordo_ingestion.channels import ADAPTERS, Adapted
from ordo_ingestion.intake import UNKNOWN_CHANNEL, Refusal, read_channel, text_of
from ordo_ingestion.intake_http import (
    ANY_ORDER_BODY,
    body_cause,
    queue,
    read_body,
    refuse,
    too_large,
)

router = APIRouter()
# The header each signing channel puts its base64 HMAC-SHA256 of the raw body in.
SIGNATURE_HEADERS = {"shopify": "x-shopify-hmac-sha256", "woocommerce": "x-wc-webhook-signature"}


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDO_", extra="ignore")
    shopify_webhook_secret: SecretStr | None = None
    woocommerce_webhook_secret: SecretStr | None = None

    def secret(self, channel: str) -> bytes | None:
        value = getattr(self, f"{channel}_webhook_secret", None)
        return value.get_secret_value().encode() if isinstance(value, SecretStr) else None


@lru_cache(maxsize=1)
def webhook_settings() -> WebhookSettings:
    return WebhookSettings()


@router.post(
    "/channels/{channel}/orders",
    status_code=202,
    summary="Submit one order in a sales channel's own JSON (its webhook body)",
    openapi_extra=ANY_ORDER_BODY,
    responses={
        200: {"description": "Acknowledged but not taken: the order is in a state Ordo skips"},
        400: {"description": "The body is not a JSON object"},
        401: {"description": "The channel's signature is missing or wrong"},
        404: {"description": "Ordo has no adapter for this channel"},
        413: {"description": "The body is larger than 1 MiB"},
        422: {"description": "The order lacks or mistypes fields; the issues name them"},
        503: {"description": "The order could not be queued; retrying is safe"},
    },
)
async def submit_channel_order(request: Request, channel: str) -> JSONResponse:
    body, oversized = await read_body(request)
    if channel not in ADAPTERS:
        known = ", ".join(sorted(ADAPTERS))
        message = f"Ordo has no channel {channel[:64]!r}; the channels are: {known}."
        issue = Issue(code="channel.unknown", field="channel", message=message)
        refusal = Refusal(text_of(body), [issue], channel=UNKNOWN_CHANNEL)
        return await refuse(request, body_cause(f"channel:{channel[:64]}:", body), refusal, 404)
    if oversized:
        cause = body_cause(f"{channel}:too_large:", body)
        return await refuse(request, cause, too_large(body, channel), 413)
    problem = _signature_problem(channel, request, body)
    if problem is not None:
        refusal = Refusal(text_of(body), [problem], channel=channel)
        return await refuse(request, body_cause(f"{channel}:{problem.code}:", body), refusal, 401)
    if channel == "woocommerce" and body.startswith(b"webhook_id="):
        # WooCommerce pings a new webhook with a form body; answering 200 keeps it enabled.
        return JSONResponse({"status": "ping acknowledged"}, status_code=200)
    result = read_channel(channel, body)
    if isinstance(result, Refusal):
        return await refuse(request, body_cause(f"{channel}:", body), result)
    topic = CHANNEL_ORDERS if channel == "canonical" else CHANNEL_TOPICS[channel]
    if isinstance(result, Adapted):
        answer = {"status": "accepted", "warnings": [w.model_dump() for w in result.warnings]}
        return await queue(request, topic.name, body, result.order.order_id, answer)
    # Queued all the same, so the Kafka intake records the skip where it records everything.
    order_id = order_id_for(channel, result.external_id)
    answer = {"status": "skipped", "reason": f"Ordo takes no order in status {result.status}."}
    response = await queue(request, topic.name, body, order_id, answer)
    response.status_code = 200 if response.status_code == 202 else response.status_code
    return response


def _signature_problem(channel: str, request: Request, body: bytes) -> Issue | None:
    header = SIGNATURE_HEADERS.get(channel)
    secret = webhook_settings().secret(channel) if header else None
    if header is None or secret is None:
        return None
    given = request.headers.get(header)
    if not given:
        message = f"The {channel} webhook has no {header} header; it is needed to trust it."
        return Issue(code="signature.missing", field=header, message=message)
    expected = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        message = f"The {header} signature does not match the body: check the webhook secret."
        return Issue(code="signature.invalid", field=header, message=message)
    return None
