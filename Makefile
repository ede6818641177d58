# Ordo: `make run` tries it, `make test` checks it. Needs only python3 (>= 3.11) and make.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(shell command -v python3.11 || command -v python3)
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
PY := .venv/bin/python
ARGS ?=

.PHONY: help setup run up test chromium test-unit test-integration test-containers lint fmt typecheck bench clean

help:
	@echo "make run    - start Ordo (embedded Kafka-protocol broker + PostgreSQL), simulate orders, show a summary"
	@echo "make test   - lint, type-check and run every test (unit, integration on real servers)"
	@echo "make bench  - push orders through the whole pipeline and print throughput and latency"
	@echo "make lint | fmt | typecheck | test-containers | clean"

$(TOOLS)/bin/uv:
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv

.venv/.synced: uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml) | $(UV)
	$(UV) sync --frozen --all-packages
	@touch $@

setup: .venv/.synced

run: setup
	.venv/bin/ordo demo $(ARGS)

up: setup
	.venv/bin/ordo up $(ARGS)

lint: setup
	$(PY) -m ruff check libs services tests
	$(PY) -m ruff format --check libs services tests

fmt: setup
	$(PY) -m ruff format libs services tests
	$(PY) -m ruff check --fix libs services tests

typecheck: setup
	$(PY) -m mypy $(wildcard libs/*/src) $(wildcard services/*/src) tests $(wildcard libs/*/tests) $(wildcard services/*/tests)

test: lint typecheck chromium
	$(PY) -m pytest -q $(ARGS)

# The console's browser test drives Debian's headless Chromium (no browser download). Installed
# with apt-get when missing; where that cannot be done the test skips and says why.
chromium:
	@test -x /usr/bin/chromium || { (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1 \
		|| echo "chromium could not be installed: the console's browser test will skip"; }

test-unit: setup
	$(PY) -m pytest -q -m "not integration" $(ARGS)

test-integration: setup
	$(PY) -m pytest -q -m integration $(ARGS)

# The integration suite on throwaway apache/kafka and postgres containers; needs a Docker engine.
test-containers: setup
	ORDO_TESTCONTAINERS=1 $(PY) -m pytest -q -m integration $(ARGS)

bench: setup
	.venv/bin/ordo bench $(ARGS)

clean:
	rm -rf .venv $(TOOLS) .ordo .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
