# avrolake — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
# `make demo` run from inside `make test` must print what a user's `make demo` prints (no
# "make[1]: Entering directory" lines).
MAKEFLAGS += --no-print-directory

VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= .demo
DEMO_REGISTRY ?= schemas
PYTEST_ARGS ?=

.PHONY: help setup demo airflow lakehouse-up lakehouse-down lakehouse-clean lakehouse-login backfill \
	lakehouse-test s3-containers-test screenshots test lint typecheck clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: ## install Java check, uv and the locked virtual environment (.venv)
	@bash scripts/bootstrap.sh

# The embedded default: SQLite metadata, local Spark, a local lake, all under $(DEMO_DIR).
AIRFLOW_ENV = AIRFLOW_HOME=$(DEMO_ABS)/airflow \
	AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/dags \
	AIRFLOW__CORE__LOAD_EXAMPLES=False \
	AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True \
	AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin \
	AIRFLOW_CONN_SPARK='{"conn_type":"spark","host":"local[2]","extra":{"deploy-mode":"client"}}' \
	AVROLAKE_REGISTRY=$(abspath $(DEMO_REGISTRY)) \
	AVROLAKE_SETTLE_SECONDS=$(DEMO_SETTLE_SECONDS) \
	AVROLAKE_DEMO_DIR=$(DEMO_ABS) SPARK_LOCAL_IP=127.0.0.1 PATH="$(CURDIR)/$(BIN):$$PATH"
DEMO_ABS = $(abspath $(DEMO_DIR))
# The demo generates its files a moment before it ingests them, so it turns the settle time off.
DEMO_SETTLE_SECONDS ?= 0
DEMO_HOUR ?= 2026-01-01T01:00:00+00:00
S3_IMAGE ?= localhost/avrolake-s3-dev:0.1.0

# Each subject's DAG (dags/ingest_subjects.py) takes its source and table from its table.json
# under the demo's roots: $(DEMO_DIR)/raw and $(DEMO_DIR)/lake.
DEMO_ROOTS = AVROLAKE_RAW_ROOT=$(DEMO_ABS)/raw AVROLAKE_LAKE_ROOT=$(DEMO_ABS)/lake

demo: setup ## land two subjects (Hive and Kafka Connect layouts) THROUGH their Airflow DAGs; print summaries, status, the index page
	@echo "== schema gate: avrolake schemas check --registry $(DEMO_REGISTRY)"
	@$(BIN)/avrolake schemas check --registry $(DEMO_REGISTRY)
	@rm -rf $(DEMO_DIR)/raw $(DEMO_DIR)/lake $(DEMO_DIR)/site
	@echo "== raw zone: log_event, 6 mixed-version files + 2 corrupt in logs/dt=2026-01-01/hour=00 (Hive layout)"
	@$(BIN)/avrolake generate --registry $(DEMO_REGISTRY) --subject log_event --out $(DEMO_DIR)/raw/logs --files 6 --records 1000 --corrupt 2 --hours 1 --seed 7
	@echo "== raw zone: orders, 3 mixed-version files in topics/orders/year=2026/month=01/day=01/hour=00 (Kafka Connect layout)"
	@$(BIN)/avrolake generate --registry $(DEMO_REGISTRY) --subject orders --out $(DEMO_DIR)/raw/topics/orders --files 3 --records 1000 --hours 1 --seed 7 --layout kafka-connect-time --topic orders
	@$(AIRFLOW_ENV) $(BIN)/airflow db migrate > $(DEMO_DIR)/airflow-db.log 2>&1 || { cat $(DEMO_DIR)/airflow-db.log; exit 1; }
	@for subject in log_event orders; do \
		echo "== airflow dags test ingest_$$subject $(DEMO_HOUR)  (interval [00:00, 01:00))"; \
		$(AIRFLOW_ENV) $(BIN)/airflow dags test ingest_$$subject $(DEMO_HOUR) > $(DEMO_DIR)/dag-test-$$subject.log 2>&1 \
			|| { tail -50 $(DEMO_DIR)/dag-test-$$subject.log; exit 1; }; \
		grep -E "DagRun Finished" $(DEMO_DIR)/dag-test-$$subject.log | sed -E 's/.*(dag_id=[^,]*).*(state=[a-z]*).*/\1 \2/'; \
		echo "== run summary (from the ingest task's log)"; \
		$(BIN)/python scripts/run_summary.py $(DEMO_DIR)/dag-test-$$subject.log || exit 1; \
	done
	@echo "== what landed: avrolake status --table $(DEMO_DIR)/lake/logs"
	@$(BIN)/avrolake status --table $(DEMO_DIR)/lake/logs
	@echo "== what landed: avrolake status --table $(DEMO_DIR)/lake/orders"
	@$(BIN)/avrolake status --table $(DEMO_DIR)/lake/orders
	@echo "== the report page: avrolake report --table $(DEMO_DIR)/lake/logs --registry $(DEMO_REGISTRY) --out $(DEMO_DIR)/report.html"
	@$(BIN)/avrolake report --table $(DEMO_DIR)/lake/logs --registry $(DEMO_REGISTRY) --out $(DEMO_DIR)/report.html
	@echo "== the index page: avrolake report --index --registry $(DEMO_REGISTRY) --out $(DEMO_DIR)/site"
	@$(DEMO_ROOTS) $(BIN)/avrolake report --index --registry $(DEMO_REGISTRY) --out $(DEMO_DIR)/site

