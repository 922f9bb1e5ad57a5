"""DAG integrity: the files import cleanly, are configuration only, and follow the house rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.airflow
DAG_IDS = {"ingest_avro_logs", "maintain_delta_tables"}


@pytest.fixture(scope="module")
def dagbag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


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


def test_ingest_dag_replays_hourly_intervals_with_catchup(dagbag: Any) -> None:
    dag = dagbag.dags["ingest_avro_logs"]
    assert dag.catchup is True
    assert dag.timetable.summary == "0 * * * *"
    assert [t.task_id for t in dag.topological_sort()] == ["schema_gate", "ingest", "reconcile"]
    assert dag.get_task("schema_gate").retries == 0  # a broken registry does not heal by retrying
    assert [o.name for o in dag.get_task("reconcile").outlets] == ["avrolake_table"]


@pytest.mark.parametrize("dag_file", ["ingest_avro_logs.py", "maintain_delta_tables.py"])
def test_dag_file_imports_no_pyspark_or_avrolake_job_code_at_top_level(dag_file: str) -> None:
    code = (
        "import runpy, sys; runpy.run_path(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pyspark' "
        "or m.startswith(('avrolake.ingest', 'avrolake.spark', 'avrolake.delta'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "dags" / dag_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_ingest_task_submits_a_delta_session_from_the_jar_cache(
    dagbag: Any, tmp_path: Path
) -> None:
    from avrolake.orchestration.operators import delta_submit

    task = dagbag.dags["ingest_avro_logs"].get_task("ingest")
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
