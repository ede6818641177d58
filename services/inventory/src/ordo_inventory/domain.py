"""Stock per SKU and each order's reservation. Stock never goes below zero."""

from __future__ import annotations

import uuid

from eventsourcing.domain import Aggregate, event

NAMESPACE = uuid.UUID("5d0e8a52-6a43-4b8e-9d1e-2f3a4b5c6d70")


class Stock(Aggregate):
    """One SKU: what is on hand and what orders hold of it."""

    @staticmethod
    def create_id(sku: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"stock/{sku}")

    @event("Registered")
    def __init__(self, sku: str, on_hand: int):
        self.sku = sku
        self.on_hand = on_hand
        self.held: dict[str, int] = {}
        # Kept as a running total: a popular SKU holds thousands of reservations.
        self.reserved = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @event("LevelSet")
    def set_level(self, on_hand: int) -> None:
        self.on_hand = on_hand

    def reserve(self, order_id: str, quantity: int) -> None:
        if quantity > self.available:
            raise ValueError(f"{self.sku}: {quantity} wanted, {self.available} free")
        self._reserve(order_id, quantity)

    @event("Reserved")
    def _reserve(self, order_id: str, quantity: int) -> None:
        self.held[order_id] = self.held.get(order_id, 0) + quantity
        self.reserved += quantity


class Reservation(Aggregate):
    """An order's claim on stock: made once, all lines or none."""

    @staticmethod
    def create_id(order_id: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"reservation/{order_id}")

    @event("Opened")
    def __init__(self, order_id: str):
        self.order_id = order_id
        self.lines: dict[str, int] = {}
        self.reserved = False
        self.attempts = 0

    @event("Held")
    def hold(self, lines: dict[str, int]) -> None:
        self.lines = lines
        self.reserved = True
        self.attempts += 1

    @event("FellShort")
    def fall_short(self, missing: dict[str, list[int]]) -> None:
        self.attempts += 1


def wanted(lines: list[tuple[str, int]]) -> dict[str, int]:
    """Quantities per SKU; an order may list one SKU on several lines."""
    totals: dict[str, int] = {}
    for sku, quantity in lines:
        totals[sku] = totals.get(sku, 0) + quantity
    return totals
