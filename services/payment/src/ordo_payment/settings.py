"""Payment's own settings: how long each channel gives its customers to pay."""

from __future__ import annotations

from datetime import timedelta

from pydantic_settings import BaseSettings, SettingsConfigDict


class DeadlineSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    payment_deadline_s: float = 2 * 24 * 3600
    # Per channel, e.g. PAYMENT_DEADLINES='{"allegro": 864000, "webshop": 3600}'.
    payment_deadlines: dict[str, float] = {}
    payment_sweep_s: float = 2.0
    payment_sweep_batch: int = 1000

    def window(self, channel: str) -> timedelta:
        return timedelta(seconds=self.payment_deadlines.get(channel, self.payment_deadline_s))


DEADLINES = DeadlineSettings()
