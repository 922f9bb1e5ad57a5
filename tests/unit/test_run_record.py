"""The run record (`avrolake.lake.record`): one writer, one reader, older records still read."""

from __future__ import annotations

import json

import pytest

from avrolake.lake.record import (
    COMMIT_INFO_KEY,
    DuplicateFile,
    LandedFile,
    QuarantinedFile,
    RunRecord,
)

pytestmark = pytest.mark.unit

# what a run of bc728f1 committed: no replaced on quarantined/duplicates, no late, no deferred
OLD = {
    "run_id": "r1",
    "subject": "log_event",
    "reader_version": 3,
    "reader_fingerprint": "9f0c",
    "quarantine_table": "/lake/q",
    "source_files": [
        {
            "path": "/raw/a.avro",
            "writer_version": 1,
            "writer_fingerprint": "dc66",
            "records": 10,
            "size": 480,
            "mtime_ms": 1,
            "etag": None,
            "sync_marker": "00a1",
            "digest": "7c2e",
            "data_files": ["event_date=2026-01-01/part-1.parquet"],
            "records_by_path": {"native": 10},
            "replaced": True,
        }
    ],
    "quarantined_files": ["/raw/bad.avro"],
    "quarantined": [
        {
            "path": "/raw/bad.avro",
            "error_kind": "truncated",
            "message": "m",
            "size": 5,
            "mtime_ms": 2,
            "writer_fingerprint": None,
        }
    ],
    "duplicates": [
        {
            "path": "/raw/c.avro",
            "copy_of": "/raw/a.avro",
            "size": 480,
            "mtime_ms": 3,
            "sync_marker": "00a1",
            "digest": "7c2e",
        }
    ],
}


def test_record_of_an_earlier_version_reads_with_defaults() -> None:
    record = RunRecord.from_commit({COMMIT_INFO_KEY: json.dumps(OLD), "version": 4})
    assert record == RunRecord(
        run_id="r1",
        subject="log_event",
        reader_version=3,
        reader_fingerprint="9f0c",
        quarantine_table="/lake/q",
        landed=(
            LandedFile(
                path="/raw/a.avro",
                records=10,
                writer_version=1,
                writer_fingerprint="dc66",
                size=480,
                mtime_ms=1,
                sync_marker="00a1",
                digest="7c2e",
                data_files=("event_date=2026-01-01/part-1.parquet",),
                records_by_path=(("native", 10),),
                replaced=True,
            ),
        ),
        quarantined=(QuarantinedFile("/raw/bad.avro", "truncated", "m", 5, 2, None),),
        duplicates=(DuplicateFile("/raw/c.avro", "/raw/a.avro", 480, 3, "00a1", "7c2e"),),
    )


def test_record_written_keeps_the_stored_shape_adding_only_new_keys() -> None:
    record = RunRecord.from_json(json.dumps(OLD))
    stored = json.loads(record.to_json())
    assert stored == {
        **OLD,
        "source_files": [{**OLD["source_files"][0], "late": False, "rescued": []}],
        "quarantined": [{**OLD["quarantined"][0], "replaced": False}],
        "duplicates": [{**OLD["duplicates"][0], "replaced": False}],
        "deferred": [],
    }
    assert RunRecord.from_json(record.to_json()) == record


def test_commit_without_a_record_has_none() -> None:
    assert RunRecord.from_commit({"operation": "OPTIMIZE", "version": 9}) is None


def test_without_drops_every_decision_about_the_paths() -> None:
    record = RunRecord.from_json(json.dumps(OLD))
    rest = record.without({"/raw/a.avro", "/raw/c.avro"})
    assert (rest.decided(), record.replaced()) == ({"/raw/bad.avro"}, {"/raw/a.avro"})
