"""`migrate` reads each value from the column the table stores it in, also when a column of the
writer's field name was kept beside it (issue 17, found by the Java differential test): a field
renamed by alias while the table held none of its rows keeps the old column (empty), and rows
written with the old name land afterwards in the new column."""

from __future__ import annotations

from pathlib import Path

import pytest

from avrolake.storage import resolve
from tests.fixtures.lake import sql, write_avro
from tests.unit.test_migrate_exact import Chain, record

pytestmark = pytest.mark.unit


def test_rows_landed_after_a_rename_keep_their_values_in_the_next_migration(
    tmp_path: Path,
) -> None:
    chain = Chain(tmp_path)
    v1 = record({"name": "f1", "type": "boolean"})
    v2 = record(
        {"name": "f3", "type": ["null", "boolean"], "aliases": ["f1"]},
        {"name": "x", "type": "double", "default": 0.1},
    )
    v3 = record(*v2["fields"][1:], {"name": "y", "type": "int", "default": 7})
    chain.register(1, v1)
    chain.write(1, v1, [])  # the table is made, with no rows
    chain.ingest()
    chain.register(2, v2)
    assert chain.migrate() == 0  # f1 is kept (empty) beside the new f3
    write_avro(resolve(str(tmp_path / "raw")), "v1/later.avro", v1, [{"id": 1, "f1": False}])
    assert chain.ingest()["files_ingested"] == 1  # lands f3 = false
    chain.register(3, v3)
    assert chain.migrate() == 0
    assert sql(chain.table(), "SELECT id, f3, x, y FROM t") == [
        {"id": 1, "f3": False, "x": 0.1, "y": 7}
    ]
    chain.ingest("fresh")
    columns = "id, f3, x, y"
    assert chain.rows(columns=columns) == chain.rows("fresh", columns=columns)


def test_a_kept_column_is_matched_by_the_reader_whose_read_the_table_holds(
    tmp_path: Path,
) -> None:
    """Found by the Java differential test (seed 1129915, chain 93, logical_evolve): `f1`
    landed as a long under v1; v2 reads it as float and v3 removes it, and the table went
    from v1 straight to v3, so it keeps v1's longs. When v4 makes the rows read again (a
    decimal that becomes plain bytes), their kept values are placed by reading `f1` as v1
    did, not as v2 (the newest version with the field) would: 768424193121 read as float is
    768424214528, which equals no stored row (migrate used to refuse)."""
    chain = Chain(tmp_path)
    decimal = {"type": "bytes", "logicalType": "decimal", "precision": 11, "scale": 7}
    v1 = record({"name": "f1", "type": "long"}, {"name": "d", "type": ["null", decimal]})
    v2 = record({"name": "f1", "type": "float"}, {"name": "d", "type": ["null", decimal]})
    v3 = record({"name": "d", "type": ["null", decimal]})
    v4 = record({"name": "d", "type": ["null", "bytes"]})
    longs = [768424193121, 9007199254740993, 488007233131]
    scaled = [b"\x01\x02", b"\xff", b"\x00\x10\x00"]
    rows = [{"id": i, "f1": n, "d": d} for i, (n, d) in enumerate(zip(longs, scaled, strict=True))]
    chain.register(1, v1)
    chain.write(1, v1, rows)
    assert chain.ingest()["files_ingested"] == 1
    chain.register(2, v2)
    chain.register(3, v3)
    assert chain.migrate() == 0  # f1 is kept with v1's longs
    chain.register(4, v4)

    assert chain.migrate() == 0
    assert sql(chain.table(), "SELECT id, f1, d FROM t ORDER BY id") == rows
    chain.ingest("fresh")
    assert chain.rows(columns="id, d") == chain.rows("fresh", columns="id, d")


def test_a_kept_column_whose_older_writer_was_recursive_is_matched_without_its_type(
    tmp_path: Path,
) -> None:
    """Found by the Java differential test (seed 42, chain 282): an older version of the kept
    column is a recursive record, which has no Arrow type; the reader the table holds is
    found without building one (migrate died with RecursionError)."""
    chain = Chain(tmp_path)
    decimal = {"type": "bytes", "logicalType": "decimal", "precision": 11, "scale": 0}
    linked = {
        "type": "record",
        "name": "L",
        "fields": [{"name": "v", "type": "int"}, {"name": "next", "type": ["null", "L"]}],
    }
    flat = {"type": "record", "name": "L", "fields": [{"name": "v", "type": "int"}]}
    v1 = record({"name": "f1", "type": linked}, {"name": "d", "type": decimal})
    v2 = record({"name": "f1", "type": flat}, {"name": "d", "type": decimal})
    v3 = record({"name": "d", "type": "bytes"})
    chain.register(1, v1)
    chain.write(1, v1, [{"id": 1, "f1": {"v": 5, "next": {"v": 6, "next": None}}, "d": b"\x07"}])
    chain.register(2, v2)  # the recursive v1 cannot be a reader: v2 lands v1's file
    assert chain.ingest()["files_ingested"] == 1
    chain.register(3, v3)  # f1 kept; d read again from the source (a decimal becomes bytes)

    assert chain.migrate() == 0
    assert sql(chain.table(), "SELECT id, f1, d FROM t") == [
        {"id": 1, "f1": {"v": 5}, "d": b"\x07"}
    ]
