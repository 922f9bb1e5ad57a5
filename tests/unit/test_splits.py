"""Large files are read in splits at sync markers: every block is read by exactly one split.

A split [start, end) holds the blocks whose preceding sync marker starts inside it (the
header's marker precedes the first block), as Hadoop's Avro input format does.
"""

from __future__ import annotations

import io
from typing import Any

import fastavro
import pytest

from avrolake.decode import AvroFile, ReaderPlan
from avrolake.decode.container import Container
from avrolake.ingest.plan import SourceFile, plan_groups, splits

pytestmark = pytest.mark.unit
SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Line",
    "fields": [{"name": "n", "type": "long"}, {"name": "text", "type": "string"}],
}


def avro_file(records: int, codec: str = "deflate", sync_interval: int = 2000) -> bytes:
    out = io.BytesIO()
    rows = ({"n": i, "text": f"line {i} " + "x" * (i % 50)} for i in range(records))
    fastavro.writer(out, SCHEMA, rows, codec=codec, sync_interval=sync_interval)
    return out.getvalue()


def block_offsets(data: bytes, start: int = 0, end: int | None = None) -> list[int]:
    container = Container(io.BytesIO(data), 64 * 2**20)
    if start and not container.seek_split(start):
        return []
    return [b.offset for b in container.blocks(end)]


@pytest.mark.parametrize("codec", ["null", "deflate"])
@pytest.mark.parametrize("split_bytes", [1, 17, 500, 4096, 30_000, 10**9])
def test_every_block_is_read_by_exactly_one_split(codec: str, split_bytes: int) -> None:
    data = avro_file(3000, codec)
    whole = block_offsets(data)
    assert len(whole) > 5
    f = SourceFile("/x.avro", "/x.avro", len(data), None)
    pieces = splits(f, split_bytes)
    if split_bytes >= len(data):
        assert pieces == [f]
    read = [o for p in pieces for o in block_offsets(data, p.start, p.end)]
    assert read == whole
    assert [p.part for p in pieces] == list(range(len(pieces)))
    assert {p.parts for p in pieces} == {len(pieces)}


def test_splits_cover_the_file_without_gaps() -> None:
    f = SourceFile("/x.avro", "/x.avro", 1000, None)
    pieces = splits(f, 300)
    assert [(p.start, p.end) for p in pieces] == [(0, 250), (250, 500), (500, 750), (750, None)]


def test_split_files_decode_to_the_same_rows_as_the_whole_file() -> None:
    data = avro_file(5000)
    plan = ReaderPlan("line", SCHEMA, {})
    whole = [r for t in AvroFile(io.BytesIO(data), plan).tables() for r in t.to_pylist()]
    f = SourceFile("/x.avro", "/x.avro", len(data), None)
    rows = []
    for p in splits(f, len(data) // 4):
        avro = AvroFile(io.BytesIO(data), plan, start=p.start, end=p.end)
        rows += [r for t in avro.tables() for r in t.to_pylist()]
    assert len(whole) == 5000
    assert rows == whole


def test_large_files_spread_over_tasks_small_ones_are_packed() -> None:
    big = SourceFile("/big.avro", "/big.avro", 1000, None)
    small = [SourceFile(f"/s{i}.avro", f"/s{i}.avro", 10, None) for i in range(6)]
    groups = plan_groups([big, *small], parallelism=2, max_bytes=400)
    big_parts = [f for g in groups for f in g if f.uri == "/big.avro"]
    assert [(p.start, p.end) for p in sorted(big_parts, key=lambda p: p.part)] == [
        (0, 333),
        (333, 666),
        (666, None),
    ]
    assert sorted(f.uri for g in groups for f in g if f.uri != "/big.avro") == sorted(
        s.uri for s in small
    )
    # each split in a task of its own; the small files go to the least loaded ones
    assert [sorted((f.uri, f.part) for f in g) for g in groups] == [
        [("/big.avro", 2), ("/s2.avro", 0), ("/s5.avro", 0)],
        [("/big.avro", 0), ("/s0.avro", 0), ("/s3.avro", 0)],
        [("/big.avro", 1), ("/s1.avro", 0), ("/s4.avro", 0)],
    ]
    assert len(groups) == 3
