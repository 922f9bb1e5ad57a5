"""The source ledger on S3 (issue #9, item 4): identity with the ETag, an object overwritten
after it landed, a byte-identical copy under a new key, and `avrolake quarantine` over S3."""

from __future__ import annotations

import pytest

from avrolake.storage import resolve
from tests.fixtures.clickstream import (
    DATA_REGISTRY,
    FILES,
    V1_HOUR,
    schema_doc,
    write_clickstream,
    write_corrupt,
)
from tests.fixtures.lake import sql, write_avro
from tests.fixtures.s3 import S3Endpoint, avrolake

pytestmark = [pytest.mark.s3, pytest.mark.spark]


def test_overwritten_objects_are_replaced_and_copies_are_not_landed_twice(
    s3_endpoint: S3Endpoint, s3_bucket: str
) -> None:
    raw, table = f"s3://{s3_bucket}/raw/web", f"s3://{s3_bucket}/lake/clicks"
    source = resolve(raw, s3_endpoint.options)
    written = write_clickstream(source)
    bad = write_corrupt(source)
    args = ["--source", raw, "--table", table, "--registry", str(DATA_REGISTRY)]
    options = s3_endpoint.options.delta_storage_options()
    avrolake(s3_endpoint, "ingest", *args, "--run-id", "first")
    ledger = sql(f"{table}_ledger", "SELECT path, status, etag, size FROM t ORDER BY path", options)
    assert [(r["path"], r["status"]) for r in ledger] == sorted(
        [(u, "landed") for u in written.uris.values()] + [(bad, "quarantined")]
    )
    assert all(len(r["etag"]) >= 32 for r in ledger if r["status"] == "landed")

    # overwrite one object with other records; copy another under a new key
    name = "clicks-v1-a.avro"
    version, records = FILES[name]
    write_avro(source, f"{V1_HOUR}/{name}", schema_doc(version), records[:1])
    original = written.uri("clicks-v1-b.avro")
    copy = source.uri_of(
        source.write_bytes(f"{V1_HOUR}/copy.avro", source.read_bytes(original[5:]))
    )
    second = avrolake(s3_endpoint, "ingest", *args, "--run-id", "second")
    assert (second["files_ingested"], second["files_replaced"], second["records_written"]) == (
        1, 1, 1,
    )  # fmt: skip
    assert second["duplicates"] == [{"path": copy, "copy_of": original}]
    assert (second["files_skipped"], second["files_quarantined"]) == (3, 0)
    counts = sql(table, 'SELECT "_source_file" s, COUNT(*) n FROM t GROUP BY 1 ORDER BY 1', options)
    assert {r["s"]: r["n"] for r in counts}[written.uri(name)] == 1
    assert copy not in {r["s"] for r in counts}

    listed = avrolake(s3_endpoint, "quarantine", "list", "--table", table)
    assert [q["path"] for q in listed] == [bad]  # type: ignore[attr-defined]
