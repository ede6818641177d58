"""The topic registry: each topic, its one writer, the event types on it, and its key."""

from __future__ import annotations

from dataclasses import dataclass

from ordo_events import events as ev


@dataclass(frozen=True)
class Topic:
    name: str
    writer: str
    event_types: tuple[type[ev.Event], ...]
    key: str = "order_id"
    partitions: int = 6


CHANNEL_ORDERS = Topic("ordo.channel.orders", writer="sales channels", event_types=())
ORDERS = Topic("ordo.orders", "ingestion", (ev.OrderReceived, ev.OrderRejected, ev.OrderRevised))
VALIDATION = Topic("ordo.validation", "validation", (ev.OrderValidated, ev.OrderValidationFailed))
INVENTORY = Topic(
    "ordo.inventory",
    "inventory",
    (
        ev.StockReserved,
        ev.StockShortage,
        ev.StockReleased,
        ev.StockShipped,
        ev.StockRestocked,
        ev.StockReheld,
        ev.ReshipShortage,
    ),
)
PAYMENT_PROVIDER = Topic("ordo.payment.provider", "payment", (ev.PaymentNotificationReceived,))
PAYMENT = Topic(
    "ordo.payment",
    "payment",
    (
        ev.PaymentAuthorized,
        ev.PaymentFailed,
        ev.CashOnDeliveryAccepted,
        ev.PaymentCaptured,
        ev.PaymentVoided,
        ev.PaymentRefunded,
        ev.PaymentOverdue,
        ev.CashOnDeliveryNotCollected,
    ),
)
FULFILLMENT = Topic(
    "ordo.fulfillment",
    "fulfillment",
    (
        ev.OrderReadyForFulfillment,
        ev.OrderRevisionAccepted,
        ev.OrderRevisedAfterRelease,
        ev.ShipmentPlanned,
        ev.ShipmentStatusChanged,
        ev.ShipmentWithdrawn,
        ev.OrderCancelled,
        ev.OrderCancellationRefused,
        ev.ReturnRequested,
        ev.ReturnApproved,
        ev.ReturnRejected,
        ev.ReturnReceived,
        ev.ComplaintFiled,
    ),
)
TICKETS = Topic(
    "ordo.tickets",
    "ticketing",
    (
        ev.TicketOpened,
        ev.TicketResolved,
        ev.OrderCorrected,
        ev.OrderCancellationRequested,
        ev.ReshipRequested,
        ev.TicketAssigned,
        ev.TicketHeld,
        ev.TicketReleased,
        ev.TicketCancelled,
    ),
)
NOTIFICATIONS = Topic("ordo.notifications", "notification", (ev.NotificationSent,))
# One partition: rule set versions are few and must stay in order.
RULES = Topic("ordo.rules", "validation", (ev.RuleSetPublished,), key="rule set", partitions=1)
# Carriers' status updates as they send them (raw JSON, no CloudEvents): fulfillment reads
# them into ShipmentStatusChanged.
CARRIER_EVENTS = Topic("ordo.carrier.events", writer="carriers", event_types=(), key="shipment_id")
# Warehouses' and the ERP's stock counts and adjustments (raw JSON, no CloudEvents):
# inventory applies them to its stock.
STOCK_SYNC = Topic("ordo.stock.sync", writer="warehouses and the ERP", event_types=(), key="sku")
DEAD_LETTER = Topic(
    "ordo.deadletter", writer="every service's runtime", event_types=(), key="source"
)

# Channels that write their own order format to Kafka (their HTTP webhooks land here too):
# ingestion turns each into a canonical order.
CHANNEL_NAMES = ("shopify", "woocommerce", "allegro", "magento", "baselinker")
CHANNEL_TOPICS: dict[str, Topic] = {
    name: Topic(f"ordo.channel.{name}.orders", writer=f"the {name} channel", event_types=())
    for name in CHANNEL_NAMES
}

ALL_TOPICS: tuple[Topic, ...] = (
    CHANNEL_ORDERS,
    *CHANNEL_TOPICS.values(),
    ORDERS,
    VALIDATION,
    INVENTORY,
    PAYMENT_PROVIDER,
    PAYMENT,
    FULFILLMENT,
    TICKETS,
    NOTIFICATIONS,
    RULES,
    DEAD_LETTER,
    CARRIER_EVENTS,
    STOCK_SYNC,
)

# The topics that make up an order's history; folding them gives OrderState.
ORDER_HISTORY: tuple[Topic, ...] = (
    ORDERS,
    VALIDATION,
    INVENTORY,
    PAYMENT,
    FULFILLMENT,
    TICKETS,
    NOTIFICATIONS,
)

_TOPIC_OF: dict[type[ev.Event], Topic] = {
    t: topic for topic in ALL_TOPICS for t in topic.event_types
}


def topic_for(event_type: type[ev.Event]) -> Topic:
    try:
        return _TOPIC_OF[event_type]
    except KeyError:
        raise LookupError(f"{event_type.__name__} is on no topic in the registry") from None
