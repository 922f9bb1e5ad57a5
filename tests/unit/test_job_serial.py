"""The whole ingest job in-process (SerialRunner, no Spark) on a subject that is not the demo one.

`clickstream` partitions by the UTC date of `ts`; v2 renames `page` to `url` (alias), widens
`dwell` to long, adds a device symbol, a nested field and a top-level field with defaults.
Tables are read back only through delta-rs's SQL engine (`tests.fixtures.lake.sql`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from avrolake.config import Backfill, IngestConfig, PartitionOverride
from avrolake.errors import (
    ConfigError,
    QuarantineKind,
    ReconciliationError,
    RegistryError,
    TableSettingsError,
)
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.lake import TableRef, table_status
from avrolake.lake.maintenance import maintain
from avrolake.lake.table import RUN_NOTE_KEY
from avrolake.orchestration.reconcile import reconcile_interval
from avrolake.storage import S3Options, resolve
from tests.fixtures.lake import sql, write_avro
from tests.unit.clicks_schema import V1, V2

pytestmark = pytest.mark.unit

STARTED = dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC)


def millis(day: int, hour: int, minute: int = 0) -> int:
    return int(dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC).timestamp() * 1000)


V1_RECORDS = [
    {
        "ts": millis(1, 10),
        "page": "/home",
        "dwell": 7,
        "device": "MOBILE",
        "geo": {"country": "NO"},
    },
    {
        "ts": millis(1, 23, 59),
        "page": "/cart",
        "dwell": 3,
        "device": "DESKTOP",
        "geo": {"country": "DK"},
    },
]
V2_RECORDS = [
    {
        "ts": millis(2, 0, 5),
        "url": "/pay",
        "dwell": 2**40,
        "device": "TABLET",
        "geo": {"country": "SE", "city": "Lund"},
        "referrer": "search",
    },
    {
        "ts": millis(2, 1),
        "url": "/done",
        "dwell": 1,
        "device": "MOBILE",
        "geo": {"country": "NO", "city": None},
        "referrer": "mail",
    },
    {
        "ts": millis(1, 12),
        "url": "/late",
        "dwell": 5,
        "device": "DESKTOP",
        "geo": {"country": "FI", "city": "Oulu"},
        "referrer": "direct",
    },
]


@dataclasses.dataclass(frozen=True)
class Lake:
    """One test's folders: the registry, the raw source, the table."""

    root: Path

    @property
    def registry(self) -> Path:
        return self.root / "registry"

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def table(self) -> Path:
        return self.root / "lake" / "clicks"

    @property
    def default_quarantine(self) -> Path:
        return self.root / "lake" / "clicks_quarantine"

    def source(self, relative: str) -> str:
        return str((self.raw / relative).resolve())

    def config(self, **changes: Any) -> IngestConfig:
        base = IngestConfig(
            source=str(self.raw),
            table=str(self.table),
            run_id="run-1",
            started_at=STARTED,
            settle_seconds=0,  # the files were just written
            registry=self.registry,
        )
        return dataclasses.replace(base, **changes)


V1_FILE = "dt=2026-03-01/hour=10/clicks-v1.avro"
V2_FILE = "dt=2026-03-02/hour=00/clicks-v2.avro"
BROKEN_FILE = "dt=2026-03-02/hour=01/broken.avro"


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    """The clickstream registry (v1, v2), a v1 file, a v2 file and a file that is not Avro."""
    here = Lake(tmp_path)
    folder = here.registry / "clickstream"
    folder.mkdir(parents=True)
    (folder / "v1.avsc").write_text(json.dumps(V1))
    (folder / "v2.avsc").write_text(json.dumps(V2))
    raw = resolve(str(here.raw))
    write_avro(raw, V1_FILE, V1, V1_RECORDS)
    write_avro(raw, V2_FILE, V2, V2_RECORDS)
    raw.write_bytes(BROKEN_FILE, b"this is not an avro file")
    return here


def ingest(config: IngestConfig) -> dict[str, Any]:
    """The run summary, less its planning time (a duration), checked to be one."""
    summary = run_ingest(config, SerialRunner()).as_dict()
    assert 0 <= summary.pop("planning_seconds") < 60
    return summary


# -- one run ----------------------------------------------------------------------------------


