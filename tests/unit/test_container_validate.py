"""The record checker on its own: every schema shape it compiles, and the paths it reports.

Valid data comes from fastavro's writer (what it writes, the checker must accept, consuming
every byte); corrupt data is written by hand.
"""

from __future__ import annotations

import io
from typing import Any

import fastavro
import pytest

from avrolake.decode.validate import BlockValidator
from avrolake.errors import QuarantineError, QuarantineKind
from avrolake.schema import parse_schema
from tests.unit.avro_encoding import zz

pytestmark = pytest.mark.unit

CAP = 2**20


def encode(schema: Any, values: list[Any]) -> bytes:
    parsed = fastavro.parse_schema(schema)
    buffer = io.BytesIO()
    for value in values:
        fastavro.schemaless_writer(buffer, parsed, value)
    return buffer.getvalue()


def check(schema: Any, data: bytes, count: int) -> None:
    BlockValidator(parse_schema(schema), CAP).check(data, count, "block 1")


def error(schema: Any, data: bytes, count: int = 1) -> QuarantineError:
    with pytest.raises(QuarantineError) as caught:
        check(schema, data, count)
    return caught.value


def record(*fields: tuple[str, Any], name: str = "R") -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": [{"name": n, "type": t} for n, t in fields]}


GEO = record(("country", "string"), ("lat", "float"), ("lon", "double"), name="Geo")
WIDE_ENUM = {"type": "enum", "name": "Wide", "symbols": [f"S{i}" for i in range(200)]}
SHAPES: list[tuple[str, Any, list[Any]]] = [
    ("primitives", record(("a", "null"), ("b", "boolean"), ("c", "int"), ("d", "long"),
                          ("e", "float"), ("f", "double"), ("g", "bytes"), ("h", "string")),
     [{"a": None, "b": True, "c": -(2**31), "d": 2**63 - 1, "e": 1.5, "f": -2.5, "g": b"\x00\xff",
       "h": "é" * 100}, {"a": None, "b": False, "c": 2**31 - 1, "d": -(2**63), "e": 0.0,
       "f": 0.0, "g": b"", "h": ""}]),
    ("nested_records_shared_twice", record(("home", GEO), ("work", "Geo"), ("n", "int")),
     [{"home": {"country": "NO", "lat": 1.0, "lon": 2.0},
       "work": {"country": "SE", "lat": 3.0, "lon": 4.0}, "n": 300}]),
    ("constant_size_only", record(("x", "double"), ("y", {"type": "fixed", "name": "F", "size": 3}),
                                  ("z", "float")),
     [{"x": 1.0, "y": b"abc", "z": 2.0}] * 3),
    ("not_a_record", ["null", "long", "string", {"type": "array", "items": "int"}],
     [None, 5, "five", [5, 500, 50000], []]),
    ("wide_enum", WIDE_ENUM, ["S0", "S63", "S64", "S199"]),
    ("arrays_of_arrays", {"type": "array", "items": {"type": "array", "items": "string"}},
     [[["a"], [], ["b", "c"]], []]),
    ("maps_of_records", {"type": "map", "values": GEO},
     [{"a": {"country": "x", "lat": 0.0, "lon": 0.0}}, {}]),
    ("array_of_nulls", {"type": "array", "items": "null"}, [[None] * 1000]),
    ("array_of_doubles", {"type": "array", "items": "double"}, [[1.0, 2.0, 3.0]]),
    ("union_with_a_record_first", [GEO, "null"], [{"country": "x", "lat": 0.0, "lon": 0.0}, None]),
    ("linked_list", {"type": "record", "name": "Node", "fields": [
        {"name": "value", "type": "long"}, {"name": "next", "type": ["null", "Node"]}]},
     [{"value": 1, "next": {"value": 2, "next": {"value": 3, "next": None}}}]),
    ("deep_nesting", {"type": "array", "items": {"type": "array", "items": {"type": "array",
      "items": {"type": "array", "items": {"type": "array", "items": {"type": "map", "values": {
          "type": "array", "items": {"type": "array", "items": ["null", {"type": "array",
          "items": ["null", {"type": "map", "values": "long"}]}]}}}}}}}},
     [[[[[[{"k": [[None, [None, {"x": 1}]]]}]]]]]]),
]  # fmt: skip


