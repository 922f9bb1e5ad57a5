"""The native block decoder: exact or refused, never a hang and never a wrong value.

arrow-avro 59 loops forever on a block whose records leave bytes over, reads a boolean byte
other than 0 as true, and a nullable union's index other than the null branch's as the value
(docs/decode.md). Each hostile block here must raise `NativeRefused` (the caller then reads
it with fastavro), under an alarm so that a regression fails instead of hanging CI.
"""

from __future__ import annotations

import io
import json
import pathlib
import signal
from collections.abc import Iterator
from typing import Any

import fastavro
import pyarrow as pa
import pytest

from avrolake.decode.container import Block, Container, Header
from avrolake.decode.native import NativeRefused, _sizes, decode_blocks, native_reason
from avrolake.schema import parse_schema
from tests.unit.avro_encoding import text, zz

pytestmark = pytest.mark.unit
SYNC = bytes(range(16))
LINE: dict[str, Any] = {
    "type": "record",
    "name": "Line",
    "fields": [
        {"name": "n", "type": "long"},
        {"name": "text", "type": "string"},
        {"name": "trace", "type": ["null", "string"]},
        {"name": "ok", "type": "boolean"},
        {"name": "tags", "type": {"type": "map", "values": ["string", "null"]}},
        {"name": "level", "type": {"type": "enum", "name": "L", "symbols": ["A", "B"]}},
    ],
}
GOOD = (
    zz(1) + text(b"a") + zz(0) + b"\x01" + zz(1) + text(b"k") + zz(0) + text(b"v") + zz(0) + zz(1)
)


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    def fail(*_: object) -> None:
        raise TimeoutError("the native decoder hung")

    signal.signal(signal.SIGALRM, fail)
    signal.alarm(20)
    yield
    signal.alarm(0)


def header(schema: dict[str, Any]) -> Header:
    data = json.dumps(schema).encode()
    raw = b"Obj\x01" + zz(1) + text(b"avro.schema") + text(data) + zz(0) + SYNC
    return Header({"avro.schema": data}, SYNC, len(raw))


def decode(*blocks: tuple[int, bytes]) -> list[dict[str, Any]]:
    chunk = [Block(i + 1, 0, count, data) for i, (count, data) in enumerate(blocks)]
    table = decode_blocks(header(LINE), chunk, parse_schema(LINE, source="test"))
    return table.to_pylist()


def test_canonical_blocks_decode_to_their_values() -> None:
    rows = decode((1, GOOD), (2, GOOD + GOOD))
    assert len(rows) == 3
    assert rows[0] == {
        "n": 1,
        "text": "a",
        "trace": None,
        "ok": True,
        "tags": [("k", "v")],
        "level": "B",
    }


@pytest.mark.parametrize(
    ("blocks", "why"),
    [
        pytest.param([(1, GOOD + b"\x00"), (1, GOOD)], "add up", id="bytes_left_in_a_middle_block"),
        pytest.param([(1, GOOD), (1, GOOD + b"\x00")], "add up", id="bytes_left_in_the_last_block"),
        pytest.param([(1, GOOD.replace(b"\x01", b"\x02", 1))], "", id="boolean_byte_2"),
        pytest.param(
            [(1, zz(1) + text(b"a") + zz(-1) + GOOD[3:])], "union index", id="union_index_minus_1"
        ),
        pytest.param(
            [(1, zz(1) + text(b"a") + zz(2) + text(b"x") + GOOD[3:])], "", id="union_index_2"
        ),
        pytest.param([(1, b"\x81\x00" + GOOD[1:])], "add up", id="over_long_varint"),
        pytest.param([(1, GOOD[:-1] + zz(5))], "", id="enum_index_out_of_range"),
        pytest.param([(2, GOOD)], "", id="fewer_records_than_counted"),
        pytest.param([(1, zz(1) + text(b"\xff") + GOOD[3:])], "", id="invalid_utf8"),
    ],
)
def test_hostile_blocks_are_refused(blocks: list[tuple[int, bytes]], why: str) -> None:
    with pytest.raises(NativeRefused, match=why or None):
        decode(*blocks)


def test_files_fastavro_wrote_decode_as_fastavro_reads_them() -> None:
    records = [
        {"n": i, "text": "é" * (i % 4), "trace": None if i % 3 else f"t{i}", "ok": i % 2 == 0,
         "tags": {"a": None, "b": str(i)} if i % 5 else {}, "level": "AB"[i % 2]}
        for i in range(3000)
    ]  # fmt: skip
    out = io.BytesIO()
    fastavro.writer(out, LINE, records, codec="deflate", sync_interval=500)
    container = Container(io.BytesIO(out.getvalue()), 2**26)
    blocks = list(container.blocks())
    assert len(blocks) > 10
    table = decode_blocks(container.header, blocks, parse_schema(LINE, source="test"))
    rows = table.to_pylist()
    assert [{**r, "tags": dict(r["tags"])} for r in rows] == records


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ("long", None),
        (["null", "long", "string"], "a union of several non-null types"),
        ({"type": "string", "logicalType": "uuid"}, "the uuid logical type"),
        ({"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2},
         "the decimal logical type"),
        ({"type": "fixed", "name": "D", "size": 4, "logicalType": "decimal", "precision": 4},
         "a decimal (its byte length is not kept)"),
    ],
)  # fmt: skip
def test_native_reason(schema: Any, reason: str | None) -> None:
    record = {"type": "record", "name": "R", "fields": [{"name": "f", "type": schema}]}
    found = native_reason(parse_schema(record, source="test"))
    assert found == reason


