"""Who is calling, and may they: bearer tokens, roles, and the permission each route needs.

Every service's HTTP API is guarded by one ASGI middleware (`secure`) that Runtime installs:
it turns the `Authorization: Bearer <token>` header into a `Principal`, answers 401 for a
missing or unknown token and 403 for a role without the route's permission. Routes read the
caller with `caller(request)` (who did it, which markets they see, whether they see customer
data) and never take "who" from a request body.

Tokens come from settings: ORDO_TOKENS (JSON) or ORDO_TOKENS_FILE (a JSON file), each
`{"<token>": {"name": "ana", "role": "operator", "markets": ["PL"]}}`. Only their SHA-256
digests are kept. With no tokens a service refuses to start unless ORDO_AUTH=disabled.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# Permissions. A route names the one it needs; a role is the set it holds.
ORDERS_CREATE = "orders:create"  # submit an order (ingestion's intake)
ORDERS_READ = "orders:read"  # read orders and their history
TICKETS_READ = "tickets:read"
TICKETS_ACT = "tickets:act"  # resolve tickets, correct orders
CUSTOMER_DATA = "customer:read"  # see names, emails, phones, addresses, tax ids unmasked
READ = "read"  # any other read (stock, metrics)
RAW_READ = "raw:read"  # records as received (dead letters): kept byte for byte, not masked
MANAGE = "manage"  # any other change (stock levels, refunds, ...)
PERMISSIONS = frozenset(
    {ORDERS_CREATE, ORDERS_READ, TICKETS_READ, TICKETS_ACT, CUSTOMER_DATA, READ, RAW_READ, MANAGE}
)

ROLES: Mapping[str, frozenset[str]] = {
    "manager": PERMISSIONS,
    "operator": frozenset({ORDERS_READ, TICKETS_READ, TICKETS_ACT, CUSTOMER_DATA}),
    "seller": frozenset({ORDERS_CREATE}),
    "viewer": frozenset({ORDERS_READ, TICKETS_READ, READ}),
}
# Roles that must be given markets: an operator with none would silently see nothing.
SCOPED_ROLES = frozenset({"operator"})

# The only requests served without a token, in one place: Kubernetes probes, the public
# parcel tracking page, channel webhooks, which prove themselves by their HMAC signature, and
# the operator console's empty shell (a browser cannot send a token when it opens a page;
# the shell then fetches every piece of data with the operator's token).
PUBLIC = (
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/track/**"),
    ("POST", "/channels/*/orders"),
    ("GET", "/console"),
)

# Routes whose permission is not their method's default (GET: READ, anything else: MANAGE),
# by path; "*" matches one path segment, a trailing "/**" any rest. A route may instead name
# its own with `openapi_extra=needs(PERMISSION)`, which wins over this table.
ROUTE_PERMISSIONS: tuple[tuple[str, str, str], ...] = (
    ("POST", "/orders", ORDERS_CREATE),
    ("GET", "/orders", ORDERS_READ),
    ("GET", "/orders/**", ORDERS_READ),
    ("GET", "/tickets", TICKETS_READ),
    ("GET", "/tickets/**", TICKETS_READ),
    ("POST", "/tickets/**", TICKETS_ACT),
    ("POST", "/orders/*/corrections", TICKETS_ACT),
    ("GET", "/queue", TICKETS_READ),
    ("GET", "/console/**", TICKETS_READ),
    # Refused orders: their payloads are masked by key name (masking.mask_raw) for callers
    # without the customer-data permission.
    ("GET", "/rejections", ORDERS_READ),
    ("GET", "/rejections/**", ORDERS_READ),
    ("GET", "/deadletters", RAW_READ),
    ("GET", "/deadletters/**", RAW_READ),
)
PERMISSION_KEY = "x-ordo-permission"


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    markets: frozenset[str] | None  # None: every market
    permissions: frozenset[str]

    @classmethod
    def of(cls, name: str, role: str, markets: Iterable[str] | None = None) -> Principal:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
        scope = None if markets is None else frozenset(m.upper() for m in markets)
        if role in SCOPED_ROLES and not scope:
            raise ValueError(f"{name!r}: an {role} needs the markets they work on")
        return cls(name, role, scope, ROLES[role])

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def sees(self, market: str | None) -> bool:
        """Whether this caller may see an order of `market` (None: not known yet)."""
        return self.markets is None or (market is not None and market.upper() in self.markets)

    @property
    def sees_customer_data(self) -> bool:
        return self.can(CUSTOMER_DATA)


# The caller of an app Runtime never secured: one under test on an in-process transport.
LOCAL = Principal("local", "manager", None, PERMISSIONS)
# The caller when auth is switched off (ORDO_AUTH=disabled): everything, named as such.
ANONYMOUS = Principal("anonymous", "manager", None, PERMISSIONS)


class Authenticator:
    """Token digests -> principals; `disabled` lets every request in as ANONYMOUS."""

    def __init__(self, principals: Mapping[str, Principal], *, disabled: bool = False):
        self.disabled = disabled
        self._digests = [(_digest(token), who) for token, who in principals.items()]

    @classmethod
    def from_config(cls, tokens: Mapping[str, Mapping[str, Any]]) -> Authenticator:
        principals = {}
        for token, entry in tokens.items():
            if len(token) < 16:
                raise ValueError(f"token of {entry.get('name')!r} is shorter than 16 characters")
            markets = entry.get("markets")
            principals[token] = Principal.of(str(entry["name"]), str(entry["role"]), markets)
        return cls(principals)

    @classmethod
    def from_settings(cls, settings: Any) -> Authenticator:
        """From ORDO_AUTH, ORDO_TOKENS and ORDO_TOKENS_FILE; refuses to run unguarded."""
        if settings.ordo_auth == "disabled":
            return cls({}, disabled=True)
        tokens: dict[str, Any] = {}
        if settings.ordo_tokens_file:
            tokens |= json.loads(Path(settings.ordo_tokens_file).read_text())
        if settings.ordo_tokens:
            tokens |= json.loads(settings.ordo_tokens)
        if not tokens:
            raise NoTokensError(
                "no API tokens configured: set ORDO_TOKENS or ORDO_TOKENS_FILE "
                '({"<token>": {"name": ..., "role": ..., "markets": [...]}}), '
                "or ORDO_AUTH=disabled to serve the API without authentication"
            )
        return cls.from_config(tokens)

    def identify(self, authorization: str | None) -> Principal | None:
        if self.disabled:
            return ANONYMOUS
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        presented = _digest(token.strip())
        found = None
        for digest, who in self._digests:  # every entry, so timing says nothing of which
            if hmac.compare_digest(presented, digest):
                found = who
        return found


class NoTokensError(RuntimeError):
    pass


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def needs(permission: str) -> dict[str, Any]:
    """`@router.post(..., openapi_extra=needs(TICKETS_ACT))`: the route's own permission."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return {PERMISSION_KEY: permission}


