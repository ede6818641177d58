"""The API tokens `ordo up` makes, hands to the services and the other `ordo` commands send."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from ordo_cli import state
from ordo_cli.up import dev_tokens, service_specs
from ordo_runtime.auth import ROLES, Authenticator


def test_up_makes_one_fresh_token_per_role_that_the_services_accept() -> None:
    first, second = dev_tokens(), dev_tokens()
    assert sorted(entry["role"] for entry in first.values()) == sorted(ROLES)  # type: ignore[type-var]
    assert not set(first) & set(second)
    accepted = Authenticator.from_config(first)
    for token, entry in first.items():
        who = accepted.identify(f"Bearer {token}")
        assert who is not None
        assert who.role == entry["role"]


def test_every_service_is_given_the_tokens() -> None:
    stack = SimpleNamespace(
        env=lambda: {
            "KAFKA_BOOTSTRAP_SERVERS": "k:1",
            "DATABASE_URL": "pg",
            "SMTP_HOST": "h",
            "SMTP_PORT": "1",
        }
    )
    tokens = dev_tokens()
    specs = service_specs(stack, {"ingestion": 1, "notification": 2}, tokens)  # type: ignore[arg-type]
    assert [json.loads(s.env["ORDO_TOKENS"]) for s in specs] == [tokens, tokens]


def test_commands_send_ordo_token_else_the_running_stacks_manager_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ORDO_TOKEN", raising=False)
    assert state.token(state_dir=tmp_path) is None
    info = state.StackInfo(
        pid=os.getpid(),
        kafka_bootstrap="k:1",
        database_url="pg",
        smtp="s:1",
        run_dir="r",
        tokens={"manager": "m-token", "viewer": "v-token"},
    )
    path = state.write(info, tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert state.token(state_dir=tmp_path) == "m-token"
    assert state.token("viewer", tmp_path) == "v-token"
    monkeypatch.setenv("ORDO_TOKEN", "from-env")
    assert state.token(state_dir=tmp_path) == "from-env"
