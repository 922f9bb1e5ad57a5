# avrolake — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= .demo
PYTEST_ARGS ?=

.PHONY: help setup demo test lint typecheck unit clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## install Java check, uv and the locked virtual environment (.venv)
	@bash scripts/bootstrap.sh

demo: setup ## gate the registry, write mixed-version logs (2 corrupt), land them in Delta, show status
	@echo "== schema gate: avrolake schemas check"
	@$(BIN)/avrolake schemas check
	@echo "== raw zone: avrolake generate --out $(DEMO_DIR)/raw --files 6 --records 1000 --corrupt 2"
	@rm -rf $(DEMO_DIR)/raw $(DEMO_DIR)/lake
	@$(BIN)/avrolake generate --out $(DEMO_DIR)/raw --files 6 --records 1000 --corrupt 2 --seed 7
	@echo "== the job: avrolake ingest --source $(DEMO_DIR)/raw --table $(DEMO_DIR)/lake/logs --json"
	@$(BIN)/avrolake ingest --source $(DEMO_DIR)/raw --table $(DEMO_DIR)/lake/logs --json
	@echo "== what landed: avrolake status --table $(DEMO_DIR)/lake/logs"
	@$(BIN)/avrolake status --table $(DEMO_DIR)/lake/logs

lint: ## ruff lint + format check
	$(BIN)/ruff check src tests bench jobs dags
	$(BIN)/ruff format --check src tests bench jobs dags

typecheck: ## mypy --strict on src/
	$(BIN)/mypy

test: setup lint typecheck ## every test tier, plus lint and type checks
	$(BIN)/pytest $(PYTEST_ARGS)

clean: ## remove the venv, caches and demo data
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache .hypothesis
