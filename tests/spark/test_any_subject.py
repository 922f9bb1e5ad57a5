"""The job lands ANY registered subject, not only the demo's log_event.

The `clickstream` subject of tests/data/registry has its event time in `ts` and no
`timestamp` field; it is landed with no subject and no partition flag (the defaults: the
registry's only subject, partitioned by the UTC date of its first timestamp field).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from avrolake.cli import main
from avrolake.config import IngestConfig
from avrolake.ingest import run_ingest
from avrolake.registry import Registry
from avrolake.spark.runner import SparkRunner
from avrolake.storage import resolve
from tests.fixtures.clickstream import (
    DATA_COLUMNS,
    DATA_REGISTRY,
    EVENT_DATES,
    METADATA_COLUMNS,
    RECORDS_BY_VERSION,
    ROWS_QUERY,
    SUBJECT,
    expected_rows,
    write_clickstream,
    write_corrupt,
)
from tests.fixtures.lake import rows_by_version, sql

pytestmark = pytest.mark.spark
STARTED = dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)


def config(tmp: Path, run_id: str) -> IngestConfig:
    """No subject, no partitioning: everything else is the job's default."""
    return IngestConfig(
        str(tmp / "raw"),
        str(tmp / "lake" / "clicks"),
        run_id,
        STARTED,
        registry=DATA_REGISTRY,
        settle_seconds=0,  # the files were just written
    )


def summary_of(
    run_id: str,
    *,
    seen: int,
    ingested: int,
    skipped: int = 0,
    quarantined: list[dict[str, str]] | None = None,
    version: int,
) -> dict[str, Any]:
    by_version = RECORDS_BY_VERSION if ingested else {}
    return {
        "run_id": run_id,
        "files_seen": seen,
        "files_ingested": ingested,
        "files_skipped": skipped,
        "files_quarantined": len(quarantined or []),
        "files_deferred": 0,
        "files_duplicate": 0,
        "files_replaced": 0,
        "files_late": 0,
        "records_written": sum(by_version.values()),
        "table_version": version,
        "records_by_writer_version": by_version,
        "records_by_decode_path": {"native": sum(by_version.values())} if ingested else {},
        "quarantined": quarantined or [],
        "duplicates": [],
        "deferred": [],
        "files_decided_concurrently": 0,
        "late": [],
        "sweep": {},
        "files_outside_layout": 0,
        "outside_layout": [],
    }


