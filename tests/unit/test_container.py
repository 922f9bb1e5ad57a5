"""avrolake's own container reader: framing, decompression under the cap, record checks.

Files are written by hand, byte by byte, so each corrupt encoding is exactly the one named;
fastavro writes the valid files the codecs round-trip.
"""

from __future__ import annotations

import bz2
import io
import json
import lzma
import pickle
import tracemalloc
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import cramjam
import fastavro
import pytest
from backports import zstd

from avrolake.decode import AvroFile, ReaderPlan, reader_plan
from avrolake.decode.container import Container
from avrolake.errors import QuarantineError, QuarantineKind
from avrolake.registry import Registry, schema_fingerprint
from tests.unit.avro_encoding import text, zz

pytestmark = pytest.mark.unit

EVENT: dict[str, Any] = {
    "type": "record",
    "name": "Event",
    "fields": [
        {"name": "id", "type": "long"},
        {
            "name": "status",
            "type": {"type": "enum", "name": "Status", "symbols": ["OK", "WARN", "ERROR"]},
        },
        {"name": "user", "type": ["null", "string"]},
        {"name": "ok", "type": "boolean"},
        {"name": "code", "type": "int"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {"name": "blob", "type": "bytes"},
    ],
}
FIELDS = [f["name"] for f in EVENT["fields"]]
SYNC = bytes(range(100, 116))
MiB = 2**20


VALID = {
    "id": zz(1),
    "status": zz(0),
    "user": zz(0),
    "ok": b"\x01",
    "code": zz(7),
    "tags": zz(0),
    "attrs": zz(0),
    "blob": zz(0),
}
ROW = {"id": 1, "status": "OK", "user": None, "ok": True, "code": 7, "tags": [], "attrs": []}


def event(**raw: bytes) -> bytes:
    """One Event record, encoded: valid, except for the fields given as raw bytes."""
    values = {**VALID, **raw}
    return b"".join(values[name] for name in FIELDS)


def header(codec: str = "null", schema: Any = EVENT, sync: bytes = SYNC) -> bytes:
    meta = text(b"avro.schema") + text(json.dumps(schema).encode())
    meta += text(b"avro.codec") + text(codec.encode())
    return b"Obj\x01" + zz(2) + meta + zz(0) + sync


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def container(
    blocks: list[tuple[int, bytes]], codec: str = "null", schema: Any = EVENT, sync: bytes = SYNC
) -> bytes:
    """A file of these (count, encoded records) blocks, each ended by `sync`."""
    out = header(codec, schema, sync)
    for count, data in blocks:
        body = raw_deflate(data) if codec == "deflate" else data
        out += zz(count) + zz(len(body)) + body + sync
    return out


def plan_for(tmp_path: Path, schema: Any = EVENT, **options: Any) -> ReaderPlan:
    folder = tmp_path / "registry" / "events"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "v1.avsc").write_text(json.dumps(schema))
    return reader_plan(Registry(tmp_path / "registry"), "events", **options)


@pytest.fixture
def plan(tmp_path: Path) -> ReaderPlan:
    return plan_for(tmp_path)


def rows(data: bytes, plan: ReaderPlan) -> list[dict[str, Any]]:
    return [r for t in AvroFile(io.BytesIO(data), plan).tables() for r in t.to_pylist()]


def quarantine(data: bytes, plan: ReaderPlan) -> QuarantineError:
    with pytest.raises(QuarantineError) as caught:
        rows(data, plan)
    return caught.value


def test_a_hand_written_file_decodes(plan: ReaderPlan) -> None:
    data = container([(2, event() + event(id=zz(2), user=zz(1) + text(b"ada")))])
    assert rows(data, plan) == [
        {**ROW, "blob": b""},
        {**ROW, "id": 2, "user": "ada", "blob": b""},
    ]


