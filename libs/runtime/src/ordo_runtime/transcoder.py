"""The event store's transcoder: eventsourcing's JSON format, written by orjson.

Every aggregate event a handler triggers is encoded once, on the hot path of every service;
the library's transcoder does it with the standard json module, which was ~6% of a consumer's
time. orjson writes the same JSON (compact, UTF-8) and calls the library's registered
transcodings for what JSON has no type for (datetime, Decimal, dataclasses), so the records
read back through the library's own decoder unchanged.

One difference: orjson writes a UUID value as its plain string, where the library tags it,
so a UUID inside an aggregate event would read back as a str. Ordo's aggregate events carry
no UUID values (ids are strings; originator ids are columns, not state); keep it that way,
or register nothing new without a test that reads it back.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_OPTIONS |= orjson.OPT_NON_STR_KEYS  # as json does: int keys written as strings


class FastJSONTranscoder(JSONTranscoder):
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, default=self._encode_obj, option=_OPTIONS)
