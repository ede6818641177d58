"""The Docker path (ORDO_TESTCONTAINERS=1): the same servers as containers, for machines
that have a Docker engine and want a stock Kafka and PostgreSQL instead of the embedded ones."""

from __future__ import annotations

from contextlib import ExitStack

from ordo_devstack._net import free_port

KAFKA_IMAGE = "apache/kafka:3.9.1"
POSTGRES_IMAGE = "postgres:17-alpine"


def start_kafka_container(exits: ExitStack) -> str:
    """apache/kafka, single node in KRaft mode. testcontainers' own KafkaContainer drives
    Confluent's start-up scripts, so the official image runs as a plain container: its
    listener is bound to a free host port chosen first, because clients must be told
    (advertised) the address they reach it by."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    host_port = free_port()
    container = (
        DockerContainer(KAFKA_IMAGE)
        .with_bind_ports(9092, host_port)
        .with_envs(
            KAFKA_NODE_ID="1",
            KAFKA_PROCESS_ROLES="broker,controller",
            KAFKA_LISTENERS="PLAINTEXT://:9092,CONTROLLER://:9093",
            KAFKA_ADVERTISED_LISTENERS=f"PLAINTEXT://127.0.0.1:{host_port}",
            KAFKA_CONTROLLER_LISTENER_NAMES="CONTROLLER",
            KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            KAFKA_CONTROLLER_QUORUM_VOTERS="1@localhost:9093",
            KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR="1",
            KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR="1",
            KAFKA_TRANSACTION_STATE_LOG_MIN_ISR="1",
            KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS="0",
            KAFKA_AUTO_CREATE_TOPICS_ENABLE="false",
        )
    )
    exits.enter_context(container)
    wait_for_logs(container, "Kafka Server started", timeout=120)
    return f"127.0.0.1:{host_port}"


def start_postgres_container(exits: ExitStack, max_connections: int) -> str:
    from testcontainers.community.postgres import PostgresContainer

    container = PostgresContainer(POSTGRES_IMAGE, driver=None)
    container.with_command(f"postgres -c max_connections={max_connections}")
    exits.enter_context(container)
    return str(container.get_connection_url())