# -- corrupt record encodings: fastavro would land them -----------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind", "fragment"),
    [
        pytest.param(
            {"status": zz(-1)},
            QuarantineKind.CORRUPT_DATA,
            "enum index -1 outside 0..2 at /status",
            id="enum_index_minus_1",
        ),
        pytest.param(
            {"status": zz(3)},
            QuarantineKind.CORRUPT_DATA,
            "enum index 3 outside 0..2 at /status",
            id="enum_index_past_the_symbols",
        ),
        pytest.param(
            {"status": zz(200)},
            QuarantineKind.CORRUPT_DATA,
            "enum index 200 outside 0..2 at /status",
            id="enum_index_of_two_bytes",
        ),
        pytest.param(
            {"user": zz(-1) + text(b"x")},
            QuarantineKind.CORRUPT_DATA,
            "union index -1 outside 0..1 at /user",
            id="union_index_minus_1",
        ),
        pytest.param(
            {"user": zz(2)},
            QuarantineKind.CORRUPT_DATA,
            "union index 2 outside 0..1 at /user",
            id="union_index_past_the_branches",
        ),
        pytest.param(
            {"ok": b"\x02"},
            QuarantineKind.CORRUPT_DATA,
            "boolean byte 2 is not 0 or 1 at /ok",
            id="boolean_byte_2",
        ),
        pytest.param(
            {"user": zz(1) + zz(-1)},
            QuarantineKind.CORRUPT_DATA,
            "negative string length -1 at /user",
            id="negative_string_length",
        ),
        pytest.param(
            {"blob": zz(-300)},
            QuarantineKind.CORRUPT_DATA,
            "negative bytes length -300 at /blob",
            id="negative_bytes_length_of_two_bytes",
        ),
        pytest.param(
            {"tags": zz(1) + zz(-2) + b"ab" + zz(0)},
            QuarantineKind.CORRUPT_DATA,
            "negative string length -2 at /tags[]",
            id="negative_length_inside_an_array",
        ),
        pytest.param(
            {"code": b"\xff" * 5 + b"\x01"},
            QuarantineKind.CORRUPT_DATA,
            "int at /code is a varint longer than 5 bytes",
            id="int_of_six_bytes",
        ),
        pytest.param(
            {"code": b"\xff" * 4 + b"\x1f"},
            QuarantineKind.CORRUPT_DATA,
            "int at /code does not fit in 32 bits",
            id="int_beyond_32_bits",
        ),
        pytest.param(
            {"id": b"\x80" * 10 + b"\x01"},
            QuarantineKind.CORRUPT_DATA,
            "long at /id is a varint longer than 10 bytes",
            id="long_of_eleven_bytes",
        ),
        pytest.param(
            {"tags": zz(-1) + zz(5) + text(b"abc") + zz(0)},
            QuarantineKind.CORRUPT_DATA,
            "array block at /tags declares 5 bytes but its 1 items take 4",
            id="array_block_size_wrong",
        ),
        pytest.param(
            {"attrs": zz(-1) + zz(-3) + text(b"k") + zz(1) + zz(0)},
            QuarantineKind.CORRUPT_DATA,
            "negative map block size -3 at /attrs",
            id="negative_map_block_size",
        ),
        pytest.param(
            {"blob": zz(50)},
            QuarantineKind.CORRUPT_DATA,  # the block is whole: its records disagree with it
            "bytes at /blob runs past the end of the block",
            id="bytes_length_past_the_block",
        ),
    ],
)
def test_corrupt_record_encoding_is_quarantined(
    plan: ReaderPlan, raw: dict[str, bytes], kind: QuarantineKind, fragment: str
) -> None:
    data = container([(1, event()), (3, event() + event(**raw) + event())])
    error = quarantine(data, plan)
    assert error.kind is kind
    assert error.message.startswith("record 2 of block 2 (at byte ")
    assert fragment in error.message
    assert error.writer_fingerprint == schema_fingerprint(EVENT)
    assert error.writer_schema == json.dumps(EVENT)


def test_bytes_left_over_after_the_records_are_corrupt(plan: ReaderPlan) -> None:
    error = quarantine(container([(1, event() + b"\x00\x00")]), plan)
    assert error.kind is QuarantineKind.CORRUPT_DATA
    assert error.message.endswith(": 2 bytes left over after its 1 records")
    assert error.message.startswith("block 1 (at byte ")


def test_records_running_past_the_block_are_corrupt(plan: ReaderPlan) -> None:
    """The block is whole (its size read, its sync marker matched): not a cut upload, which
    re-uploading would fix, but records that disagree with their block."""
    error = quarantine(container([(2, event())]), plan)
    assert error.kind is QuarantineKind.CORRUPT_DATA
    assert "record 2 of block 1" in error.message
    assert "the block's data ends inside the record" in error.message


