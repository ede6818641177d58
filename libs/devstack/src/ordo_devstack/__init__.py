"""Embedded real servers for trying and testing Ordo: Tansu (Kafka protocol), PostgreSQL, SMTP.

Importable, never run on its own: `start_stack()` gives a `Stack` whose `env()` is what Ordo's
services read; `ensure_topics()` creates the topic registry's topics on a broker.
"""

from ordo_devstack.kafka import EmbeddedKafka, ensure_topics, wait_for_kafka
from ordo_devstack.postgres import EmbeddedPostgres
from ordo_devstack.priority import lower_priority
from ordo_devstack.smtp import EmbeddedSmtp, Mail, Mailbox
from ordo_devstack.stack import Stack, start_stack

__all__ = [
    "EmbeddedKafka",
    "EmbeddedPostgres",
    "EmbeddedSmtp",
    "Mail",
    "Mailbox",
    "Stack",
    "ensure_topics",
    "lower_priority",
    "start_stack",
    "wait_for_kafka",
]
