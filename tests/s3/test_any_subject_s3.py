"""A second subject (tests/data/registry's clickstream) landed S3 -> S3 by `avrolake ingest`,
as a user runs it: a real process, no subject and no partition flag."""

from __future__ import annotations

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from avrolake.storage import resolve
from tests.fixtures.clickstream import (
    DATA_REGISTRY,
    EVENT_DATES,
    RECORDS_BY_VERSION,
    ROWS_QUERY,
    expected_rows,
    write_clickstream,
    write_corrupt,
)
from tests.fixtures.lake import rows_by_version, sql
from tests.fixtures.s3 import S3Endpoint, avrolake

pytestmark = [pytest.mark.s3, pytest.mark.spark]


def test_cli_lands_a_second_subject_from_s3_to_s3(s3_endpoint: S3Endpoint, s3_bucket: str) -> None:
    raw, table = f"s3://{s3_bucket}/raw/web", f"s3://{s3_bucket}/lake/clicks"
    source = resolve(raw, s3_endpoint.options)
    written = write_clickstream(source)
    bad = write_corrupt(source)
    args = ["--source", raw, "--table", table, "--registry", str(DATA_REGISTRY)]

    summary = avrolake(s3_endpoint, "ingest", *args, "--run-id", "s3-clicks")
    assert 0 <= summary.pop("planning_seconds") < 60
    assert summary == {
        "run_id": "s3-clicks",
        "files_seen": 4,
        "files_ingested": 3,
        "files_skipped": 0,
        "files_quarantined": 1,
        "files_deferred": 0,
        "files_duplicate": 0,
        "files_replaced": 0,
        "files_late": 0,
        "records_written": 8,
        "table_version": 1,
        "records_by_writer_version": RECORDS_BY_VERSION,
        "records_by_decode_path": {"native": 8},
        "quarantined": [{"path": bad, "error_kind": "not_avro"}],
        "duplicates": [],
        "deferred": [],
        "files_decided_concurrently": 0,
        "late": [],
        "sweep": {},
        "files_outside_layout": 0,
        "outside_layout": [],
    }
    assert written.uri("clicks-v1-a.avro").startswith(f"s3://{s3_bucket}/raw/web/dt=2026-03-01/")

    options = s3_endpoint.options.delta_storage_options()
    assert sql(table, ROWS_QUERY, options) == expected_rows(written)
    assert rows_by_version(table, options) == {1: 5, 2: 3}
    delta = DeltaTable(table, storage_options=options)
    assert delta.version() == 1
    assert delta.metadata().partition_columns == ["event_date"]
    adds = pa.table(delta.get_add_actions(flatten=True)).to_pylist()
    assert {a["partition.event_date"] for a in adds} == set(EVENT_DATES)
    assert all(f"event_date={a['partition.event_date'].isoformat()}/" in a["path"] for a in adds)
    quarantine = sql(f"{table}_quarantine", "SELECT path, error_kind, run_id FROM t", options)
    assert quarantine == [{"path": bad, "error_kind": "not_avro", "run_id": "s3-clicks"}]

    rerun = avrolake(s3_endpoint, "ingest", *args, "--run-id", "s3-clicks-2")
    assert (rerun["files_seen"], rerun["files_skipped"], rerun["files_ingested"]) == (4, 4, 0)
    assert (rerun["records_written"], rerun["table_version"]) == (0, 1)
