"""The read model's tables and the batch statements that fill them (see projection.py)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS order_events (
    seq bigserial PRIMARY KEY,
    event_id text NOT NULL UNIQUE,
    order_id text NOT NULL,
    type text NOT NULL,
    time timestamptz NOT NULL,
    source text NOT NULL,
    headers jsonb NOT NULL,
    data jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS order_events_by_order ON order_events (order_id, time);
CREATE TABLE IF NOT EXISTS orders (
    order_id text PRIMARY KEY,
    channel text,
    external_id text,
    status text NOT NULL,
    updated_at timestamptz NOT NULL,
    -- OrderState's status fields, so a batch moves an order on without refolding its history
    received boolean NOT NULL DEFAULT false,
    rejected boolean NOT NULL DEFAULT false,
    validated boolean,
    reserved boolean,
    payment text NOT NULL DEFAULT 'pending',
    released boolean NOT NULL DEFAULT false,
    open_tickets text[] NOT NULL DEFAULT '{}',
    notified text[] NOT NULL DEFAULT '{}',
    UNIQUE (channel, external_id)
);
CREATE INDEX IF NOT EXISTS orders_by_status ON orders (status, updated_at DESC);
CREATE TABLE IF NOT EXISTS tickets (
    ticket_id text PRIMARY KEY,
    order_id text NOT NULL,
    reason text,
    stage text,
    severity text,
    status text NOT NULL DEFAULT 'open',
    instructions text,
    issues jsonb NOT NULL DEFAULT '[]',
    opened_at timestamptz,
    resolved_at timestamptz,
    resolved_by text,
    resolution text,
    correction jsonb
);
CREATE INDEX IF NOT EXISTS tickets_by_status ON tickets (status, opened_at DESC);
CREATE INDEX IF NOT EXISTS tickets_by_order ON tickets (order_id);
CREATE TABLE IF NOT EXISTS dead_letters (
    id text PRIMARY KEY,
    received_at timestamptz NOT NULL,
    reason text,
    service text,
    origin text,
    type text,
    key text,
    value text NOT NULL,
    headers jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_by_time ON dead_letters (received_at DESC);
-- Added for the operator console; ADD COLUMN so a read model kept from before still works.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS cancelled boolean NOT NULL DEFAULT false;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS shipments text NOT NULL DEFAULT '[]';
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS channel text;
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS market text;
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS assignee text;
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS sla_due timestamptz;
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS details jsonb NOT NULL DEFAULT '{}';
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS changed_by text;
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS subject text;
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS payload bytea;
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS retries int NOT NULL DEFAULT 0;
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS retried_at timestamptz;
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS retried_by text;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS market text;
"""

INSERT_EVENTS = """
INSERT INTO order_events (event_id, order_id, type, time, source, headers, data)
SELECT e, o, t, tm, s, h::jsonb, d::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
            $7::text[]) AS u(e, o, t, tm, s, h, d)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""

SELECT_ORDER_STATES = """
SELECT order_id, received, rejected, validated, reserved, payment, released, open_tickets, notified,
       cancelled, shipments
FROM orders WHERE order_id = ANY($1)
"""

# Ticket and notification sets arrive as JSON arrays: unnest cannot take a ragged text[][].
UPSERT_ORDERS = """
INSERT INTO orders (order_id, channel, external_id, status, updated_at, received, rejected,
                    validated, reserved, payment, released, open_tickets, notified, cancelled,
                    shipments, market)
SELECT o, c, x, s, u, rc, rj, v, rs, p, rl,
       ARRAY(SELECT jsonb_array_elements_text(ot::jsonb)),
       ARRAY(SELECT jsonb_array_elements_text(n::jsonb)), cn, sh, m
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::boolean[],
            $7::boolean[], $8::boolean[], $9::boolean[], $10::text[], $11::boolean[], $12::text[],
            $13::text[], $14::boolean[], $15::text[], $16::text[]) AS t(o, c, x, s, u, rc, rj, v,
                                                                      rs, p, rl, ot, n, cn, sh, m)
ON CONFLICT (order_id) DO UPDATE SET
    channel = COALESCE(EXCLUDED.channel, orders.channel),
    market = COALESCE(EXCLUDED.market, orders.market),
    external_id = COALESCE(EXCLUDED.external_id, orders.external_id),
    status = EXCLUDED.status,
    updated_at = GREATEST(EXCLUDED.updated_at, orders.updated_at),
    received = EXCLUDED.received, rejected = EXCLUDED.rejected, validated = EXCLUDED.validated,
    reserved = EXCLUDED.reserved, payment = EXCLUDED.payment, released = EXCLUDED.released,
    open_tickets = EXCLUDED.open_tickets, notified = EXCLUDED.notified,
    cancelled = EXCLUDED.cancelled, shipments = EXCLUDED.shipments
