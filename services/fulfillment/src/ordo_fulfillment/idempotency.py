"""Idempotency-Key on the routes that create (returns, complaints): a client retrying a
request whose answer it never saw (a timeout, a dropped connection) gets the first result
back instead of a second return or complaint.

The key and a fingerprint of the request body are stored with the record the request
created, in the same write; a key is scoped to its order, as the route is. Two requests
racing with one key meet as a version conflict on the order, and the retry finds the first.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel

from ordo_fulfillment.domain import ReleaseGate

Kind = Literal["return", "complaint"]
# Visible ASCII, at most 128 characters: enough for a UUID or a client's own scheme.
KEY_PATTERN = r"^[\x21-\x7e]{1,128}$"


class KeyReusedError(Exception):
    """The key was already used with a different body: not a retry, so neither replayed nor
    run; the message says what to do."""


def fingerprint(body: BaseModel) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def replayed(gate: ReleaseGate, kind: Kind, key: str | None, body: BaseModel) -> str | None:
    """The id of the return or complaint `key` already created for this very body; None when
    the key is new (or absent). A different body under a used key is refused."""
    if key is None:
        return None
    found = gate.keyed(kind, key)
    if found is None:
        return None
    first_id, first_print = found
    if first_print != fingerprint(body):
        raise KeyReusedError(
            f"Idempotency-Key {key!r} was already used for a different {kind} request on this"
            f" order ({kind} {first_id}); use a new key for a new request"
        )
    return first_id
