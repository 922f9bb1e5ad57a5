"""The branch written is the branch landed: a union of several types lands its value in the
member of the writer's branch (its index in the data), never the first member the value fits.
Resolution into the reader's union: the same type first, then a promotion, named types by name
or alias. Every case runs on both decode paths."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import fastavro
import pytest

from avrolake.decode import AvroFile, ReaderPlan

pytestmark = pytest.mark.unit
DECODERS = [pytest.param("auto", id="native"), pytest.param("fastavro", id="fastavro")]
A = {"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]}
B_Y = {"type": "record", "name": "B", "fields": [{"name": "y", "type": "string"}]}
B_XY = {
    "type": "record",
    "name": "B",
    "fields": [{"name": "x", "type": "int"}, {"name": "y", "type": "string"}],
}
E = {"type": "enum", "name": "E", "symbols": ["ON", "OFF"]}
F = {"type": "fixed", "name": "F", "size": 2}
TS = {"type": "long", "logicalType": "timestamp-millis"}
DATE = {"type": "int", "logicalType": "date"}
EIGHT = ["null", "int", "long", "float", "double", "string", "bytes", "boolean"]
UTC = dt.UTC


def schema(value_type: Any) -> dict[str, Any]:
    return {"type": "record", "name": "R", "fields": [{"name": "v", "type": value_type}]}


def landed(writer_type: Any, values: list[Any], decoder: str, reader_type: Any = None) -> Any:
    """The `v` values landed from a file written with `writer_type` (tuple values name the
    written branch), read with `reader_type` (default: the writer's)."""
    buffer = io.BytesIO()
    records = [{"v": v} for v in values]
    fastavro.writer(buffer, fastavro.parse_schema(schema(writer_type)), records)
    reader = schema(writer_type if reader_type is None else reader_type)
    plan = ReaderPlan("s", reader, {}, decoder=decoder)
    tables = list(AvroFile(io.BytesIO(buffer.getvalue()), plan).tables())
    return [row["v"] for table in tables for row in table.to_pylist()]


def only(member: str, value: Any, members: list[str]) -> dict[str, Any]:
    return {m: (value if m == member else None) for m in members}


NUMERIC = ["member_float", "member_double"]


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize(
    ("union", "written", "member", "expected"),
    [
        pytest.param(["null", A, B_Y], ("B", {"y": "b"}), "member_B", {"y": "b"},
                     id="[null,A{x},B{y}]: a B value lands in member_B"),
        pytest.param([A, B_XY], ("B", {"x": 1, "y": "b"}), "member_B", {"x": 1, "y": "b"},
                     id="[A{x},B{x,y}]: a B value keeps y in member_B"),
        pytest.param(["null", "float", "double"], ("double", 0.1), "member_double", 0.1,
                     id="[null,float,double]: 0.1 as double stays 0.1"),
        pytest.param(["null", "float", "double"], ("double", 1e300), "member_double", 1e300,
                     id="[null,float,double]: 1e300 as double stays 1e300"),
        pytest.param(["null", "float", "double"], ("double", 16777217.0), "member_double",
                     16777217.0, id="[null,float,double]: 16777217.0 as double stays exact"),
        pytest.param(["null", "double", "long"], ("long", 2**53 + 1), "member_long", 2**53 + 1,
                     id="[null,double,long]: 2**53+1 as long stays exact"),
        pytest.param(["null", "float", "long"], ("long", 2**53 + 1), "member_long", 2**53 + 1,
                     id="[null,float,long]: 2**53+1 as long stays exact"),
        pytest.param(["null", "int", "long"], ("long", 2**31), "member_long", 2**31,
                     id="[null,int,long]: 2**31 as long lands"),
        pytest.param(["null", "int", "long"], ("long", 5), "member_long", 5,
                     id="[null,int,long]: a small long stays in member_long"),
        pytest.param(EIGHT, ("long", 2**40), "member_long", 2**40,
                     id="8 branches: 2**40 as long lands in member_long"),
        pytest.param(EIGHT, ("double", 0.1), "member_double", 0.1,
                     id="8 branches: 0.1 as double lands in member_double"),
        pytest.param(EIGHT, ("boolean", True), "member_boolean", True,
                     id="8 branches: a boolean lands in member_boolean"),
        pytest.param(["null", "string", TS], ("long", 1_700_000_000_123), "member_timestamp_millis",
                     dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC),
                     id="[null,string,timestamp-millis]: a timestamp lands"),
        pytest.param(["null", "string", DATE], ("int", 19_000), "member_date",
                     dt.date(2022, 1, 8), id="[null,string,date]: a date lands"),
        pytest.param(["null", "string", E], ("E", "OFF"), "member_E", "OFF",
                     id="an enum beside a string lands in member_E"),
        pytest.param(["null", "bytes", F], ("F", b"ab"), "member_F", b"ab",
                     id="a fixed beside bytes lands in member_F"),
        pytest.param(["null", "bytes", F], ("bytes", b"ab"), "member_bytes", b"ab",
                     id="bytes beside a fixed land in member_bytes"),
        pytest.param(["null", {"type": "map", "values": "long"}, A], ("map", {"k": 1}),
                     "member_map", [("k", 1)], id="a map beside a record lands in member_map"),
        pytest.param(["null", {"type": "array", "items": "int"}, "string"], ("array", [1, 2]),
                     "member_array", [1, 2], id="an array beside a string lands in member_array"),
    ],
)  # fmt: skip
def test_the_written_branch_is_the_landed_member(
    union: list[Any], written: Any, member: str, expected: Any, decoder: str
) -> None:
    members = _members(union)
    assert landed(union, [written, None] if "null" in union else [written], decoder) == [
        only(member, expected, members),
        *([None] if "null" in union else []),
    ]


