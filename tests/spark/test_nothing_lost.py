"""Nothing lost, nothing wrong (issue #9): one test (or a few) per numbered item of the issue.

Every test runs the job on real Spark (local[2]) and reads the Delta tables back with
deltalake. The subject is `metrics`, whose event time is `ts` (not `timestamp`), landed with
no partition flag; its files are written with fastavro and, for corrupt encodings, patched
byte by byte.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastavro
import pytest

from avrolake.cli import main
from avrolake.config import IngestConfig
from avrolake.errors import RegistryError, SchemaMigrationRequiredError
from avrolake.ingest import SourceFile, WorkerContext, run_ingest
from avrolake.ingest.worker import Outcome
from avrolake.lake import TableRef
from avrolake.orchestration.reconcile import reconcile_interval
from avrolake.spark.runner import SparkRunner
from avrolake.storage import S3Options, resolve
from tests.fixtures.lake import generate_logs, registry_with, rows_by_version, sql, write_avro

pytestmark = pytest.mark.spark
LEVEL = {"type": "enum", "name": "Level", "symbols": ["OK", "WARN", "FAIL"]}
READER: dict[str, Any] = {
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
        {"name": "level", "type": LEVEL, "default": "OK"},
        {"name": "tag", "type": ["null", "string"], "default": None},
    ],
}
DAY_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
STARTED = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
SYNC = bytes(range(16))


def registry(tmp: Path, *docs: dict[str, Any]) -> Path:
    subject = tmp / "registry" / "metrics"
    if subject.exists():
        shutil.rmtree(subject)
    subject.mkdir(parents=True)
    for n, doc in enumerate(docs or (READER,), start=1):
        (subject / f"v{n}.avsc").write_text(json.dumps(doc))
    return tmp / "registry"


def config(tmp: Path, run_id: str, **changes: Any) -> IngestConfig:
    registry_dir = tmp / "registry"
    if not registry_dir.exists():
        registry(tmp)
    settings: dict[str, Any] = {
        "source": str(tmp / "raw"),
        "table": str(tmp / "lake" / "metrics"),
        "run_id": run_id,
        "started_at": STARTED,
        "settle_seconds": 0,  # the files were just written
        "registry": registry_dir,
        **changes,
    }
    return IngestConfig(**settings)


def run(spark: Any, tmp: Path, run_id: str = "run-1", **changes: Any) -> dict[str, Any]:
    summary = run_ingest(config(tmp, run_id, **changes), SparkRunner(lambda: spark))
    assert summary.accounted, summary
    return summary.as_dict()


def record(i: int, score: float = 1.0, note: str = "ok", **more: Any) -> dict[str, Any]:
    return {"ts": DAY_MS + i, "score": score, "note": note, "t_ns": None, "level": "OK",
            "tag": None, **more}  # fmt: skip


def write(tmp: Path, name: str, records: list[Any], schema: dict[str, Any] = READER) -> str:
    return write_avro(resolve(str(tmp / "raw")), f"dt=2026-01-01/{name}", schema, records)


def avro_bytes(records: list[Any], schema: dict[str, Any] = READER, **kwargs: Any) -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(schema), records, sync_marker=SYNC, **kwargs)
    return buffer.getvalue()


def patched(tmp: Path, name: str, one: dict[str, Any], patch: Callable[[bytearray], None]) -> str:
    """A one-record, null-codec file whose block (count, size, record bytes, sync) is patched."""
    header = avro_bytes([])
    whole = avro_bytes([one])
    block = bytearray(whole[len(header) :])
    patch(block)
    path = tmp / "raw" / "dt=2026-01-01" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + bytes(block))
    return str(path)


def landed(tmp: Path, query: str = 'SELECT "_source_file" s, COUNT(*) n FROM t GROUP BY 1') -> Any:
    return sorted(
        sql(str(tmp / "lake" / "metrics"), query), key=lambda r: json.dumps(r, default=str)
    )


def quarantine_rows(tmp: Path) -> list[dict[str, Any]]:
    return sql(
        str(tmp / "lake" / "metrics_quarantine"), "SELECT path, error_kind FROM t ORDER BY path"
    )


def commit_stats(table: Path, version: int = 1) -> list[dict[str, Any]]:
    log = (table / "_delta_log" / f"{version:020d}.json").read_text().splitlines()
    adds = [json.loads(line)["add"] for line in log if '"add"' in line]
    return [json.loads(a["stats"]) for a in adds]


def log_actions(table: Path, version: int) -> list[dict[str, Any]]:
    text = (table / "_delta_log" / f"{version:020d}.json").read_text()
    return [json.loads(line) for line in text.splitlines()]


# -- 1. migrate keeps renamed and promoted values -----------------------------------------------


def test_item1_migrate_reads_renamed_columns_through_aliases_and_keeps_promoted_values(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def ingest(registry_dir: Path, run_id: str) -> dict[str, Any]:
        cfg = config(tmp_path, run_id, registry=registry_dir, table=str(tmp_path / "lake" / "logs"))
        return run_ingest(cfg, SparkRunner(lambda: spark)).as_dict()

    v1_v2 = registry_with(tmp_path / "old", [1, 2])
    generate_logs(resolve(str(tmp_path / "raw")), registry=v1_v2, files=4, records=50, seed=4)
    ingest(v1_v2, "run-1")
    table = str(tmp_path / "lake" / "logs")
    before = sql(table, 'SELECT "_source_file" f, timestamp, service, latency_ms FROM t')
    assert len(before) == 200

    v3 = registry_with(tmp_path / "new", [1, 2, 3])
    generate_logs(resolve(str(tmp_path / "raw" / "v3")), versions=[3], files=1, records=50)
    with pytest.raises(SchemaMigrationRequiredError) as refused:
        ingest(v3, "run-2")
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
    assert "service" not in sql(table, "SELECT * FROM t LIMIT 1")[0]
    assert sql(table, "SELECT arrow_typeof(latency_ms) ty FROM t LIMIT 1") == [{"ty": "Int64"}]

    summary = ingest(v3, "run-3")
    assert (summary["files_skipped"], summary["files_ingested"]) == (4, 1)
    assert rows_by_version(table) == {1: 100, 2: 100, 3: 50}
    assert sql(table, "SELECT COUNT(*) n FROM t WHERE service_name IS NULL") == [{"n": 0}]


# -- 2. non-finite doubles ----------------------------------------------------------------------


def test_item2_non_finite_doubles_land_and_the_table_stays_readable(
    spark: Any, tmp_path: Path
) -> None:
    values = [math.inf, -math.inf, math.nan, 2.5]
    write(tmp_path, "inf.avro", [record(i, v) for i, v in enumerate(values)])
    summary = run(spark, tmp_path)
    assert (summary["files_ingested"], summary["records_written"]) == (1, 4)
    table = tmp_path / "lake" / "metrics"
    scores = [r["score"] for r in sql(str(table), "SELECT score FROM t ORDER BY ts")]
    assert scores[:2] == [math.inf, -math.inf]
    assert math.isnan(scores[2])
    assert scores[3] == 2.5
    (stats,) = commit_stats(table)
    assert "score" not in stats["minValues"]
    assert "score" not in stats["maxValues"]
    assert stats["minValues"]["note"] == "ok"
    rerun = run(spark, tmp_path, "run-2")  # the log stays readable: a rerun plans and skips
    assert (rerun["files_skipped"], rerun["files_ingested"], rerun["table_version"]) == (1, 0, 1)
    assert main(["status", "--table", str(table)]) == 0


# -- 3. poison pills ----------------------------------------------------------------------------


def test_item3_far_future_event_time_quarantines_only_its_file(spark: Any, tmp_path: Path) -> None:
    writer = json.loads(json.dumps(READER))
    writer["fields"][0]["type"] = "long"  # a plain long: compatible, and no clock check
    far = write(tmp_path, "far.avro", [record(0, ts=300_000_000_000_000)], writer)  # year 11476
    good = write(tmp_path, "good.avro", [record(0, 1.5)])
    summary = run(spark, tmp_path)
    assert summary["quarantined"] == [{"path": far, "error_kind": "event_time_out_of_range"}]
    assert (summary["files_ingested"], summary["records_written"]) == (1, 1)
    assert landed(tmp_path) == [{"s": good, "n": 1}]
    (row,) = sql(
        str(tmp_path / "lake" / "metrics_quarantine"),
        "SELECT writer_fingerprint fp, writer_schema ws FROM t",
    )
    assert len(row["fp"]) == 16
    assert json.loads(row["ws"])["fields"][0] == {"name": "ts", "type": "long"}


def test_item3_timestamp_nanos_never_lose_precision_silently(spark: Any, tmp_path: Path) -> None:
    whole = write(tmp_path, "us.avro", [record(0, t_ns=1_000)])
    sub_us = write(tmp_path, "ns.avro", [record(1, t_ns=1_001)])
    summary = run(spark, tmp_path)
    assert summary["quarantined"] == [{"path": sub_us, "error_kind": "conversion_error"}]
    (row,) = sql(str(tmp_path / "lake" / "metrics"), 'SELECT "_source_file" s, t_ns FROM t')
    assert row == {"s": whole, "t_ns": dt.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC)}


# -- 4. changed files ---------------------------------------------------------------------------


def test_item4_a_file_younger_than_the_settle_time_is_deferred_then_lands(
    spark: Any, tmp_path: Path
) -> None:
    path = write(tmp_path, "fresh.avro", [record(i) for i in range(3)])
    now = dt.datetime.now(dt.UTC)
    first = run(spark, tmp_path, started_at=now, settle_seconds=60)
    assert (first["files_deferred"], first["deferred"], first["files_ingested"]) == (1, [path], 0)
    old = (now - dt.timedelta(minutes=5)).timestamp()
    os.utime(path, (old, old))
    second = run(spark, tmp_path, "run-2", started_at=now, settle_seconds=60)
    assert (second["files_deferred"], second["files_ingested"], second["records_written"]) == (
        0, 1, 3,
    )  # fmt: skip


class GrowingRunner(SparkRunner):
    """Appends records to a file after the listing, before the tasks read it."""

    def __init__(self, spark: Any, path: str, records: list[Any]) -> None:
        super().__init__(lambda: spark)
        self.path, self.records = path, records

    def run(self, groups: list[list[SourceFile]], ctx: WorkerContext) -> list[Outcome]:
        Path(self.path).write_bytes(avro_bytes(self.records))
        return super().run(groups, ctx)


def test_item4_a_file_that_grows_while_read_is_deferred_and_lands_whole_later(
    spark: Any, tmp_path: Path
) -> None:
    path = write(tmp_path, "growing.avro", [record(i) for i in range(10)])
    grown = [record(i) for i in range(25)]
    summary = run_ingest(config(tmp_path, "run-1"), GrowingRunner(spark, path, grown)).as_dict()
    assert (summary["files_deferred"], summary["deferred"], summary["files_ingested"]) == (
        1, [path], 0,
    )  # fmt: skip
    assert not (tmp_path / "lake" / "metrics_ledger").exists() or landed(tmp_path) == []
    later = run(spark, tmp_path, "run-2")
    assert (later["files_ingested"], later["records_written"]) == (1, 25)
    assert landed(tmp_path) == [{"s": path, "n": 25}]


def test_item4_a_file_rewritten_after_landing_replaces_its_rows_in_one_commit(
    spark: Any, tmp_path: Path
) -> None:
    # landed by separate runs, so a.avro's rows have a data file of their own (small files
    # of one task share files; replacing one of those first deletes by predicate, in a
    # commit of its own: docs/ledger.md)
    path = write(tmp_path, "a.avro", [record(i, note="old") for i in range(3)])
    assert run(spark, tmp_path)["table_version"] == 1
    other = write(tmp_path, "b.avro", [record(i, note="b") for i in range(2)])
    assert run(spark, tmp_path, "run-1b")["table_version"] == 2
    Path(path).write_bytes(avro_bytes([record(i, note="new") for i in range(5)]))
    summary = run(spark, tmp_path, "run-2")
    assert (summary["files_ingested"], summary["files_replaced"], summary["files_skipped"]) == (
        1, 1, 1,
    )  # fmt: skip
    assert summary["table_version"] == 3
    assert landed(tmp_path, 'SELECT "_source_file" s, note, COUNT(*) n FROM t GROUP BY 1, 2') == [
        {"s": path, "note": "new", "n": 5},
        {"s": other, "note": "b", "n": 2},
    ]
    actions = log_actions(tmp_path / "lake" / "metrics", 3)
    assert sum("remove" in a for a in actions) == 1  # the old file of a.avro, in the same commit
    assert sum("add" in a for a in actions) == 1
    assert run(spark, tmp_path, "run-3")["files_skipped"] == 2


def test_item4_a_byte_identical_copy_is_reported_and_not_landed_twice(
    spark: Any, tmp_path: Path
) -> None:
    original = write(tmp_path, "a.avro", [record(i) for i in range(4)])
    run(spark, tmp_path)
    copy = tmp_path / "raw" / "dt=2026-01-01" / "copy-of-a.avro"
    shutil.copyfile(original, copy)
    summary = run(spark, tmp_path, "run-2")
    assert summary["duplicates"] == [{"path": str(copy), "copy_of": original}]
    assert (summary["files_duplicate"], summary["files_ingested"], summary["records_written"]) == (
        1, 0, 0,
    )  # fmt: skip
    assert landed(tmp_path) == [{"s": original, "n": 4}]
    rerun = run(spark, tmp_path, "run-3")
    assert (rerun["files_skipped"], rerun["files_duplicate"]) == (2, 0)


def test_item4_same_sync_marker_and_size_but_other_bytes_is_not_a_copy(
    spark: Any, tmp_path: Path
) -> None:
    raw = tmp_path / "raw" / "dt=2026-01-01"
    raw.mkdir(parents=True)
    (raw / "a.avro").write_bytes(avro_bytes([record(1, note="aa")]))  # both with SYNC
    (raw / "b.avro").write_bytes(avro_bytes([record(2, note="bb")]))
    assert (raw / "a.avro").stat().st_size == (raw / "b.avro").stat().st_size
    summary = run(spark, tmp_path)
    assert (summary["files_ingested"], summary["duplicates"]) == (2, [])
    assert landed(tmp_path, "SELECT note FROM t ORDER BY note") == [{"note": "aa"}, {"note": "bb"}]


# -- 5. quarantine heals ------------------------------------------------------------------------


def test_item5_incompatible_files_are_retried_when_the_reader_schema_changes(
    spark: Any, tmp_path: Path
) -> None:
    files = [write(tmp_path, f"m{i}.avro", [record(i)]) for i in range(2)]
    breaking = {**READER, "fields": [*READER["fields"], {"name": "unit", "type": "string"}]}
    registry(tmp_path, READER, breaking)  # v2 by mistake: a new field with no default
    first = run(spark, tmp_path)
    assert first["quarantined"] == [{"path": f, "error_kind": "incompatible_schema"} for f in files]
    assert run(spark, tmp_path, "run-2")["files_skipped"] == 2  # same reader: not retried
    unit = {"name": "unit", "type": "string", "default": "ms"}
    fixed = {**READER, "fields": [*READER["fields"], unit]}
    registry(tmp_path, READER, fixed)
    healed = run(spark, tmp_path, "run-3")
    assert (healed["files_ingested"], healed["records_written"], healed["files_quarantined"]) == (
        2, 2, 0,
    )  # fmt: skip
    assert landed(tmp_path, "SELECT unit, COUNT(*) n FROM t GROUP BY 1") == [{"unit": "ms", "n": 2}]


def test_item5_quarantine_list_retry_and_status_by_kind(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, "good.avro", [record(0)])
    junk = tmp_path / "raw" / "dt=2026-01-01" / "junk.avro"
    junk.write_bytes(b"this is not avro")
    run(spark, tmp_path)
    table = str(tmp_path / "lake" / "metrics")
    capsys.readouterr()
    assert main(["quarantine", "list", "--table", table, "--kind", "not_avro", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["path"], listed["error_kind"], listed["run_id"]) == (
        str(junk),
        "not_avro",
        "run-1",
    )
    assert main(["status", "--table", table, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["quarantined_by_kind"] == {"not_avro": 1}
    assert status["source_files"] == {"landed": 1, "quarantined": 1}

    assert run(spark, tmp_path, "run-2")["files_skipped"] == 2  # not retried by itself
    assert main(["quarantine", "retry", "--table", table, "--path", "*/junk.avro"]) == 0
    assert "1 file(s) released" in capsys.readouterr().out
    retried = run(spark, tmp_path, "run-3")
    assert retried["quarantined"] == [{"path": str(junk), "error_kind": "not_avro"}]
    assert quarantine_rows(tmp_path) == [{"path": str(junk), "error_kind": "not_avro"}] * 2

    junk.write_bytes(avro_bytes([record(7)]))  # fixed in place: a changed file is read again
    fixed = run(spark, tmp_path, "run-4")
    assert (fixed["files_ingested"], fixed["files_skipped"]) == (1, 1)
    assert landed(tmp_path) == [{"s": good, "n": 1}, {"s": str(junk), "n": 1}]
    assert main(["quarantine", "list", "--table", table, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


# -- 6. empty files -----------------------------------------------------------------------------


def no_spark() -> Any:
    raise AssertionError("Spark was started for a run with nothing to read")


def test_item6_empty_files_land_once_with_zero_records_and_reconcile_counts_them(
    spark: Any, tmp_path: Path
) -> None:
    header_only = write(tmp_path, "header-only.avro", [])
    zero_block = patched(tmp_path, "zero-block.avro", record(0), lambda b: b.__setitem__(
        slice(0, len(b) - 16), b"\x00\x00"))  # fmt: skip
    good = write(tmp_path, "good.avro", [record(0)])
    first = run(spark, tmp_path)
    assert (first["files_ingested"], first["records_written"], first["table_version"]) == (3, 1, 1)
    again = run_ingest(config(tmp_path, "run-2"), SparkRunner(no_spark)).as_dict()
    assert (again["files_skipped"], again["files_ingested"], again["table_version"]) == (3, 0, 1)
    ref = TableRef.at(str(tmp_path / "lake" / "metrics"), S3Options())
    report = reconcile_interval(
        str(tmp_path / "raw"), ref, dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 2, tzinfo=dt.UTC), max_quarantined=0,
    )  # fmt: skip
    assert (report.files_seen, report.files_landed, report.unaccounted) == (3, 3, [])
    assert landed(tmp_path) == [{"s": good, "n": 1}]
    ledger = sql(str(tmp_path / "lake" / "metrics_ledger"), "SELECT path, status, records FROM t")
    assert sorted((r["path"], r["status"], r["records"]) for r in ledger) == [
        (good, "landed", 1),
        (header_only, "landed", 0),
        (zero_block, "landed", 0),
    ]


# -- 7. corrupt encodings -----------------------------------------------------------------------


def test_item7_negative_enum_union_and_block_counts_are_quarantined(
    spark: Any, tmp_path: Path
) -> None:
    # The record's last two bytes are the enum index (level) and the union index (tag);
    # the block starts with its record count (1 -> 0x02).
    enum = patched(tmp_path, "enum.avro", record(0), lambda b: b.__setitem__(-18, 0x01))
    union = patched(tmp_path, "union.avro", record(0), lambda b: b.__setitem__(-17, 0x01))
    block = patched(tmp_path, "block.avro", record(0), lambda b: b.__setitem__(0, 0x01))
    good = write(tmp_path, "good.avro", [record(0)])
    summary = run(spark, tmp_path)
    assert summary["quarantined"] == [
        {"path": block, "error_kind": "corrupt_data"},
        {"path": enum, "error_kind": "corrupt_data"},
        {"path": union, "error_kind": "corrupt_data"},
    ]
    assert landed(tmp_path) == [{"s": good, "n": 1}]
    messages = sql(str(tmp_path / "lake" / "metrics_quarantine"), "SELECT path, message FROM t")
    by_path = {m["path"]: m["message"] for m in messages}
    assert "enum index -1" in by_path[enum]
    assert "union index -1" in by_path[union]
    assert "negative block count" in by_path[block]


# -- 8. discovery edges -------------------------------------------------------------------------


def test_item8_bad_names_dangling_links_and_a_missing_source(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, "good.avro", [record(0)])
    folder = os.fsencode(tmp_path / "raw" / "dt=2026-01-01")
    with open(os.path.join(folder, b"bad-\xff.avro"), "wb") as handle:
        handle.write(avro_bytes([record(1)]))
    dangling = tmp_path / "raw" / "dt=2026-01-01" / "gone.avro"
    dangling.symlink_to(tmp_path / "nowhere.avro")
    summary = run(spark, tmp_path)
    bad_name = str(tmp_path / "raw" / "dt=2026-01-01") + "/bad-\\xff.avro"
    assert summary["files_seen"] == 3
    assert summary["quarantined"] == [
        {"path": bad_name, "error_kind": "bad_name"},
        {"path": str(dangling), "error_kind": "dangling_link"},
    ]
    assert landed(tmp_path) == [{"s": good, "n": 1}]
    assert run(spark, tmp_path, "run-2")["files_skipped"] == 3

    code = main(
        ["ingest", "--source", str(tmp_path / "absent"), "--table", str(tmp_path / "other"),
         "--registry", str(tmp_path / "registry")]
    )  # fmt: skip
    assert code == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()


# -- 9. smaller items ---------------------------------------------------------------------------


def test_item9_run_ids_and_subjects_cannot_escape(spark: Any, tmp_path: Path) -> None:
    write(tmp_path, "good.avro", [record(0)])
    args = ["--source", str(tmp_path / "raw"), "--table", str(tmp_path / "t"), "--registry",
            str(tmp_path / "registry"), "--run-id", "x/../../.."]  # fmt: skip
    assert main(["ingest", *args]) == 2
    assert not (tmp_path / "t").exists()
    with pytest.raises(RegistryError):
        run(spark, tmp_path, subject="../elsewhere")


def test_item9_long_strings_get_no_bounds_in_stats(spark: Any, tmp_path: Path) -> None:
    # Parquet keeps no footer statistics for values over 4 KiB, and the Delta statistics come
    # from the footer (docs/table.md): no bound, so no reader skips the file wrongly
    message = "x" * (2 * 1024 * 1024)
    write(tmp_path, "long.avro", [record(0, note=message)])
    run(spark, tmp_path)
    table = tmp_path / "lake" / "metrics"
    (stats,) = commit_stats(table)
    assert "note" not in stats["minValues"]
    assert "note" not in stats["maxValues"]
    assert stats["numRecords"] == 1
    assert (table / "_delta_log" / f"{1:020d}.json").stat().st_size < 10_000
    assert sql(str(table), "SELECT length(note) n FROM t") == [{"n": len(message)}]


def test_item9_error_kinds_are_right(spark: Any, tmp_path: Path) -> None:
    # the record ends with note ("ok"), t_ns, level and tag indexes, then the sync marker
    bad_utf8 = patched(
        tmp_path, "utf8.avro", record(0), lambda b: b.__setitem__(slice(-21, -19), b"\xff\xfe")
    )
    header = bytearray(avro_bytes([record(0)]))
    at = header.index(b'"record"')
    header[at : at + 8] = b'"recxrd"'  # same length: the header stays well framed
    bad_schema = tmp_path / "raw" / "dt=2026-01-01" / "schema.avro"
    bad_schema.write_bytes(bytes(header))
    summary = run(spark, tmp_path)
    assert summary["quarantined"] == [
        {"path": str(bad_schema), "error_kind": "invalid_writer_schema"},
        {"path": bad_utf8, "error_kind": "corrupt_data"},
    ]


class RacingRunner(SparkRunner):
    """Another run lands the same files while this one decodes them."""

    def __init__(self, spark: Any, rival: IngestConfig) -> None:
        super().__init__(lambda: spark)
        self.spark, self.rival = spark, rival

    def run(self, groups: list[list[SourceFile]], ctx: WorkerContext) -> list[Outcome]:
        self.rival_summary = run_ingest(self.rival, SparkRunner(lambda: self.spark)).as_dict()
        return super().run(groups, ctx)


def test_item9_the_loser_of_two_concurrent_runs_reports_exactly(spark: Any, tmp_path: Path) -> None:
    write(tmp_path, "good.avro", [record(0)])
    (tmp_path / "raw" / "dt=2026-01-01" / "junk.avro").write_bytes(b"junk")
    runner = RacingRunner(spark, config(tmp_path, "winner"))
    loser = run_ingest(config(tmp_path, "loser"), runner).as_dict()
    assert runner.rival_summary["table_version"] == 1
    assert (runner.rival_summary["files_ingested"], runner.rival_summary["files_quarantined"]) == (
        1, 1,
    )  # fmt: skip
    assert (loser["files_skipped"], loser["files_ingested"], loser["files_quarantined"]) == (
        2,
        0,
        0,
    )
    assert loser["table_version"] == 1
    assert len(quarantine_rows(tmp_path)) == 1
    assert landed(tmp_path, "SELECT COUNT(*) n FROM t") == [{"n": 1}]


def test_item9_a_block_past_the_size_cap_is_quarantined_as_too_large(
    spark: Any, tmp_path: Path
) -> None:
    bomb = tmp_path / "raw" / "dt=2026-01-01" / "bomb.avro"
    bomb.parent.mkdir(parents=True)
    bomb.write_bytes(avro_bytes([record(0, note="x" * (4 * 2**20))], codec="deflate"))
    assert bomb.stat().st_size < 20_000
    good = write(tmp_path, "good.avro", [record(0)])
    summary = run(spark, tmp_path, max_block_bytes=2**20)
    assert summary["quarantined"] == [{"path": str(bomb), "error_kind": "too_large"}]
    assert landed(tmp_path) == [{"s": good, "n": 1}]


# -- the acceptance run -----------------------------------------------------------------


def test_acceptance_hostile_files_beside_good_ones_exit_0_and_a_rerun_ingests_nothing(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = [
        write(tmp_path, f"good-{i}.avro", [record(i * 10 + j) for j in range(5)]) for i in range(2)
    ]
    inf = write(tmp_path, "non-finite.avro", [record(0, math.inf), record(1, -math.inf),
                                               record(2, math.nan)])  # fmt: skip
    enum = patched(tmp_path, "negative-enum.avro", record(0), lambda b: b.__setitem__(-18, 0x01))
    empty = write(tmp_path, "empty.avro", [])
    writer = json.loads(json.dumps(READER))
    writer["fields"][0]["type"] = "long"
    far = write(tmp_path, "far-future.avro", [record(0, ts=300_000_000_000_000)], writer)
    table = str(tmp_path / "lake" / "metrics")
    args = ["ingest", "--source", str(tmp_path / "raw"), "--table", table,
            "--registry", str(registry(tmp_path)), "--json"]  # fmt: skip

    capsys.readouterr()
    assert main([*args, "--run-id", "hostile-1"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["files_seen"] == 6
    assert (first["files_ingested"], first["records_written"]) == (4, 13)  # 2x5 good, 3 non-finite
    assert first["quarantined"] == [
        {"path": far, "error_kind": "event_time_out_of_range"},
        {"path": enum, "error_kind": "corrupt_data"},
    ]
    counts = sql(table, 'SELECT "_source_file" s, COUNT(*) n FROM t GROUP BY 1 ORDER BY 1')
    assert counts == sorted([{"s": g, "n": 5} for g in good] + [{"s": inf, "n": 3}],
                            key=lambda r: r["s"])  # fmt: skip
    scores = sql(table, f"SELECT score FROM t WHERE \"_source_file\" = '{inf}' ORDER BY ts")
    assert [r["score"] for r in scores[:2]] == [math.inf, -math.inf]
    assert math.isnan(scores[2]["score"])
    ledger = sql(f"{table}_ledger", f"SELECT records FROM t WHERE path = '{empty}'")
    assert ledger == [{"records": 0}]

    assert main([*args, "--run-id", "hostile-2"]) == 0
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (second["files_seen"], second["files_skipped"], second["files_ingested"]) == (6, 6, 0)
    assert (second["records_written"], second["table_version"]) == (0, 1)
    assert main(["status", "--table", table]) == 0