def timed(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary less its planning time, checked to be a duration."""
    assert 0 <= summary.pop("planning_seconds") < 60
    return summary


@pytest.fixture
def cli_on_shared_spark(spark: Any) -> Any:
    """`avrolake ingest` in this process uses the already active session and leaves it running
    (it stops only a session it started itself)."""
    yield spark
    assert spark.range(3).count() == 3  # still alive for every later spark test


def test_a_second_subject_lands_with_no_subject_and_no_partition_flag(
    spark: Any, tmp_path: Path
) -> None:
    written = write_clickstream(resolve(str(tmp_path / "raw")))
    summary = run_ingest(config(tmp_path, "run-1"), SparkRunner(lambda: spark)).as_dict()
    assert timed(summary) == summary_of("run-1", seen=3, ingested=3, version=1)

    table = str(tmp_path / "lake" / "clicks")
    # Every record, resolved to v2: v1's `page` in page_url (alias), int duration promoted with
    # the same value, enum symbols as strings, the nested device with v2's os_version defaulted.
    assert sql(table, ROWS_QUERY) == expected_rows(written)
    assert rows_by_version(table) == {1: 5, 2: 3}

    delta = DeltaTable(table)
    assert delta.version() == 1
    assert delta.metadata().partition_columns == ["event_date"]
    columns = {f["name"]: f["type"] for f in json.loads(delta.schema().to_json())["fields"]}
    assert list(columns) == [*DATA_COLUMNS, *METADATA_COLUMNS, "event_date"]
    assert "timestamp" not in columns
    string = {"type": "string", "nullable": True, "metadata": {}}
    assert {k: columns[k] for k in DATA_COLUMNS} == {
        "ts": "timestamp",
        "user_id": "string",
        "page_url": "string",
        "action": "string",  # enum symbols land as strings
        "duration": "long",  # int in v1, long in v2: one 64-bit column
        "device": {
            "type": "struct",
            "fields": [{"name": n, **string} for n in ("os", "model", "os_version")],
        },
        "referrer": "string",
    }
    assert columns["event_date"] == "date"

    # Each writer version is known by its registered fingerprint.
    registry = Registry(DATA_REGISTRY)
    fingerprints = sql(
        table,
        'SELECT DISTINCT "_writer_schema_version" v, "_writer_schema_fingerprint" fp FROM t '
        "ORDER BY v",
    )
    assert fingerprints == [
        {"v": v.version, "fp": v.fingerprint} for v in registry.versions(SUBJECT)
    ]
    assert sql(table, 'SELECT DISTINCT "_run_id" r, "_ingested_at" at FROM t') == [
        {"r": "run-1", "at": STARTED}
    ]

    # Partition folders: one per UTC date of `ts`, each holding only rows of its date.
    folders = sorted(p.name for p in (tmp_path / "lake" / "clicks").iterdir() if p.is_dir())
    assert folders == ["_delta_log", *(f"event_date={d.isoformat()}" for d in EVENT_DATES)]
    for day in EVENT_DATES:
        files = list((tmp_path / "lake" / "clicks" / f"event_date={day.isoformat()}").glob("*"))
        assert files
        dates = {t.date() for f in files for t in pq.read_table(f).column("ts").to_pylist()}
        assert dates == {day}
    by_date = sql(table, "SELECT event_date d, COUNT(*) n FROM t GROUP BY 1 ORDER BY 1")
    assert by_date == [{"d": EVENT_DATES[0], "n": 4}, {"d": EVENT_DATES[1], "n": 4}]

    # The run's commit names the subject and its reader version.
    (commit,) = [c for c in delta.history() if "avrolake" in c]
    audit = json.loads(commit["avrolake"])
    assert (audit["subject"], audit["reader_version"], audit["run_id"]) == (SUBJECT, 2, "run-1")
    assert sorted(
        (f["path"], f["writer_version"], f["records"]) for f in audit["source_files"]
    ) == [
        (written.uri("clicks-v1-a.avro"), 1, 3),
        (written.uri("clicks-v1-b.avro"), 1, 2),
        (written.uri("clicks-v2-a.avro"), 2, 3),
    ]

    rerun = run_ingest(config(tmp_path, "run-2"), SparkRunner(lambda: spark)).as_dict()
    assert timed(rerun) == summary_of("run-2", seen=3, ingested=0, skipped=3, version=1)
    assert DeltaTable(table).version() == 1
    assert sql(table, ROWS_QUERY) == expected_rows(written)


def test_cli_ingest_of_a_second_subject_prints_the_exact_summary(
    cli_on_shared_spark: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = write_clickstream(resolve(str(tmp_path / "raw")))
    table = str(tmp_path / "lake" / "clicks")
    args = ["ingest", "--source", str(tmp_path / "raw"), "--table", table]
    args += ["--registry", str(DATA_REGISTRY), "--run-id", "cli-run", "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert timed(summary) == summary_of("cli-run", seen=3, ingested=3, version=1)
    assert sql(table, ROWS_QUERY) == expected_rows(written)


def test_cli_unknown_partition_field_is_a_usage_error_before_any_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from avrolake.spark.session import SessionHolder

    def no_spark(self: Any) -> Any:
        raise AssertionError("Spark must not start for a bad partition field")

    monkeypatch.setattr(SessionHolder, "__call__", no_spark)
    write_clickstream(resolve(str(tmp_path / "raw")))
    table = tmp_path / "lake" / "clicks"
    args = ["ingest", "--source", str(tmp_path / "raw"), "--table", str(table)]
    args += ["--registry", str(DATA_REGISTRY), "--partition-field", "nosuch", "--json"]
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "'nosuch'" in err
    assert re.search(r"timestamp fields are: ts\b", err), err
    assert not table.exists()
    assert not (tmp_path / "lake").exists()


def test_cli_quarantine_table_option_is_used_by_ingest_and_status(
    cli_on_shared_spark: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = resolve(str(tmp_path / "raw"))
    written = write_clickstream(raw)
    bad = write_corrupt(raw)
    table, quarantine = str(tmp_path / "lake" / "clicks"), str(tmp_path / "q")
    args = ["ingest", "--source", str(tmp_path / "raw"), "--table", table]
    args += ["--registry", str(DATA_REGISTRY), "--quarantine-table", quarantine]
    assert main([*args, "--run-id", "cli-q", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert timed(summary) == summary_of(
        "cli-q",
        seen=4,
        ingested=3,
        quarantined=[{"path": bad, "error_kind": "not_avro"}],
        version=1,
    )
    assert sql(table, ROWS_QUERY) == expected_rows(written)
    assert not Path(f"{table}_quarantine").exists()

    assert main(["status", "--table", table, "--quarantine-table", quarantine, "--json"]) == 0
    status = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert status["quarantine_table"] == quarantine
    assert status["table_version"] == 1
    assert status["rows"] == 8
    assert status["rows_by_writer_version"] == RECORDS_BY_VERSION
    assert status["last_runs"] == [
        {
            "table_version": 1,
            "run_id": "cli-q",
            "files": 3,
            "records": 8,
            "quarantined": 1,
            "late": 0,
            "records_by_decode_path": {"native": 8},
        }
    ]
    (listed,) = status["quarantined_files"]
    assert (listed["path"], listed["error_kind"], listed["run_id"]) == (bad, "not_avro", "cli-q")
    assert "not an Avro object container file" in listed["message"]

    # A rerun skips the quarantined file too: it reads the same custom quarantine table.
    assert main([*args, "--run-id", "cli-q2", "--json"]) == 0
    rerun = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert timed(rerun) == summary_of("cli-q2", seen=4, ingested=0, skipped=4, version=1)
    assert not Path(f"{table}_quarantine").exists()