def _members(union: list[Any]) -> list[str]:
    names = []
    for branch in union:
        if branch == "null":
            continue
        if isinstance(branch, dict) and "name" in branch:
            names.append(f"member_{branch['name']}")
        elif isinstance(branch, dict) and "logicalType" in branch:
            names.append("member_" + branch["logicalType"].replace("-", "_"))
        else:
            names.append(f"member_{branch if isinstance(branch, str) else branch['type']}")
    return names


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize(
    ("writer_type", "value", "reader_union", "member", "expected"),
    [
        pytest.param("float", 0.5, ["null", "double", "float"], "member_float", 0.5,
                     id="a writer float lands in an exact float member before a double"),
        pytest.param("int", 2**31 - 1, ["null", "float", "long"], "member_float", 2.0**31,
                     id="a writer int lands in the first promoting branch (float before long)"),
        pytest.param("long", 2**40 + 1, ["null", "float", "double"], "member_float", 2.0**40,
                     id="a writer long lands in float before double, as Avro Java 1.12 does"),
        pytest.param("int", 5, ["null", "double", "long"], "member_double", 5.0,
                     id="a writer int lands in double when it comes before long"),
        pytest.param("int", 7, ["null", "float", "string"], "member_float", 7.0,
                     id="a writer int lands in float when no other branch reads it"),
        pytest.param("string", "s", ["null", "bytes", "string"], "member_string", "s",
                     id="a writer string lands in string, not in an earlier bytes"),
        pytest.param(["null", "int", "long"], ("int", 3), ["null", "long", "int"], "member_int", 3,
                     id="a writer union branch int lands in the reader's int"),
        pytest.param(["null", "int", "long"], ("long", 2**40), ["null", "long", "int"],
                     "member_long", 2**40, id="a writer union branch long lands in reader long"),
        pytest.param(["null", "int", "long"], ("int", 3), ["null", "long", "string"],
                     "member_long", 3, id="two writer branches may land in one reader member"),
        pytest.param(A, {"x": 1}, ["null", B_Y, {**A, "name": "A2", "aliases": ["A"]}],
                     "member_A2", {"x": 1}, id="a named type lands in the member aliasing it"),
    ],
)  # fmt: skip
def test_a_writer_type_resolves_into_the_reader_union_exact_first(
    writer_type: Any, value: Any, reader_union: list[Any], member: str, expected: Any, decoder: str
) -> None:
    members = _members(reader_union)
    assert landed(writer_type, [value], decoder, reader_union) == [only(member, expected, members)]
