"""DAG integrity: the files import cleanly, are configuration only, follow the house rules,
and generate one ingest DAG per deployed subject of the registry (docs/architecture.md)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_REGISTRY, ROOT

pytestmark = pytest.mark.airflow
DAG_IDS = {"ingest_log_event", "ingest_orders", "maintain_delta_tables"}


def dagbag_of(registry: Path, folder: Path = ROOT / "dags") -> Any:
    """The DAG folder parsed as the dag-processor does, with $AVROLAKE_REGISTRY = registry."""
    from airflow.dag_processing.dagbag import DagBag

    before = os.environ.get("AVROLAKE_REGISTRY")
    os.environ["AVROLAKE_REGISTRY"] = str(registry)
    try:
        return DagBag(dag_folder=str(folder))
    finally:
        os.environ["AVROLAKE_REGISTRY"] = before or ""


@pytest.fixture(scope="module")
def dagbag() -> Any:
    return dagbag_of(REPO_REGISTRY)


def test_dag_files_import_without_errors(dagbag: Any) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == DAG_IDS


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_dag_has_retries_tags_docs_and_a_static_start(dagbag: Any, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]
    assert "avrolake" in dag.tags
    assert dag.doc_md
    assert dag.start_date.year == 2026
    for task in dag.tasks:
        assert 2 <= task.retries <= 4 or task.task_id == "schema_gate", task.task_id


@pytest.mark.parametrize(
    ("dag_id", "asset"),
    [("ingest_log_event", "logs"), ("ingest_orders", "orders")],
    ids=["log_event-lands-logs", "orders-lands-orders"],
)
def test_each_subject_dag_replays_hourly_intervals_and_updates_its_own_asset(
    dagbag: Any, dag_id: str, asset: str
) -> None:
    dag = dagbag.dags[dag_id]
    assert dag.catchup is True
    assert dag.timetable.summary == "0 * * * *"
    assert [t.task_id for t in dag.topological_sort()] == ["schema_gate", "ingest", "reconcile"]
    assert dag.get_task("schema_gate").retries == 0  # a broken registry does not heal by retrying
    outlets = dag.get_task("reconcile").outlets
    assert [(o.name, o.uri) for o in outlets] == [(asset, f"x-avrolake://lake/{asset}")]


def test_the_ingest_task_names_only_its_subject_and_the_registry(dagbag: Any) -> None:
    task = dagbag.dags["ingest_orders"].get_task("ingest")
    assert task.application_args[:4] == ["--registry", str(REPO_REGISTRY), "--subject", "orders"]
    assert "--source" not in task.application_args
    assert "--table" not in task.application_args
    assert (task.raw_root, task.lake_root) == (
        "{{ var.value.get('avrolake_raw_root', '') or env_or('AVROLAKE_RAW_ROOT', 'raw') }}",
        "{{ var.value.get('avrolake_lake_root', '') or env_or('AVROLAKE_LAKE_ROOT', 'lake') }}",
    )


def test_the_maintenance_dag_maps_every_step_over_every_deployed_subject(dagbag: Any) -> None:
    dag = dagbag.dags["maintain_delta_tables"]
    assert {t.task_id for t in dag.tasks} == {
        "sweep", "maintain_table", "maintain_quarantine", "maintain_ledger",
    }  # fmt: skip
    sweep = dag.get_task("sweep")
    assert [a[3] for a in sweep.expand_input.value["application_args"]] == ["log_event", "orders"]
    for step in ("table", "quarantine", "ledger"):
        task = dag.get_task(f"maintain_{step}")
        assert task.op_kwargs_expand_input.value == {"subject": ["log_event", "orders"]}
        assert task.partial_kwargs["op_kwargs"]["which"] == step
    assert dag.get_task("maintain_table").upstream_task_ids == {"sweep"}


def write_subject(registry: Path, name: str, settings: dict[str, Any] | None) -> None:
    (registry / name).mkdir(parents=True)
    shutil.copy(REPO_REGISTRY / "log_event" / "v1.avsc", registry / name / "v1.avsc")
    if settings is not None:
        (registry / name / "table.json").write_text(json.dumps(settings))


def test_adding_a_subject_with_a_table_json_adds_its_dag_with_no_dag_edit(tmp_path: Path) -> None:
    registry = tmp_path / "schemas"
    write_subject(registry, "audit", {"table": "s3://lake/audit", "schedule": "30 6 * * *"})
    write_subject(registry, "manual", {"table": "/data/manual", "schedule": None})
    write_subject(registry, "undeployed", None)  # no table.json: no DAG
    bag = dagbag_of(registry)
    assert bag.import_errors == {}
    assert set(bag.dags) == {"ingest_audit", "ingest_manual", "maintain_delta_tables"}
    assert bag.dags["ingest_audit"].timetable.summary == "30 6 * * *"
    assert type(bag.dags["ingest_manual"].timetable).__name__ == "NullTimetable"  # not scheduled
    outlets = bag.dags["ingest_audit"].get_task("reconcile").outlets
    assert [(o.name, o.uri) for o in outlets] == [("s3://lake/audit", "s3://lake/audit")]
    outlets = bag.dags["ingest_manual"].get_task("reconcile").outlets
    assert [(o.name, o.uri) for o in outlets] == [("/data/manual", "file:///data/manual")]


def test_a_malformed_schedule_is_an_import_error_naming_the_subject(tmp_path: Path) -> None:
    registry = tmp_path / "schemas"
    write_subject(registry, "audit", {"schedule": "every hour"})
    bag = dagbag_of(registry)
    (error,) = bag.import_errors.values()
    assert "deployment of subject 'audit': schedule: 'every hour' is not a cron expression" in error


@pytest.mark.parametrize("dag_file", ["ingest_subjects.py", "maintain_delta_tables.py"])
def test_dag_file_imports_no_pyspark_delta_or_avrolake_job_code_at_top_level(
    dag_file: str,
) -> None:
    code = (
        "import runpy, sys; runpy.run_path(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'deltalake') "
        "or m.startswith(('avrolake.ingest', 'avrolake.spark', 'avrolake.lake', "
        "'avrolake.report'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "dags" / dag_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "AVROLAKE_REGISTRY": str(REPO_REGISTRY)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_ingest_task_submits_a_delta_session_from_the_jar_cache(
    dagbag: Any, tmp_path: Path
) -> None:
    from avrolake.orchestration.operators import delta_submit

    task = dagbag.dags["ingest_log_event"].get_task("ingest")
    assert task.delta_jars_dir == str(ROOT / ".jars")
    (tmp_path / "delta").mkdir()
    (tmp_path / "delta" / "delta-spark_4.2_2.13-4.4.0.jar").write_text("")
    jars, conf = delta_submit(tmp_path, "/opt/own.jar")
    assert jars == f"/opt/own.jar,{tmp_path}/delta/delta-spark_4.2_2.13-4.4.0.jar"
    assert conf == {
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    }
    assert delta_submit(tmp_path / "none", None) == (None, {})
