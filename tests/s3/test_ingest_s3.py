"""`avrolake ingest` and `avrolake status` as a user runs them: a real process, S3 over HTTP."""

from __future__ import annotations

import pytest

from avrolake.storage import resolve
from tests.conftest import SHIPPED_REGISTRY
from tests.fixtures.lake import generate_logs, rows_by_version, sql
from tests.fixtures.s3 import S3Endpoint, avrolake

pytestmark = [pytest.mark.s3, pytest.mark.spark]


def test_cli_ingest_from_s3_to_s3_then_status(s3_endpoint: S3Endpoint, s3_bucket: str) -> None:
    raw, table = f"s3://{s3_bucket}/raw/app", f"s3://{s3_bucket}/lake/app_logs"
    generate_logs(resolve(raw, s3_endpoint.options), files=6, records=150, corrupt=2, seed=4)
    summary = avrolake(
        s3_endpoint,
        "ingest",
        "--source",
        raw,
        "--table",
        table,
        "--registry",
        str(SHIPPED_REGISTRY),
        "--run-id",
        "s3-run",
    )
    assert {
        k: summary[k]
        for k in ("files_seen", "files_ingested", "files_skipped", "files_quarantined")
    } == {
        "files_seen": 8,
        "files_ingested": 6,
        "files_skipped": 0,
        "files_quarantined": 2,
    }
    assert summary["records_by_writer_version"] == {"1": 300, "2": 300, "3": 300}
    assert summary["table_version"] == 1
    options = s3_endpoint.options.delta_storage_options()
    assert rows_by_version(table, options) == {1: 300, 2: 300, 3: 300}
    quarantine = sql(f"{table}_quarantine", "SELECT error_kind FROM t ORDER BY error_kind", options)
    assert [q["error_kind"] for q in quarantine] == ["not_avro", "truncated"]

    status = avrolake(s3_endpoint, "status", "--table", table)
    assert status["table_version"] == 1
    assert status["rows_by_writer_version"] == {"1": 300, "2": 300, "3": 300}
    assert status["last_runs"] == [
        {
            "table_version": 1,
            "run_id": "s3-run",
            "files": 6,
            "records": 900,
            "quarantined": 2,
            "late": 0,
            "records_by_decode_path": {"native": 900},
        }
    ]
    assert len(status["quarantined_files"]) == 2
