"""Offline checks of the deployment artefacts against the system's fixed facts and the topic registry.

No Docker engine or cluster is needed: YAML is parsed, core kinds are checked against the
Kubernetes schemas bundled with kubernetes-validate, and the CRD documents (Strimzi, KEDA) and
compose.yaml are checked field by field.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from ordo_events.topics import ALL_TOPICS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BASE = DEPLOY / "k8s" / "base"
COMPOSE = DEPLOY / "compose" / "compose.yaml"
K8S_VERSION = "1.32"

# The facts every deployment must honour: HTTP port and consumed topics per service.
PORTS = {
    "ingestion": 8001,
    "validation": 8002,
    "inventory": 8003,
    "payment": 8004,
    "fulfillment": 8005,
    "ticketing": 8006,
    "notification": 8007,
}


def consumer_groups(name: str) -> dict[str, set[str]]:
    """What each of a service's consumer groups reads, taken from the service's own wiring."""
    service = importlib.import_module(f"ordo_{name}.app").service
    groups = {service.group: set(service.consumed_topics())}
    for projection in service.projections:
        groups[f"{service.group}-{projection.name}"] = {t.name for t in projection.topics}
    return groups


CONSUMES = {name: set().union(*consumer_groups(name).values()) for name in PORTS}
GROUPS = {name: set(consumer_groups(name)) for name in PORTS}
ENV = {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "HTTP_PORT", "OTEL_SERVICE_NAME"}
SMTP_ENV = {"SMTP_HOST", "SMTP_PORT", "SMTP_FROM"}
REGISTRY = {topic.name: topic.partitions for topic in ALL_TOPICS}

CRD_KINDS = {("kafka.strimzi.io/v1", "KafkaTopic"), ("keda.sh/v1alpha1", "ScaledObject")}
TOPIC_SPEC = {"topicName", "partitions", "replicas", "config"}
SCALED_OBJECT_SPEC = {
    "scaleTargetRef",
    "pollingInterval",
    "cooldownPeriod",
    "initialCooldownPeriod",
    "idleReplicaCount",
    "minReplicaCount",
    "maxReplicaCount",
    "fallback",
    "advanced",
    "triggers",
}
KAFKA_TRIGGER_METADATA = {
    "bootstrapServers",
    "consumerGroup",
    "topic",
    "lagThreshold",
    "activationLagThreshold",
    "offsetResetPolicy",
    "allowIdleConsumers",
    "scaleToZeroOnInvalidOffset",
    "excludePersistentLag",
    "limitToPartitionsWithLag",
    "version",
}


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


@functools.cache
def kustomization() -> dict[str, Any]:
    doc = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    assert isinstance(doc, dict)
    return doc


@functools.cache
def base_docs() -> list[dict[str, Any]]:
    return [doc for res in kustomization()["resources"] for doc in load_all(BASE / res)]


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in base_docs() if d["kind"] == kind}


def doc_id(doc: dict[str, Any]) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def core(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if (d["apiVersion"], d["kind"]) not in CRD_KINDS]


def compose_services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


def topic_job() -> str:
    (job,) = [n for n, s in compose_services().items() if "kafka-topics.sh" in str(s)]
    return job


# --- Every file --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", sorted(DEPLOY.rglob("*.yaml")), ids=lambda p: str(p.relative_to(DEPLOY))
)
def test_every_yaml_parses(path: Path) -> None:
    assert load_all(path), f"{path} holds no document"


def test_kustomization_lists_exactly_the_files_in_base() -> None:
    listed = kustomization()["resources"]
    on_disk = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert len(listed) == len(set(listed)), "a resource is listed twice"
    assert set(listed) == on_disk


# --- Kubernetes: core kinds against the bundled schemas ----------------------------------------


@pytest.mark.parametrize("doc", core(base_docs()), ids=doc_id)
def test_core_kind_validates_against_kubernetes_schema(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_kustomize_renders_the_same_resources_into_the_namespace() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    out = subprocess.run(
        [kubectl, "kustomize", str(BASE)], capture_output=True, text=True, check=True
    ).stdout
    rendered = [d for d in yaml.safe_load_all(out) if d]
    assert sorted(map(doc_id, rendered)) == sorted(map(doc_id, base_docs()))
    for doc in rendered:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "ordo", doc_id(doc)
    for doc in core(rendered):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


# --- Kubernetes: per service -------------------------------------------------------------------


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(only)


@pytest.mark.parametrize("name", PORTS)
def test_service_has_configmap_deployment_service_and_scaledobject(name: str) -> None:
    for kind in ("ConfigMap", "Deployment", "Service", "ScaledObject"):
        assert f"ordo-{name}" in by_kind(kind), f"no {kind} ordo-{name}"


@pytest.mark.parametrize("name", PORTS)
def test_deployment_runs_the_service_with_its_config_and_probes(name: str) -> None:
    config = by_kind("ConfigMap")[f"ordo-{name}"]["data"]
    deployment = by_kind("Deployment")[f"ordo-{name}"]
    c = container(deployment)
    assert c["command"] == ["python", "-m", f"ordo_{name}"]

    wanted = ENV - {"DATABASE_URL"} | (SMTP_ENV if name == "notification" else set())
    assert wanted <= config.keys()
    assert "DATABASE_URL" not in config, "the database URL holds a password: Secret only"
    assert config["HTTP_PORT"] == str(PORTS[name])
    assert config["OTEL_SERVICE_NAME"] == f"ordo-{name}"
    assert c["envFrom"] == [{"configMapRef": {"name": f"ordo-{name}"}}]
    (database_url,) = [e for e in c["env"] if e["name"] == "DATABASE_URL"]
    assert set(database_url["valueFrom"]["secretKeyRef"]) == {"name", "key"}

    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"http": PORTS[name]}
    assert c["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= c["resources"][kind].keys()

    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    service = by_kind("Service")[f"ordo-{name}"]["spec"]
    assert service["selector"].items() <= pod_labels.items()
    assert [p["targetPort"] for p in service["ports"]] == ["http"]


# --- Strimzi KafkaTopic ------------------------------------------------------------------------


def test_kafka_topics_are_exactly_the_registry() -> None:
    topics = by_kind("KafkaTopic")
    names = {t["spec"].get("topicName", name) for name, t in topics.items()}
    assert names == set(REGISTRY)
    assert len(names) == len(topics), "two KafkaTopics name the same topic"


@pytest.mark.parametrize("topic", by_kind("KafkaTopic").values(), ids=doc_id)
def test_kafka_topic_fields(topic: dict[str, Any]) -> None:
    assert topic["apiVersion"] == "kafka.strimzi.io/v1"
    assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "ordo"
    spec = topic["spec"]
    assert spec.keys() <= TOPIC_SPEC, f"unknown KafkaTopic fields {spec.keys() - TOPIC_SPEC}"
    assert spec["partitions"] == REGISTRY[spec.get("topicName", topic["metadata"]["name"])]
    assert spec["replicas"] == 3


# --- KEDA ScaledObject -------------------------------------------------------------------------


@pytest.mark.parametrize("name", PORTS)
def test_scaled_object_scales_on_the_service_consumer_lag(name: str) -> None:
    scaled = by_kind("ScaledObject")[f"ordo-{name}"]
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    spec = scaled["spec"]
    assert spec.keys() <= SCALED_OBJECT_SPEC, f"unknown fields {spec.keys() - SCALED_OBJECT_SPEC}"
    assert spec["scaleTargetRef"]["name"] in by_kind("Deployment")
    assert spec["scaleTargetRef"]["name"] == f"ordo-{name}"
    assert spec["minReplicaCount"] == 1
    # More consumers than partitions sit idle.
    assert spec["maxReplicaCount"] >= spec["minReplicaCount"]
    assert spec["maxReplicaCount"] <= min(REGISTRY[t] for t in CONSUMES[name])

    bootstrap = by_kind("ConfigMap")[f"ordo-{name}"]["data"]["KAFKA_BOOTSTRAP_SERVERS"]
    topics_by_group: dict[str, set[str]] = {}
    for trigger in spec["triggers"]:
        assert trigger["type"] == "kafka"
        meta = trigger["metadata"]
        assert meta.keys() <= KAFKA_TRIGGER_METADATA, meta.keys() - KAFKA_TRIGGER_METADATA
        assert meta["consumerGroup"] in GROUPS[name]
        assert meta["bootstrapServers"] == bootstrap
        assert int(meta["lagThreshold"]) > 0
        topics_by_group.setdefault(meta["consumerGroup"], set()).add(meta["topic"])
    # Exactly what each group reads: a trigger on a topic the group never reads would see
    # its whole backlog as lag (offsetResetPolicy earliest) and scale for nothing.
    assert topics_by_group == consumer_groups(name)


# --- Docker Compose ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", PORTS)
def test_compose_runs_the_service_with_its_environment(name: str) -> None:
    services = compose_services()
    service = services[name]
    assert service["command"] == ["python", "-m", f"ordo_{name}"]
    assert (COMPOSE.parent / service["build"]["context"]).resolve() == ROOT
    assert service["build"].get("dockerfile", "Dockerfile") == "Dockerfile"

    env = service["environment"]
    assert ENV | (SMTP_ENV if name == "notification" else set()) <= env.keys()
    assert str(env["HTTP_PORT"]) == str(PORTS[name])
    assert env["OTEL_SERVICE_NAME"] == f"ordo-{name}"
    for url in (f"//{env['KAFKA_BOOTSTRAP_SERVERS']}", env["DATABASE_URL"]):
        assert urlsplit(url).hostname in services, f"{url} points at no compose service"
    if name == "notification":
        assert env["SMTP_HOST"] in services

    assert "/ready" in " ".join(service["healthcheck"]["test"])
    assert "HTTP_PORT" in " ".join(service["healthcheck"]["test"])
    conditions = {dep: d["condition"] for dep, d in service["depends_on"].items()}
    assert conditions["postgres"] == conditions["kafka"] == "service_healthy"
    assert conditions[topic_job()] == "service_completed_successfully"


def test_compose_depends_on_names_existing_services() -> None:
    services = compose_services()
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= services.keys(), name


def test_compose_publishes_the_ticketing_operator_api() -> None:
    assert f"{PORTS['ticketing']}:{PORTS['ticketing']}" in compose_services()["ticketing"]["ports"]


def test_compose_postgres_has_a_healthcheck() -> None:
    assert "pg_isready" in compose_services()["postgres"]["healthcheck"]["test"]


def test_compose_topic_job_creates_exactly_the_registry_topics() -> None:
    script = "\n".join(compose_services()[topic_job()]["command"])
    assert "--create" in script
    created = re.findall(r"--topic\s+(\S+)\s+--partitions\s+(\d+)", script)
    assert len(created) == len({topic for topic, _ in created}), "a topic is created twice"
    assert {topic: int(n) for topic, n in created} == REGISTRY


@pytest.mark.parametrize("name", PORTS)
def test_the_command_names_an_installed_module(name: str) -> None:
    assert importlib.util.find_spec(f"ordo_{name}") is not None


# --- Dockerfile --------------------------------------------------------------------------------


def test_dockerfile_builds_the_workspace_as_a_non_root_user() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, re.M)
    bases = {line.split()[1] for line in re.findall(r"^FROM .*", text, re.M)}
    assert bases == {"${PYTHON_IMAGE}"}
    assert re.search(r"pip install .*uv", text)
    assert "uv sync --frozen --no-dev" in text
    user = re.findall(r"^USER (\S+)", text, re.M)[-1]
    assert user.split(":")[0] not in {"root", "0"}


def test_dockerignore_keeps_local_state_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "**/__pycache__"} <= ignored


def test_compose_gives_customer_email_a_smaller_share_of_the_cpu() -> None:
    services = compose_services()
    assert services["notification"]["cpu_shares"] < 1024  # Docker's default weight
    assert all("cpu_shares" not in s for n, s in services.items() if n != "notification")
