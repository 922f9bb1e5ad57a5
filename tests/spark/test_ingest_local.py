"""The job on local[2] Spark, landing real Delta tables read back with deltalake."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import fastavro
import pytest

from avrolake.config import Backfill, IngestConfig, PartitionOverride
from avrolake.errors import SchemaMigrationRequiredError
from avrolake.ingest import run_ingest
from avrolake.spark.runner import SparkRunner
from avrolake.storage import resolve
from tests.conftest import SHIPPED_REGISTRY
from tests.fixtures.lake import (
    generate_logs,
    registry_with,
    rows_by_version,
    sql,
    v3_doc,
    write_avro,
)

pytestmark = pytest.mark.spark


def settings(tmp: Path, registry: Path = SHIPPED_REGISTRY, **extra: Any) -> IngestConfig:
    return IngestConfig(
        source=str(tmp / "raw"),
        table=str(tmp / "lake" / "logs"),
        registry=registry,
        run_id=extra.pop("run_id", "run-1"),
        started_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        settle_seconds=0,  # the files were just written
        **extra,
    )


def ingest(spark: Any, s: IngestConfig) -> dict[str, Any]:
    return run_ingest(s, SparkRunner(lambda: spark)).as_dict()


def test_mixed_versions_land_resolved_to_the_latest_reader(spark: Any, tmp_path: Path) -> None:
    generate_logs(resolve(str(tmp_path / "raw")), files=6, records=300, seed=5)
    summary = ingest(spark, settings(tmp_path))
    assert summary["files_seen"] == 6
    assert summary["files_ingested"] == 6
    assert summary["records_written"] == 1800
    assert summary["records_by_writer_version"] == {"1": 600, "2": 600, "3": 600}
    assert summary["table_version"] == 1
    table = str(tmp_path / "lake" / "logs")
    assert rows_by_version(table) == {1: 600, 2: 600, 3: 600}

    # A v1 record: `service` lands as service_name (alias), new fields take their defaults.
    v1_file = sorted((tmp_path / "raw").rglob("*-v1-*.avro"))[0]
    with v1_file.open("rb") as stream:
        first = next(iter(fastavro.reader(stream)))
    (landed,) = sql(
        table,
        "SELECT service_name, message, level, trace_id, latency_ms, host, tags, event_date "
        f"FROM t WHERE \"_source_file\" = '{v1_file}' ORDER BY timestamp LIMIT 1",
    )
    assert landed["service_name"] == first["service"]
    assert landed["message"] == first["message"]
    assert landed["level"] == first["level"]
    assert (landed["trace_id"], landed["latency_ms"], landed["host"], landed["tags"]) == (
        None,
        None,
        None,
        [],
    )
    assert landed["event_date"] == first["timestamp"].date()


def test_int_latency_is_promoted_to_long_with_the_same_values(spark: Any, tmp_path: Path) -> None:
    generate_logs(resolve(str(tmp_path / "raw")), versions=[2], files=1, records=200, seed=8)
    v2_file = next((tmp_path / "raw").rglob("*.avro"))
    with v2_file.open("rb") as stream:
        written = sorted(
            r["latency_ms"] for r in fastavro.reader(stream) if r["latency_ms"] is not None
        )
    ingest(spark, settings(tmp_path))
    landed = sql(
        str(tmp_path / "lake" / "logs"), "SELECT latency_ms FROM t WHERE latency_ms IS NOT NULL"
    )
    assert sorted(r["latency_ms"] for r in landed) == written
    types = sql(
        str(tmp_path / "lake" / "logs"), "SELECT arrow_typeof(latency_ms) ty FROM t LIMIT 1"
    )
    assert types == [{"ty": "Int64"}]


def test_unregistered_compatible_writer_lands_with_null_version(spark: Any, tmp_path: Path) -> None:
    producer = v3_doc()
    producer["fields"].append(
        {"name": "thread", "type": "string"}
    )  # a field only this producer has
    records = [
        {
            "timestamp": 1767225600000 + i,
            "level": "WARN",
            "service_name": "billing",
            "message": f"m{i}",
            "trace_id": None,
            "latency_ms": i,
            "host": None,
            "tags": {"k": "v"},
            "thread": "main",
        }
        for i in range(5)
    ]
    path = write_avro(
        resolve(str(tmp_path / "raw")), "dt=2026-01-01/hour=00/custom.avro", producer, records
    )
    summary = ingest(spark, settings(tmp_path))
    assert summary["records_by_writer_version"] == {"unregistered": 5}
    rows = sql(
        str(tmp_path / "lake" / "logs"),
        'SELECT "_writer_schema_version" v, "_writer_schema_fingerprint" fp, latency_ms '
        "FROM t ORDER BY latency_ms",
    )
    assert [r["latency_ms"] for r in rows] == [0, 1, 2, 3, 4]
    assert {r["v"] for r in rows} == {None}
    assert all(len(r["fp"]) == 16 for r in rows)
    assert path.endswith("custom.avro")


def test_incompatible_writer_is_quarantined_and_the_rest_land(spark: Any, tmp_path: Path) -> None:
    raw = resolve(str(tmp_path / "raw"))
    generate_logs(raw, versions=[3], files=2, records=50, seed=2)
    broken = {
        "type": "record",
        "name": "LogEvent",
        "namespace": "io.avrolake.logs",
        "fields": [{"name": "timestamp", "type": "string"}],
    }
    bad = write_avro(
        raw, "dt=2026-01-01/hour=00/bad-writer.avro", broken, [{"timestamp": "yesterday"}]
    )
    summary = ingest(spark, settings(tmp_path))
    assert (summary["files_seen"], summary["files_ingested"], summary["files_quarantined"]) == (
        3,
        2,
        1,
    )
    assert summary["quarantined"] == [{"path": bad, "error_kind": "incompatible_schema"}]
    (row,) = sql(str(tmp_path / "lake" / "logs_quarantine"), "SELECT * FROM t")
    assert row["path"] == bad
    assert "TYPE_MISMATCH at /fields/0/type" in row["message"]
    assert "READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1" in row["message"]
    assert row["writer_fingerprint"] is not None
    assert '"timestamp"' in row["writer_schema"]
    assert row["run_id"] == "run-1"


def test_corrupt_files_are_quarantined_while_every_other_file_lands(
    spark: Any, tmp_path: Path
) -> None:
    generate_logs(
        resolve(str(tmp_path / "raw")), files=4, records=100, corrupt=3, sync_interval=512
    )
    summary = ingest(spark, settings(tmp_path))
    assert (summary["files_seen"], summary["files_ingested"], summary["files_quarantined"]) == (
        7,
        4,
        3,
    )
    kinds = sorted(q["error_kind"] for q in summary["quarantined"])
    assert kinds == ["bad_sync_marker", "not_avro", "truncated"]
    assert summary["records_written"] == 400
    assert sum(rows_by_version(str(tmp_path / "lake" / "logs")).values()) == 400


def test_rerun_ingests_nothing_and_keeps_the_table_version(spark: Any, tmp_path: Path) -> None:
    generate_logs(resolve(str(tmp_path / "raw")), files=3, records=50, corrupt=1)
    first = ingest(spark, settings(tmp_path))
    second = ingest(spark, settings(tmp_path, run_id="run-2"))
    assert first["table_version"] == second["table_version"] == 1
    assert (second["files_seen"], second["files_skipped"], second["files_ingested"]) == (4, 4, 0)
    assert second["records_written"] == 0
    assert len(sql(str(tmp_path / "lake" / "logs_quarantine"), "SELECT path FROM t")) == 1


def test_new_files_land_incrementally(spark: Any, tmp_path: Path) -> None:
    raw = resolve(str(tmp_path / "raw"))
    generate_logs(raw, files=2, records=10, seed=1)
    ingest(spark, settings(tmp_path))
    generate_logs(resolve(str(tmp_path / "raw" / "later")), files=3, records=10, seed=2)
    summary = ingest(spark, settings(tmp_path, run_id="run-2"))
    assert (summary["files_seen"], summary["files_skipped"], summary["files_ingested"]) == (5, 2, 3)
    assert summary["table_version"] == 2
    assert sum(rows_by_version(str(tmp_path / "lake" / "logs")).values()) == 50


def test_backfill_range_with_no_lookback_selects_only_its_partition_hours(
    spark: Any, tmp_path: Path
) -> None:
    generate_logs(resolve(str(tmp_path / "raw")), files=6, records=10, hours=6)
    window = Backfill(
        since=dt.datetime(2026, 1, 1, 2, tzinfo=dt.UTC),
        until=dt.datetime(2026, 1, 1, 4, tzinfo=dt.UTC),
    )
    summary = ingest(spark, settings(tmp_path, backfill=window, lookback=dt.timedelta(0)))
    assert (summary["files_seen"], summary["files_ingested"]) == (2, 2)
    sources = sql(
        str(tmp_path / "lake" / "logs"), 'SELECT DISTINCT "_source_file" s FROM t ORDER BY s'
    )
    assert [Path(r["s"]).parent.name for r in sources] == ["hour=02", "hour=03"]


def test_run_killed_before_commit_leaves_table_unchanged_then_lands_once(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_logs(resolve(str(tmp_path / "raw")), files=3, records=40)
    import avrolake.ingest.finish as job

    real_commit = job.commit_run

    def killed(*args: Any, **kwargs: Any) -> Any:
        raise SystemExit("killed after the Parquet writes, before the commit")

    monkeypatch.setattr(job, "commit_run", killed)
    with pytest.raises(SystemExit):
        ingest(spark, settings(tmp_path))
    table = str(tmp_path / "lake" / "logs")
    # one task (3 small files, under MIN_TASK_BYTES), one partition date: written, uncommitted
    assert len(list((tmp_path / "lake" / "logs").rglob("*.parquet"))) == 1
    assert sql(table, "SELECT COUNT(*) n FROM t") == [{"n": 0}]

    monkeypatch.setattr(job, "commit_run", real_commit)
    summary = ingest(spark, settings(tmp_path, run_id="run-2"))
    assert (summary["files_ingested"], summary["records_written"]) == (3, 120)
    counts = sql(table, 'SELECT "_source_file" s, COUNT(*) n FROM t GROUP BY 1')
    assert sorted(r["n"] for r in counts) == [40, 40, 40]


def test_changed_column_type_needs_migrate_then_ingest_continues(
    spark: Any, tmp_path: Path
) -> None:
    old_registry = registry_with(tmp_path / "old", [1, 2])
    generate_logs(resolve(str(tmp_path / "raw")), registry=old_registry, files=2, records=30)
    ingest(spark, settings(tmp_path, registry=old_registry))
    new_registry = registry_with(tmp_path / "new", [1, 2, 3])
    generate_logs(resolve(str(tmp_path / "raw" / "v3")), versions=[3], files=1, records=30)
    with pytest.raises(
        SchemaMigrationRequiredError, match=r"latency_ms: int32 -> int64.*avrolake migrate"
    ):
        ingest(spark, settings(tmp_path, registry=new_registry, run_id="run-2"))

    from avrolake.cli import main

    table = str(tmp_path / "lake" / "logs")
    assert main(["migrate", "--table", table, "--registry", str(new_registry)]) == 0
    summary = ingest(spark, settings(tmp_path, registry=new_registry, run_id="run-3"))
    assert (summary["files_skipped"], summary["files_ingested"]) == (2, 1)
    assert rows_by_version(table) == {1: 30, 2: 30, 3: 30}
    assert sql(table, "SELECT arrow_typeof(latency_ms) ty FROM t LIMIT 1") == [{"ty": "Int64"}]


def test_unpartitioned_table(spark: Any, tmp_path: Path) -> None:
    generate_logs(resolve(str(tmp_path / "raw")), files=2, records=10)
    summary = ingest(spark, settings(tmp_path, partitioning=PartitionOverride(field="")))
    assert summary["records_written"] == 20
    assert not list((tmp_path / "lake" / "logs").glob("event_date=*"))


def test_two_concurrent_runs_never_duplicate_rows(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both runs see the same new files and write them; at commit one wins, the other drops them."""
    import threading

    import avrolake.ingest.finish as job

    generate_logs(resolve(str(tmp_path / "raw")), files=4, records=25)
    real_commit = job.commit_run
    both_written = threading.Barrier(2, timeout=120)
    first = threading.local()

    def commit_together(*args: Any, **kwargs: Any) -> Any:
        if not getattr(first, "done", False):  # the loser commits again, alone
            first.done = True
            both_written.wait()  # both runs hold the same snapshot and the same files
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(job, "commit_run", commit_together)
    summaries: dict[str, dict[str, Any]] = {}

    def run(run_id: str) -> None:
        summaries[run_id] = ingest(spark, settings(tmp_path, run_id=run_id))

    threads = [threading.Thread(target=run, args=(r,)) for r in ("run-a", "run-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert set(summaries) == {"run-a", "run-b"}
    ingested = sorted(s["files_ingested"] for s in summaries.values())
    skipped = sorted(s["files_skipped"] for s in summaries.values())
    assert (ingested, skipped) == ([0, 4], [0, 4])
    table = str(tmp_path / "lake" / "logs")
    counts = sql(
        table, 'SELECT "_source_file" s, COUNT(*) n, COUNT(DISTINCT "_run_id") r FROM t GROUP BY 1'
    )
    assert sorted((r["n"], r["r"]) for r in counts) == [(25, 1)] * 4


def test_new_reader_fields_are_added_to_the_table(spark: Any, tmp_path: Path) -> None:
    v1_only = registry_with(tmp_path / "r1", [1])
    generate_logs(resolve(str(tmp_path / "raw")), registry=v1_only, files=1, records=20)
    ingest(spark, settings(tmp_path, registry=v1_only))
    table = str(tmp_path / "lake" / "logs")
    assert "trace_id" not in sql(table, "SELECT * FROM t LIMIT 1")[0]

    v1_v2 = registry_with(tmp_path / "r2", [1, 2])
    generate_logs(resolve(str(tmp_path / "raw" / "v2")), versions=[2], files=1, records=20, seed=9)
    summary = ingest(spark, settings(tmp_path, registry=v1_v2, run_id="run-2"))
    assert (summary["files_skipped"], summary["files_ingested"]) == (1, 1)
    rows = sql(
        table,
        'SELECT "_writer_schema_version" v, COUNT(trace_id) t, COUNT(*) n '
        "FROM t GROUP BY 1 ORDER BY 1",
    )
    assert [(r["v"], r["n"]) for r in rows] == [(1, 20), (2, 20)]
    assert rows[0]["t"] == 0
    assert rows[1]["t"] > 0


def test_maintenance_compacts_small_files_and_keeps_every_row(spark: Any, tmp_path: Path) -> None:
    from avrolake.errors import ConfigError
    from avrolake.lake import TableRef
    from avrolake.lake.maintenance import maintain
    from avrolake.storage import S3Options

    for run in range(3):  # each run writes files of its own: 3 runs, at least 3 small files
        generate_logs(
            resolve(str(tmp_path / "raw" / f"r{run}")), files=2, records=30, hours=1, seed=run + 1
        )
        ingest(spark, replace(settings(tmp_path), run_id=f"run-{run}"))
    table = str(tmp_path / "lake" / "logs")
    report = maintain(TableRef.at(table, S3Options()))
    assert report["before"]["files"] >= 3
    assert report["after"]["files"] == 1
    assert report["after"]["version"] > report["before"]["version"]
    assert sql(table, "SELECT COUNT(*) n FROM t") == [{"n": 180}]
    with pytest.raises(ConfigError, match="below 168h"):
        maintain(TableRef.at(table, S3Options()), retention_hours=1)


def test_the_driver_jvm_runs_without_c2_and_keeps_sparks_own_options(spark: Any) -> None:
    from avrolake.spark.session import cds_archive, driver_java_options

    conf = spark.sparkContext.getConf()
    assert conf.get("spark.driver.defaultJavaOptions") == driver_java_options()
    bean = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    flags = list(bean.getInputArguments())
    assert "-XX:TieredStopAtLevel=1" in flags
    assert "-XX:+UseSerialGC" in flags
    # the class-data-sharing archive `make setup` builds, when it is there
    archive = f"-XX:SharedArchiveFile={cds_archive()}"
    assert (archive in flags) == cds_archive().is_file()
    # Spark's own module options (in extraJavaOptions) are still passed
    assert "--add-opens=java.base/java.nio=ALL-UNNAMED" in flags