airflow: setup ## start Airflow's api-server, scheduler, dag-processor, triggerer on 127.0.0.1:8080 (login admin)
	@mkdir -p $(DEMO_DIR)
	@$(AIRFLOW_ENV) $(BIN)/airflow db migrate > $(DEMO_DIR)/airflow-db.log 2>&1
	@echo "Airflow UI: http://127.0.0.1:8080  user admin, password in $(DEMO_ABS)/airflow/simple_auth_manager_passwords.json.generated"
	@echo "Ctrl-C stops all four."
	@trap 'kill 0' INT TERM; \
	$(AIRFLOW_ENV) $(BIN)/airflow api-server --host 127.0.0.1 --port 8080 & \
	$(AIRFLOW_ENV) $(BIN)/airflow scheduler --skip-serve-logs & \
	$(AIRFLOW_ENV) $(BIN)/airflow dag-processor & \
	$(AIRFLOW_ENV) $(BIN)/airflow triggerer --skip-serve-logs & \
	wait

# The compose lakehouse (compose.yaml), on Docker where a daemon answers, else on podman, which
# scripts/install_podman.sh installs (as root on Debian) with the containers.conf it needs.
LAKEHOUSE = $(BIN)/python scripts/lakehouse.py
SUBJECT ?= log_event
SOURCE ?= s3://raw/logs
TABLE ?= s3://lake/logs

lakehouse-up: setup ## build and start the compose lakehouse, every service healthy; print its URLs and logins
	@bash scripts/install_podman.sh
	@$(LAKEHOUSE) up

lakehouse-down: setup ## stop the compose lakehouse (its volumes stay)
	@$(LAKEHOUSE) down

lakehouse-clean: setup ## stop it and remove its volumes, images and build stages
	@$(LAKEHOUSE) clean

lakehouse-login: setup ## print the compose Airflow's user and password
	@$(LAKEHOUSE) login

backfill: setup ## SINCE=… UNTIL=… [SOURCE=… TABLE=… SUBJECT=…]: spark-submit an ingest to the compose cluster
	@if [ -z "$(SINCE)" ] || [ -z "$(UNTIL)" ]; then \
		echo "usage: make backfill SINCE=2026-01-01T00 UNTIL=2026-01-01T03 [SOURCE=$(SOURCE)] [TABLE=$(TABLE)]" >&2; exit 2; fi
	@$(LAKEHOUSE) backfill --since $(SINCE) --until $(UNTIL) --source $(SOURCE) --table $(TABLE) --subject $(SUBJECT)

lakehouse-test: setup ## lakehouse-up's path end to end: DAG run, table checks, make backfill, image sizes
	@bash scripts/install_podman.sh
	$(BIN)/python scripts/lakehouse_test.py

s3-containers-test: setup ## the s3 tier through Testcontainers on podman's Docker socket (S3_IMAGE, default: the dev S3 image)
	@sock=$$(mktemp -u /tmp/avrolake-podman-XXXXXX.sock); \
	podman system service --time=0 unix://$$sock & svc=$$!; \
	for i in $$(seq 50); do [ -S $$sock ] && break; sleep 0.2; done; \
	DOCKER_HOST=unix://$$sock TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_CONNECTION_MODE=docker_host \
	TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 AVROLAKE_TEST_S3_IMAGE=$(S3_IMAGE) \
	$(BIN)/pytest -m s3 -o log_cli=true --log-cli-level=INFO tests/s3 tests/cluster; rc=$$?; \
	kill $$svc; rm -f $$sock; exit $$rc

screenshots: demo ## refresh docs/report.png and docs/airflow-report-view.png from the demo table (needs Chromium)
	$(BIN)/python scripts/screenshots.py

lint: ## ruff lint + format check + the layers contract (import-linter, pyproject.toml)
	$(BIN)/ruff check src tests bench jobs dags scripts
	$(BIN)/ruff format --check src tests bench jobs dags scripts
	$(BIN)/lint-imports --no-cache

typecheck: ## mypy --strict on src/
	$(BIN)/mypy

test: setup lint typecheck ## every test tier, plus lint and type checks
	$(BIN)/pytest $(PYTEST_ARGS)

clean: ## remove the venv, caches and demo data
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache .hypothesis .cache
