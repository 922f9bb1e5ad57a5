"""Decoding one Avro file: values resolved to the reader schema, and the quarantine kinds."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import fastavro
import pyarrow as pa
import pytest

from avrolake.decode import AvroFile, ReaderPlan, reader_plan
from avrolake.errors import QuarantineError, QuarantineKind
from avrolake.registry import Registry, schema_fingerprint
from tests.unit.avro_encoding import text as _string
from tests.unit.avro_encoding import zz as _zigzag
from tests.unit.clicks_schema import V1, V2

pytestmark = pytest.mark.unit

T0 = 1_772_359_200_000  # 2026-03-01T10:00:00Z in milliseconds


def v1_record(i: int = 0, **values: Any) -> dict[str, Any]:
    record = {
        "ts": T0 + i,
        "page": f"/p{i}",
        "dwell": 7 + i,
        "device": "MOBILE",
        "geo": {"country": "NO"},
    }
    return {**record, **values}


def v2_record(i: int = 0, **values: Any) -> dict[str, Any]:
    record = {
        "ts": T0 + i,
        "url": f"/u{i}",
        "dwell": 2**40 + i,
        "device": "TABLET",
        "geo": {"country": "SE", "city": "Lund"},
        "referrer": "search",
    }
    return {**record, **values}


@pytest.fixture
def plan(tmp_path: Path) -> ReaderPlan:
    folder = tmp_path / "registry" / "clickstream"
    folder.mkdir(parents=True)
    (folder / "v1.avsc").write_text(json.dumps(V1))
    (folder / "v2.avsc").write_text(json.dumps(V2))
    return reader_plan(Registry(tmp_path / "registry"), "clickstream")


def avro_bytes(schema: Any, records: list[Any], codec: str = "null") -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(schema), records, codec=codec)
    return buffer.getvalue()


def decode(data: bytes, plan: ReaderPlan) -> list[pa.Table]:
    return list(AvroFile(io.BytesIO(data), plan).tables())


def decode_rows(data: bytes, plan: ReaderPlan) -> list[dict[str, Any]]:
    return [row for table in decode(data, plan) for row in table.to_pylist()]


def quarantine(data: bytes, plan: ReaderPlan) -> QuarantineError:
    with pytest.raises(QuarantineError) as caught:
        decode(data, plan)
    return caught.value


def header_only(schema_text: str) -> bytes:
    """An object container file with no blocks whose header holds `schema_text` verbatim."""
    meta = _string(b"avro.schema") + _string(schema_text.encode()) + _string(b"avro.codec")
    return b"Obj\x01" + _zigzag(2) + meta + _string(b"null") + _zigzag(0) + b"\x00" * 16


# -- values resolved to the reader schema -----------------------------------------------------


def test_v1_record_lands_in_the_reader_shape(plan: ReaderPlan) -> None:
    assert decode_rows(avro_bytes(V1, [v1_record()]), plan) == [
        {
            "ts": dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC),
            "url": "/p0",
            "dwell": 7,
            "device": "MOBILE",
            "geo": {"country": "NO", "city": None},
            "referrer": "direct",
        }
    ]


def test_renamed_field_is_read_through_its_alias(plan: ReaderPlan) -> None:
    (row,) = decode_rows(avro_bytes(V1, [v1_record(page="/checkout")]), plan)
    assert row["url"] == "/checkout"
    assert "page" not in row


def test_int_is_promoted_to_long(plan: ReaderPlan) -> None:
    (table,) = decode(avro_bytes(V1, [v1_record(dwell=2**31 - 1)]), plan)
    assert table.schema.field("dwell").type == pa.int64()
    assert table.column("dwell").to_pylist() == [2**31 - 1]


def test_missing_field_takes_the_reader_default(plan: ReaderPlan) -> None:
    (row,) = decode_rows(avro_bytes(V1, [v1_record()]), plan)
    assert row["referrer"] == "direct"


def test_nested_record_gains_its_new_field_with_the_default(plan: ReaderPlan) -> None:
    (table,) = decode(avro_bytes(V1, [v1_record(geo={"country": "DK"})]), plan)
    assert table.schema.field("geo").type == pa.struct(
        [pa.field("country", pa.string()), pa.field("city", pa.string())]
    )
    assert table.column("geo").to_pylist() == [{"country": "DK", "city": None}]


def test_nested_record_of_the_latest_writer_keeps_its_values(plan: ReaderPlan) -> None:
    (row,) = decode_rows(avro_bytes(V2, [v2_record()]), plan)
    assert row["geo"] == {"country": "SE", "city": "Lund"}


@pytest.mark.parametrize(
    ("schema", "record", "device"),
    [
        pytest.param(V1, v1_record(device="DESKTOP"), "DESKTOP", id="old_symbol_from_v1"),
        pytest.param(V2, v2_record(device="TABLET"), "TABLET", id="new_symbol_from_v2"),
    ],
)
def test_enum_lands_as_its_symbol_string(
    plan: ReaderPlan, schema: dict[str, Any], record: dict[str, Any], device: str
) -> None:
    (table,) = decode(avro_bytes(schema, [record]), plan)
    assert table.schema.field("device").type == pa.string()
    assert table.column("device").to_pylist() == [device]


def test_unknown_writer_enum_symbol_reads_as_the_reader_default(plan: ReaderPlan) -> None:
    producer = json.loads(json.dumps(V2))
    producer["fields"][3]["type"]["symbols"].append("TV")
    (row,) = decode_rows(avro_bytes(producer, [v2_record(device="TV")]), plan)
    assert row["device"] == "DESKTOP"


def test_timestamp_millis_lands_as_utc_microseconds(plan: ReaderPlan) -> None:
    (table,) = decode(avro_bytes(V1, [v1_record(ts=T0 + 1)]), plan)
    assert table.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert table.column("ts").to_pylist() == [
        dt.datetime(2026, 3, 1, 10, 0, 0, 1000, tzinfo=dt.UTC)
    ]


@pytest.mark.parametrize(
    ("schema", "record", "version"),
    [
        pytest.param(V1, v1_record(), 1, id="v1"),
        pytest.param(V2, v2_record(), 2, id="v2"),
        pytest.param(
            {**V2, "doc": "a producer's copy"}, v2_record(), 2, id="doc_only_change_is_still_v2"
        ),
    ],
)
def test_writer_version_is_found_by_fingerprint(
    plan: ReaderPlan, schema: dict[str, Any], record: dict[str, Any], version: int
) -> None:
    avro = AvroFile(io.BytesIO(avro_bytes(schema, [record])), plan)
    assert avro.writer_version == version
    assert avro.writer_fingerprint == schema_fingerprint(schema)


def test_unregistered_compatible_writer_has_no_version(plan: ReaderPlan) -> None:
    producer = json.loads(json.dumps(V2))
    producer["fields"].append({"name": "session", "type": "string"})
    data = avro_bytes(producer, [v2_record(session="s1")])
    avro = AvroFile(io.BytesIO(data), plan)
    assert avro.writer_version is None
    assert [row["url"] for t in avro.tables() for row in t.to_pylist()] == ["/u0"]


def test_records_come_batch_size_at_a_time(tmp_path: Path) -> None:
    folder = tmp_path / "registry" / "clickstream"
    folder.mkdir(parents=True)
    (folder / "v1.avsc").write_text(json.dumps(V1))
    small = reader_plan(Registry(tmp_path / "registry"), "clickstream", batch_size=2)
    fastavro_path = dataclasses.replace(small, decoder="fastavro")
    tables = decode(avro_bytes(V1, [v1_record(i) for i in range(5)]), fastavro_path)
    assert [t.num_rows for t in tables] == [2, 2, 1]
    native = decode(avro_bytes(V1, [v1_record(i) for i in range(5)]), small)
    assert [t.num_rows for t in native] == [5]  # whole blocks, ~64k records a chunk
    assert [u for t in tables for u in t.column("page").to_pylist()] == [
        "/p0",
        "/p1",
        "/p2",
        "/p3",
        "/p4",
    ]


@pytest.mark.parametrize("codec", ["null", "deflate", "snappy", "zstandard"])
def test_every_supported_codec_decodes(plan: ReaderPlan, codec: str) -> None:
    rows = decode_rows(avro_bytes(V1, [v1_record(i) for i in range(3)], codec=codec), plan)
    assert [r["url"] for r in rows] == ["/p0", "/p1", "/p2"]


def test_file_without_records_yields_no_tables(plan: ReaderPlan) -> None:
    assert decode(avro_bytes(V1, []), plan) == []


# -- quarantine kinds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"PAR1 not an avro file at all", id="parquet_magic"),
        pytest.param(b"", id="empty_file"),
        pytest.param(b"Ob", id="shorter_than_the_magic"),
    ],
)
def test_bad_magic_is_not_avro(plan: ReaderPlan, data: bytes) -> None:
    error = quarantine(data, plan)
    assert error.kind is QuarantineKind.NOT_AVRO
    assert (error.writer_fingerprint, error.writer_schema) == (None, None)


def test_file_cut_inside_a_data_block_is_truncated(plan: ReaderPlan) -> None:
    data = avro_bytes(V1, [v1_record(i) for i in range(20)])
    error = quarantine(data[:-30], plan)
    assert error.kind is QuarantineKind.TRUNCATED
    assert error.writer_fingerprint == schema_fingerprint(V1)


def test_damaged_sync_marker_is_bad_sync_marker(plan: ReaderPlan) -> None:
    data = bytearray(avro_bytes(V1, [v1_record(i) for i in range(3)]))
    data[-1] ^= 0xFF  # the sync marker closing the only block
    assert quarantine(bytes(data), plan).kind is QuarantineKind.BAD_SYNC_MARKER


def test_incompatible_writer_is_quarantined_with_its_fingerprint(plan: ReaderPlan) -> None:
    writer = json.loads(json.dumps(V1))
    writer["fields"][0] = {"name": "ts", "type": "string"}
    data = avro_bytes(writer, [v1_record(ts="yesterday")])
    error = quarantine(data, plan)
    assert error.kind is QuarantineKind.INCOMPATIBLE_SCHEMA
    assert error.writer_fingerprint == schema_fingerprint(writer)
    assert schema_fingerprint(json.loads(error.writer_schema or "")) == error.writer_fingerprint
    assert "TYPE_MISMATCH at /fields/0/type" in error.message


def test_writer_missing_a_field_without_reader_default_is_incompatible(plan: ReaderPlan) -> None:
    writer = json.loads(json.dumps(V1))
    del writer["fields"][2]  # dwell: the reader has no default for it
    record = v1_record()
    del record["dwell"]
    error = quarantine(avro_bytes(writer, [record]), plan)
    assert error.kind is QuarantineKind.INCOMPATIBLE_SCHEMA
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in error.message


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        pytest.param(
            {
                "type": "record",
                "name": "Click",
                "fields": [{"name": "ts", "type": "long"}, {"name": "ts", "type": "long"}],
            },
            "invalid Avro schema at $.fields[1].name: field 'ts' appears twice",
            id="field_appears_twice",
        ),
        pytest.param(
            {"type": "record", "name": "Click", "fields": [{"name": "a-b", "type": "long"}]},
            "invalid Avro schema at $.fields[0].name: field name 'a-b' is not a valid Avro name",
            id="invalid_field_name",
        ),
        pytest.param(
            {"type": "record", "name": "Click"},
            'invalid Avro schema at $: record has no "fields"',
            id="record_without_fields",
        ),
    ],
)
def test_header_schema_breaking_the_spec_is_invalid_writer_schema(
    plan: ReaderPlan, doc: dict[str, Any], message: str
) -> None:
    text = json.dumps(doc)
    error = quarantine(header_only(text), plan)
    assert error.kind is QuarantineKind.INVALID_WRITER_SCHEMA
    assert error.message == f"writer schema in file header: {message}"
    assert error.writer_fingerprint == schema_fingerprint(doc)
    assert error.writer_schema == text


@pytest.mark.parametrize(
    "length",
    [pytest.param(10, id="first_10_bytes"), pytest.param(40, id="first_40_bytes")],
)
def test_file_cut_inside_its_header_is_truncated(plan: ReaderPlan, length: int) -> None:
    data = avro_bytes(V1, [v1_record()])
    assert data[:4] == b"Obj\x01"  # the magic is whole: only the header is cut short
    error = quarantine(data[:length], plan)
    assert error.kind is QuarantineKind.TRUNCATED
    assert error.message.startswith("the header is cut short (")
    assert (error.writer_fingerprint, error.writer_schema) == (None, None)


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        pytest.param("{not json", "JSONDecodeError", id="not_json"),
        pytest.param('{"type": "recrd", "name": "R"}', "UnknownType", id="unknown_type"),
    ],
)
def test_header_schema_fastavro_cannot_parse_is_invalid_writer_schema(
    plan: ReaderPlan, text: str, cause: str
) -> None:
    error = quarantine(header_only(text), plan)
    assert error.kind is QuarantineKind.INVALID_WRITER_SCHEMA
    assert error.message.startswith(
        f"the writer schema in the header is not a valid Avro schema ({cause}: "
    )


def test_header_schema_with_a_default_of_the_wrong_type_is_invalid_writer_schema(
    plan: ReaderPlan,
) -> None:
    doc = json.loads(json.dumps(V1))
    doc["fields"][2] = {"name": "dwell", "type": "int", "default": "seven"}
    text = json.dumps(doc)
    error = quarantine(header_only(text), plan)
    assert error.kind is QuarantineKind.INVALID_WRITER_SCHEMA
    assert error.message == (
        "the writer schema in the header is not a valid Avro schema "
        "(Default value <seven> must match schema type: int)"
    )
    assert (error.writer_fingerprint, error.writer_schema) == (None, text)


UUID_STRING = {"type": "string", "logicalType": "uuid"}


def test_uuid_string_lands_as_a_plain_string(tmp_path: Path) -> None:
    doc = {
        "type": "record",
        "name": "Visit",
        "fields": [{"name": "id", "type": UUID_STRING}, {"name": "n", "type": "long"}],
    }
    folder = tmp_path / "registry" / "visits"
    folder.mkdir(parents=True)
    (folder / "v1.avsc").write_text(json.dumps(doc))
    uuids = reader_plan(Registry(tmp_path / "registry"), "visits")
    value = "6f1d2c3b-4a59-4e87-9c0d-1b2a3c4d5e6f"
    (table,) = decode(avro_bytes(doc, [{"id": value, "n": 1}]), uuids)
    assert table.schema.field("id").type == pa.string()
    assert table.to_pylist() == [{"id": value, "n": 1}]
    assert type(table.column("id").to_pylist()[0]) is str


@pytest.mark.parametrize("decoder", ["auto", "fastavro"])
def test_a_writer_differing_only_by_a_logical_type_is_not_read_as_the_other(
    plan: ReaderPlan, decoder: str
) -> None:
    """`long` and timestamp-millis `long` share a fingerprint (the canonical form drops
    logical types): a plan that read one must not decode the other with its route."""
    plan = dataclasses.replace(plan, decoder=decoder)
    as_long = json.loads(json.dumps(V2))
    as_long["fields"] = [
        {**f, "type": "long"} if f["name"] == "ts" else f for f in as_long["fields"]
    ]
    assert schema_fingerprint(as_long) == schema_fingerprint(V2)
    far = avro_bytes(as_long, [v2_record(ts=300_000_000_000_000)])
    fresh = ReaderPlan(plan.subject, plan.reader_doc, plan.versions_by_fingerprint,
                       decoder=decoder)  # fmt: skip
    alone = [t.column("ts").chunk(0).view(pa.int64()).to_pylist() for t in decode(far, fresh)]
    assert alone == [[300_000_000_000_000_000]]  # microseconds, as the writer's long says
    decode(avro_bytes(V2, [v2_record()]), plan)  # V2 first: its route and checks are cached
    after = [t.column("ts").chunk(0).view(pa.int64()).to_pylist() for t in decode(far, plan)]
    assert after == alone