def test_run_summary_accounts_for_every_file(lake: Lake) -> None:
    assert ingest(lake.config()) == {
        "run_id": "run-1",
        "files_seen": 3,
        "files_ingested": 2,
        "files_skipped": 0,
        "files_quarantined": 1,
        "files_deferred": 0,
        "files_duplicate": 0,
        "files_replaced": 0,
        "files_late": 0,
        "records_written": 5,
        "table_version": 1,
        "records_by_writer_version": {"1": 2, "2": 3},
        "records_by_decode_path": {"native": 5},
        "quarantined": [{"path": lake.source(BROKEN_FILE), "error_kind": "not_avro"}],
        "duplicates": [],
        "deferred": [],
        "files_decided_concurrently": 0,
        "late": [],
        "sweep": {},
        "files_outside_layout": 0,
        "outside_layout": [],
    }


def test_rows_land_resolved_to_the_latest_reader(lake: Lake) -> None:
    ingest(lake.config())
    rows = sql(
        str(lake.table),
        'SELECT url, dwell, device, geo, referrer, event_date, "_writer_schema_version" v '
        "FROM t ORDER BY ts",
    )
    assert rows == [
        {
            "url": "/home",
            "dwell": 7,
            "device": "MOBILE",
            "geo": {"country": "NO", "city": None},
            "referrer": "direct",
            "event_date": dt.date(2026, 3, 1),
            "v": 1,
        },
        {
            "url": "/late",
            "dwell": 5,
            "device": "DESKTOP",
            "geo": {"country": "FI", "city": "Oulu"},
            "referrer": "direct",
            "event_date": dt.date(2026, 3, 1),
            "v": 2,
        },
        {
            "url": "/cart",
            "dwell": 3,
            "device": "DESKTOP",
            "geo": {"country": "DK", "city": None},
            "referrer": "direct",
            "event_date": dt.date(2026, 3, 1),
            "v": 1,
        },
        {
            "url": "/pay",
            "dwell": 2**40,
            "device": "TABLET",
            "geo": {"country": "SE", "city": "Lund"},
            "referrer": "search",
            "event_date": dt.date(2026, 3, 2),
            "v": 2,
        },
        {
            "url": "/done",
            "dwell": 1,
            "device": "MOBILE",
            "geo": {"country": "NO", "city": None},
            "referrer": "mail",
            "event_date": dt.date(2026, 3, 2),
            "v": 2,
        },
    ]


def test_rows_carry_the_metadata_columns(lake: Lake) -> None:
    ingest(lake.config())
    rows = sql(
        str(lake.table),
        'SELECT "_source_file" s, "_run_id" r, "_ingested_at" at, COUNT(*) n '
        "FROM t GROUP BY 1, 2, 3 ORDER BY 1",
    )
    assert rows == [
        {"s": lake.source(V1_FILE), "r": "run-1", "at": STARTED, "n": 2},
        {"s": lake.source(V2_FILE), "r": "run-1", "at": STARTED, "n": 3},
    ]


def test_table_columns_are_data_then_metadata_then_partition(lake: Lake) -> None:
    ingest(lake.config())
    (row,) = sql(str(lake.table), "SELECT * FROM t LIMIT 1")
    assert list(row) == [
        "ts",
        "url",
        "dwell",
        "device",
        "geo",
        "referrer",
        "_source_file",
        "_writer_schema_version",
        "_writer_schema_fingerprint",
        "_ingested_at",
        "_run_id",
        "_rescued_data",
        "event_date",
    ]


def test_partition_folders_are_named_by_event_date(lake: Lake) -> None:
    ingest(lake.config())
    folders = sorted(p.name for p in lake.table.iterdir() if p.is_dir())
    assert folders == ["_delta_log", "event_date=2026-03-01", "event_date=2026-03-02"]
    per_folder = {name: len(list((lake.table / name).glob("*.parquet"))) for name in folders[1:]}
    # the task's two small files of 2026-03-01 share one Parquet file (right-sized files)
    assert per_folder == {"event_date=2026-03-01": 1, "event_date=2026-03-02": 1}


def test_corrupt_file_lands_in_the_default_quarantine_table(lake: Lake) -> None:
    ingest(lake.config())
    rows = sql(str(lake.default_quarantine), "SELECT path, error_kind, run_id, size FROM t")
    assert rows == [
        {
            "path": lake.source(BROKEN_FILE),
            "error_kind": QuarantineKind.NOT_AVRO.value,
            "run_id": "run-1",
            "size": len(b"this is not an avro file"),
        }
    ]


