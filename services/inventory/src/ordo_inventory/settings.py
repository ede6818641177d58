"""Inventory's own settings, read from the environment."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class InventorySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_", extra="ignore")

    # Warehouses to take stock from first, in order (comma-separated); others follow by name.
    warehouses: str = "main"
    # A reservation neither paid, cash on delivery nor released within this long is released.
    hold_ttl_s: float = 30 * 60
    sweep_every_s: float = 30.0

    @property
    def preference(self) -> tuple[str, ...]:
        return tuple(w.strip() for w in self.warehouses.split(",") if w.strip())


SETTINGS = InventorySettings()
