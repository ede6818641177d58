"""Bringing Ordo up: the stack, the topics, every service as its own process, all ready."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from ordo_cli import state
from ordo_cli.signals import shielded
from ordo_cli.supervisor import ServiceSpec, Supervisor
from ordo_devstack import Stack, ensure_topics, start_stack
from ordo_devstack.priority import MAX_NICE

SERVICES = (
    "ingestion",
    "validation",
    "inventory",
    "payment",
    "fulfillment",
    "ticketing",
    "notification",
)
FIRST_PORT = 8001
# CPU priority (nice) by service, on a machine the services share. Customer email is told
# after the order moves on, not before: under a peak notification waits for the pipeline
# (a burst of 5000 orders: ~25% faster to release, its last email about as late; README,
# Performance). Override with ORDO_<SERVICE>_NICE; 0 for all the same.
NICE = {"notification": 5}
# The roles of ordo_runtime.auth (the CLI does not depend on the runtime); the operator's
# token shows what market scoping does: it sees Polish orders only.
DEV_ROLES = ("manager", "operator", "seller", "viewer")
DEV_MARKETS = ("PL",)
RUN_DIR = state.STATE_DIR / "run"


class AlreadyRunning(RuntimeError):
    pass


@dataclass
class Running:
    stack: Stack
    supervisor: Supervisor
    urls: dict[str, str]
    run_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)  # role -> API token of this run

    def info(self, pid: int) -> state.StackInfo:
        return state.StackInfo(
            pid=pid,
            kafka_bootstrap=self.stack.kafka_bootstrap,
            database_url=self.stack.database_url,
            smtp=f"{self.stack.smtp_host}:{self.stack.smtp_port}",
            run_dir=str(self.run_dir),
            services=self.urls,
            tokens=self.tokens,
        )


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            # All interfaces, as the services bind them: 127.0.0.1 alone can look free.
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def pick_ports(names: Sequence[str], first: int = FIRST_PORT) -> dict[str, int]:
    """The usual ports (8001, 8002, ... in service order) where free, any free port otherwise."""
    ports: dict[str, int] = {}
    for i, name in enumerate(names):
        port = first + i
        if not port_free(port):
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
        ports[name] = port
    return ports


def dev_tokens() -> dict[str, dict[str, object]]:
    """A fresh API token per role, as ORDO_TOKENS takes them."""
    tokens: dict[str, dict[str, object]] = {}
    for role in DEV_ROLES:
        entry: dict[str, object] = {"name": f"dev-{role}", "role": role}
        if role == "operator":
            entry["markets"] = list(DEV_MARKETS)
        tokens[secrets.token_urlsafe(24)] = entry
    return tokens


def service_specs(
    stack: Stack, ports: Mapping[str, int], tokens: Mapping[str, object] | None = None
) -> list[ServiceSpec]:
    env = stack.env()
    specs = []
    for name, port in ports.items():
        service_env = {
            "KAFKA_BOOTSTRAP_SERVERS": env["KAFKA_BOOTSTRAP_SERVERS"],
            "DATABASE_URL": env["DATABASE_URL"],
            "HTTP_PORT": str(port),
            "OTEL_SERVICE_NAME": name,
        }
        if tokens:
            service_env["ORDO_TOKENS"] = json.dumps(tokens)
        if name == "notification":
            service_env |= {"SMTP_HOST": env["SMTP_HOST"], "SMTP_PORT": env["SMTP_PORT"]}
        argv = [sys.executable, "-m", f"ordo_{name}"]
        specs.append(ServiceSpec(name, argv, port, service_env, nice_of(name)))
    return specs


def nice_of(service: str, environ: Mapping[str, str] | None = None) -> int:
    """The CPU priority a service runs at: ORDO_<SERVICE>_NICE (0 to MAX_NICE), else NICE's."""
    name = f"ORDO_{service.upper()}_NICE"
    text = (os.environ if environ is None else environ).get(name)
    if text is None:
        return NICE.get(service, 0)
    try:
        nice = int(text)
    except ValueError:
        raise ValueError(
            f"{name} must be a whole number from 0 to {MAX_NICE}, not {text!r}"
        ) from None
    if not 0 <= nice <= MAX_NICE:
        raise ValueError(f"{name} must be from 0 to {MAX_NICE}, not {nice}")
    return nice


@contextmanager
def running(
    console: Console,
    run_dir: Path = RUN_DIR,
    *,
    environ: Mapping[str, str] | None = None,
    services: Sequence[str] = SERVICES,
    ready_timeout: float = 90.0,
    grace: float = 15.0,
    publish: bool = True,
) -> Iterator[Running]:
    """Ordo up, for the duration of the block; everything is stopped on the way out.
    `publish` writes .ordo/stack.json so other `ordo` commands find this run."""
    if publish and (other := state.load()) is not None:
        raise AlreadyRunning(f"ordo is already up (pid {other.pid}); stop it first")
    # Last run's mailbox and broker log would only confuse: this run starts empty.
    shutil.rmtree(run_dir / "stack", ignore_errors=True)
    with console.status("starting Kafka (Tansu), PostgreSQL and SMTP"):
        stack = start_stack(run_dir / "stack", environ=environ)
    supervisor = Supervisor(run_dir)
    try:
        asyncio.run(ensure_topics(stack.kafka_bootstrap, most=stack.most_partitions))
        # Fresh tokens every run, one per role, so the API is never open and nothing lingers.
        tokens = dev_tokens()
        specs = service_specs(stack, pick_ports(services), tokens)
        for spec in specs:
            supervisor.start(spec)
        if stack.watchdog is not None:
            # Were this process killed, the watchdog would stop the services before the
            # servers, as below; the services stop by themselves too (ORDO_PARENT_PID), but
            # that alone would race the servers' stopping.
            stack.watchdog.stop_processes(supervisor.pids().values(), grace)
        console.print(f"service logs: {run_dir}/<service>.log")
        with console.status(f"waiting for {len(specs)} services to answer /ready"):
            supervisor.wait_ready(ready_timeout)
        by_role = {str(entry["role"]): token for token, entry in tokens.items()}
        ordo = Running(stack, supervisor, {s.name: s.url for s in specs}, run_dir, by_role)
        if publish:
            state.write(ordo.info(pid=os.getpid()))
        yield ordo
    finally:
        with shielded(), console.status("stopping services, then the stack"):
            if publish:
                state.remove()
            supervisor.stop(grace)
            stack.close()
