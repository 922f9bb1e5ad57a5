"""Rescued data (issue 18 point 3; docs/table.md#rescued-data): an unregistered writer's
fields that no registered version explains land as JSON in `_rescued_data`, exactly and
reversibly, on both decoders; fields a registered version has (a removed field) are not."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import io
import json
import math
from pathlib import Path
from typing import Any

import fastavro
import pytest
from deltalake import DeltaTable

from avrolake.decode import AvroFile, ReaderPlan
from avrolake.decode.rescue import from_json, known_paths
from avrolake.lake import TableRef, table_status
from avrolake.lake.record import RunRecord
from avrolake.registry import Registry, schema_fingerprint
from avrolake.report import build_report, render_html
from avrolake.schema import Record, parse_schema
from avrolake.storage import S3Options
from tests.fixtures.lake import sql
from tests.unit.one_subject import ingest
from tests.unit.test_migrate_exact import Chain

pytestmark = pytest.mark.unit

UID = "123e4567-e89b-12d3-a456-426614174000"
HOST = {"type": "record", "name": "Host", "fields": [{"name": "name", "type": "string"}]}
V1 = {
    "type": "record",
    "name": "Event",
    "namespace": "ns",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "host", "type": HOST},
        {"name": "old", "type": "string", "default": ""},
    ],
}
V2 = {**V1, "fields": V1["fields"][:2]}  # `old` removed by the registry
EXTRA: list[dict[str, Any]] = [
    {"name": "i", "type": "int"},
    {"name": "l", "type": "long"},
    {"name": "d", "type": "double"},
    {"name": "f", "type": "float"},
    {"name": "b", "type": "bytes"},
    {"name": "fx", "type": {"type": "fixed", "name": "Four", "size": 4}},
    {"name": "e", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
    {"name": "u", "type": ["null", "int", "long", "string"]},
    {"name": "r", "type": {"type": "record", "name": "Inner", "fields": [
        {"name": "x", "type": ["null", "Four"]}, {"name": "y", "type": "float"}]}},
    {"name": "a", "type": {"type": "array", "items": "long"}},
    {"name": "m", "type": {"type": "map", "values": "double"}},
    {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10,
                             "scale": 2}},
    {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "uid", "type": {"type": "string", "logicalType": "uuid"}},
]  # fmt: skip
HOST_V3 = {**HOST, "fields": [*HOST["fields"], {"name": "region", "type": "string"}]}
WRITER = {**V1, "fields": [V1["fields"][0], {"name": "host", "type": HOST_V3}, V1["fields"][2],
                           *EXTRA]}  # fmt: skip
RECORD = {
    "id": 1, "host": {"name": "h1", "region": "eu-west"}, "old": "gone",
    "i": -(2**31), "l": 2**53 + 1, "d": -0.0, "f": 0.1, "b": b"\x00\xff\"\\",
    "fx": b"\x80abc", "e": "GREEN", "u": 7, "r": {"x": b"\x01\x02\x03\x04", "y": -math.inf},
    "a": [2**63 - 1, -(2**63)], "m": {"nan": math.nan, "inf": math.inf},
    "dec": decimal.Decimal("12.34"), "ts": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    "uid": UID,
}  # fmt: skip
# The exact `_rescued_data` of RECORD: the Avro JSON encoding of each writer field.
RESCUED = (
    '{"host.region":"eu-west","i":-2147483648,"l":9007199254740993,"d":-0.0,'
    '"f":0.10000000149011612,"b":"\\u0000\\u00ff\\"\\\\","fx":"\\u0080abc",'
    '"e":"GREEN","u":{"int":7},"r":{"x":{"ns.Four":"\\u0001\\u0002\\u0003\\u0004"},'
    '"y":"-Infinity"},"a":[9223372036854775807,-9223372036854775808],'
    '"m":{"nan":"NaN","inf":"Infinity"},"dec":"\\u0004\\u00d2","ts":1767225600000,'
    f'"uid":"{UID}"}}'
)

FP = schema_fingerprint(WRITER)


def avro_file(records: list[Any], schema: dict[str, Any] = WRITER) -> io.BytesIO:
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(schema), records)
    buffer.seek(0)
    return buffer


def plan(decoder: str) -> ReaderPlan:
    known = known_paths([parse_schema(V1), parse_schema(V2)])
    return ReaderPlan("s", V2, {}, decoder=decoder, known_paths=known)


@pytest.mark.parametrize("decoder", ["auto", "fastavro"])
def test_every_avro_type_is_rescued_exactly_on_both_decoders(decoder: str) -> None:
    avro = AvroFile(avro_file([RECORD, {**RECORD, "u": None}]), plan(decoder))
    rows = [row for t in avro.tables() for row in t.to_pylist()]
    assert [r["_rescued_data"] for r in rows] == [RESCUED, RESCUED.replace('{"int":7}', "null")]
    assert rows[0]["host"] == {"name": "h1"}
    assert "old" not in rows[0]  # removed by the registry: not rescued


def test_the_rescued_json_reads_back_as_the_written_values() -> None:
    writer = parse_schema(WRITER)
    assert isinstance(writer, Record)
    types = {f.name: f.type for f in writer.fields}
    back = {k: from_json(types[k], v) for k, v in json.loads(RESCUED).items() if "." not in k}
    raw = next(fastavro.reader(avro_file([RECORD]), return_record_name=False))
    expected = {k: raw[k] for k in back}
    expected["dec"] = b"\x04\xd2"  # base types: the decimal's unscaled bytes, the epoch millis
    expected["ts"] = 1767225600000
    expected["uid"] = UID
    assert math.isnan(back["m"].pop("nan"))
    assert math.isnan(expected["m"].pop("nan"))
    assert back == expected
    assert math.copysign(1, back["d"]) == -1  # -0.0 stays negative


def test_a_registered_writer_rescues_nothing() -> None:
    """Its fields are the registry's decision (the rows' `_rescued_data` is NULL)."""
    registered = dataclasses.replace(plan("auto"), versions_by_fingerprint={FP: 3})
    avro = AvroFile(avro_file([RECORD]), registered)
    assert avro.rescue is None
    assert [t.column_names[-1] for t in avro.tables()] == ["host"]


V4_NEW = [
    {"name": "region", "type": "string"},
    {"name": "latency_ms", "type": ["null", "double"], "default": None},
]
V3 = {"type": "record", "name": "Log", "fields": [{"name": "seq", "type": "long"}]}
V4 = {**V3, "fields": [*V3["fields"], *V4_NEW]}


def test_unknown_writer_fields_are_not_dropped(tmp_path: Path) -> None:
    """The Why case: v4 (two new fields) deployed before it was registered."""
    records = [{"seq": n, "region": f"r{n % 3}", "latency_ms": n / 4} for n in range(100)]
    summary, _ = ingest(tmp_path, [V3], [(V4, records)])
    assert (summary["files_ingested"], summary["records_written"]) == (1, 100)
    query = "SELECT seq, _writer_schema_version v, _rescued_data r FROM t ORDER BY seq"
    rows = sql(str(tmp_path / "table"), query)
    assert [(r["seq"], r["v"]) for r in rows] == [(n, None) for n in range(100)]
    assert [json.loads(r["r"]) for r in rows] == [
        {"region": f"r{n % 3}", "latency_ms": {"double": n / 4}} for n in range(100)
    ]
    (record,) = [RunRecord.from_commit(c) for c in DeltaTable(str(tmp_path / "table")).history(1)]
    assert record is not None
    assert [(f.writer_version, f.rescued) for f in record.landed] == [
        (None, ("region", "latency_ms"))
    ]
    (writer,) = table_status(TableRef.at(str(tmp_path / "table"), S3Options()))[
        "unregistered_writers"
    ]
    assert writer == {
        "fingerprint": schema_fingerprint(V4),
        "first_seen": "2026-03-03T06:00:00+00:00",
        "files": 1,
        "rows": 100,
        "extra_fields": ["latency_ms", "region"],
    }
    ref = TableRef.at(str(tmp_path / "table"), S3Options())
    (named,) = build_report(ref, Registry(tmp_path / "registry")).health.unregistered_writers
    assert {**named, "first_seen": "-"} == {**writer, "first_seen": "-"}  # commit time
    assert "latency_ms, region" in render_html(build_report(ref, None))


WHEN = {"name": "when", "type": {"type": "long", "logicalType": "timestamp-millis"}}
BASE = {**V1, "fields": [V1["fields"][0], WHEN]}  # partitioned by the date of `when`
WITH_EXTRA = {**BASE, "fields": [*BASE["fields"], *EXTRA]}
FLAT = [
    {k: v for k, v in RECORD.items() if k not in ("host", "old")}
    | {"id": n, "when": RECORD["ts"], "u": [None, 7, 2**40, "s"][n % 4]}
    for n in range(8)
]


def test_migrate_fills_the_registered_fields_from_rescued_data_as_a_fresh_read(
    tmp_path: Path,
) -> None:
    """Land files of an unregistered writer, register it, migrate: the table equals a fresh
    ingest of the same sources, value for value, and nothing is left rescued."""
    chain = Chain(tmp_path)
    chain.register(1, BASE)
    chain.write(2, WITH_EXTRA, FLAT)
    assert chain.ingest()["files_ingested"] == 1
    (rescued,) = sql(chain.table(), "SELECT COUNT(*) n FROM t WHERE _rescued_data IS NOT NULL")
    assert rescued["n"] == 8
    chain.register(2, WITH_EXTRA)
    assert chain.migrate() == 0
    assert chain.rows() == chain.fresh()
    left = sql(chain.table(), "SELECT _writer_schema_version v, _rescued_data r FROM t")
    assert left == [{"v": 2, "r": None}] * 8


NESTED_BASE = {**V1, "fields": [*BASE["fields"], {"name": "host", "type": HOST}]}
NESTED = {**V1, "fields": [*BASE["fields"], {"name": "host", "type": HOST_V3}]}


def test_migrate_fills_a_nested_rescued_field_as_a_fresh_read(tmp_path: Path) -> None:
    """ "host.region" (a field added inside a record) lands in `host.region` after migrate."""
    chain = Chain(tmp_path)
    chain.register(1, NESTED_BASE)
    rows = [{"id": n, "when": RECORD["ts"], "host": {"name": f"h{n}", "region": f"r{n}"}}
            for n in range(5)]  # fmt: skip
    chain.write(2, NESTED, rows)
    assert chain.ingest()["files_ingested"] == 1
    rescued = sql(chain.table(), "SELECT _rescued_data r FROM t ORDER BY id")
    assert [r["r"] for r in rescued] == [f'{{"host.region":"r{n}"}}' for n in range(5)]
    chain.register(2, NESTED)
    assert chain.migrate() == 0
    assert chain.rows() == chain.fresh()
    assert sql(chain.table(), "SELECT host FROM t ORDER BY id")[4] == {
        "host": {"name": "h4", "region": "r4"}
    }


GEO = {"type": "record", "name": "Geo", "fields": [{"name": "city", "type": "string"}]}
GEO_V2 = {**GEO, "fields": [*GEO["fields"], {"name": "street", "type": "string", "default": "-"}]}
OPTIONAL_BASE = {**V1, "fields": [*BASE["fields"], {"name": "geo", "type": ["null", GEO]}]}
OPTIONAL = {**V1, "fields": [*BASE["fields"], {"name": "geo", "type": ["null", GEO_V2]}]}
ITEMS_BASE = {**V1, "fields": [*BASE["fields"], {"name": "geos", "type": {
    "type": "array", "items": GEO}}]}  # fmt: skip
ITEMS = {**V1, "fields": [*BASE["fields"], {"name": "geos", "type": {
    "type": "array", "items": GEO_V2}}]}  # fmt: skip


@pytest.mark.parametrize(
    ("base", "writer", "value", "column"),
    [
        pytest.param(OPTIONAL_BASE, OPTIONAL, {"city": "Paris", "street": "Rue de Rivoli"},
                     "geo", id="inside a nullable record"),
        pytest.param(ITEMS_BASE, ITEMS, [{"city": "Paris", "street": "Rue de Rivoli"}],
                     "geos", id="inside array items"),
    ],
)  # fmt: skip
def test_a_field_rescue_cannot_keep_comes_back_from_the_source_when_its_writer_is_registered(
    tmp_path: Path, base: dict[str, Any], writer: dict[str, Any], value: Any, column: str
) -> None:
    """An unregistered writer's field inside a union, an array or a map is not rescued
    (docs/table.md, "Depth"); once that writer is registered, migrate reads its sources again
    (new-user trial, issue 17: it filled the reader's default "-" and kept the version NULL)."""
    chain = Chain(tmp_path)
    chain.register(1, base)
    chain.write(2, writer, [{"id": 1, "when": RECORD["ts"], column: value}])
    assert chain.ingest()["files_ingested"] == 1
    assert sql(chain.table(), "SELECT _rescued_data r FROM t") == [{"r": None}]
    chain.register(2, writer)
    assert chain.migrate() == 0
    got = sql(chain.table(), f"SELECT {column} c, _writer_schema_version v FROM t")
    assert got == [{"c": value, "v": 2}]
    assert chain.rows() == chain.fresh()
