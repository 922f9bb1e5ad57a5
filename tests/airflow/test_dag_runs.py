"""`dag.test()` end to end: real Spark (spark-submit, local[2]) landing a real Delta table,
through the DAG `ingest_log_event` that the registry generates (table.json: table `logs`,
source prefix `logs`, under the roots the Variables name)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from avrolake.generate import GenerateSpec, generate
from avrolake.registry import Registry
from avrolake.storage import resolve
from tests.conftest import ROOT, SHIPPED_REGISTRY, v3_without_service_alias
from tests.fixtures.lake import rows_by_version, sql

pytestmark = pytest.mark.airflow
UTC = dt.UTC


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIRFLOW_VAR_AVROLAKE_RAW_ROOT", str(tmp_path / "raw"))
    monkeypatch.setenv("AIRFLOW_VAR_AVROLAKE_LAKE_ROOT", str(tmp_path / "lake"))
    monkeypatch.setenv("AVROLAKE_REGISTRY", str(SHIPPED_REGISTRY))
    return tmp_path


def ingest_dag() -> Any:
    """Parsed now: the registry is $AVROLAKE_REGISTRY at parse time."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags" / "ingest_subjects.py")).dags["ingest_log_event"]


def write_hours(raw: Path, hours: int, files_per_hour: int, corrupt: int = 0) -> None:
    spec = GenerateSpec(
        files=hours * files_per_hour,
        records=100,
        hours=hours,
        corrupt=corrupt,
        start=dt.datetime(2026, 1, 1, tzinfo=UTC),
        seed=3,
    )
    generate(Registry(SHIPPED_REGISTRY).versions("log_event"), resolve(str(raw)), spec)


def states(run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def test_dag_run_lands_the_interval_with_exact_counts(lake: Path) -> None:
    write_hours(lake / "raw" / "logs", hours=1, files_per_hour=6, corrupt=2)  # all in hour 00
    run = ingest_dag().test(logical_date=dt.datetime(2026, 1, 1, 1, tzinfo=UTC))
    assert states(run) == {"schema_gate": "success", "ingest": "success", "reconcile": "success"}
    table = str(lake / "lake" / "logs")
    assert rows_by_version(table) == {1: 200, 2: 200, 3: 200}
    quarantined = sql(f"{table}_quarantine", "SELECT error_kind FROM t ORDER BY 1")
    assert [q["error_kind"] for q in quarantined] == ["not_avro", "truncated"]
    # reconcile wrote the table's report page beside _delta_log: 3x3 matrix, one run of 3
    # writer versions, its 2 quarantined files
    page = (lake / "lake" / "logs" / "_avrolake" / "report.html").read_text(encoding="utf-8")
    assert page.count('<td class="cell ') == 9
    assert page.count('<rect class="mark"') == 3
    assert 'data-files="2"' in page


def test_backfill_over_three_intervals_lands_each_hour_once(lake: Path) -> None:
    write_hours(lake / "raw" / "logs", hours=3, files_per_hour=2)
    dag = ingest_dag()
    for hour in (1, 2, 3):
        run = dag.test(logical_date=dt.datetime(2026, 1, 1, hour, tzinfo=UTC))
        assert states(run)["reconcile"] == "success"
    table = str(lake / "lake" / "logs")
    rows = sql(
        table, 'SELECT "_source_file" s, COUNT(*) n, COUNT(DISTINCT "_run_id") r FROM t GROUP BY 1'
    )
    assert len(rows) == 6
    assert {(r["n"], r["r"]) for r in rows} == {(100, 1)}
    by_run = sql(
        table, 'SELECT "_run_id" run, COUNT(DISTINCT "_source_file") files FROM t GROUP BY 1'
    )
    assert sorted(r["files"] for r in by_run) == [2, 2, 2]
    assert sql(table, "SELECT COUNT(*) n FROM t") == [{"n": 600}]


def test_registry_violation_fails_at_the_gate_before_spark(
    lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = lake / "schemas"
    shutil.copytree(SHIPPED_REGISTRY, registry)
    (registry / "log_event" / "v4.avsc").write_text(json.dumps(v3_without_service_alias()))
    monkeypatch.setenv("AVROLAKE_REGISTRY", str(registry))
    write_hours(lake / "raw" / "logs", hours=1, files_per_hour=2)
    run = ingest_dag().test(logical_date=dt.datetime(2026, 1, 1, 1, tzinfo=UTC))
    assert states(run) == {
        "schema_gate": "failed",
        "ingest": "upstream_failed",
        "reconcile": "upstream_failed",
    }
    assert str(run.state) == "failed"
    assert not (lake / "lake" / "logs").exists()
