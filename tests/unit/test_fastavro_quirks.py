"""Where fastavro departs from the Avro specification, pinned so an upgrade that changes it is seen.

Each test records fastavro's behaviour and what avrolake does about it. See
docs/fastavro-notes.md. avrolake checks writer->reader compatibility with its own checker
before it decodes, and reads the container framing and checks every record's encoding itself
(decode/container.py, decode/validate.py), so the lenient cases below never reach fastavro in
the product.
"""

from __future__ import annotations

import io
import json
import zlib
from typing import Any

import cramjam
import fastavro
import pytest

from avrolake.compatibility import IncompatibilityKind, check_compatibility
from avrolake.decode.container import Container
from avrolake.decode.validate import BlockValidator
from avrolake.errors import QuarantineError, QuarantineKind, SchemaParseError
from avrolake.schema import parse_schema

pytestmark = pytest.mark.unit


def fastavro_round_trip(writer: Any, reader: Any, value: Any) -> Any:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(writer), value)
    buffer.seek(0)
    return fastavro.schemaless_reader(
        buffer, fastavro.parse_schema(writer), fastavro.parse_schema(reader)
    )


WRITER = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}


def reader_with(field: dict[str, Any]) -> dict[str, Any]:
    return {**WRITER, "fields": [*WRITER["fields"], field]}


@pytest.mark.parametrize(
    ("field", "fastavro_value", "spec_value"),
    [
        pytest.param(
            {"name": "b", "type": "bytes", "default": "\u00ff"},
            "\u00ff",
            b"\xff",
            id="bytes_default_comes_back_as_str",
        ),
        pytest.param(
            {"name": "b", "type": {"type": "fixed", "name": "F", "size": 2}, "default": "ab"},
            "ab",
            b"ab",
            id="fixed_default_comes_back_as_str",
        ),
        pytest.param(
            {
                "name": "b",
                "type": {
                    "type": "record",
                    "name": "In",
                    "fields": [{"name": "x", "type": "int", "default": 3}],
                },
                "default": {},
            },
            {},
            {"x": 3},
            id="record_default_is_not_filled_with_its_field_defaults",
        ),
    ],
)
def test_fastavro_returns_json_defaults_unconverted(
    field: dict[str, Any], fastavro_value: Any, spec_value: Any
) -> None:
    reader = reader_with(field)
    assert check_compatibility(parse_schema(WRITER), parse_schema(reader)) == []
    decoded = fastavro_round_trip(WRITER, reader, {"a": 1})
    assert decoded["b"] == fastavro_value
    assert decoded["b"] != spec_value


def test_fastavro_crashes_with_key_error_on_enum_read_as_record() -> None:
    writer = {"type": "enum", "name": "X", "symbols": ["A"]}
    reader = {"type": "record", "name": "X", "fields": []}
    (finding,) = check_compatibility(parse_schema(writer), parse_schema(reader))
    assert finding.kind is IncompatibilityKind.TYPE_MISMATCH
    with pytest.raises(KeyError, match="symbols"):
        fastavro_round_trip(writer, reader, "A")


def test_fastavro_accepts_unqualified_alias_from_another_namespace() -> None:
    writer = {"type": "record", "name": "ns.A", "fields": [{"name": "x", "type": "int"}]}
    reader = {"type": "record", "name": "other.B", "aliases": ["A"],
              "fields": [{"name": "x", "type": "int"}]}  # fmt: skip
    (finding,) = check_compatibility(parse_schema(writer), parse_schema(reader))
    assert finding.kind is IncompatibilityKind.NAME_MISMATCH
    assert fastavro_round_trip(writer, reader, {"x": 1}) == {"x": 1}


def test_fastavro_accepts_a_union_of_two_arrays_which_the_spec_forbids() -> None:
    doc = [{"type": "array", "items": "int"}, {"type": "array", "items": "string"}]
    fastavro.parse_schema(doc)
    with pytest.raises(SchemaParseError, match="union contains 'array' twice"):
        parse_schema(doc)


