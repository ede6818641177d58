"""Stock per SKU and warehouse, and each order's reservation. Stock never goes below zero.

`Stock` keeps running totals per warehouse only; which order holds what lives in that
order's `Reservation`, so a popular SKU's aggregate does not grow with its orders.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from eventsourcing.domain import Aggregate, event

from ordo_runtime.ids import stable_id

NAMESPACE = uuid.UUID("5d0e8a52-6a43-4b8e-9d1e-2f3a4b5c6d70")
DEFAULT_WAREHOUSE = "main"
Hold = tuple[str, str, int]  # sku, warehouse, quantity
# How far back a count may have been taken and still be applied exactly: departures are
# kept this long, so a count taken before some of them left, and applied after, takes them
# off what it found. Older counts are refused; the warehouse counts again.
DEPARTURES_KEPT = timedelta(days=1)


class StaleCountError(ValueError):
    """A count older than what the stock already knows: applying it would undo what
    happened since. Its text says why."""


class Stock(Aggregate):
    """One SKU in every warehouse: what is on hand and how much of it orders hold."""

    @staticmethod
    def create_id(sku: str) -> uuid.UUID:
        return stable_id(NAMESPACE, f"stock/{sku}")

    # `by`: who counted or corrected by hand (the caller's login); None for the stock feed,
    # whose record is the cause, and for events stored before it was kept.
    @event("Registered")
    def __init__(
        self,
        sku: str,
        on_hand: int = 0,
        warehouse: str = DEFAULT_WAREHOUSE,
        by: str | None = None,
        at: datetime | None = None,  # when it was counted; None when not registered by a count
    ):
        self.sku = sku
        self.on_hand: dict[str, int] = {warehouse: on_hand}
        self.reserved: dict[str, int] = {}
        self.changed_by = by
        # Per warehouse: when the count on hand rests on was taken, and the departures
        # (time, units) after it, for a count taken before them that arrives after them;
        # units that came back (a parcel returned to sender) are a departure of minus them.
        self.counted_at: dict[str, datetime] = {} if at is None else {warehouse: at}
        self.departures: dict[str, list[tuple[datetime, int]]] = {}

    def available(self, warehouse: str) -> int:
        return max(0, self.on_hand.get(warehouse, 0) - self.reserved.get(warehouse, 0))

    def shortfall(self, warehouse: str) -> int:
        """Units held for orders beyond what a count found on hand: to be reported."""
        return max(0, self.reserved.get(warehouse, 0) - self.on_hand.get(warehouse, 0))

    def warehouses(self, preference: Sequence[str] = ()) -> list[str]:
        """Every warehouse that ever had this SKU, preferred ones first, the rest by name."""
        known = set(self.on_hand) | set(self.reserved)
        return [w for w in preference if w in known] + sorted(known - set(preference))

    def count(self, warehouse: str, on_hand: int, at: datetime, by: str | None = None) -> None:
        """What was on the shelf at `at`. Refused when older than the count applied, or
        than the departures kept (see DEPARTURES_KEPT)."""
        last = self.counted_at.get(warehouse)
        if last is not None and at < last:
            raise StaleCountError(
                f"{self.sku}@{warehouse}: the count taken at {at.isoformat()} is older than"
                f" the one applied, taken at {last.isoformat()}"
            )
        departures = self.departures.get(warehouse, [])
        if departures and at < departures[-1][0] - DEPARTURES_KEPT:
            raise StaleCountError(
                f"{self.sku}@{warehouse}: the count taken at {at.isoformat()} is older than"
                f" the shipments kept to correct it by ({DEPARTURES_KEPT} before the last);"
                " count again"
            )
        self._count(warehouse, on_hand, by, at)

    @event("Counted")
    def _count(
        self, warehouse: str, on_hand: int, by: str | None = None, at: datetime | None = None
    ) -> None:
        """An absolute count: sets on hand; reservations stay. Units whose departure was
        applied before the count arrived but happened after it was taken were still on the
        shelf when counted: they come off. (`at` is None in counts stored before it was kept.)"""
        if at is None:
            self.on_hand[warehouse] = on_hand
        else:
            later = [(t, q) for t, q in self.departures.get(warehouse, []) if t > at]
            self.on_hand[warehouse] = max(0, on_hand - sum(q for _, q in later))
            self.counted_at[warehouse] = at
            self.departures[warehouse] = later
        self.changed_by = by

    def adjust(self, warehouse: str, delta: int) -> None:
        if self.on_hand.get(warehouse, 0) + delta < 0:
            raise ValueError(
                f"{self.sku}@{warehouse}: adjustment {delta} would leave"
                f" {self.on_hand.get(warehouse, 0) + delta} on hand"
            )
        self._adjust(warehouse, delta)

    @event("Adjusted")
    def _adjust(self, warehouse: str, delta: int) -> None:
        self.on_hand[warehouse] = self.on_hand.get(warehouse, 0) + delta

    @event("Taken")
    def take(self, parts: dict[str, int]) -> None:
        for warehouse, quantity in parts.items():
            self.reserved[warehouse] = self.reserved.get(warehouse, 0) + quantity

    @event("Freed")
    def free(self, parts: dict[str, int]) -> None:
        for warehouse, quantity in parts.items():
            self.reserved[warehouse] = max(0, self.reserved.get(warehouse, 0) - quantity)

    @event("Restocked")
    def restock(self, warehouse: str, quantity: int, at: datetime | None = None) -> None:
        """Units back on the shelf at `at` (None: a return received, whenever that was).
        Like a departure, but the other way: a count taken after they came back found them
        already; one taken before, and applied after, did not, so they are added to it."""
        counted = self.counted_at.get(warehouse)
        if at is not None and counted is not None and at <= counted:
            return
        self.on_hand[warehouse] = self.on_hand.get(warehouse, 0) + quantity
        if at is not None:
            self._departed(warehouse, at, -quantity)

    @event("Shipped")
    def ship(self, warehouse: str, quantity: int, held: int, at: datetime | None = None) -> None:
        """Units that left with a shipment at `at`: off the shelf, and the `held` of them
        that an order's reservation held, off the reserved total. A later count then agrees.
        Units that left before the count on hand rests on was taken are not on the shelf it
        found: only their hold goes. (`at` is None in events that did not say when.)"""
        counted = self.counted_at.get(warehouse)
        before_count = at is not None and counted is not None and at <= counted
        if not before_count:
            self.on_hand[warehouse] = max(0, self.on_hand.get(warehouse, 0) - quantity)
        self.reserved[warehouse] = max(0, self.reserved.get(warehouse, 0) - held)
        if at is not None and not before_count:
            self._departed(warehouse, at, quantity)

    def _departed(self, warehouse: str, at: datetime, quantity: int) -> None:
        """Keep `quantity` units that left at `at` (negative: came back) for a count taken
        before then that arrives later, as far back as DEPARTURES_KEPT."""
        kept = self.departures.get(warehouse, [])
        latest = max(at, kept[-1][0]) if kept else at
        kept = [(t, q) for t, q in kept if t >= latest - DEPARTURES_KEPT]
        self.departures[warehouse] = sorted([*kept, (at, quantity)])

    @event("Corrected")
    def correct(self, warehouse: str, reserved: int, by: str | None = None) -> None:
        """Reconciliation: the reserved total recomputed from the reservations."""
        self.reserved[warehouse] = reserved
        self.changed_by = by

    # Events of the single-warehouse version, kept so stored histories still load.
    @event("LevelSet")
    def set_level(self, on_hand: int) -> None:
        self.on_hand[DEFAULT_WAREHOUSE] = on_hand

    @event("Reserved")
    def _reserve(self, order_id: str, quantity: int) -> None:
        self.reserved[DEFAULT_WAREHOUSE] = self.reserved.get(DEFAULT_WAREHOUSE, 0) + quantity


class Reservation(Aggregate):
    """An order's claim on stock: all lines or none, held until released."""

    @staticmethod
    def create_id(order_id: str) -> uuid.UUID:
        return stable_id(NAMESPACE, f"reservation/{order_id}")

    @event("Opened")
    def __init__(self, order_id: str, settled_by: str | None = None):
        self.order_id = order_id
        self.lines: dict[str, int] = {}  # what the order wants, per SKU
        self.holds: list[list[str | int]] = []  # [sku, warehouse, quantity] while reserved
        self.reserved = False
        self.attempts = 0
        self.times_held = 0  # names each hold, so an expiry releases only the one it saw
        self.settled = settled_by is not None  # paid, cash on delivery or released: no expiry
        self.cancelled = False
        self.released_for: str | None = None
        self.returns: list[str] = []
        self.shipments: list[str] = []  # shipments whose units left, each taken once
        self.sent_back: list[str] = []  # shipments returned to sender, each restocked once
        # What each of them brought back ([sku, warehouse, quantity]), to send it again;
        # parcels noted before the lines were kept have none.
        self.came_back: dict[str, list[list[str | int]]] = {}
        # Parcels asked to go again before we saw them come back: the latest request's
        # number, by parcel.
        self.reship_attempts: dict[str, int] = {}
        self.reheld: list[str] = []  # returned parcels whose units are held again, once each
        self.channel: str | None = None  # the order's sales channel: its hold's time to live

    @property
    def held(self) -> list[Hold]:
        return [(str(s), str(w), int(q)) for s, w, q in self.holds]

    def held_of(self, sku: str, warehouse: str) -> int:
        return sum(q for s, w, q in self.held if (s, w) == (sku, warehouse))

    def came_back_with(self, shipment_id: str) -> list[Hold] | None:
        """The lines a parcel returned to sender brought back; None when it was noted before
        they were kept (or has not come back)."""
        lines = self.came_back.get(shipment_id)
        return None if lines is None else [(str(s), str(w), int(q)) for s, w, q in lines]

    @event("Held")
    def hold(
        self,
        lines: dict[str, int],
        holds: list[list[str | int]] | None = None,
        number: int = 1,
        expires: bool = False,
        channel: str | None = None,
    ) -> None:
        """`number` counts the order's holds, `expires` says whether this one may expire
        and `channel` (None in holds stored before it was kept) how soon, so the expiry
        sweep can tell from the stored event alone."""
        self.lines = lines
        self.channel = channel or self.channel
        # The single-warehouse version stored only `lines`: everything was held in main.
        self.holds = holds or [[s, DEFAULT_WAREHOUSE, q] for s, q in lines.items()]
        self.reserved = True
        self.attempts += 1
        self.times_held = number
        self.released_for = None

    @event("FellShort")
    def fall_short(
        self, missing: dict[str, list[int]], lines: dict[str, int] | None = None
    ) -> None:
        self.lines = lines or self.lines
        self.attempts += 1

    @event("Released")
    def release(self, reason: str) -> None:
        self.holds = []
        self.reserved = False
        self.released_for = reason

    @event("Shipped")
    def ship(self, shipment_id: str, taken: list[list[str | int]]) -> None:
        """`taken` ([sku, warehouse, quantity]) left with the shipment: no longer held. What
        other shipments of the order carry stays held until they leave."""
        going = by_warehouse((str(s), str(w), int(q)) for s, w, q in taken)
        kept: list[list[str | int]] = []
        for sku, warehouse, quantity in self.held:
            part = min(quantity, going.get(sku, {}).get(warehouse, 0))
            if part:
                going[sku][warehouse] -= part
            if quantity > part:
                kept.append([sku, warehouse, quantity - part])
        self.holds = kept
        self.shipments.append(shipment_id)

    @event("Cancelled")
    def cancel(self) -> None:
        self.cancelled = True

    @event("Settled")
    def settle(self, why: str) -> None:
        self.settled = True

    @event("Returned")
    def note_return(self, return_id: str) -> None:
        self.returns.append(return_id)

    @event("SentBack")
    def note_sent_back(self, shipment_id: str, lines: list[list[str | int]] | None = None) -> None:
        """`lines` ([sku, warehouse, quantity]) came back on the shelf, kept so the parcel
        can be sent again; None in events stored before they were kept."""
        self.sent_back.append(shipment_id)
        if lines is not None:
            self.came_back[shipment_id] = [list(line) for line in lines]

    @event("ReshipAsked")
    def ask_reship(self, shipment_id: str, attempt: int = 1) -> None:
        """Asked to send a parcel again before its return reached us (the two travel on
        different topics): acted on when it does, answering request number `attempt`."""
        self.reship_attempts = {**self.reship_attempts, shipment_id: attempt}

    @event("Reheld")
    def rehold(self, shipment_id: str, holds: list[list[str | int]]) -> None:
        """A returned parcel's units held again, beside whatever the order still holds, until
        the parcel sent in its place leaves (`ship`) or the order is cancelled (`release`).
        An event of its own, not Held: the expiry sweep follows Held, and an order whose
        parcel already went out once must not lose its second one to a timer."""
        self.holds = [*self.holds, *([s, w, q] for s, w, q in holds)]
        self.reheld.append(shipment_id)