def test_negative_block_count_is_corrupt(plan: ReaderPlan) -> None:
    error = quarantine(container([(1, event()), (-2, event() + event())]), plan)
    assert error.kind is QuarantineKind.CORRUPT_DATA
    assert error.message.startswith("block 2 (at byte ")
    assert "negative block count -2" in error.message


def test_block_count_beyond_what_the_cap_can_hold_is_corrupt(tmp_path: Path) -> None:
    small = plan_for(tmp_path, max_block_bytes=1000)
    error = quarantine(container([(1001, event())]), small)
    assert error.kind is QuarantineKind.CORRUPT_DATA
    assert "block count 1001 is more records than the block cap" in error.message


def test_block_count_of_more_than_ten_bytes_is_corrupt(plan: ReaderPlan) -> None:
    error = quarantine(header() + b"\x80" * 11 + b"\x01", plan)
    assert error.kind is QuarantineKind.CORRUPT_DATA
    assert "block 1 (at byte " in error.message
    assert "is longer than 10 bytes" in error.message


def test_string_that_is_not_utf8_is_corrupt(plan: ReaderPlan) -> None:
    """Not checked by avrolake's walk: fastavro's decode error is classified as before."""
    error = quarantine(container([(1, event(user=zz(1) + text(b"\xff\xfe")))]), plan)
    assert error.kind is QuarantineKind.CORRUPT_DATA
    assert "UnicodeDecodeError" in error.message


def test_negative_block_size_is_corrupt(plan: ReaderPlan) -> None:
    data = header() + zz(1) + zz(-5) + event() + SYNC
    error = quarantine(data, plan)
    assert error.kind is QuarantineKind.CORRUPT_DATA
    assert "negative block size -5" in error.message


def test_damaged_sync_marker_is_bad_sync_marker(plan: ReaderPlan) -> None:
    data = container([(1, event())]) + zz(1) + zz(len(event())) + event() + bytes(16)
    error = quarantine(data, plan)
    assert error.kind is QuarantineKind.BAD_SYNC_MARKER
    assert error.message.startswith("block 2 (at byte ")
    assert f"not the header's {SYNC.hex()}" in error.message


@pytest.mark.parametrize("cut", [1, 10, 17, 18])
def test_file_cut_inside_a_block_is_truncated(plan: ReaderPlan, cut: int) -> None:
    data = container([(1, event()), (1, event())])
    error = quarantine(data[:-cut], plan)
    assert error.kind is QuarantineKind.TRUNCATED
    assert "block 2 (at byte " in error.message
    assert "inside the block" in error.message
    assert error.writer_fingerprint == schema_fingerprint(EVENT)


@pytest.mark.parametrize("decoder", ["auto", "fastavro"])
def test_a_quarantined_file_yields_no_table_of_its_bad_block(tmp_path: Path, decoder: str) -> None:
    """Blocks before the bad one are decoded (the worker discards them with the file). The
    native path refuses the chunk (a boolean byte of 7) and reads it again through fastavro."""
    small = replace(plan_for(tmp_path, batch_size=1), decoder=decoder)
    data = container([(1, event()), (1, event(ok=b"\x07"))])
    stream = AvroFile(io.BytesIO(data), small).tables()
    assert next(stream).num_rows == 1
    with pytest.raises(QuarantineError, match="boolean byte 7"):
        next(stream)


# -- arrays and maps written in blocks with a byte size (negative counts) ----------------------


def test_array_and_map_blocks_with_negative_counts_decode(plan: ReaderPlan) -> None:
    tags = text(b"a") + text(b"bb")
    attrs = text(b"x") + zz(1) + text(b"y") + zz(-2)
    record = event(
        tags=zz(-2) + zz(len(tags)) + tags + zz(1) + text(b"ccc") + zz(0),
        attrs=zz(-2) + zz(len(attrs)) + attrs + zz(0),
    )
    (row,) = rows(container([(1, record)]), plan)
    assert row["tags"] == ["a", "bb", "ccc"]
    assert row["attrs"] == [("x", 1), ("y", -2)]


def test_fastavro_writes_no_negative_counts_so_hand_encoding_is_needed() -> None:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, {"type": "array", "items": "long"}, [1, 2])
    assert buffer.getvalue() == zz(2) + zz(1) + zz(2) + zz(0)


# -- codecs and the block cap ------------------------------------------------------------------

CODECS = ["null", "deflate", "snappy", "zstandard", "bzip2", "xz"]


