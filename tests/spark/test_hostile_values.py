"""Hostile but valid values: they land as themselves, or only their file is quarantined.

A subject whose event time is `ts` (not `timestamp`), with no partition flag.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest

from avrolake.config import IngestConfig
from avrolake.ingest import run_ingest
from avrolake.spark.runner import SparkRunner
from avrolake.storage import resolve
from tests.fixtures.lake import sql, write_avro

pytestmark = pytest.mark.spark
READER = {
    "type": "record",
    "name": "Metric",
    "namespace": "io.example.metrics",
    "fields": [
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "score", "type": "double"},
        {"name": "note", "type": "string"},
        {
            "name": "t_ns",
            "type": ["null", {"type": "long", "logicalType": "timestamp-nanos"}],
            "default": None,
        },
    ],
}
DAY_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def registry(tmp: Path) -> Path:
    subject = tmp / "registry" / "metrics"
    subject.mkdir(parents=True, exist_ok=True)
    (subject / "v1.avsc").write_text(json.dumps(READER))
    return tmp / "registry"


def run(spark: Any, tmp: Path, run_id: str = "run-1") -> dict[str, Any]:
    config = IngestConfig(
        source=str(tmp / "raw"),
        table=str(tmp / "lake" / "metrics"),
        run_id=run_id,
        started_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        registry=registry(tmp),
    )
    return run_ingest(config, SparkRunner(lambda: spark)).as_dict()


def record(i: int, score: float, note: str = "ok", t_ns: int | None = None) -> dict[str, Any]:
    return {"ts": DAY_MS + i, "score": score, "note": note, "t_ns": t_ns}


def good_file(tmp: Path) -> str:
    return write_avro(
        resolve(str(tmp / "raw")), "dt=2026-01-01/good.avro", READER, [record(0, 1.5)]
    )


def commit_stats(table: Path) -> list[dict[str, Any]]:
    log = (table / "_delta_log" / "00000000000000000001.json").read_text().splitlines()
    adds = [json.loads(line)["add"] for line in log if '"add"' in line]
    return [json.loads(a["stats"]) for a in adds]


def test_non_finite_doubles_land_as_themselves_and_leave_min_max_out(
    spark: Any, tmp_path: Path
) -> None:
    values = [math.inf, -math.inf, math.nan, 2.5]
    write_avro(
        resolve(str(tmp_path / "raw")),
        "dt=2026-01-01/inf.avro",
        READER,
        [record(i, v) for i, v in enumerate(values)],
    )
    summary = run(spark, tmp_path)
    assert (summary["files_ingested"], summary["records_written"]) == (1, 4)
    table = tmp_path / "lake" / "metrics"
    landed = [r["score"] for r in sql(str(table), "SELECT score FROM t ORDER BY ts")]
    assert landed[0] == math.inf
    assert landed[1] == -math.inf
    assert math.isnan(landed[2])
    assert landed[3] == 2.5
    (stats,) = commit_stats(table)
    assert "score" not in stats["minValues"]
    assert "score" not in stats["maxValues"]
    assert stats["minValues"]["note"] == "ok"
    rerun = run(spark, tmp_path, "run-2")  # the log stays readable: a rerun plans and skips
    assert (rerun["files_skipped"], rerun["files_ingested"], rerun["table_version"]) == (1, 0, 1)


def test_far_future_event_time_quarantines_only_its_file(spark: Any, tmp_path: Path) -> None:
    writer = json.loads(json.dumps(READER))
    writer["fields"][0]["type"] = "long"  # a plain long: compatible, and no clock check
    far = write_avro(
        resolve(str(tmp_path / "raw")),
        "dt=2026-01-01/far.avro",
        writer,
        [{**record(0, 1.0), "ts": 300_000_000_000_000}],  # year 11476
    )
    good = good_file(tmp_path)
    summary = run(spark, tmp_path)
    assert summary["quarantined"] == [{"path": far, "error_kind": "event_time_out_of_range"}]
    assert (summary["files_ingested"], summary["records_written"]) == (1, 1)
    rows = sql(str(tmp_path / "lake" / "metrics"), 'SELECT "_source_file" s FROM t')
    assert rows == [{"s": good}]
    (row,) = sql(
        str(tmp_path / "lake" / "metrics_quarantine"),
        "SELECT writer_fingerprint fp, writer_schema ws FROM t",
    )
    assert len(row["fp"]) == 16
    assert json.loads(row["ws"])["fields"][0] == {"name": "ts", "type": "long"}


def test_timestamp_nanos_never_lose_precision_silently(spark: Any, tmp_path: Path) -> None:
    raw = resolve(str(tmp_path / "raw"))
    whole = write_avro(raw, "dt=2026-01-01/us.avro", READER, [record(0, 1.0, t_ns=1_000)])
    sub_us = write_avro(raw, "dt=2026-01-01/ns.avro", READER, [record(1, 1.0, t_ns=1_001)])
    summary = run(spark, tmp_path)
    assert summary["quarantined"] == [{"path": sub_us, "error_kind": "conversion_error"}]
    (row,) = sql(str(tmp_path / "lake" / "metrics"), 'SELECT "_source_file" s, t_ns FROM t')
    assert row == {"s": whole, "t_ns": dt.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC)}


def test_long_strings_land_whole_and_are_truncated_in_stats(spark: Any, tmp_path: Path) -> None:
    message = "x" * (2 * 1024 * 1024)
    write_avro(
        resolve(str(tmp_path / "raw")),
        "dt=2026-01-01/long.avro",
        READER,
        [record(0, 1.0, message)],
    )
    run(spark, tmp_path)
    table = tmp_path / "lake" / "metrics"
    (stats,) = commit_stats(table)
    assert stats["minValues"]["note"] == "x" * 32
    assert stats["maxValues"]["note"] == "x" * 32 + chr(0x10FFFF)
    assert (table / "_delta_log" / "00000000000000000001.json").stat().st_size < 10_000
    assert sql(str(table), "SELECT length(note) n FROM t") == [{"n": len(message)}]