@pytest.mark.parametrize(("schema", "values"), [pytest.param(s, v, id=i) for i, s, v in SHAPES])
def test_what_fastavro_writes_is_accepted_to_the_last_byte(schema: Any, values: list[Any]) -> None:
    data = encode(schema, values)
    check(schema, data, len(values))
    assert error(schema, data + b"\x00", len(values)).kind is QuarantineKind.CORRUPT_DATA
    if len(data) > 1:  # the block's data ends inside a record: corrupt, the block is whole
        assert error(schema, data[:-1], len(values)).kind is QuarantineKind.CORRUPT_DATA


@pytest.mark.parametrize(
    ("schema", "data", "fragment"),
    [
        pytest.param(
            record(("home", GEO), ("work", "Geo")),
            zz(-2) + b"NO" + bytes(12),
            "negative string length -2 at /home/country",
            id="path_of_a_nested_record",
        ),
        pytest.param(
            record(("home", GEO), ("work", "Geo")),
            zz(2) + b"NO" + bytes(12) + zz(-2),
            "at /home/country",  # a shared type reports where it first occurs
            id="path_of_a_shared_record_is_its_first_use",
        ),
        pytest.param(
            record(("tags", {"type": "map", "values": WIDE_ENUM})),
            zz(1) + zz(1) + b"k" + zz(200) + zz(0),
            "enum index 200 outside 0..199 at /tags{}",
            id="path_of_a_map_value",
        ),
        pytest.param(
            record(("tags", {"type": "map", "values": "long"})),
            zz(1) + zz(-1) + zz(0) + zz(0),
            "negative string length -1 at /tags{key}",
            id="path_of_a_map_key",
        ),
        pytest.param(
            {"type": "array", "items": "null"},
            zz(CAP + 1) + zz(0),
            f"array block of {CAP + 1} empty items at /: more than the block cap",
            id="too_many_empty_items",
        ),
        pytest.param(
            {
                "type": "record",
                "name": "Node",
                "fields": [{"name": "next", "type": ["null", "Node"]}],
            },
            zz(1) + zz(1) + zz(-1),
            "union index -1 outside 0..1 at /next",
            id="recursive_record",
        ),
        pytest.param(
            ["null", "string"],
            b"\x80\x80\x80\x80\x10",
            "union index at / does not fit in 32 bits",
            id="union_index_beyond_32_bits",
        ),
        pytest.param(
            {"type": "enum", "name": "Empty", "symbols": []},
            zz(0),
            "enum index 0 but the enum has no symbols at /",
            id="enum_without_symbols",
        ),
        pytest.param(
            "long",
            b"\xff" * 9 + b"\x02",
            "long at / does not fit in 64 bits",
            id="long_beyond_64_bits",
        ),
    ],
)
def test_corrupt_values_are_named_by_their_path(schema: Any, data: bytes, fragment: str) -> None:
    found = error(schema, data)
    assert found.kind is QuarantineKind.CORRUPT_DATA
    assert found.message.startswith("record 1 of block 1: ")
    assert fragment in found.message


def test_a_varint_written_longer_than_needed_is_accepted() -> None:
    """Avro decoders accept redundant continuation bytes: 0x80 0x00 is 0."""
    check(["null", "string"], b"\x80\x00", 1)
    check(WIDE_ENUM, b"\x80\x00", 1)
    check(record(("n", "long")), b"\x80\x80\x80\x00", 1)


def test_records_past_their_block_name_the_record() -> None:
    data = encode("string", ["ab", "cd"])
    found = error("string", data, 3)
    assert found.kind is QuarantineKind.CORRUPT_DATA
    assert found.message == "record 3 of block 1: the block's data ends inside the record"


def test_constant_size_records_are_checked_by_size() -> None:
    schema = record(("x", "double"), ("y", "float"))
    check(schema, bytes(24), 2)
    assert error(schema, bytes(25), 2).message == "block 1: 1 bytes left over after its 2 records"
    assert (
        error(schema, bytes(23), 2).message == "block 1: its 2 records need more than its 23 bytes"
    )


def test_a_recursion_too_deep_to_check_is_corrupt() -> None:
    node = {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "next", "type": ["null", "Node"]}],
    }
    data = zz(1) * 100_000 + zz(0)
    assert "nested too deeply" in error(node, data).message


def test_schema_names_never_reach_the_generated_source() -> None:
    """Field names and symbols are data, not code: a hostile name cannot run."""
    schema = record(("x__import__os_system", {"type": "enum", "name": "E", "symbols": ["q"]}))
    check(schema, zz(0), 1)
    assert "x__import__os_system" in error(schema, zz(1)).message
