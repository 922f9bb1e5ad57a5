"""delta-spark reads exactly what deltalake reads, for every kind of table avrolake writes:
same row count, same values, same Delta type per column (docs/interop.md)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from avrolake.cli import main
from avrolake.lake import TableRef
from avrolake.lake.maintenance import maintain
from avrolake.storage import S3Options, resolve
from tests.fixtures.alltypes import record, schema, write_files, write_registry
from tests.fixtures.lake import write_avro
from tests.interop.conftest import compare_readers, land

pytestmark = pytest.mark.interop


def assert_same(result: dict[str, Any], rows: int) -> None:
    assert result["types"][0] == result["types"][1]
    assert result["ours"] == result["theirs"]
    assert (result["deltalake_rows"], result["spark_rows"]) == (rows, rows)


def test_spark_reads_every_avro_type_of_a_mixed_version_ingest(
    delta_spark: Any, tmp_path: Path
) -> None:
    written = write_files(resolve(str(tmp_path / "raw")))
    summary = land(tmp_path, write_registry(tmp_path), "run-1")
    assert summary["records_by_writer_version"] == {"1": 6, "2": 6}
    result = compare_readers(delta_spark, "main: every Avro type, v1+v2", str(tmp_path / "lake/t"))
    assert_same(result, written)
    # the types that differ most between engines, as Spark sees them
    types = result["types"][1]
    assert (types["local_micros"], types["event_time"], types["amount"]) == (
        "timestamp_ntz",
        "timestamp",
        "decimal(10,2)",
    )


def test_spark_reads_the_table_after_migrate_renames_and_widens(
    delta_spark: Any, tmp_path: Path
) -> None:
    registry = write_registry(tmp_path)
    v2 = registry / "alltypes" / "v2.avsc"
    held_back = v2.read_text()
    v2.unlink()
    raw = resolve(str(tmp_path / "raw"))
    write_avro(raw, "v1.avro", schema(1), [record(1, n) for n in range(3)])
    land(tmp_path, registry, "run-1")
    v2.write_text(held_back)  # count int -> long, label renamed title
    table = str(tmp_path / "lake/t")
    assert main(["migrate", "--table", table, "--registry", str(registry)]) == 0
    write_avro(raw, "v2.avro", schema(2), [record(2, n) for n in range(3, 6)])
    land(tmp_path, registry, "run-2")
    result = compare_readers(delta_spark, "main after migrate (rename, int->long)", table)
    assert_same(result, 6)
    assert (result["types"][1]["count"], "label" in result["types"][1]) == ("long", False)


def test_spark_reads_the_table_after_a_changed_source_is_replaced(
    delta_spark: Any, tmp_path: Path
) -> None:
    registry = write_registry(tmp_path)
    raw = resolve(str(tmp_path / "raw"))
    write_files(raw)
    land(tmp_path, registry, "run-1")
    changed = tmp_path / "raw" / "v1-0.avro"
    write_avro(raw, "v1-0.avro", schema(1), [record(1, 40), record(1, 41)])
    os.utime(changed, (changed.stat().st_atime, changed.stat().st_mtime + 60))
    assert land(tmp_path, registry, "run-2")["files_replaced"] == 1
    result = compare_readers(
        delta_spark, "main after a changed file replaced", str(tmp_path / "lake/t")
    )
    assert_same(result, 11)


def test_spark_reads_the_table_after_maintain_compacts_and_vacuums(
    delta_spark: Any, tmp_path: Path
) -> None:
    registry = write_registry(tmp_path)
    raw = resolve(str(tmp_path / "raw"))
    for run in range(3):  # three commits of small files
        write_avro(raw, f"run{run}.avro", schema(2), [record(2, run * 3 + n) for n in range(3)])
        land(tmp_path, registry, f"run-{run}")
    table = str(tmp_path / "lake/t")
    report = maintain(TableRef.find(table, S3Options()))
    assert report["after"]["files"] < report["before"]["files"]
    result = compare_readers(delta_spark, "main after maintain (compact, vacuum)", table)
    assert_same(result, 9)


@pytest.mark.parametrize("suffix", ["_quarantine", "_ledger"], ids=["quarantine", "ledger"])
def test_spark_reads_the_quarantine_and_ledger_tables(
    delta_spark: Any, tmp_path: Path, suffix: str
) -> None:
    registry = write_registry(tmp_path)
    raw = resolve(str(tmp_path / "raw"))
    write_files(raw)
    raw.write_bytes("broken.avro", b"not an avro file")
    land(tmp_path, registry, "run-1")
    result = compare_readers(
        delta_spark, f"{suffix[1:]} table", str(tmp_path / "lake" / f"t{suffix}")
    )
    assert_same(result, 1 if suffix == "_quarantine" else 5)


def test_describe_history_shows_avrolake_runs(delta_spark: Any, tmp_path: Path) -> None:
    write_files(resolve(str(tmp_path / "raw")))
    land(tmp_path, write_registry(tmp_path), "run-1")
    table = str(tmp_path / "lake/t")
    history = delta_spark.sql(f"DESCRIBE HISTORY delta.`{table}`").collect()
    latest = history[0].asDict()
    assert latest["version"] == 1
    assert latest["userMetadata"] is not None
    assert "run-1" in latest["userMetadata"]
    shutil.rmtree(tmp_path / "lake")


def test_the_session_that_ran_the_ingest_reads_what_it_landed(
    delta_spark: Any, tmp_path: Path
) -> None:
    from avrolake.config import IngestConfig
    from avrolake.ingest import run_ingest
    from avrolake.spark.runner import SparkRunner
    from tests.interop.conftest import STARTED

    write_files(resolve(str(tmp_path / "raw")))
    table = str(tmp_path / "lake/t")
    config = IngestConfig(
        str(tmp_path / "raw"), table, "run-1", STARTED, registry=write_registry(tmp_path),
        settle_seconds=0,
    )  # fmt: skip
    run_ingest(config, SparkRunner(lambda: delta_spark))
    landed = delta_spark.sql(
        f"SELECT _writer_schema_version v, COUNT(*) n FROM delta.`{table}` GROUP BY 1"
    )
    assert {r.v: r.n for r in landed.collect()} == {1: 6, 2: 6}
