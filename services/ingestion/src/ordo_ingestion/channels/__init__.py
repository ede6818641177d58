"""Channel adapters: each turns one channel's native order into Ordo's canonical order.

An adapter is a pure function from the parsed payload (ints exact, JSON floats as Decimal) to
an `Outcome`: the order with its warnings and revision, a skip (a state Ordo does not take),
or the issues that make it unusable, each naming the channel's own field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ordo_ingestion.channels import allegro, baselinker, canonical, magento, shopify, woocommerce
from ordo_ingestion.channels.common import Adapted, Outcome, Skipped, Unusable

Adapter = Callable[[dict[str, Any]], Outcome]

ADAPTERS: dict[str, Adapter] = {
    shopify.CHANNEL: shopify.adapt,
    woocommerce.CHANNEL: woocommerce.adapt,
    allegro.CHANNEL: allegro.adapt,
    magento.CHANNEL: magento.adapt,
    baselinker.CHANNEL: baselinker.adapt,
    canonical.CHANNEL: canonical.adapt,
}

__all__ = ["ADAPTERS", "Adapted", "Adapter", "Outcome", "Skipped", "Unusable"]
