"""Right-sized data files and split large files, in-process (SerialRunner), read back with
delta-rs: small sources share Parquet files, rows the run does not commit are taken out of
shared files, a split file lands whole or not at all, a changed small source is replaced.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import fastavro
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from avrolake.lake import TableRef
from avrolake.lake.ledger import Ledger
from avrolake.storage import S3Options, resolve
from tests.fixtures.lake import sql
from tests.unit.clicks_schema import V2
from tests.unit.test_job_serial import Lake, ingest, lake, millis

pytestmark = pytest.mark.unit
__all__ = ["lake"]  # the fixture, used by name


def records(n: int, day: int, tag: str) -> list[dict[str, Any]]:
    return [
        {
            "ts": millis(day, i % 24),
            "url": f"/{tag}/{i}",
            "dwell": i,
            "device": "MOBILE",
            "geo": {"country": "NO", "city": None},
            "referrer": tag,
        }
        for i in range(n)
    ]


def avro_bytes(rows: list[dict[str, Any]], sync_interval: int = 16000) -> bytes:
    out = io.BytesIO()
    fastavro.writer(out, fastavro.parse_schema(V2), rows, sync_interval=sync_interval)
    return out.getvalue()


def put(lake: Lake, relative: str, data: bytes) -> str:
    return resolve(str(lake.raw)).uri_of(resolve(str(lake.raw)).write_bytes(relative, data))


def files_per_partition(table: Path) -> dict[str, int]:
    adds = pa.table(DeltaTable(str(table)).get_add_actions(flatten=True)).to_pylist()
    counts: dict[str, int] = {}
    for add in adds:
        day = add["partition.event_date"]
        counts[str(day)] = counts.get(str(day), 0) + 1
    return counts


def rows_of(lake: Lake) -> dict[str, int]:
    found = sql(str(lake.table), 'SELECT "_source_file" s, COUNT(*) n FROM t GROUP BY 1')
    return {r["s"]: r["n"] for r in found}


def test_small_files_share_one_parquet_file_per_partition(lake: Lake) -> None:
    for i in range(150):
        put(
            lake,
            f"dt=2026-03-05/hour=00/small-{i:03}.avro",
            avro_bytes(records(4, 5 + i % 2, f"s{i}")),
        )
    summary = ingest(lake.config())
    assert summary["files_ingested"] == 152  # and the fixture's two good files
    assert summary["records_written"] == 150 * 4 + 5
    # one task (SerialRunner packs them all), so one file per partition
    assert files_per_partition(lake.table) == {
        "2026-03-01": 1,
        "2026-03-02": 1,
        "2026-03-05": 1,
        "2026-03-06": 1,
    }
    ledger = Ledger(TableRef.find(str(lake.table), S3Options())).current()
    live = {
        a["path"]
        for a in pa.table(DeltaTable(str(lake.table)).get_add_actions(flatten=True)).to_pylist()
    }
    assert all(set(e.data_files) <= live for e in ledger.values() if e.status.value == "landed")


def test_a_copy_in_the_same_run_is_taken_out_of_the_shared_file(lake: Lake) -> None:
    data = avro_bytes(records(6, 5, "orig"))
    original = put(lake, "dt=2026-03-05/hour=00/a.avro", data)
    copy = put(lake, "dt=2026-03-05/hour=00/b-copy.avro", data)
    other = put(lake, "dt=2026-03-05/hour=00/c.avro", avro_bytes(records(3, 5, "other")))
    summary = ingest(lake.config())
    assert summary["duplicates"] == [{"path": copy, "copy_of": original}]
    found = rows_of(lake)
    assert copy not in found
    assert (found[original], found[other]) == (6, 3)
    assert files_per_partition(lake.table)["2026-03-05"] == 1
    # the file written again without the copy's rows is the one committed
    live = pa.table(DeltaTable(str(lake.table)).get_add_actions(flatten=True)).to_pylist()
    on_disk = {str(p.relative_to(lake.table)) for p in lake.table.rglob("*.parquet")}
    assert {a["path"] for a in live} == on_disk


def test_a_split_file_lands_whole_or_not_at_all(lake: Lake) -> None:
    good = avro_bytes(records(3000, 5, "big"), sync_interval=2000)
    big = put(lake, "dt=2026-03-05/hour=00/big.avro", good)
    broken = bytearray(avro_bytes(records(3000, 6, "bad"), sync_interval=2000))
    broken[-5] ^= 0xFF  # inside the last block's sync marker: only the last split sees it
    bad = put(lake, "dt=2026-03-06/hour=00/bad.avro", bytes(broken))
    split = len(good) // 5
    summary = ingest(lake.config(max_task_bytes=split))
    assert summary["quarantined"] == [
        {"path": lake.source("dt=2026-03-02/hour=01/broken.avro"), "error_kind": "not_avro"},
        {"path": bad, "error_kind": "bad_sync_marker"},
    ]
    found = rows_of(lake)
    assert bad not in found
    assert found[big] == 3000
    assert summary["records_written"] == 3000 + 5
    entry = Ledger(TableRef.find(str(lake.table), S3Options())).current()[big]
    assert entry.records == 3000
    assert (entry.digest or "")[:2] == "6x"  # six splits, one digest of their digests


def test_a_changed_small_file_that_shares_a_data_file_is_replaced(lake: Lake) -> None:
    first = put(lake, "dt=2026-03-05/hour=00/a.avro", avro_bytes(records(5, 5, "v1")))
    other = put(lake, "dt=2026-03-05/hour=00/b.avro", avro_bytes(records(4, 5, "keep")))
    ingest(lake.config())
    path = lake.raw / "dt=2026-03-05/hour=00/a.avro"
    path.write_bytes(avro_bytes(records(7, 5, "v2")))
    os.utime(path, (1_900_000_000, 1_900_000_000))
    summary = ingest(lake.config(run_id="run-2"))
    assert (summary["files_ingested"], summary["files_replaced"]) == (1, 1)
    found = sql(
        str(lake.table),
        'SELECT "_source_file" s, referrer r, COUNT(*) n FROM t GROUP BY 1, 2 ORDER BY 1, 2',
    )
    assert [r for r in found if r["s"] in (first, other)] == [
        {"s": first, "r": "v2", "n": 7},
        {"s": other, "r": "keep", "n": 4},
    ]
