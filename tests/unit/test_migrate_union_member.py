"""`migrate` reads a written primitive branch from the stored union member the table's union
resolved it to (the same type first, then the first promotion, in the stored union's order),
not from the member the new reader resolves it to (issue 17). Where the stored members' names
and types leave that open, the rows are read again from their sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.lake import sql
from tests.unit.test_migrate_exact import Chain, field, record

pytestmark = pytest.mark.unit

E = {"type": "enum", "name": "E", "symbols": ["A", "B"]}
UUID = {"type": "string", "logicalType": "uuid"}


def three_readers(tmp_path: Path, types: list[Any], rows: list[dict[str, Any]]) -> Chain:
    """v1 writes `u` as types[0]; v2 and v3 read it as types[1], then types[2], each
    migrated in turn (exit 0)."""
    chain = Chain(tmp_path)
    v1 = record(field("u", types[0]))
    chain.register(1, v1)
    chain.write(1, v1, rows)
    chain.ingest()
    for version, union in enumerate(types[1:], 2):
        chain.register(version, record(field("u", union)))
        assert chain.migrate() == 0
    return chain


def test_a_long_an_older_union_put_in_its_float_member_is_read_from_there_into_a_double(
    tmp_path: Path,
) -> None:
    """v2 [E, float, double] read the long as float (the first promotion); v3 [E, double,
    float] reads it as double: the value is the stored float's, not the empty double's."""
    types = [["null", E, "long"], ["null", E, "float", "double"], ["null", E, "double", "float"]]
    rows = [{"id": 1, "u": 3}, {"id": 2, "u": -7}, {"id": 3, "u": "B"}, {"id": 4, "u": None}]
    chain = three_readers(tmp_path, types, rows)
    assert sql(chain.table(), "SELECT u FROM t ORDER BY id") == [
        {"u": {"member_E": None, "member_double": 3.0, "member_float": None}},
        {"u": {"member_E": None, "member_double": -7.0, "member_float": None}},
        {"u": {"member_E": "B", "member_double": None, "member_float": None}},
        {"u": None},
    ]
    assert chain.rows() == chain.fresh()


def test_an_int_an_older_union_put_in_its_long_member_is_read_from_there_into_a_double(
    tmp_path: Path,
) -> None:
    types = [["null", "string", "int"], ["null", "string", "long", "double"],
             ["null", "string", "double"]]  # fmt: skip
    rows = [{"id": 1, "u": 2**31 - 1}, {"id": 2, "u": "x"}]
    chain = three_readers(tmp_path, types, rows)
    assert sql(chain.table(), "SELECT u FROM t ORDER BY id") == [
        {"u": {"member_string": None, "member_double": 2147483647.0}},
        {"u": {"member_string": "x", "member_double": None}},
    ]
    assert chain.rows() == chain.fresh()


def test_a_member_the_stored_names_do_not_tell_reads_the_source_again(tmp_path: Path) -> None:
    """v2 [uuid, long, double] read the written string as its uuid member (the same Avro
    type); `member_uuid` may also be an enum named uuid, so the rows are read again."""
    uid = "123e4567-e89b-12d3-a456-426614174000"
    types = [["null", "string", "int"], ["null", UUID, "long", "double"],
             ["null", "string", "double"]]  # fmt: skip
    rows = [{"id": 1, "u": uid}, {"id": 2, "u": 5}]
    chain = three_readers(tmp_path, types, rows)
    assert sql(chain.table(), "SELECT u FROM t ORDER BY id") == [
        {"u": {"member_string": uid, "member_double": None}},
        {"u": {"member_string": None, "member_double": 5.0}},
    ]
    assert chain.rows() == chain.fresh()
