"""The orjson transcoder writes what the library's own decoder reads back unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

from ordo_runtime.transcoder import FastJSONTranscoder


def transcoders() -> tuple[JSONTranscoder, FastJSONTranscoder]:
    app = Application[UUID]()
    library, fast = JSONTranscoder(), FastJSONTranscoder()
    app.register_transcodings(library)
    app.register_transcodings(fast)
    return library, fast


def test_it_writes_the_librarys_json_for_every_kind_of_state() -> None:
    library, fast = transcoders()
    state = {
        "timestamp": datetime(2026, 11, 23, 14, 0, tzinfo=UTC),
        "amount": Decimal("19.90"),  # exact: not turned into a float
        "parts": {"main": 2, 3: "int keys become strings, as json does"},
        "lines": [["SKU-1", 2], ["SKU-2", 1]],
        "name": "Żaneta Wójcik",
        "none": None,
        "flag": True,
    }
    assert fast.encode(state) == library.encode(state)
    decoded = library.decode(fast.encode(state))
    assert isinstance(decoded["amount"], Decimal)
    assert decoded["amount"] == Decimal("19.90")
    assert decoded["timestamp"] == state["timestamp"]
    assert decoded["parts"] == {"main": 2, "3": "int keys become strings, as json does"}
