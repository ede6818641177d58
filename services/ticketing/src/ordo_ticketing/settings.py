"""Ticketing's own settings: how long a stage or a ticket may wait before it is late."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class TicketingSettings(BaseSettings):
    """From the environment, e.g. TICKETING_STAGE_SLA_S='{"validation": 60}' (JSON)."""

    model_config = SettingsConfigDict(env_prefix="TICKETING_", extra="ignore")

    # How long an order may rest in a stage with nothing happening before it gets a ticket.
    # Prepaid orders wait for the customer's payment, hence the longer payment stage.
    stage_sla_s: dict[str, float] = {"validation": 300, "inventory": 600, "payment": 3600}
    # How soon an operator should have dealt with a ticket, by severity.
    ticket_sla_s: dict[str, float] = {"high": 3600, "normal": 4 * 3600, "low": 24 * 3600}
    sweep_interval_s: float = 30.0
    # How long a cash on delivery parcel returned to sender waits for payment's word on what
    # it leaves unpaid before its ticket opens without it.
    returned_wait_s: float = 900.0

    def stage_sla(self, stage: str) -> timedelta | None:
        seconds = self.stage_sla_s.get(stage)
        return None if seconds is None else timedelta(seconds=seconds)

    def ticket_sla(self, severity: str) -> timedelta:
        return timedelta(seconds=self.ticket_sla_s.get(severity, self.ticket_sla_s["normal"]))


@cache
def settings() -> TicketingSettings:
    return TicketingSettings()