def test_fastavro_writes_bytes_as_an_array_of_ints_when_an_array_branch_comes_first() -> None:
    union = [{"type": "array", "items": "int"}, {"type": "fixed", "name": "F", "size": 1}]
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(union), b"\x81")
    buffer.seek(0)
    assert fastavro.schemaless_reader(buffer, fastavro.parse_schema(union), None) == [129]


# -- encodings fastavro decodes although they are corrupt: avrolake's container reader guards --


def zigzag(n: int) -> bytes:
    n = (n << 1) ^ (n >> 63)
    out = b""
    while n & ~0x7F:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def avrolake_verdict(schema: Any, encoded: bytes) -> str:
    """What avrolake's record check says of one encoded value ("ok" or the error's kind)."""
    try:
        BlockValidator(parse_schema(schema), 2**20).check(encoded, 1, "block 1")
    except QuarantineError as exc:
        return f"{exc.kind.value}: {exc.message}"
    return "ok"


ENUM = {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}


def test_fastavro_reads_enum_index_minus_1_as_the_last_symbol() -> None:
    encoded = zigzag(-1)
    assert fastavro.schemaless_reader(io.BytesIO(encoded), fastavro.parse_schema(ENUM), None) == "C"
    minus_2 = io.BytesIO(zigzag(-2))
    assert fastavro.schemaless_reader(minus_2, fastavro.parse_schema(ENUM), None) == "B"
    assert avrolake_verdict(ENUM, encoded) == (
        "corrupt_data: record 1 of block 1: enum index -1 outside 0..2 at /"
    )


def test_fastavro_reads_union_index_minus_1_as_the_last_branch() -> None:
    union = ["null", "string"]
    encoded = zigzag(-1) + zigzag(2) + b"hi"
    assert (
        fastavro.schemaless_reader(io.BytesIO(encoded), fastavro.parse_schema(union), None) == "hi"
    )
    assert avrolake_verdict(union, encoded).startswith(
        "corrupt_data: record 1 of block 1: union index -1 outside 0..1"
    )


RECORD = {"type": "record", "name": "R", "fields": [{"name": "n", "type": "long"}]}
SYNC = bytes(range(16))


def container_file(*blocks: tuple[int, bytes]) -> bytes:
    meta = zigzag(len(b"avro.schema")) + b"avro.schema"
    schema = json.dumps(RECORD).encode()
    out = b"Obj\x01" + zigzag(1) + meta + zigzag(len(schema)) + schema + zigzag(0) + SYNC
    for count, data in blocks:
        out += zigzag(count) + zigzag(len(data)) + data + SYNC
    return out


def avrolake_container_verdict(data: bytes) -> str:
    validator = BlockValidator(parse_schema(RECORD), 2**20)
    try:
        for block in Container(io.BytesIO(data), 2**20).blocks():
            validator.check(block.data, block.count, block.where)
    except QuarantineError as exc:
        return f"{exc.kind.value}: {exc.message}"
    return "ok"


def test_fastavro_skips_the_records_of_a_block_with_a_negative_count() -> None:
    data = container_file((1, zigzag(5)), (-2, zigzag(6) + zigzag(7)), (1, zigzag(8)))
    assert list(fastavro.reader(io.BytesIO(data))) == [{"n": 5}, {"n": 8}]  # 6 and 7 are lost
    assert avrolake_container_verdict(data).startswith("corrupt_data: block 2 (at byte ")
    assert "negative block count -2" in avrolake_container_verdict(data)


def test_fastavro_ignores_bytes_a_block_s_records_leave_over() -> None:
    data = container_file((1, zigzag(5) + b"\xff\xff"))
    assert list(fastavro.reader(io.BytesIO(data))) == [{"n": 5}]
    assert avrolake_container_verdict(data).endswith(": 2 bytes left over after its 1 records")


def test_fastavro_refuses_header_metadata_values_that_are_not_utf8() -> None:
    data = container_file()
    note = zigzag(4) + b"note" + zigzag(2) + b"\xff\xfe"
    data = data.replace(b"Obj\x01" + zigzag(1), b"Obj\x01" + zigzag(2) + note, 1)
    with pytest.raises(UnicodeDecodeError):
        fastavro.reader(io.BytesIO(data))
    assert Container(io.BytesIO(data), 2**20).header.metadata["note"] == b"\xff\xfe"


