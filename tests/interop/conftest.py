"""The interop tier: delta-spark (in avrolake's own Delta session) against deltalake.

One Delta-enabled session for the whole run (the `spark` fixture of tests/fixtures/lake.py:
avrolake's `build_session` is a Delta session). Tables are tiny and landed with the
SerialRunner: what is under test is what avrolake writes, not how Spark schedules it.
At the end, the tier prints "table kind x reader: rows, equal, types" (docs/interop.md).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, QueryBuilder

from avrolake.config import IngestConfig
from avrolake.ingest import run_ingest
from avrolake.ingest.job import SerialRunner

STARTED = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
REPORT: list[dict[str, Any]] = []


def land(tmp: Path, registry: Path, run_id: str, table: str = "t") -> dict[str, Any]:
    """`avrolake ingest` of tmp/raw into tmp/lake/<table> (serially, in this process)."""
    config = IngestConfig(
        str(tmp / "raw"),
        str(tmp / "lake" / table),
        run_id,
        STARTED,
        registry=registry,
        settle_seconds=0,  # the files were just written
    )
    return run_ingest(config, SerialRunner()).as_dict()


def _canonical(value: Any) -> Any:
    """A value both readers' Arrow results can be compared by (maps as sorted pairs)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        return sorted(items, key=repr) if items and isinstance(value[0], tuple) else items
    if isinstance(value, tuple):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    return value


def rows_of(table: pa.Table) -> list[dict[str, Any]]:
    rows = [_canonical(r) for r in table.to_pylist()]
    return sorted(rows, key=lambda r: repr(sorted(r.items())))


def deltalake_read(uri: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(rows, Delta type per column) as delta-rs reads the table."""
    table = DeltaTable(uri)
    stream = QueryBuilder().register("t", table).execute("SELECT * FROM t")
    types = {f["name"]: f["type"] for f in json.loads(table.schema().to_json())["fields"]}
    return rows_of(pa.RecordBatchReader.from_stream(stream).read_all()), types


def spark_read(spark: Any, uri: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(rows, Delta type per column) as delta-spark reads the table."""
    frame = spark.read.format("delta").load(uri)
    types = {f["name"]: f["type"] for f in frame.schema.jsonValue()["fields"]}
    return rows_of(frame.toArrow()), types


def compare_readers(spark: Any, kind: str, uri: str) -> dict[str, Any]:
    """Both readers' rows and types for one table, recorded for the tier's summary."""
    ours, our_types = deltalake_read(uri)
    theirs, their_types = spark_read(spark, uri)
    outcome = {
        "kind": kind,
        "deltalake_rows": len(ours),
        "spark_rows": len(theirs),
        "equal": ours == theirs,
        "types_equal": our_types == their_types,
        "columns": len(our_types),
    }
    REPORT.append(outcome)
    return {**outcome, "ours": ours, "theirs": theirs, "types": (our_types, their_types)}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not REPORT:
        return
    write = terminalreporter.write_line
    write("")
    write("interop: table kind x reader (deltalake 1.6.6 | delta-spark 4.4.0 on Spark 4.2.0)")
    write(f"{'table kind':44} {'deltalake rows':>14} {'spark rows':>10} {'equal':>6} {'types':>6}")
    for r in REPORT:
        types = f"{'same' if r['types_equal'] else 'DIFF'}/{r['columns']}"
        write(
            f"{r['kind']:44} {r['deltalake_rows']:>14} {r['spark_rows']:>10} "
            f"{'yes' if r['equal'] else 'NO':>6} {types:>6}"
        )


@pytest.fixture(scope="session")
def delta_spark(spark: Any) -> Any:
    """avrolake's Delta session, tuned for tiny tables (few snapshot partitions)."""
    spark.conf.set("spark.databricks.delta.snapshotPartitions", "2")
    spark.conf.set("spark.sql.shuffle.partitions", "2")
    return spark
