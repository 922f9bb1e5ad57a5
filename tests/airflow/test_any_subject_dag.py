"""`dag.test()` of both DAGs on a second subject (tests/data/registry's clickstream, deployed
by a table.json with an absolute quarantine table): real Spark (spark-submit, local[2])."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from avrolake.storage import resolve
from tests.conftest import ROOT
from tests.fixtures.clickstream import (
    DATA_REGISTRY,
    RECORDS_BY_VERSION,
    ROWS_QUERY,
    V2_HOUR,
    expected_rows,
    write_clickstream,
    write_corrupt,
)
from tests.fixtures.lake import rows_by_version, sql

pytestmark = pytest.mark.airflow
UTC = dt.UTC


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    registry = tmp_path / "schemas"
    shutil.copytree(DATA_REGISTRY, registry)
    deployment = {
        "table": "clicks",
        "quarantine_table": str(tmp_path / "rejects" / "clicks_bad"),
        "source": {"prefix": "web/clicks"},
    }
    (registry / "clickstream" / "table.json").write_text(json.dumps(deployment))
    monkeypatch.setenv("AVROLAKE_REGISTRY", str(registry))
    monkeypatch.setenv("AIRFLOW_VAR_AVROLAKE_RAW_ROOT", str(tmp_path / "raw"))
    monkeypatch.setenv("AIRFLOW_VAR_AVROLAKE_LAKE_ROOT", str(tmp_path / "lake"))
    return tmp_path


def dag_from(file: str, dag_id: str) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags" / file)).dags[dag_id]


def states(run: Any) -> dict[str, str]:
    """Each task's state; a task mapped over the subjects as `task[index]`."""
    return {_key(ti): str(ti.state) for ti in run.get_task_instances()}


def returned(run: Any) -> dict[str, Any]:
    """Each task's return value (its XCom)."""
    return {
        _key(ti): ti.xcom_pull(task_ids=ti.task_id, map_indexes=ti.map_index)
        for ti in run.get_task_instances()
    }


def _key(ti: Any) -> str:
    return ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"


def test_dags_land_and_maintain_a_second_subject_with_a_custom_quarantine_table(
    lake: Path,
) -> None:
    raw = resolve(str(lake / "raw" / "web" / "clicks"))
    written = write_clickstream(raw, v1_hour=V2_HOUR, v2_hour=V2_HOUR)  # all in one hour
    bad = write_corrupt(raw, V2_HOUR)
    table = str(lake / "lake" / "clicks")
    quarantine = str(lake / "rejects" / "clicks_bad")

    # The 01:00 run ingests [00:00, 01:00) of March 2nd: the hour holding every file.
    run = dag_from("ingest_subjects.py", "ingest_clickstream").test(
        logical_date=dt.datetime(2026, 3, 2, 1, tzinfo=UTC)
    )
    assert states(run) == {"schema_gate": "success", "ingest": "success", "reconcile": "success"}
    assert rows_by_version(table) == {1: 5, 2: 3}
    assert sql(table, ROWS_QUERY) == expected_rows(written)
    assert sql(quarantine, "SELECT path, error_kind, run_id FROM t") == [
        {"path": bad, "error_kind": "not_avro", "run_id": run.run_id}
    ]
    assert not Path(f"{table}_quarantine").exists()
    values = returned(run)
    assert values["schema_gate"] == "registry ok: clickstream v2"
    assert values["reconcile"] == {
        "interval": "[2026-03-02T00:00:00+00:00, 2026-03-02T01:00:00+00:00)",
        "lookback_from": "2026-03-01T00:00:00+00:00",
        "files_seen": 4,
        "files_landed": 3,
        "files_quarantined": 1,
        "files_duplicate": 0,
        "unaccounted": [],
        "leftover_rows": {},
        "rows_by_writer_version": RECORDS_BY_VERSION,
        "quarantined": [{"path": bad, "error_kind": "not_avro"}],
        "report": f"{table}/_avrolake/report.html",
    }
    page = Path(values["reconcile"]["report"]).read_text(encoding="utf-8")
    assert "avrolake: clickstream</h1>" in page
    assert page.count('<td class="cell ') == 4  # clickstream v1, v2

    checkpoints = lake / "rejects" / "clicks_bad" / "_delta_log"
    assert not list(checkpoints.glob("*.checkpoint.parquet"))
    maintained = dag_from("maintain_delta_tables.py", "maintain_delta_tables").test(
        logical_date=dt.datetime(2026, 3, 3, tzinfo=UTC)
    )
    assert states(maintained) == {
        "sweep[0]": "success",
        "maintain_table[0]": "success",
        "maintain_quarantine[0]": "success",
        "maintain_ledger[0]": "success",
    }
    reports = returned(maintained)
    assert reports["maintain_table[0]"]["subject"] == "clickstream"
    assert reports["maintain_table[0]"]["table"] == table
    assert reports["maintain_table[0]"]["exists"] is True
    # The 3 small files are one task's worth (read in one task, in the driver: one Parquet
    # file per event date, clicks-v1-b.avro spanning both): 2 files, one per event_date
    # partition already, which compaction leaves as they are.
    assert reports["maintain_table[0]"]["before"]["files"] == 2
    assert reports["maintain_table[0]"]["after"]["files"] == 2
    q_report = reports["maintain_quarantine[0]"]
    assert (q_report["table"], q_report["exists"]) == (quarantine, True)
    assert q_report["before"]["files"] == q_report["after"]["files"] == 1
    # The custom quarantine table was checkpointed; the default one was never created.
    assert list(checkpoints.glob("*.checkpoint.parquet"))
    assert not Path(f"{table}_quarantine").exists()
    assert sql(quarantine, "SELECT path FROM t") == [{"path": bad}]
    assert sql(table, ROWS_QUERY) == expected_rows(written)
