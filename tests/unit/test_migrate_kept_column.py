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