def fastavro_file(records: list[dict[str, Any]], codec: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(EVENT), records, codec=codec, **options)
    return buffer.getvalue()


def written(i: int) -> dict[str, Any]:
    return {
        "id": 1_772_359_200_000 * (-1) ** i + i,
        "status": ["OK", "WARN", "ERROR"][i % 3],
        "user": None if i % 2 else f"user-{i}",
        "ok": bool(i % 2),
        "code": -(2**31) if i == 7 else i * 1000,
        "tags": [f"t{j}" for j in range(i % 4)],
        "attrs": {f"k{j}": j * 2**40 for j in range(i % 3)},
        "blob": bytes(range(i % 256)),
    }


@pytest.mark.parametrize("codec", CODECS)
def test_every_codec_round_trips_exactly(plan: ReaderPlan, codec: str) -> None:
    records = [written(i) for i in range(300)]
    data = fastavro_file(records, codec, sync_interval=2000)  # several blocks
    avro = AvroFile(io.BytesIO(data), plan)
    assert avro.codec == codec
    assert avro.sync_marker == data[-16:]
    assert len(avro.sync_marker) == 16
    got = [r for t in avro.tables() for r in t.to_pylist()]
    assert got == [{**r, "attrs": list(r["attrs"].items())} for r in records]


ZEROS = [{**ROW, "attrs": {}, "blob": bytes(8 * MiB)}]


@pytest.mark.parametrize("codec", CODECS)
def test_block_decompressing_past_the_cap_is_too_large(tmp_path: Path, codec: str) -> None:
    data = fastavro_file(ZEROS, codec)
    error = quarantine(data, plan_for(tmp_path, max_block_bytes=MiB))
    assert error.kind is QuarantineKind.TOO_LARGE
    assert "block 1 (at byte " in error.message
    assert "more than the block cap of 1 MiB (1048576 bytes)" in error.message
    assert "--max-block-mb" in error.message
    assert error.writer_fingerprint == schema_fingerprint(EVENT)


@pytest.mark.parametrize("codec", CODECS)
def test_the_same_block_under_a_larger_cap_decodes(tmp_path: Path, codec: str) -> None:
    data = fastavro_file(ZEROS, codec)
    if codec != "null":
        assert len(data) < MiB  # compressed, it is small: only decompressing finds it large
    (row,) = rows(data, plan_for(tmp_path, max_block_bytes=16 * MiB))
    assert row["blob"] == bytes(8 * MiB)


def deflate_bomb(mib: int) -> bytes:
    packer = zlib.compressobj(1, zlib.DEFLATED, -15)
    return b"".join(packer.compress(bytes(MiB)) for _ in range(mib)) + packer.flush()


def zstd_bomb(mib: int) -> bytes:
    packer = zstd.ZstdCompressor()
    return b"".join(packer.compress(bytes(MiB)) for _ in range(mib)) + packer.flush()


@pytest.mark.parametrize(
    ("codec", "bomb", "mib"),
    [
        pytest.param("deflate", deflate_bomb, 256, id="deflate_256_MiB_in_1_MiB"),
        pytest.param("zstandard", zstd_bomb, 1024, id="zstd_1_GiB_in_32_KiB"),
    ],
)
def test_a_bomb_is_stopped_at_the_cap_not_decompressed_whole(
    tmp_path: Path, codec: str, bomb: Callable[[int], bytes], mib: int
) -> None:
    body = bomb(mib)
    data = header(codec) + zz(1) + zz(len(body)) + body + SYNC
    small = plan_for(tmp_path, max_block_bytes=MiB)
    tracemalloc.start()
    try:
        error = quarantine(data, small)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.kind is QuarantineKind.TOO_LARGE
    # the block as stored, and a few times the cap while decompressing: not the bomb's size
    assert peak < len(body) + 8 * MiB


def test_stored_block_larger_than_the_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    data = header() + zz(1) + zz(2**40) + event()
    error = quarantine(data, plan_for(tmp_path, max_block_bytes=MiB))
    assert error.kind is QuarantineKind.TOO_LARGE
    assert f"stores {2**40} bytes" in error.message


