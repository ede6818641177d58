"""The Docker path (ORDO_TESTCONTAINERS=1): the same servers as containers, for machines
that have a Docker engine and want a stock Kafka and PostgreSQL instead of the embedded ones."""

from __future__ import annotations

from contextlib import ExitStack

# testcontainers' KafkaContainer drives Confluent's image start-up scripts, so it needs a
# Confluent image (KRaft mode, no ZooKeeper); apache/kafka lacks those scripts.
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"
POSTGRES_IMAGE = "postgres:17-alpine"


def start_kafka_container(exits: ExitStack) -> str:
    from testcontainers.community.kafka import KafkaContainer

    container = KafkaContainer(KAFKA_IMAGE).with_kraft()
    exits.enter_context(container)
    return str(container.get_bootstrap_server())


def start_postgres_container(exits: ExitStack, max_connections: int) -> str:
    from testcontainers.community.postgres import PostgresContainer

    container = PostgresContainer(POSTGRES_IMAGE, driver=None)
    container.with_command(f"postgres -c max_connections={max_connections}")
    exits.enter_context(container)
    return str(container.get_connection_url())