def test_a_recursive_writer_takes_the_fastavro_path() -> None:
    node = {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "next", "type": ["null", "Node"]}],
    }
    assert native_reason(parse_schema(node, source="test")) == (
        "a recursive type (the native decoder has no Arrow type for it)"
    )


@pytest.mark.parametrize(
    ("array", "schema", "sizes"),
    [
        pytest.param(pa.array([0, -1, 64, 2**40]), "long", [1, 1, 2, 6], id="longs"),
        pytest.param(pa.array([5, 0, 64, -65]).slice(1), "int", [1, 2, 2], id="sliced-ints"),
        pytest.param(pa.array(["", "é", "x" * 200]), "string", [1, 3, 202], id="strings"),
        pytest.param(pa.array(["a", "bb", "ccc"]).slice(1), "string", [3, 4], id="sliced-strings"),
        pytest.param(
            pa.array([None, 3, None], pa.int64()), ["null", "long"], [1, 2, 1], id="union-nulls"
        ),
    ],
)
def test_encoded_sizes_are_read_from_the_arrow_buffers(
    array: pa.Array, schema: Any, sizes: list[int]
) -> None:
    assert _sizes(array, parse_schema(schema, source="test")).tolist() == sizes


def test_a_null_outside_a_nullable_union_is_refused() -> None:
    with pytest.raises(NativeRefused, match="outside a nullable union"):
        _sizes(pa.array([1, None], pa.int64()), parse_schema("long", source="test"))


def test_a_map_holding_a_key_twice_lands_its_last_value_as_avro_java_reads_it(
    tmp_path: pathlib.Path,
) -> None:
    """A valid encoding: Avro Java's map (a HashMap) and fastavro's dict keep the key's last
    value; the native decoder kept both entries (new-user trial, issue 17). The native path
    refuses such a chunk and fastavro reads it."""
    import fastavro

    from avrolake.ingest import SerialRunner, run_ingest
    from tests.fixtures.lake import sql
    from tests.unit.one_subject import config

    doc = {"type": "record", "name": "M", "fields": [
        {"name": "seq", "type": "long"},
        {"name": "m", "type": {"type": "map", "values": "long"}},
    ]}  # fmt: skip
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(doc), [
        {"seq": 1, "m": {"QQ1": 1, "QQ2": 2}}, {"seq": 2, "m": {"a": 3, "b": 4}}])  # fmt: skip
    data = buffer.getvalue()
    assert data.count(b"QQ2") == 1
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "dup.avro").write_bytes(data.replace(b"QQ2", b"QQ1"))
    summary = run_ingest(config(tmp_path, [doc]), SerialRunner()).as_dict()
    assert summary["records_by_decode_path"] == {"fastavro": 2}
    rows = sql(str(tmp_path / "table"), "SELECT seq, m FROM t ORDER BY seq")
    assert rows == [{"seq": 1, "m": [("QQ1", 2)]}, {"seq": 2, "m": [("a", 3), ("b", 4)]}]


@pytest.mark.parametrize(
    ("maps", "repeats"),
    [
        pytest.param([[("a", 1), ("b", 2)], [("a", 3)], None, []], False,
                     id="one key in two maps is no repeat"),
        pytest.param([[("a", 1), ("b", 2), ("a", 3)]], True, id="a key two entries apart"),
        pytest.param([[(f"k{i}", i) for i in range(40)] + [("k7", 0)]], True,
                     id="a long map (hashed, not compared pairwise)"),
        pytest.param([[(f"k{i}", i) for i in range(40)]], False, id="a long map, no repeat"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("nesting", ["top", "in_a_struct", "in_a_list", "sliced"])
def test_a_repeated_map_key_is_found_at_any_depth(maps: Any, repeats: bool, nesting: str) -> None:
    from avrolake.decode.native import _check_map_keys

    array: Any = pa.array(maps, pa.map_(pa.string(), pa.int64()))
    if nesting == "in_a_struct":
        array = pa.StructArray.from_arrays([array], ["m"])
    elif nesting == "in_a_list":
        array = pa.array([maps], pa.list_(pa.map_(pa.string(), pa.int64())))
    elif nesting == "sliced":
        array = pa.array([[("x", 1), ("x", 2)], *maps], pa.map_(pa.string(), pa.int64())).slice(1)
    if repeats:
        with pytest.raises(NativeRefused, match="holds a key twice"):
            _check_map_keys(array)
    else:
        _check_map_keys(array)