def snappy_file(body: bytes) -> bytes:
    schema = json.dumps(RECORD).encode()
    meta = zigzag(11) + b"avro.schema" + zigzag(len(schema)) + schema
    meta += zigzag(10) + b"avro.codec" + zigzag(6) + b"snappy"
    head = b"Obj\x01" + zigzag(2) + meta + zigzag(0) + SYNC
    return head + zigzag(1) + zigzag(len(body)) + body + SYNC


def test_fastavro_does_not_check_the_snappy_crc() -> None:
    record = zigzag(5)
    bad_crc = (zlib.crc32(record) ^ 1).to_bytes(4, "big")
    data = snappy_file(bytes(cramjam.snappy.compress_raw(record)) + bad_crc)
    assert list(fastavro.reader(io.BytesIO(data))) == [{"n": 5}]
    assert avrolake_container_verdict(data).startswith("codec_error: block 1 (at byte ")


def test_fastavro_accepts_a_deflate_block_without_its_end_of_stream() -> None:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = packer.compress(zigzag(5)) + packer.flush(zlib.Z_SYNC_FLUSH)  # no final block
    schema = json.dumps(RECORD).encode()
    meta = zigzag(11) + b"avro.schema" + zigzag(len(schema)) + schema
    meta += zigzag(10) + b"avro.codec" + zigzag(7) + b"deflate"
    data = b"Obj\x01" + zigzag(2) + meta + zigzag(0) + SYNC
    data += zigzag(1) + zigzag(len(body)) + body + SYNC
    assert list(fastavro.reader(io.BytesIO(data))) == [{"n": 5}]
    assert "the deflate data ends before its end-of-stream marker" in avrolake_container_verdict(
        data
    )


def test_fastavro_decompresses_a_block_whole_without_a_cap() -> None:
    schema = {"type": "record", "name": "B", "fields": [{"name": "b", "type": "bytes"}]}
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(schema), [{"b": bytes(8 * 2**20)}], "deflate")
    assert len(buffer.getvalue()) < 2**16
    (record,) = fastavro.reader(io.BytesIO(buffer.getvalue()))  # no option limits it
    assert len(record["b"]) == 8 * 2**20
    with pytest.raises(QuarantineError) as caught:
        list(Container(io.BytesIO(buffer.getvalue()), 2**20).blocks())
    assert caught.value.kind is QuarantineKind.TOO_LARGE


def decimal_of_bytes(precision: int, scale: int) -> dict[str, Any]:
    return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}


def test_fastavro_converts_by_the_writer_s_logical_type_not_the_reader_s() -> None:
    """Plain bytes read by a reader decimal come back bytes (Avro Java: 2.58, the reader's
    decimal of the unscaled 258). avrolake gives the writer its own `avrolake-decimal`
    (decode/fastavro_docs.py) and lands 2.58."""
    assert fastavro_round_trip("bytes", decimal_of_bytes(7, 2), b"\x01\x02") == b"\x01\x02"


def test_fastavro_rounds_a_decimal_to_its_precision_and_reads_no_bytes_as_zero() -> None:
    """10 digits in a decimal(7,2) come back rounded to 7 (Avro Java reads 21474836.47); no
    bytes come back 0 (Avro Java: `Zero length BigInteger`). avrolake's `decimal_of`
    quarantines both (`conversion_error`, naming the field)."""
    writer = decimal_of_bytes(7, 2)
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema("bytes"), b"\x7f\xff\xff\xff")
    buffer.seek(0)
    value = fastavro.schemaless_reader(buffer, fastavro.parse_schema(writer), None)
    assert str(value) == "2.147484E+7"
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema("bytes"), b"")
    buffer.seek(0)
    assert str(fastavro.schemaless_reader(buffer, fastavro.parse_schema(writer), None)) == "0.00"