def test_snappy_length_preamble_over_the_cap_is_too_large(tmp_path: Path) -> None:
    body = bytes([0x80, 0x80, 0x80, 0x40])  # the uvarint 2**27, then nothing
    data = header("snappy") + zz(1) + zz(len(body) + 4) + body + bytes(4) + SYNC
    error = quarantine(data, plan_for(tmp_path, max_block_bytes=MiB))
    assert error.kind is QuarantineKind.TOO_LARGE
    assert f"decompresses to {2**27} bytes" in error.message


def test_snappy_checksum_mismatch_is_a_codec_error(plan: ReaderPlan) -> None:
    record = event()
    body = bytes(cramjam.snappy.compress_raw(record)) + (zlib.crc32(record) ^ 1).to_bytes(4, "big")
    data = header("snappy") + zz(1) + zz(len(body)) + body + SYNC
    error = quarantine(data, plan)
    assert error.kind is QuarantineKind.CODEC_ERROR
    assert "CRC32" in error.message


@pytest.mark.parametrize(
    ("codec", "body"),
    [
        pytest.param("deflate", b"\xff\xff\xff\xff", id="deflate_garbage"),
        pytest.param("deflate", raw_deflate(event())[:-3], id="deflate_cut_short"),
        pytest.param("bzip2", b"BZh9garbage", id="bzip2_garbage"),
        pytest.param("bzip2", bz2.compress(event())[:-5], id="bzip2_cut_short"),
        pytest.param("xz", b"\xfd7zXZ\x00garbage", id="xz_garbage"),
        pytest.param("zstandard", b"\x28\xb5\x2f\xfdgarbage", id="zstd_garbage"),
        pytest.param("zstandard", zstd.compress(event())[:-2], id="zstd_cut_short"),
        pytest.param("snappy", b"\x05ab\x00\x00\x00\x00", id="snappy_garbage"),
    ],
)
def test_undecompressable_block_is_a_codec_error(plan: ReaderPlan, codec: str, body: bytes) -> None:
    data = header(codec) + zz(1) + zz(len(body)) + body + SYNC
    error = quarantine(data, plan)
    assert error.kind is QuarantineKind.CODEC_ERROR
    assert error.message.startswith("block 1 (at byte ")
    assert codec in error.message or "snappy" in error.message


def test_concatenated_streams_in_one_block_decode(plan: ReaderPlan) -> None:
    first, second = event(), event(id=zz(2))
    for codec, pack in (
        ("bzip2", bz2.compress),
        ("xz", lzma.compress),
        ("zstandard", zstd.compress),
    ):
        body = pack(first) + pack(second)
        data = header(codec) + zz(2) + zz(len(body)) + body + SYNC
        assert [r["id"] for r in rows(data, plan)] == [1, 2], codec


def test_unknown_codec_is_a_codec_error_naming_it(plan: ReaderPlan) -> None:
    error = quarantine(container([(1, event())], codec="brotli"), plan)
    assert error.kind is QuarantineKind.CODEC_ERROR
    assert "unknown codec 'brotli'" in error.message
    assert error.writer_fingerprint == schema_fingerprint(EVENT)


# -- the header, the stream and the plan --------------------------------------------------------


def test_header_is_read_with_its_metadata_and_sync_marker() -> None:
    extra = text(b"writer.note") + text(b"\xff\x00 binary")
    meta = text(b"avro.schema") + text(json.dumps(EVENT).encode()) + extra
    size = len(meta)
    data = b"Obj\x01" + zz(-2) + zz(size) + meta + zz(0) + SYNC  # a map block with a byte size
    found = Container(io.BytesIO(data), MiB).header
    assert found.metadata == {
        "avro.schema": json.dumps(EVENT).encode(),
        "writer.note": b"\xff\x00 binary",
    }
    assert found.sync == SYNC
    assert found.codec == "null"
    reread = fastavro.reader(io.BytesIO(found.with_null_codec()))
    assert reread.metadata == {"avro.schema": json.dumps(EVENT)}  # fastavro: values are UTF-8


def test_binary_metadata_fastavro_cannot_decode_is_left_out_for_it(plan: ReaderPlan) -> None:
    meta = text(b"avro.schema") + text(json.dumps(EVENT).encode())
    meta += text(b"writer.digest") + text(b"\xff\xfe")
    data = b"Obj\x01" + zz(2) + meta + zz(0) + SYNC + zz(1) + zz(len(event())) + event() + SYNC
    with pytest.raises(UnicodeDecodeError):
        fastavro.reader(io.BytesIO(data))
    assert rows(data, plan) == [{**ROW, "blob": b""}]


