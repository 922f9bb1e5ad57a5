"""Schema evolution keeps every value: a rename through aliases and an int->long promotion.

v1/v2 rows land; v3 renames `service` to `service_name` (alias) and widens `latency_ms`. The
ingest refuses to leave `service_name` half empty and asks for `avrolake migrate`, which
rewrites the table once, reading old rows through the reader's aliases.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from avrolake.cli import main
from avrolake.config import IngestConfig
from avrolake.errors import SchemaMigrationRequiredError
from avrolake.ingest import run_ingest
from avrolake.spark.runner import SparkRunner
from avrolake.storage import resolve
from tests.fixtures.lake import generate_logs, registry_with, rows_by_version, sql

pytestmark = pytest.mark.spark


def ingest(spark: Any, tmp: Path, registry: Path, run_id: str) -> dict[str, Any]:
    config = IngestConfig(
        source=str(tmp / "raw"),
        table=str(tmp / "lake" / "logs"),
        run_id=run_id,
        started_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        registry=registry,
    )
    return run_ingest(config, SparkRunner(lambda: spark)).as_dict()


def test_migrate_reads_renamed_columns_through_aliases_and_keeps_promoted_values(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    v1_v2 = registry_with(tmp_path / "old", [1, 2])
    generate_logs(resolve(str(tmp_path / "raw")), registry=v1_v2, files=4, records=50, seed=4)
    ingest(spark, tmp_path, v1_v2, "run-1")
    table = str(tmp_path / "lake" / "logs")
    before = sql(table, 'SELECT "_source_file" f, timestamp, service, latency_ms FROM t')
    assert len(before) == 200

    v3 = registry_with(tmp_path / "new", [1, 2, 3])
    generate_logs(resolve(str(tmp_path / "raw" / "v3")), versions=[3], files=1, records=50)
    with pytest.raises(SchemaMigrationRequiredError) as refused:
        ingest(spark, tmp_path, v3, "run-2")
    assert "latency_ms: int32 -> int64" in str(refused.value)
    assert "service renamed to service_name" in str(refused.value)
    assert sql(table, "SELECT COUNT(*) n FROM t") == [{"n": 200}]  # nothing half-landed

    assert main(["migrate", "--table", table, "--registry", str(v3)]) == 0
    out = capsys.readouterr().out
    assert "200 rows rewritten in one commit (table version 1 -> 2)" in out
    assert "renamed columns: service -> service_name" in out

    after = sql(table, 'SELECT "_source_file" f, timestamp, service_name, latency_ms FROM t')
    assert sorted((r["f"], r["timestamp"], r["service_name"], r["latency_ms"]) for r in after) == (
        sorted((r["f"], r["timestamp"], r["service"], r["latency_ms"]) for r in before)
    )
    assert sql(table, "SELECT COUNT(*) n FROM t WHERE service_name IS NULL") == [{"n": 0}]
    columns = sql(table, "SELECT * FROM t LIMIT 1")[0]
    assert "service" not in columns
    assert sql(table, "SELECT arrow_typeof(latency_ms) ty FROM t LIMIT 1") == [{"ty": "Int64"}]

    summary = ingest(spark, tmp_path, v3, "run-3")
    assert (summary["files_skipped"], summary["files_ingested"]) == (4, 1)
    assert rows_by_version(table) == {1: 100, 2: 100, 3: 50}
    assert sql(table, "SELECT COUNT(*) n FROM t WHERE service_name IS NULL") == [{"n": 0}]
