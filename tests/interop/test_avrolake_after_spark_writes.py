"""Spark touches a table avrolake owns, then avrolake runs again: the next ingest lands
exactly the new files, nothing twice, and nothing Spark removed comes back (docs/interop.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from deltalake import DeltaTable

from avrolake.errors import UnsupportedTableFeatureError
from avrolake.lake import TableRef
from avrolake.lake.status import table_status
from avrolake.storage import S3Options, resolve
from tests.fixtures.alltypes import record, schema, write_registry
from tests.fixtures.lake import sql, write_avro
from tests.interop.conftest import compare_readers, land

pytestmark = pytest.mark.interop


@pytest.fixture
def landed(tmp_path: Path) -> dict[str, Any]:
    """A table of 3 source files (3 rows each) landed by avrolake, and how to add a 4th."""
    registry = write_registry(tmp_path)
    raw = resolve(str(tmp_path / "raw"))
    sources = [
        write_avro(raw, f"f{n}.avro", schema(2), [record(2, n * 3 + i) for i in range(3)])
        for n in range(3)
    ]
    assert land(tmp_path, registry, "run-1")["files_ingested"] == 3

    def next_run(run_id: str) -> dict[str, Any]:
        write_avro(raw, "f3.avro", schema(2), [record(2, 9 + i) for i in range(3)])
        return land(tmp_path, registry, run_id)

    return {"table": str(tmp_path / "lake/t"), "sources": sources, "next_run": next_run}


def rows_by_source(table: str) -> dict[str, int]:
    rows = sql(table, 'SELECT "_source_file" s, COUNT(*) n FROM t GROUP BY 1')
    return {r["s"]: r["n"] for r in rows}


def assert_only_the_new_file_landed(summary: dict[str, Any]) -> None:
    assert (summary["files_seen"], summary["files_ingested"], summary["files_skipped"]) == (4, 1, 3)
    assert summary["records_written"] == 3


def test_rows_spark_deleted_stay_deleted_and_status_says_so(
    delta_spark: Any, landed: dict[str, Any]
) -> None:
    table, gone = landed["table"], landed["sources"][0]
    delta_spark.sql(f"DELETE FROM delta.`{table}` WHERE _source_file = '{gone}'")
    assert_only_the_new_file_landed(landed["next_run"]("run-2"))
    assert gone not in rows_by_source(table)
    assert sum(rows_by_source(table).values()) == 9
    status = table_status(TableRef.find(table, S3Options()))
    assert status["rows_missing"] == [{"path": gone, "ledger_records": 3, "table_rows": 0}]
    assert compare_readers(delta_spark, "main after Spark DELETE + ingest", table)["equal"]


def test_ingest_after_spark_optimize_and_vacuum_lands_only_new_files(
    delta_spark: Any, landed: dict[str, Any]
) -> None:
    table = landed["table"]
    delta_spark.sql(f"OPTIMIZE delta.`{table}`")
    delta_spark.conf.set("spark.databricks.delta.retentionDurationCheck.enabled", "false")
    delta_spark.sql(f"VACUUM delta.`{table}` RETAIN 0 HOURS")
    assert_only_the_new_file_landed(landed["next_run"]("run-2"))
    assert set(rows_by_source(table).values()) == {3}
    assert len(rows_by_source(table)) == 4
    assert table_status(TableRef.find(table, S3Options()))["rows_missing"] == []
    assert compare_readers(delta_spark, "main after Spark OPTIMIZE/VACUUM + ingest", table)["equal"]


def test_rows_spark_appended_are_kept_and_not_counted_as_sources(
    delta_spark: Any, landed: dict[str, Any]
) -> None:
    table = landed["table"]
    frame = delta_spark.read.format("delta").load(table).limit(2)
    frame = frame.withColumn("_source_file", frame["_source_file"].substr(0, 0)).withColumn(
        "_run_id", frame["_run_id"].substr(0, 0)
    )
    frame.write.format("delta").mode("append").save(table)
    assert_only_the_new_file_landed(landed["next_run"]("run-2"))
    assert rows_by_source(table)[""] == 2
    assert sum(rows_by_source(table).values()) == 14
    assert compare_readers(delta_spark, "main after Spark append + ingest", table)["equal"]


def test_table_properties_spark_set_survive_the_next_ingest(
    delta_spark: Any, landed: dict[str, Any]
) -> None:
    table = landed["table"]
    delta_spark.sql(
        f"ALTER TABLE delta.`{table}` SET TBLPROPERTIES "
        "('team' = 'data', 'delta.checkpointInterval' = '5')"
    )
    assert_only_the_new_file_landed(landed["next_run"]("run-2"))
    configuration = DeltaTable(table).metadata().configuration
    assert configuration["team"] == "data"
    assert configuration["delta.checkpointInterval"] == "5"
    assert compare_readers(delta_spark, "main after Spark SET TBLPROPERTIES + ingest", table)[
        "equal"
    ]


def test_a_feature_avrolake_cannot_write_is_refused_before_anything_is_written(
    delta_spark: Any, landed: dict[str, Any]
) -> None:
    table = landed["table"]
    delta_spark.sql(
        f"ALTER TABLE delta.`{table}` SET TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')"
    )
    before = DeltaTable(table).version()
    files_before = sorted(p.name for p in Path(table).rglob("*.parquet"))
    with pytest.raises(UnsupportedTableFeatureError) as refused:
        landed["next_run"]("run-2")
    assert refused.value.features == ("deletionVectors",)
    assert "deletionVectors" in str(refused.value)
    assert "REORG" in str(refused.value)
    assert DeltaTable(table).version() == before
    assert sorted(p.name for p in Path(table).rglob("*.parquet")) == files_before