def caller(request: Request) -> Principal:
    """Who is calling: set by the guard for every guarded request."""
    found: Principal | None = getattr(request.state, "principal", None)
    if found is not None:
        return found
    if getattr(request.app.state, "auth", None) is None:
        return LOCAL
    raise HTTPException(401, "authentication required", {"WWW-Authenticate": "Bearer"})


def require(request: Request, permission: str) -> Principal:
    """The caller, or a 403 naming the permission they lack (for checks inside a route)."""
    who = caller(request)
    if not who.can(permission):
        raise HTTPException(403, _forbidden(who, permission))
    return who


def _forbidden(who: Principal, permission: str) -> str:
    return f"{who.name} ({who.role}) lacks the permission {permission!r}"


def matches(pattern: str, path: str) -> bool:
    want, have = pattern.strip("/").split("/"), path.strip("/").split("/")
    if want[-1] == "**":
        return len(have) >= len(want) and all(
            w in ("*", h) for w, h in zip(want[:-1], have, strict=False)
        )
    return len(want) == len(have) and all(w in ("*", h) for w, h in zip(want, have, strict=True))


def is_public(method: str, path: str) -> bool:
    return any(method in (m, "HEAD") and matches(p, path) for m, p in PUBLIC)


def permission_for(app: Any, scope: Scope) -> str:
    """The route's own permission (`needs`), else the table's, else its method's default."""
    method, path = scope["method"], scope["path"]
    for rules in (declared(app), ROUTE_PERMISSIONS):
        for rule_method, pattern, permission in rules:
            if rule_method == method and matches(pattern, path):
                return permission
    return READ if method in ("GET", "HEAD", "OPTIONS") else MANAGE


def declared(app: Any) -> tuple[tuple[str, str, str], ...]:
    """Permissions routes name for themselves, read once from the app's OpenAPI document
    (which carries `openapi_extra` for included routers too), most specific path first."""
    state = getattr(app, "state", None)
    found: tuple[tuple[str, str, str], ...] | None = getattr(state, "declared_permissions", None)
    if found is not None:
        return found
    rules = []
    openapi = getattr(app, "openapi", None)
    for template, operations in (openapi()["paths"] if openapi else {}).items():
        pattern = "/".join("*" if part.startswith("{") else part for part in template.split("/"))
        for method, operation in operations.items():
            if isinstance(operation, dict) and PERMISSION_KEY in operation:
                rules.append((method.upper(), pattern, str(operation[PERMISSION_KEY])))
    found = tuple(sorted(rules, key=lambda rule: rule[1].count("*")))
    if state is not None:
        state.declared_permissions = found
    return found


class _Guard:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        owner = scope.get("app")
        auth: Authenticator | None = getattr(getattr(owner, "state", None), "auth", None)
        if scope["type"] != "http" or auth is None or is_public(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw = headers.get(b"authorization")
        who = auth.identify(raw.decode("latin-1") if raw else None)
        if who is None:
            challenge = 'Bearer realm="ordo"' + (', error="invalid_token"' if raw else "")
            detail = "unknown token" if raw else "a bearer token is required"
            response = JSONResponse(
                {"detail": detail}, 401, headers={"WWW-Authenticate": challenge}
            )
            await response(scope, receive, send)
            return
        permission = permission_for(owner, scope)
        if not who.can(permission):
            body = {"detail": _forbidden(who, permission), "permission": permission}
            await JSONResponse(body, 403)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = who
        await self.app(scope, receive, send)


def secure(app: FastAPI, auth: Authenticator | None) -> None:
    """Guard `app` with `auth` (None: unguarded again, for tests). The middleware is added
    once; the authenticator it uses can be swapped."""
    if not getattr(app.state, "guarded", False):
        app.add_middleware(_Guard)
        app.state.guarded = True
    app.state.auth = auth


def new_token() -> str:
    return secrets.token_urlsafe(24)


def dev_tokens(markets: Iterable[str] = ("PL", "DE", "CZ")) -> dict[str, dict[str, Any]]:
    """One fresh token per role, for a local stack (`ordo up`, the integration suite)."""
    return {
        new_token(): {"name": f"dev-{role}", "role": role}
        | ({"markets": sorted(markets)} if role in SCOPED_ROLES else {})
        for role in ROLES
    }