def test_header_with_the_codec_set_is_rewritten_to_null() -> None:
    found = Container(io.BytesIO(header("deflate")), MiB).header
    assert found.codec == "deflate"
    reread = fastavro.reader(io.BytesIO(found.with_null_codec()))
    assert reread.metadata == {"avro.schema": json.dumps(EVENT), "avro.codec": "null"}


def test_header_entry_larger_than_the_cap_is_too_large() -> None:
    data = b"Obj\x01" + zz(1) + text(b"avro.schema") + zz(10 * MiB) + b"{"
    with pytest.raises(QuarantineError) as caught:
        Container(io.BytesIO(data), MiB)
    assert caught.value.kind is QuarantineKind.TOO_LARGE


def test_an_empty_file_is_not_avro_and_says_it_is_empty() -> None:
    with pytest.raises(QuarantineError) as caught:
        Container(io.BytesIO(b""), MiB)
    assert caught.value.kind is QuarantineKind.NOT_AVRO
    assert caught.value.message == (
        "the file is empty (0 bytes): not an Avro object container file (a producer that "
        "failed, or a marker file: remove it, or fix the producer)"
    )


def test_header_long_of_more_than_ten_bytes_is_not_avro(plan: ReaderPlan) -> None:
    error = quarantine(b"Obj\x01" + b"\xff" * 12, plan)
    assert error.kind is QuarantineKind.NOT_AVRO
    assert error.message.startswith("unreadable Avro header (")


def test_empty_codec_name_is_unknown(plan: ReaderPlan) -> None:
    error = quarantine(container([(1, event())], codec=""), plan)
    assert error.kind is QuarantineKind.CODEC_ERROR
    assert "unknown codec ''" in error.message


def test_header_cut_before_its_sync_marker_is_truncated(plan: ReaderPlan) -> None:
    error = quarantine(header()[:-5], plan)
    assert error.kind is QuarantineKind.TRUNCATED
    assert error.message.startswith("the header is cut short (")


class FailingStream(io.BytesIO):
    """Fails like storage does once `fail_at` bytes were read."""

    def __init__(self, data: bytes, fail_at: int) -> None:
        super().__init__(data)
        self.fail_at = fail_at

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self.fail_at:
            raise ConnectionResetError("the connection was reset")
        return super().read(size)


@pytest.mark.parametrize("where", ["header", "blocks"])
def test_storage_errors_propagate_and_are_not_quarantined(plan: ReaderPlan, where: str) -> None:
    records = [written(i) for i in range(2000)]
    data = fastavro_file(records, "null", sync_interval=1000)
    fail_at = 10 if where == "header" else len(data) // 2
    with pytest.raises(ConnectionResetError):
        list(AvroFile(FailingStream(data, fail_at), plan).tables())


def test_sync_marker_is_the_headers(plan: ReaderPlan) -> None:
    avro = AvroFile(io.BytesIO(container([(1, event())])), plan)
    assert avro.sync_marker == SYNC
    assert avro.codec == "null"


def test_empty_blocks_are_checked_and_skipped(plan: ReaderPlan) -> None:
    assert rows(container([(0, b""), (1, event()), (0, b"")]), plan) == [{**ROW, "blob": b""}]
    error = quarantine(container([(0, b"\x00")]), plan)
    assert error.kind is QuarantineKind.CORRUPT_DATA
    assert "1 bytes left over after its 0 records" in error.message


def test_reader_plan_takes_the_block_cap(tmp_path: Path) -> None:
    assert plan_for(tmp_path).max_block_bytes == 64 * MiB
    assert plan_for(tmp_path, max_block_bytes=MiB).max_block_bytes == MiB


def test_validator_is_compiled_once_per_writer(plan: ReaderPlan) -> None:
    data = container([(1, event())])
    first = AvroFile(io.BytesIO(data), plan)
    second = AvroFile(io.BytesIO(data), plan)
    assert first._validator is second._validator


def test_a_plan_that_decoded_still_pickles(plan: ReaderPlan) -> None:
    data = container([(1, event())])
    rows(data, plan)
    copy = pickle.loads(pickle.dumps(plan))
    assert copy == plan
    assert copy.max_block_bytes == plan.max_block_bytes
    assert rows(data, copy) == rows(data, plan)
