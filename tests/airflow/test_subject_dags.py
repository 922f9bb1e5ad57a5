"""One deployment, many subjects: each deployed subject's own DAG (`ingest_<subject>`) lands
its own table from its own source prefix and layout, and the index page lists them all.
Real Spark (spark-submit, local[2]) through `dag.test()`, as `make demo` does."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from avrolake.cli import main
from tests.conftest import REPO_REGISTRY, ROOT
from tests.fixtures.lake import rows_by_version

pytestmark = pytest.mark.airflow
HOUR = dt.datetime(2026, 1, 1, 1, tzinfo=dt.UTC)  # the run for [00:00, 01:00)
INDEX_ROW = re.compile(r'data-subject="([^"]+)" data-state="([a-z]+)" data-rows="(\d*)"')


def deploy(registry: Path, subject: str, schemas_of: str, settings: dict[str, Any]) -> None:
    shutil.copytree(REPO_REGISTRY / schemas_of, registry / subject)
    (registry / subject / "table.json").write_text(json.dumps(settings))


def land(monkeypatch: pytest.MonkeyPatch, tmp: Path, registry: Path) -> dict[str, Any]:
    """`dag.test()` of every subject's DAG for HOUR; each run's task states."""
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("AVROLAKE_REGISTRY", str(registry))
    monkeypatch.setenv("AIRFLOW_VAR_AVROLAKE_RAW_ROOT", str(tmp / "raw"))
    monkeypatch.setenv("AIRFLOW_VAR_AVROLAKE_LAKE_ROOT", str(tmp / "lake"))
    bag = DagBag(dag_folder=str(ROOT / "dags" / "ingest_subjects.py"))
    assert bag.import_errors == {}
    return {
        dag_id: {
            ti.task_id: str(ti.state) for ti in dag.test(logical_date=HOUR).get_task_instances()
        }
        for dag_id, dag in sorted(bag.dags.items())
    }


def generate(registry: Path, subject: str, out: Path, *layout: str) -> None:
    argv = ["generate", "--registry", str(registry), "--subject", subject, "--out", str(out)]
    assert main([*argv, "--files", "3", "--records", "100", "--hours", "1", *layout]) == 0


def index_rows(tmp: Path, registry: Path, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    monkeypatch.setenv("AVROLAKE_LAKE_ROOT", str(tmp / "lake"))
    site = tmp / "site"
    assert main(["report", "--index", "--registry", str(registry), "--out", str(site)]) == 0
    return INDEX_ROW.findall((site / "index.html").read_text(encoding="utf-8"))


SUCCESS = {"schema_gate": "success", "ingest": "success", "reconcile": "success"}
EACH_VERSION = {1: 100, 2: 100, 3: 100}


def test_each_subject_dag_lands_its_own_table_and_the_index_lists_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = tmp_path / "schemas"
    deploy(registry, "log_event", "log_event", {"table": "logs", "source": {"prefix": "logs"}})
    deploy(registry, "orders", "orders", {"table": "shop/orders", "source": {"prefix": "orders"}})
    generate(registry, "log_event", tmp_path / "raw" / "logs")
    generate(registry, "orders", tmp_path / "raw" / "orders")
    assert land(monkeypatch, tmp_path, registry) == {
        "ingest_log_event": SUCCESS,
        "ingest_orders": SUCCESS,
    }
    assert rows_by_version(str(tmp_path / "lake" / "logs")) == EACH_VERSION
    assert rows_by_version(str(tmp_path / "lake" / "shop" / "orders")) == EACH_VERSION
    assert (tmp_path / "lake" / "shop" / "orders" / "_avrolake" / "report.html").is_file()
    assert index_rows(tmp_path, registry, monkeypatch) == [
        ("log_event", "ok", "300"),
        ("orders", "ok", "300"),
    ]


def test_three_subjects_in_three_layouts_land_every_file_through_their_dags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hive, Kafka Connect (time-based) and Flink source layouts (issue 20's acceptance)."""
    registry = tmp_path / "schemas"
    deploy(registry, "log_event", "log_event",
           {"table": "logs", "source": {"prefix": "logs", "layout": "hive"}})  # fmt: skip
    deploy(registry, "orders", "orders",
           {"table": "orders",
            "source": {"prefix": "topics/orders", "layout": "kafka-connect-time"}})  # fmt: skip
    deploy(registry, "audit", "log_event",
           {"table": "audit", "source": {"prefix": "flink/audit", "layout": "flink"}})  # fmt: skip
    raw = tmp_path / "raw"
    generate(registry, "log_event", raw / "logs", "--layout", "hive")
    generate(registry, "orders", raw / "topics" / "orders",
             "--layout", "kafka-connect-time", "--topic", "orders")  # fmt: skip
    generate(registry, "audit", raw / "flink" / "audit", "--layout", "flink")
    assert land(monkeypatch, tmp_path, registry) == {
        "ingest_audit": SUCCESS,
        "ingest_log_event": SUCCESS,
        "ingest_orders": SUCCESS,
    }
    for table in ("logs", "orders", "audit"):
        assert rows_by_version(str(tmp_path / "lake" / table)) == EACH_VERSION, table
    assert index_rows(tmp_path, registry, monkeypatch) == [
        ("audit", "ok", "300"),
        ("log_event", "ok", "300"),
        ("orders", "ok", "300"),
    ]
