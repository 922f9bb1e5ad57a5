"""The sweep on a real S3 endpoint (issue 18, point 2; docs/ledger.md#the-sweep): a `new`
sweep asks S3 only for the keys after the ledger's mark (ListObjectsV2 StartAfter), and a
late key that sorts before the mark (a late file of an old partition) is still landed, by
the next `full` sweep. The keys S3 returned are counted from the listing's own log line."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from avrolake.config import Backfill, IngestConfig
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.storage import Location, resolve
from tests.fixtures.lake import sql
from tests.fixtures.s3 import S3Endpoint
from tests.unit.lifecycle_lake import READER, avro_bytes, hour

pytestmark = pytest.mark.s3
_LISTED = re.compile(r"listed (\d+) key\(s\) of (\S+) after")


def put(source: Location, h: int, name: str, records: int, first: int) -> str:
    at = hour(h)
    key = f"dt={at:%Y-%m-%d}/hour={at:%H}/{name}"
    return source.uri_of(source.write_bytes(key, avro_bytes(records, at, first)))


def sweep(s3: S3Endpoint, bucket: str, registry: Path, mode: str, run: int) -> dict[str, Any]:
    config = IngestConfig(
        source=f"s3://{bucket}/raw",
        table=f"s3://{bucket}/lake/pings",
        run_id=f"sweep-{run}",
        started_at=dt.datetime.now(dt.UTC),
        registry=registry,
        settle_seconds=0,
        backfill=Backfill(),
        s3=s3.options,
        sweep=True,
        sweep_mode=mode,  # type: ignore[arg-type]
    )
    return run_ingest(config, SerialRunner()).as_dict()


def keys_listed(caplog: pytest.LogCaptureFixture) -> list[int]:
    found = [_LISTED.search(r.getMessage()) for r in caplog.records]
    return [int(m.group(1)) for m in found if m]


def test_new_sweep_lists_only_keys_after_the_mark_and_a_late_key_below_it_still_lands(
    s3_endpoint: S3Endpoint, s3_bucket: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "registry" / "pings").mkdir(parents=True)
    (tmp_path / "registry" / "pings" / "v1.avsc").write_text(json.dumps(READER))
    registry, source = tmp_path / "registry", resolve(f"s3://{s3_bucket}/raw", s3_endpoint.options)
    history = [put(source, h, f"f{i}.avro", 2, 10 * h + i) for h in range(4) for i in range(3)]
    assert sweep(s3_endpoint, s3_bucket, registry, "full", 1)["files_ingested"] == 12

    new = [put(source, 5, "g0.avro", 3, 500), put(source, 5, "g1.avro", 3, 510)]
    source.write_bytes("dt=2026-01-01/hour=05/_SUCCESS", b"")  # listed, not a source file
    late = put(source, 1, "late.avro", 7, 900)  # sorts before the mark
    caplog.set_level(logging.INFO, logger="avrolake.storage_s3")
    incremental = sweep(s3_endpoint, s3_bucket, registry, "new", 2)
    assert keys_listed(caplog) == [3]  # g0, g1, _SUCCESS: not the 13 keys before the mark
    assert incremental["sweep"] == {"mode": "new", "after": max(history)}
    assert (incremental["files_seen"], incremental["files_ingested"]) == (2, 2)

    caplog.clear()
    again = sweep(s3_endpoint, s3_bucket, registry, "new", 3)
    assert (keys_listed(caplog), again["files_seen"]) == ([0], 0)  # _SUCCESS sorts before g1

    full = sweep(s3_endpoint, s3_bucket, registry, "full", 4)
    assert (full["files_ingested"], full["late"], full["files_replaced"]) == (1, [late], 0)
    assert full["files_skipped"] == 14  # what the new sweep landed lists as unchanged
    rows = sql(
        f"s3://{s3_bucket}/lake/pings",
        'SELECT "_source_file" s, COUNT(*) n FROM t GROUP BY 1',
        s3_endpoint.options.delta_storage_options(),
    )
    counts = {r["s"]: r["n"] for r in rows}
    assert counts == {**dict.fromkeys(history, 2), **dict.fromkeys(new, 3), late: 7}