def as_utc(at: datetime) -> datetime:
    """A time without a zone is UTC (as carriers and warehouses that omit it mean)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def wanted(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Quantities per SKU; an order may list one SKU on several lines."""
    totals: dict[str, int] = {}
    for sku, quantity in lines:
        totals[sku] = totals.get(sku, 0) + quantity
    return totals


def allocate(stock: Stock, quantity: int, preference: Sequence[str]) -> dict[str, int] | None:
    """Where to take `quantity` from: the first preferred warehouse that covers it all, else
    split across warehouses in order of preference; None when together they fall short."""
    order = stock.warehouses(preference)
    for warehouse in order:
        if stock.available(warehouse) >= quantity:
            return {warehouse: quantity}
    parts: dict[str, int] = {}
    left = quantity
    for warehouse in order:
        part = min(left, stock.available(warehouse))
        if part > 0:
            parts[warehouse] = part
            left -= part
    return parts if left == 0 else None


def by_warehouse(holds: Iterable[Hold]) -> dict[str, dict[str, int]]:
    """Holds grouped as sku -> warehouse -> quantity."""
    grouped: dict[str, dict[str, int]] = {}
    for sku, warehouse, quantity in holds:
        parts = grouped.setdefault(sku, {})
        parts[warehouse] = parts.get(warehouse, 0) + quantity
    return grouped


def total_available(stock: Stock | None, preference: Sequence[str] = ()) -> int:
    return sum(stock.available(w) for w in stock.warehouses(preference)) if stock else 0


def totals(levels: Mapping[str, int]) -> int:
    return sum(levels.values())
