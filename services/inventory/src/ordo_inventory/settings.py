"""Inventory's own settings, read from the environment."""

from __future__ import annotations

from pydantic import PositiveFloat
from pydantic_settings import BaseSettings, SettingsConfigDict


class InventorySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_", extra="ignore")

    # Warehouses to take stock from first, in order (comma-separated); others follow by name.
    warehouses: str = "main"
    # A reservation neither paid, cash on delivery nor released within this long is released;
    # per channel, e.g. INVENTORY_HOLD_TTLS='{"allegro": 600}' (a marketplace's own rule).
    hold_ttl_s: PositiveFloat = 30 * 60
    hold_ttls: dict[str, PositiveFloat] = {}
    sweep_every_s: PositiveFloat = 30.0

    def hold_ttl(self, channel: str | None) -> float:
        """How long an order of `channel` may hold stock unpaid (None: an unknown channel)."""
        return self.hold_ttls.get(channel, self.hold_ttl_s) if channel else self.hold_ttl_s

    @property
    def preference(self) -> tuple[str, ...]:
        return tuple(w.strip() for w in self.warehouses.split(",") if w.strip())


SETTINGS = InventorySettings()
