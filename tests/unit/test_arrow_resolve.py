"""ArrowResolver: natively decoded tables, resolved column-wise, land as the fastavro path lands.

Each case writes records with fastavro under a writer schema, decodes the container with
polars-avro (the native decoder: Arrow in the writer's shape), resolves the table to the
reader schema, and compares it with what `AvroFile` lands through fastavro for the same bytes:
the same table, type for type and value for value, or the same error kind. Pairs where the
fastavro path departs from the specification are refused at construction (the lead routes
them to fastavro), and pinned here with what the fastavro path does.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import fastavro
import pyarrow as pa
import pytest
from polars_avro._avro_rs import AvroSource
from polars_avro._source import seekable_factory

from avrolake.decode import AvroFile, ReaderPlan
from avrolake.decode.resolve import ArrowResolver, ResolveUnsupported
from avrolake.errors import QuarantineError, QuarantineKind
from avrolake.schema import Record, parse_schema

pytestmark = pytest.mark.unit

LOG_EVENT = Path(__file__).resolve().parents[2] / "schemas" / "log_event"
T0 = 1_772_359_200_000  # 2026-03-01T10:00:00Z in milliseconds


def record(name: str, *fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def field(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def logical(name: str, base: str = "long") -> dict[str, Any]:
    return {"type": base, "logicalType": name}


def log_event(version: int) -> Any:
    return json.loads((LOG_EVENT / f"v{version}.avsc").read_text())


def container(writer: Any, records: list[Any]) -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(writer), records)
    return buffer.getvalue()


def native_table(data: bytes, batch_size: int = 65_536) -> pa.Table:
    """The container decoded by polars-avro with its writer schema."""
    source = AvroSource([seekable_factory(io.BytesIO(data))], False, False)
    batches = [pa.record_batch(b) for b in source.batch_iter(batch_size, None)]
    if not batches:
        return pa.table(pa.record_batch(source.schema()))
    return pa.Table.from_batches(batches)


def fastavro_path(data: bytes, reader: Any) -> tuple[pa.Table, ReaderPlan]:
    plan = ReaderPlan("subject", reader, {}, decoder="fastavro")
    tables = list(AvroFile(io.BytesIO(data), plan).tables())
    return (pa.concat_tables(tables) if tables else plan.data_schema.empty_table()), plan


def resolver(writer: Any, reader: Any) -> ArrowResolver:
    parsed = parse_schema(reader)
    assert isinstance(parsed, Record)
    return ArrowResolver(parse_schema(writer), parsed)


def resolved(writer: Any, reader: Any, records: list[Any]) -> pa.Table:
    return resolver(writer, reader)(native_table(container(writer, records)))


def assert_lands_alike(writer: Any, reader: Any, records: list[Any]) -> pa.Table:
    data = container(writer, records)
    expected, plan = fastavro_path(data, reader)
    table = resolver(writer, reader)(native_table(data))
    assert table.schema == plan.data_schema
    assert table.equals(expected), (table.to_pylist()[:3], expected.to_pylist()[:3])
    return table


def error_of(run: Any) -> Any:
    """The kind of QuarantineError (or the type of any other error) `run()` raises."""
    with pytest.raises(Exception) as caught:  # noqa: PT011 - compared by the caller
        run()
    error = caught.value
    return error.kind if isinstance(error, QuarantineError) else type(error)


def assert_fails_alike(writer: Any, reader: Any, records: list[Any], kind: Any) -> None:
    data = container(writer, records)
    resolve = resolver(writer, reader)
    assert error_of(lambda: fastavro_path(data, reader)) == kind
    assert error_of(lambda: resolve(native_table(data))) == kind


# -- the shipped log_event versions -------------------------------------------------------

LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"]


def v1_records(count: int) -> list[dict[str, Any]]:
    return [
        {"timestamp": T0 + i, "level": LEVELS[i % 4], "service": f"svc{i % 3}", "message": f"m{i}"}
        for i in range(count)
    ]


def v2_records(count: int) -> list[dict[str, Any]]:
    return [
        {**r, "trace_id": None if i % 3 else f"{i:032x}", "latency_ms": None if i % 2 else i}
        for i, r in enumerate(v1_records(count))
    ]


def v3_records(count: int) -> list[dict[str, Any]]:
    host = {"hostname": "web-1", "ip": "10.0.0.1", "region": "eu"}
    return [
        {
            **{k: v for k, v in r.items() if k != "service"},
            "service_name": r["service"],
            "level": "FATAL" if i == 1 else r["level"],
            "host": None if i % 2 else host,
            "tags": {"env": "prod"} if i % 3 else {},
        }
        for i, r in enumerate(v2_records(count))
    ]


@pytest.mark.parametrize(
    ("writer", "reader", "records"),
    [
        pytest.param(1, 3, v1_records(50), id="v1->v3"),
        pytest.param(2, 3, v2_records(50), id="v2->v3"),
        pytest.param(3, 3, v3_records(50), id="v3->v3"),
        pytest.param(2, 1, v2_records(50), id="v2->v1"),
        pytest.param(1, 3, [], id="v1->v3 empty"),
    ],
)
def test_log_event_versions_land_alike(writer: int, reader: int, records: list[Any]) -> None:
    assert_lands_alike(log_event(writer), log_event(reader), records)


def test_one_resolver_serves_many_tables_of_any_chunking() -> None:
    data = container(log_event(2), v2_records(1000))
    expected, _ = fastavro_path(data, log_event(3))
    resolve = resolver(log_event(2), log_event(3))
    chunked = native_table(data, batch_size=64)
    assert chunked.column(0).num_chunks > 1
    assert resolve(chunked).equals(expected)
    assert resolve(chunked.slice(100, 500)).equals(expected.slice(100, 500))
    assert resolve(native_table(data)).equals(expected)


# -- field matching, defaults, promotions ---------------------------------------------------

BYTES_RECORD = record(
    "Inner",
    field("x", "int", default=7),
    field("b", "bytes", default="\u00ff"),
)
ENUM = {"type": "enum", "name": "E", "symbols": ["A", "B", "C", "Z"]}
ENUM_READ = {"type": "enum", "name": "E", "symbols": ["C", "B", "A", "Q"], "default": "Q"}
RANDOM = random.Random(7)
LONGS = [2**31 - 1, -(2**31), 16_777_217, 2**53 + 1, 2**62 + 12_345, -(2**63), 2**63 - 1] + [
    RANDOM.randrange(-(2**63), 2**63) for _ in range(300)
]

CASES = [
    pytest.param(
        record("Old", field("old", "string"), field("x", "int"), namespace="n"),
        record(
            "New",
            field("new", "string", aliases=["old"]),
            field("x", "long"),
            namespace="n",
            aliases=["Old"],
        ),
        [{"old": "a", "x": 1}, {"old": "b", "x": -2}],
        id="field and record aliases",
    ),
    pytest.param(
        record("R", field("a", "int")),
        record(
            "R",
            field("a", "int"),
            field("inner", BYTES_RECORD, default={}),
            field("inner_given", "Inner", default={"x": 1, "b": "q"}),
            field("bytes", "bytes", default="\u00e9"),
            field("bytes_map", {"type": "map", "values": "bytes"}, default={"k": "\u00e9"}),
            field("bytes_first", ["bytes", "string"], default="ab"),
            field("enum", {"type": "enum", "name": "D", "symbols": ["A", "B"]}, default="B"),
            field("float", "float", default=1e39),
            field("null", "null", default=None),
            field("fixed", {"type": "fixed", "name": "F", "size": 2}, default="\u00ff\u0000"),
            field("array", {"type": "array", "items": "long"}, default=[1, 2]),
            field("timestamp", logical("timestamp-millis"), default=5),
            field("date", logical("date", "int"), default=5),
            field("time", logical("time-millis", "int"), default=5),
            field("optional", ["null", "string"], default=None),
            field("several", ["int", "string", "null"], default=3),
            field("boolean", "boolean", default=True),
            field("double", "double", default=2),
        ),
        [{"a": i} for i in range(3)],
        id="every default kind",
    ),
    pytest.param(
        record(
            "R",
            *(field(n, "int") for n in ("il", "if", "id")),
            *(field(n, "long") for n in ("lf", "ld")),
            field("fd", "float"),
            field("sb", "string"),
            field("bs", "bytes"),
        ),
        record(
            "R",
            field("il", "long"),
            field("if", "float"),
            field("id", "double"),
            field("lf", "float"),
            field("ld", "double"),
            field("fd", "double"),
            field("sb", "bytes"),
            field("bs", "string"),
        ),
        [
            {
                "il": v % 2**31,
                "if": v % 2**31 - 2**30,
                "id": -(v % 2**31),
                "lf": v,
                "ld": v,
                "fd": v / 3e-20,
                "sb": f"h\u00e9llo {i}",
                "bs": f"\u00e9 {i}".encode(),
            }
            for i, v in enumerate(LONGS)
        ],
        id="promotions",
    ),
    pytest.param(
        record(
            "R",
            field("e", ENUM),
            field("n", ["null", "E"]),
            field("a", {"type": "array", "items": "E"}),
        ),
        record(
            "R",
            field("e", ENUM_READ),
            field("n", ["null", "E"]),
            field("a", {"type": "array", "items": "E"}),
        ),
        [{"e": s, "n": None if i % 2 else s, "a": [s, "A"]} for i, s in enumerate("ABCZZA")],
        id="enum symbols by name, unknown ones read as the default",
    ),
]


@pytest.mark.parametrize(("writer", "reader", "records"), CASES)
def test_fields_defaults_promotions_and_enums_land_alike(
    writer: Any, reader: Any, records: list[Any]
) -> None:
    assert_lands_alike(writer, reader, records)


def test_a_nested_record_gets_the_defaults_of_fields_its_writer_lacks() -> None:
    host = record("Host", field("hostname", "string"))
    host_read = record(
        "Host",
        field("hostname", "string"),
        field("ip", ["null", "string"], default=None),
        field("region", "string", default="unknown"),
        field("raw", "bytes", default="\u00fe"),
        field("tags", {"type": "map", "values": "string"}, default={"a": "b"}),
    )
    array = {"type": "array", "items": "Host"}
    table = assert_lands_alike(
        record("R", field("host", ["null", host]), field("hosts", array)),
        record("R", field("host", ["null", host_read]), field("hosts", array)),
        [{"host": None if i % 2 else {"hostname": f"h{i}"}, "hosts": [{"hostname": "x"}] * i}
         for i in range(4)],
    )  # fmt: skip
    assert table.column("host")[0].as_py() == {
        "hostname": "h0", "ip": None, "region": "unknown", "raw": b"\xfe", "tags": [("a", "b")]
    }  # fmt: skip


# -- unions ------------------------------------------------------------------------------

UNION_CASES = [
    ("int", ["null", "long"], [1, -2]),
    ("int", ["null", "string", "long", "float"], [1, -2]),
    (["null", "int"], ["null", "string", "float"], [None, 1, 2]),
    (["int", "null"], ["string", "float", "null"], [1, None]),
    ("string", ["null", "bytes", "string"], ["x"]),  # first match: string promotes to bytes
    ("bytes", ["null", "string", "bytes"], [b"h\xc3\xa9"]),
    ("boolean", ["null", "int", "boolean"], [True, False]),
    (["string"], "string", ["x", "y"]),  # a one-branch union decodes as a dense union
    (["null"], "null", [None]),
    ("null", ["null", "int", "string"], [None]),
    (["null", "string"], ["null", "string"], [None, None]),  # an all-null column
    (
        {"type": "fixed", "name": "F", "size": 3},
        ["null", {"type": "fixed", "name": "F", "size": 3}],
        [b"abc"],
    ),
    (
        record("A", field("x", "int")),
        ["null", record("A", field("x", "long")), record("B", field("y", "int", default=3))],
        [{"x": 1}],
    ),
]


@pytest.mark.parametrize(
    ("written", "read", "values"), UNION_CASES, ids=[json.dumps(c[:2]) for c in UNION_CASES]
)
def test_unions_land_in_the_first_matching_branch(
    written: Any, read: Any, values: list[Any]
) -> None:
    assert_lands_alike(
        record("R", field("v", written), field("i", "int")),
        record("R", field("v", read), field("i", "int")),
        [{"v": v, "i": i} for i, v in enumerate(values)],
    )


def test_nested_records_in_arrays_maps_and_unions_land_alike() -> None:
    inner = record(
        "In",
        field("x", "int"),
        field("e", {"type": "enum", "name": "E", "symbols": ["A", "B"]}),
        field("s", ["null", "string"]),
        field("u", ["string"]),
    )
    inner_read = record(
        "In",
        field("x", "double"),
        field("e", {"type": "enum", "name": "E", "symbols": ["B", "A", "C"]}),
        field("s", ["null", "string"]),
        field("u", ["null", "string"]),
        field("n", "string", default="d"),
    )
    value = {"x": 5, "e": "A", "s": None, "u": "q"}
    records = [
        {
            "arr": [value, {**value, "x": -i, "e": "B", "s": "z"}][: i % 3],
            "map": {"k": value} if i % 2 else {},
            "opt": None if i % 2 else value,
        }
        for i in range(7)
    ]
    writer = record(
        "R",
        field("arr", {"type": "array", "items": inner}),
        field("map", {"type": "map", "values": "In"}),
        field("opt", ["null", "In"]),
    )
    for reader in (
        record(
            "R",
            field("arr", {"type": "array", "items": inner_read}),
            field("map", {"type": "map", "values": "In"}),
            field("opt", ["null", "In"]),
        ),
        record(
            "R",
            field("arr", ["null", {"type": "array", "items": inner_read}]),
            field("map", ["null", "string", {"type": "map", "values": ["null", "In"]}]),
            field("opt", ["null", "In"]),
        ),
    ):
        assert_lands_alike(writer, reader, records)


# -- logical types ---------------------------------------------------------------------------

MIN_MS, MAX_MS = -62_135_596_800_000, 253_402_300_799_999  # 0001-01-01, 9999-12-31T23:59:59.999
LOGICAL_CASES = [
    ("timestamp-millis", "long", [0, -1, T0, MIN_MS, MAX_MS]),
    ("timestamp-micros", "long", [0, -1, T0 * 1000, MIN_MS * 1000, MAX_MS * 1000 + 999]),
    ("local-timestamp-millis", "long", [0, -1, T0]),
    ("local-timestamp-micros", "long", [0, -1, T0 * 1000]),
    ("timestamp-nanos", "long", [0, -1000, T0 * 1_000_000]),
    ("date", "int", [0, -1, 20_000, -719_162, 2_932_896]),
    ("time-millis", "int", [0, 1, 86_399_999]),
    ("time-micros", "long", [0, 1, 86_399_999_999]),
    # fastavro reads a negative time above minus one hour as a time of day: -1 ms is 00:00:00.999
    ("time-millis", "int", [-1, -1000, -3_599_999]),
    ("time-micros", "long", [-1, -3_599_999_999]),
]


@pytest.mark.parametrize(("name", "base", "values"), LOGICAL_CASES)
def test_logical_types_land_alike(name: str, base: str, values: list[int]) -> None:
    schema = record("R", field("t", logical(name, base)), field("n", ["null", logical(name, base)]))
    assert_lands_alike(
        schema, schema, [{"t": v, "n": v if i % 2 else None} for i, v in enumerate(values)]
    )


@pytest.mark.parametrize(
    ("written", "read", "values"),
    [
        ("long", logical("timestamp-millis"), [5, MAX_MS + 1]),  # a plain number lands as is
        ("int", logical("timestamp-millis"), [-5]),
        ("int", logical("date", "int"), [2**31 - 1]),
        ("int", logical("time-millis", "int"), [-5, 2**31 - 1]),
        ("int", logical("time-micros"), [-5]),
        (logical("timestamp-nanos"), "long", [1234]),
        (logical("timestamp-nanos"), logical("timestamp-millis"), [1234]),
        ("long", ["null", "string", logical("timestamp-millis")], [1234]),
    ],
)
def test_plain_numbers_read_with_a_logical_type_land_alike(
    written: Any, read: Any, values: list[int]
) -> None:
    assert_lands_alike(
        record("R", field("t", written)), record("R", field("t", read)), [{"t": v} for v in values]
    )


def test_a_record_defined_with_no_fields_lands_alike() -> None:
    empty = record("Z")
    assert_lands_alike(
        record("R", field("a", "int")),
        record("R", field("a", "int"), field("z", empty, default={})),
        [{"a": 1}, {"a": 2}],
    )


# -- errors: the same kind as the fastavro path -----------------------------------------------


def timestamp(name: str = "timestamp-millis") -> dict[str, Any]:
    return record("R", field("t", ["null", logical(name)]))


@pytest.mark.parametrize(
    ("writer", "reader", "records", "kind"),
    [
        pytest.param(timestamp(), timestamp(), [{"t": None}, {"t": MAX_MS + 1}],
                     QuarantineKind.CORRUPT_DATA, id="timestamp after year 9999"),
        pytest.param(timestamp(), timestamp(), [{"t": 2**62}],
                     QuarantineKind.CORRUPT_DATA, id="timestamp beyond microseconds"),
        pytest.param(timestamp("timestamp-micros"), timestamp("timestamp-micros"),
                     [{"t": -(2**63)}], QuarantineKind.CORRUPT_DATA, id="timestamp before year 1"),
        pytest.param(record("R", field("d", logical("date", "int"))),
                     record("R", field("d", logical("date", "int"))), [{"d": 2_932_897}],
                     QuarantineKind.CORRUPT_DATA, id="date after year 9999"),
        pytest.param(record("R", field("b", "bytes")), record("R", field("b", "string")),
                     [{"b": b"ok"}, {"b": b"\xed\xa0\x80"}], QuarantineKind.CORRUPT_DATA,
                     id="bytes read as a string, not UTF-8"),
        pytest.param(timestamp("timestamp-nanos"), timestamp("timestamp-nanos"), [{"t": 1234}],
                     pa.ArrowInvalid, id="nanoseconds below microseconds"),
        pytest.param(record("R", field("t", "long")), timestamp(), [{"t": 2**62}],
                     pa.ArrowInvalid, id="a plain long beyond microseconds"),
        pytest.param(record("R", field("e", ENUM)),
                     record("R", field("e", {"type": "enum", "name": "E", "symbols": ["A"]})),
                     [{"e": "A"}, {"e": "B"}], QuarantineKind.INCOMPATIBLE_SCHEMA,
                     id="an enum symbol the reader lacks, without a default"),
        pytest.param(record("R", field("v", ["null", "int"])), record("R", field("v", "long")),
                     [{"v": 1}, {"v": None}], QuarantineKind.INCOMPATIBLE_SCHEMA,
                     id="null where the reader cannot hold it"),
    ],
)  # fmt: skip
def test_records_fail_with_the_fastavro_paths_kind(
    writer: Any, reader: Any, records: list[Any], kind: Any
) -> None:
    assert_fails_alike(writer, reader, records, kind)


def test_an_unreadable_branch_fails_only_the_records_that_use_it() -> None:
    """The specification: a writer union branch the reader cannot read is an error when a
    record uses it (the fastavro path checks every branch first and quarantines the file)."""
    inner = record("I", field("s", ["null", "string"]), field("e", ENUM))
    inner_read = record(
        "I", field("s", "string"), field("e", {"type": "enum", "name": "E", "symbols": ["B"]})
    )
    writer = record("R", field("o", ["null", inner]))
    reader = record("R", field("o", ["null", inner_read]))
    # under a null record, the decoder's placeholders (null s, symbol A) are no record's values
    table = resolved(writer, reader, [{"o": None}, {"o": {"s": "x", "e": "B"}}])
    assert table.column("o").to_pylist() == [None, {"s": "x", "e": "B"}]
    for bad in ({"s": None, "e": "B"}, {"s": "x", "e": "A"}):
        with pytest.raises(QuarantineError) as caught:
            resolved(writer, reader, [{"o": None}, {"o": bad}])
        assert caught.value.kind == QuarantineKind.INCOMPATIBLE_SCHEMA
    items = record("R", field("a", {"type": "array", "items": ["null", "int"]}))
    items_read = record("R", field("a", {"type": "array", "items": "long"}))
    assert resolved(items, items_read, [{"a": [1, 2]}]).column("a").to_pylist() == [[1, 2]]
    with pytest.raises(QuarantineError):
        resolved(items, items_read, [{"a": [1, None]}])


# -- refused: the fastavro path departs from the specification, or cannot land it ------------

ONE_SYMBOL = {"type": "enum", "name": "E", "symbols": ["A"]}
TWO_RECORDS = ["null", record("B", field("y", "int", default=3)), record("A", field("x", "int"))]
FIXED = {"type": "fixed", "name": "F", "size": 2}


@pytest.mark.parametrize(
    ("writer", "reader", "value", "landed"),
    [
        pytest.param(
            record("R", field("v", ONE_SYMBOL)),
            record("R", field("v", ["null", "string", ONE_SYMBOL])),
            {"v": "A"}, {"member_string": None, "member_E": "A"},
            id="an enum lands in its enum member, not an earlier string member",
        ),
        pytest.param(
            record("R", field("v", record("A", field("x", "int")))),
            record("R", field("v", TWO_RECORDS)),
            {"v": {"x": 1}}, {"member_B": None, "member_A": {"x": 1}},
            id="a record lands in the member of its name, not an earlier record member",
        ),
        pytest.param(
            record("R", field("v", "string")),
            record("R", field("v", [FIXED, "string"], default="ab")),
            {"v": "xy"}, {"member_F": None, "member_string": "xy"},
            id="a string lands as a string beside a union with a bytes default",
        ),
        pytest.param(
            record("R", field("a", "int")),
            record("R", field("a", "int"), field("inner", BYTES_RECORD, default={}),
                   field("v", "Inner", default={"x": 1})),
            {"a": 1}, {"x": 1, "b": b"\xff"},
            id="a default of a record named by reference is completed",
        ),
        pytest.param(
            record("R", field("a", "int")),
            record("R", field("a", "int"),
                   field("v", {"type": "array", "items": BYTES_RECORD}, default=[{"x": 1}])),
            {"a": 1}, [{"x": 1, "b": b"\xff"}],
            id="a default of records in an array is completed",
        ),
    ],
)  # fmt: skip
def test_pairs_fastavro_alone_got_wrong_land_by_the_specification(
    writer: Any, reader: Any, value: Any, landed: Any
) -> None:
    table = assert_lands_alike(writer, reader, [value])
    assert table.column("v")[0].as_py() == landed


@pytest.mark.parametrize(
    ("writer", "reader", "value", "fastavro_lands"),
    [
        pytest.param(
            record("R", field("w", "int"), field("v", "int")),
            record("R", field("v", "int", aliases=["w"])),
            {"w": 0, "v": 1}, 0,
            id="a field named v and aliased w reads writer w, not writer v",
        ),
    ],
)  # fmt: skip
def test_pairs_the_fastavro_path_lands_against_the_specification_are_refused(
    writer: Any, reader: Any, value: Any, fastavro_lands: Any
) -> None:
    landed, _ = fastavro_path(container(writer, [value]), reader)
    assert landed.column("v")[0].as_py() == fastavro_lands
    with pytest.raises(ResolveUnsupported):
        resolver(writer, reader)


@pytest.mark.parametrize(
    ("writer", "reader"),
    [
        pytest.param(
            timestamp(), record("R", field("t", ["null", "long"])),
            id="a writer timestamp read as a long: the fastavro path cannot land it",
        ),
        pytest.param(
            timestamp(), timestamp("timestamp-micros"),
            id="a writer timestamp read in another unit: fastavro converts it",
        ),
        pytest.param(
            record("R", field("v", ["null", "int", "string"])),
            record("R", field("v", ["null", "int", "string"])),
            id="a writer union of several types (the native decoder refuses it)",
        ),
        pytest.param(
            record("R", field("d", {"type": "bytes", "logicalType": "decimal", "precision": 4})),
            record("R", field("d", {"type": "bytes", "logicalType": "decimal", "precision": 4})),
            id="decimals",
        ),
        pytest.param(
            record("R", field("a", "int")), record("R", field("b", "int")),
            id="a reader field without writer field or default",
        ),
        pytest.param(
            record("R", field("a", "int")), record("R"),
            id="a reader without fields: the fastavro path lands no rows",
        ),
        pytest.param(
            record("R", field("a", "int")),
            record("R", field("a", "int"), field("next", ["null", "R"], default=None)),
            id="a recursive reader: no Arrow type",
        ),
    ],
)  # fmt: skip
def test_pairs_not_resolved_column_wise_are_refused(writer: Any, reader: Any) -> None:
    with pytest.raises(ResolveUnsupported):
        resolver(writer, reader)