"""

UPSERT_OPENED = """
INSERT INTO tickets (ticket_id, order_id, reason, stage, severity, instructions, issues, opened_at,
                     channel, market, sla_due, details)
SELECT i, o, r, st, sv, ins, iss::jsonb, t, ch, mk, due, d::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::timestamptz[], $9::text[], $10::text[], $11::timestamptz[], $12::text[])
     AS u(i, o, r, st, sv, ins, iss, t, ch, mk, due, d)
ON CONFLICT (ticket_id) DO UPDATE SET
    reason = EXCLUDED.reason, stage = EXCLUDED.stage, severity = EXCLUDED.severity,
    instructions = EXCLUDED.instructions, issues = EXCLUDED.issues, opened_at = EXCLUDED.opened_at,
    channel = EXCLUDED.channel, market = EXCLUDED.market, sla_due = EXCLUDED.sla_due,
    details = EXCLUDED.details
"""

# A batch's assignments, holds, releases and cancellations, folded per ticket in Python first
# (projection.py, `fold_change`). 'assign' and 'released' depend on the row: an assignment
# keeps a held ticket on hold, a release goes back to assigned or open by the assignee.
# An UPDATE: the ticket's TicketOpened came before them on the same partition.
UPDATE_CHANGES = """
UPDATE tickets SET
    assignee = COALESCE(u.a, tickets.assignee),
    changed_by = u.b,
    status = CASE
        WHEN tickets.status IN ('resolved', 'cancelled') THEN tickets.status
        WHEN u.s = 'assign' AND tickets.status = 'on_hold' THEN 'on_hold'
        WHEN u.s = 'assign' THEN 'assigned'
        WHEN u.s = 'released' AND COALESCE(u.a, tickets.assignee) IS NULL THEN 'open'
        WHEN u.s = 'released' THEN 'assigned'
        ELSE u.s END
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(i, s, a, b)
WHERE tickets.ticket_id = u.i
"""

UPSERT_RESOLVED = """
INSERT INTO tickets (ticket_id, order_id, status, resolved_by, resolution, resolved_at)
SELECT i, o, 'resolved', b, r, t
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS u(i, o, b, r, t)
ON CONFLICT (ticket_id) DO UPDATE SET
    status = 'resolved', resolved_by = EXCLUDED.resolved_by,
    resolution = EXCLUDED.resolution, resolved_at = EXCLUDED.resolved_at
"""

UPSERT_CORRECTIONS = """
INSERT INTO tickets (ticket_id, order_id, correction)
SELECT i, o, c::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS u(i, o, c)
ON CONFLICT (ticket_id) DO UPDATE SET correction = EXCLUDED.correction
"""

INSERT_DEAD_LETTERS = """
INSERT INTO dead_letters (id, received_at, reason, service, origin, type, key, value, headers,
                          subject, payload)
SELECT i, t, r, s, o, ty, k, v, h::jsonb, sb, pl
FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::text[], $10::text[], $11::bytea[])
     AS u(i, t, r, s, o, ty, k, v, h, sb, pl)
ON CONFLICT (id) DO NOTHING
"""

# A ticket opened before ticketing had the order (its failure overtook OrderReceived on
# another topic) carries no market, and an operator scoped to markets would never see it:
# it takes the order's market and channel once the read model knows them. It returns what
# the ticket's instructions were rendered from, to render them again with the order
# (UPDATE_INSTRUCTIONS): they could not name the customer.
FILL_TICKET_MARKETS = """
UPDATE tickets t SET market = o.market, channel = COALESCE(t.channel, o.channel)
FROM orders o
WHERE t.order_id = o.order_id AND t.order_id = ANY($1)
  AND t.market IS NULL AND o.market IS NOT NULL
RETURNING t.ticket_id, t.order_id, t.reason, t.issues, t.details
"""

UPDATE_INSTRUCTIONS = """
UPDATE tickets SET instructions = u.ins
FROM unnest($1::text[], $2::text[]) AS u(i, ins)
WHERE tickets.ticket_id = u.i
"""
