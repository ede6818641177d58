"""Settings every service reads from its environment."""

from __future__ import annotations

from typing import Literal
from urllib.parse import parse_qs, urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # A PostgreSQL *server*; each service keeps its own database on it (ordo_<service>).
    database_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    service_database: str | None = None
    http_host: str = "0.0.0.0"
    http_port: int = 8000
    # Batching: consume up to batch_max records per partition fetch, one transaction per batch.
    # Bench, two alternating pairs of 4000 orders each way: 300 and 4000 both cost 0.4-1.1 ms
    # more CPU per order (all but the SMTP sink) than 1000, and gave 4-14% less throughput.
    batch_max: int = 1000
    kafka_commit_interval_s: float = 1.0
    # A fetch returns as soon as it has a record, else after fetch_wait_ms (aiokafka's own
    # defaults). Every fetch costs the broker for each partition it covers, records or not:
    # Tansu spends ~130 us a partition, so nine idle consumer groups polling 48 partitions
    # every 100 ms kept it at ~60% of a core; every 500 ms, ~13%. Under a burst the records
    # arrive anyway, and a fetch waiting for 64 KiB (as this did) only cost more fetches of
    # the quiet topics. Bench, 4000 orders, two alternating pairs against 100 ms and 64 KiB:
    # broker CPU 0.41 instead of 0.77 ms an order, all but the SMTP sink 7.25 instead of
    # 8.36 ms; paced latency the same (p50 567/752 against 591/643 ms).
    fetch_wait_ms: int = 500
    fetch_min_bytes: int = 1
    producer_linger_ms: int = 5
    relay_batch: int = 1000
    # Local writes wake the relay at once; this poll only catches other replicas' writes.
    relay_idle_ms: int = 250
    aggregate_cache_size: int = 20000
    # How long a stopping service lets its jobs finish what they hold (stopping.wind_down).
    shutdown_grace_s: float = 5.0
    # The supervisor that started this process (`ordo up`): stop once it has gone.
    ordo_parent_pid: int | None = None
    # API tokens (see ordo_runtime.auth): JSON {"<token>": {"name", "role", "markets"}}, or a
    # file of it. Without tokens the HTTP API refuses to start unless ORDO_AUTH=disabled.
    ordo_tokens: str | None = None
    ordo_tokens_file: str | None = None
    ordo_auth: Literal["enabled", "disabled"] = "enabled"


def database_params(url: str, dbname: str) -> dict[str, str]:
    """Turn DATABASE_URL into the eventsourcing library's POSTGRES_* settings for `dbname`."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    host = query.get("host") or parts.hostname or "127.0.0.1"
    return {
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(query.get("port") or parts.port or 5432),
        "POSTGRES_USER": parts.username or query.get("user") or "postgres",
        "POSTGRES_PASSWORD": parts.password or query.get("password") or "",
        "POSTGRES_DBNAME": dbname,
    }


def with_database(url: str, dbname: str) -> str:
    """The same server URL, pointing at another database."""
    parts = urlsplit(url)
    return parts._replace(path=f"/{dbname}").geturl()