def test_unpartitioned_override_writes_files_at_the_table_root(lake: Lake) -> None:
    ingest(lake.config(partitioning=PartitionOverride(field="")))
    assert sorted(p.name for p in lake.table.iterdir() if p.is_dir()) == ["_delta_log"]
    assert len(list(lake.table.glob("*.parquet"))) == 1  # one task, one shared file
    (row,) = sql(str(lake.table), "SELECT COUNT(*) n FROM t")
    assert row == {"n": 5}


@pytest.mark.parametrize("decoder", ["auto", "fastavro"])
def test_a_plain_long_read_as_a_timestamp_past_9999_is_quarantined_not_landed(
    lake: Lake, decoder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unpartitioned, so no partition date catches it: a writer's `long` read through the
    reader's timestamp-millis lands nothing a Delta reader could not read back."""
    from avrolake.decode import ReaderPlan

    monkeypatch.setattr(ReaderPlan, "decoder", decoder)
    as_long = json.loads(json.dumps(V2))
    as_long["fields"] = [{**f, "type": "long"} if f["name"] == "ts" else f for f in V2["fields"]]
    far = write_avro(resolve(str(lake.raw)), "dt=2026-03-02/hour=00/far.avro", as_long,
                     [{**V2_RECORDS[0], "ts": 300_000_000_000_000}])  # fmt: skip
    summary = ingest(lake.config(partitioning=PartitionOverride(field="")))
    assert summary["quarantined"] == [
        {"path": far, "error_kind": "conversion_error"},
        {"path": lake.source(BROKEN_FILE), "error_kind": "not_avro"},
    ]
    (row,) = sql(str(lake.table), "SELECT COUNT(*) n FROM t")
    assert row == {"n": 5}
    (message,) = [
        r["message"]
        for r in sql(f"{lake.table}_ledger", f"SELECT message FROM t WHERE path = '{far}'")
    ]
    assert message.startswith(
        "ts: value 300000000000000000 (us since 1970-01-01) is outside the years 1 to 9999"
    )


def test_partition_column_override_names_the_folders(lake: Lake) -> None:
    ingest(lake.config(partitioning=PartitionOverride(column="click_day")))
    folders = sorted(p.name for p in lake.table.iterdir() if p.is_dir())
    assert folders == ["_delta_log", "click_day=2026-03-01", "click_day=2026-03-02"]


def test_backfill_range_without_lookback_lands_only_its_files(lake: Lake) -> None:
    since = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    summary = ingest(
        lake.config(
            backfill=Backfill(since=since, until=since + dt.timedelta(hours=1)),
            lookback=dt.timedelta(0),
        )
    )
    assert (summary["files_seen"], summary["files_ingested"], summary["files_quarantined"]) == (
        1,
        1,
        0,
    )
    assert summary["records_by_writer_version"] == {"2": 3}


# -- a second run -----------------------------------------------------------------------------


def test_rerun_ingests_nothing(lake: Lake) -> None:
    ingest(lake.config())
    assert ingest(lake.config(run_id="run-2")) == {
        "run_id": "run-2",
        "files_seen": 3,
        "files_ingested": 0,
        "files_skipped": 3,
        "files_quarantined": 0,
        "files_deferred": 0,
        "files_duplicate": 0,
        "files_replaced": 0,
        "files_late": 0,
        "records_written": 0,
        "table_version": 1,
        "records_by_writer_version": {},
        "records_by_decode_path": {},
        "quarantined": [],
        "duplicates": [],
        "deferred": [],
        "files_decided_concurrently": 0,
        "late": [],
        "sweep": {},
        "files_outside_layout": 0,
        "outside_layout": [],
    }
    assert sql(str(lake.table), "SELECT COUNT(*) n FROM t") == [{"n": 5}]
    assert sql(str(lake.default_quarantine), "SELECT COUNT(*) n FROM t") == [{"n": 1}]


def test_rerun_lands_only_the_new_file(lake: Lake) -> None:
    ingest(lake.config())
    later = [{**V2_RECORDS[0], "url": "/again"}]
    write_avro(resolve(str(lake.raw)), "dt=2026-03-02/hour=02/more.avro", V2, later)
    summary = ingest(lake.config(run_id="run-2"))
    assert (summary["files_seen"], summary["files_ingested"], summary["files_skipped"]) == (4, 1, 3)
    assert summary["table_version"] == 2
    rows = sql(str(lake.table), 'SELECT "_run_id" r, COUNT(*) n FROM t GROUP BY 1 ORDER BY 1')
    assert rows == [{"r": "run-1", "n": 5}, {"r": "run-2", "n": 1}]


# -- a quarantine table of its own ------------------------------------------------------------


@pytest.fixture
def own_quarantine(lake: Lake) -> Path:
    """The lake ingested once with --quarantine-table pointing elsewhere."""
    quarantine = lake.root / "audit" / "clicks_rejected"
    ingest(lake.config(quarantine_table=str(quarantine)))
    return quarantine


def test_quarantine_table_option_puts_rows_there_only(lake: Lake, own_quarantine: Path) -> None:
    rows = sql(str(own_quarantine), "SELECT path, error_kind, run_id FROM t")
    assert rows == [{"path": lake.source(BROKEN_FILE), "error_kind": "not_avro", "run_id": "run-1"}]
    assert not lake.default_quarantine.exists()


def test_rerun_with_the_quarantine_table_skips_the_quarantined_file(
    lake: Lake, own_quarantine: Path
) -> None:
    summary = ingest(lake.config(run_id="run-2", quarantine_table=str(own_quarantine)))
    assert (summary["files_skipped"], summary["files_quarantined"]) == (3, 0)
    assert sql(str(own_quarantine), "SELECT COUNT(*) n FROM t") == [{"n": 1}]


def test_status_sees_the_configured_quarantine_table(lake: Lake, own_quarantine: Path) -> None:
    ref = TableRef.at(str(lake.table), S3Options(), quarantine=str(own_quarantine))
    status = table_status(ref)
    assert status == {
        "table": str(lake.table),
        "quarantine_table": str(own_quarantine),
        "ledger": f"{lake.table}_ledger",
        "table_version": 1,
        "rows": 5,
        "rows_by_writer_version": {"1": 2, "2": 3},
        "last_runs": [
            {
                "table_version": 1,
                "run_id": "run-1",
                "files": 2,
                "records": 5,
                "quarantined": 1,
                "late": 0,
                "records_by_decode_path": {"native": 5},
            }
        ],
        "source_files": {"landed": 2, "quarantined": 1},
        "quarantined_by_kind": {"not_avro": 1},
        "quarantined_files": [
            {
                "path": lake.source(BROKEN_FILE),
                "error_kind": "not_avro",
                "message": status["quarantined_files"][0]["message"],
                "run_id": "run-1",
            }
        ],
        "rows_missing": [],
        "unregistered_writers": [],
    }
    # the file's own bytes are never quoted (issue 18): only their length
    assert status["quarantined_files"][0]["message"].startswith("file starts with <4 bytes not")


def test_a_handle_without_the_quarantine_table_finds_the_one_the_last_run_recorded(
    lake: Lake, own_quarantine: Path
) -> None:
    status = table_status(TableRef.find(str(lake.table), S3Options()))
    assert status["quarantine_table"] == str(own_quarantine)
    assert [q["path"] for q in status["quarantined_files"]] == [lake.source(BROKEN_FILE)]


def test_a_plain_handle_without_the_quarantine_table_uses_the_default(
    lake: Lake, own_quarantine: Path
) -> None:
    status = table_status(TableRef.at(str(lake.table), S3Options()))
    assert status["quarantine_table"] == str(lake.default_quarantine)
    # which files are quarantined is the source ledger's, beside the table, whatever the handle
    assert [q["path"] for q in status["quarantined_files"]] == [lake.source(BROKEN_FILE)]


def test_a_later_run_without_the_option_keeps_the_recorded_quarantine_table(
    lake: Lake, own_quarantine: Path
) -> None:
    write_avro(resolve(str(lake.raw)), "dt=2026-03-02/hour=03/bad2.avro", V2, [])
    (lake.raw / "dt=2026-03-02" / "hour=03" / "bad2.avro").write_bytes(b"not avro either")
    summary = ingest(lake.config(run_id="run-2"))
    assert summary["files_quarantined"] == 1
    assert sql(str(own_quarantine), "SELECT COUNT(*) n FROM t") == [{"n": 2}]
    assert not lake.default_quarantine.exists()


def test_the_run_note_on_the_ledger_names_the_quarantine_table_after_maintenance(
    lake: Lake, own_quarantine: Path
) -> None:
    from deltalake import DeltaTable

    newest = DeltaTable(f"{lake.table}_ledger").history(limit=1)[0]
    assert json.loads(newest[RUN_NOTE_KEY]) == {
        "table_version": 1,
        "quarantine_table": str(own_quarantine),
    }
    # a later commit that is not a run's (as maintenance makes)
    DeltaTable(str(lake.table)).alter.set_table_properties(
        {"delta.logRetentionDuration": "interval 30 days"}
    )
    assert DeltaTable(str(lake.table)).version() == 2
    assert TableRef.find(str(lake.table), S3Options()).quarantine_uri == str(own_quarantine)


def test_a_main_commit_newer_than_the_run_note_wins(
    lake: Lake, own_quarantine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that died after its main commit, before its ledger rows (and note)."""
    from avrolake.lake.ledger import Ledger

    other = lake.root / "audit" / "other_rejects"
    write_avro(resolve(str(lake.raw)), "dt=2026-03-02/hour=03/late.avro", V2, [])
    (lake.raw / "dt=2026-03-02" / "hour=03" / "late.avro").write_bytes(b"not avro")
    monkeypatch.setattr(Ledger, "append", lambda self, entries, run_note=None: None)
    ingest(lake.config(run_id="run-2", quarantine_table=str(other)))
    assert TableRef.find(str(lake.table), S3Options()).quarantine_uri == str(other)


INTERVAL = (dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 3, tzinfo=dt.UTC))


def test_reconcile_sees_the_configured_quarantine_table(lake: Lake, own_quarantine: Path) -> None:
    ref = TableRef.at(str(lake.table), S3Options(), quarantine=str(own_quarantine))
    report = reconcile_interval(str(lake.raw), ref, *INTERVAL, max_quarantined=1)
    assert report.as_dict() == {
        "interval": "[2026-03-01T00:00:00+00:00, 2026-03-03T00:00:00+00:00)",
        "lookback_from": "2026-02-28T00:00:00+00:00",
        "files_seen": 3,
        "files_landed": 2,
        "files_quarantined": 1,
        "files_duplicate": 0,
        "unaccounted": [],
        "leftover_rows": {},
        "rows_by_writer_version": {"1": 2, "2": 3},
        "quarantined": [{"path": lake.source(BROKEN_FILE), "error_kind": "not_avro"}],
    }


def test_reconcile_fails_above_the_quarantine_threshold(lake: Lake, own_quarantine: Path) -> None:
    ref = TableRef.at(str(lake.table), S3Options(), quarantine=str(own_quarantine))
    with pytest.raises(
        ReconciliationError, match=r"1 file\(s\) of .* were quarantined, more than the threshold 0"
    ):
        reconcile_interval(str(lake.raw), ref, *INTERVAL, max_quarantined=0)


def test_reconcile_reads_the_ledger_whatever_quarantine_table_the_handle_names(
    lake: Lake, own_quarantine: Path
) -> None:
    ref = TableRef.at(str(lake.table), S3Options())  # names the default quarantine table
    report = reconcile_interval(str(lake.raw), ref, *INTERVAL, max_quarantined=5)
    assert (report.files_landed, report.files_quarantined, report.unaccounted) == (2, 1, [])


def test_reconcile_finds_a_file_no_run_looked_at_unaccounted(
    lake: Lake, own_quarantine: Path
) -> None:
    write_avro(resolve(str(lake.raw)), "dt=2026-03-02/hour=04/late.avro", V2, V2_RECORDS[:1])
    ref = TableRef.at(str(lake.table), S3Options())
    with pytest.raises(ReconciliationError, match=r"1 of 4 file\(s\) .* are neither in the table"):
        reconcile_interval(str(lake.raw), ref, *INTERVAL, max_quarantined=5)


def test_maintenance_of_the_configured_quarantine_table(lake: Lake, own_quarantine: Path) -> None:
    ref = TableRef.at(str(lake.table), S3Options(), quarantine=str(own_quarantine))
    report = maintain(ref.quarantine())
    assert report["table"] == str(own_quarantine)
    assert report["exists"] is True
    assert (report["before"]["version"], report["before"]["files"]) == (0, 1)
    assert report["after"]["files"] == 1
    assert report["vacuumed_files"] == 0


def test_maintenance_of_the_unused_default_quarantine_reports_it_absent(
    lake: Lake, own_quarantine: Path
) -> None:
    ref = TableRef.at(str(lake.table), S3Options())
    assert maintain(ref.quarantine()) == {"table": str(lake.default_quarantine), "exists": False}


# -- refused before anything is written -------------------------------------------------------


@pytest.mark.parametrize(
    "partitioning",
    [
        pytest.param(PartitionOverride(field="nope"), id="unknown_field"),
        pytest.param(PartitionOverride(field="url"), id="not_a_timestamp"),
    ],
)
def test_bad_partition_field_fails_before_the_table_exists(
    lake: Lake, partitioning: PartitionOverride
) -> None:
    with pytest.raises(TableSettingsError) as caught:
        ingest(lake.config(partitioning=partitioning))
    assert caught.value.timestamp_fields == ["ts"]
    assert not lake.table.exists()
    assert not lake.default_quarantine.exists()


def test_bad_table_json_fails_before_the_table_exists(lake: Lake) -> None:
    (lake.registry / "clickstream" / "table.json").write_text('{"partition_field": "page"}')
    with pytest.raises(TableSettingsError, match="'page' of subject 'clickstream' is not a field"):
        ingest(lake.config())
    assert not lake.table.exists()


def test_partition_column_colliding_with_a_field_fails_before_the_table_exists(lake: Lake) -> None:
    with pytest.raises(RegistryError, match=r"partition column 'url' .* clashes with a field"):
        ingest(lake.config(partitioning=PartitionOverride(column="url")))
    assert not lake.table.exists()


@pytest.mark.parametrize(
    "run_id",
    [
        pytest.param("x/../..", id="path_traversal"),
        pytest.param("a..b", id="double_dot"),
        pytest.param("run 1", id="space"),
        pytest.param("", id="empty"),
        pytest.param(".hidden", id="leading_dot"),
    ],
)
def test_invalid_run_id_is_a_config_error(lake: Lake, run_id: str) -> None:
    with pytest.raises(ConfigError, match="may hold only letters, digits"):
        ingest(lake.config(run_id=run_id))
    assert not lake.table.exists()


def test_unknown_subject_fails_before_the_table_exists(lake: Lake) -> None:
    with pytest.raises(RegistryError, match="subject 'orders' not found"):
        ingest(lake.config(subject="orders"))
    assert not lake.table.exists()


def test_missing_source_is_a_config_error_before_the_table_exists(lake: Lake) -> None:
    with pytest.raises(ConfigError, match=r"source .*absent does not exist"):
        ingest(lake.config(source=str(lake.root / "absent")))
    assert not lake.table.exists()


@pytest.mark.parametrize(
    ("partitioning", "asked"),
    [
        pytest.param(PartitionOverride(field=""), "nothing", id="unpartitioned_override"),
        pytest.param(PartitionOverride(column="click_day"), "['click_day']", id="other_column"),
    ],
)
def test_changing_an_existing_tables_partitioning_is_a_config_error(
    lake: Lake, partitioning: PartitionOverride, asked: str
) -> None:
    ingest(lake.config())  # the table is created partitioned by event_date
    later = [{**V2_RECORDS[0], "url": "/again"}]
    write_avro(resolve(str(lake.raw)), "dt=2026-03-02/hour=02/more.avro", V2, later)
    with pytest.raises(ConfigError) as caught:
        ingest(lake.config(run_id="run-2", partitioning=partitioning))
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        f"table {lake.table} is partitioned by ['event_date'], but the subject's table settings "
        f"ask for {asked}; a table keeps its partitioning: restore the settings (table.json / "
        "--partition-field / --partition-column) or land into a new table"
    )
    assert table_status(TableRef.at(str(lake.table), S3Options()))["table_version"] == 1
    assert sql(str(lake.table), 'SELECT "_run_id" r, COUNT(*) n FROM t GROUP BY 1') == [
        {"r": "run-1", "n": 5}
    ]
