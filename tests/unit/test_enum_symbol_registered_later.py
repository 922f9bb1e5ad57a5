"""An enum symbol added in a new version, for a table that landed rows of an unregistered
writer holding it, and for one that holds no rows of any writer holding it.

Found by a new user's trial (the two cases below, as they reported them):
- A producer wrote `E [A, B, C]` before it was registered: the table's reader (`E [A, B]`,
  default A) landed C as A, with `_writer_schema_version` NULL and nothing in
  `_rescued_data`. Registering that schema and running `migrate` changed nothing (exit 0,
  "sources read again: 0"): the rows kept A and NULL for good. Now they become rows of the
  version, whose plan reads their source again (a stored A may be the old default), and land
  C, version 2, as a fresh read does.
- A table holding only rows of v1 (`E [A, B]`): registering v2, which adds C, made the next
  ingest demand a full `migrate` ("rows of writer v2 read other values ..."), although no v2
  rows exist. Now only the writers the table holds rows of are compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_migrate_exact import Chain, field, record

pytestmark = pytest.mark.unit


def enum(*symbols: str) -> dict[str, Any]:
    return {"type": "enum", "name": "E", "symbols": list(symbols), "default": "A"}


V1 = record(field("e", enum("A", "B")))
V2 = record(field("e", enum("A", "B", "C")))


def rows(chain: Chain) -> list[tuple[Any, ...]]:
    found = chain.rows(columns='"id", "e", "_writer_schema_version"')
    return sorted(found)


def test_an_unregistered_writer_s_symbol_lands_once_its_schema_is_registered(
    tmp_path: Path,
) -> None:
    chain = Chain(tmp_path)
    chain.register(1, V1)
    chain.write(2, V2, [{"id": 1, "e": "C"}, {"id": 2, "e": "B"}])  # v2: not registered yet
    chain.write(1, V1, [{"id": 3, "e": "B"}])
    assert chain.ingest()["files_ingested"] == 2
    assert rows(chain) == sorted(map(repr, [
        [("_writer_schema_version", None), ("e", "A"), ("id", 1)],
        [("_writer_schema_version", None), ("e", "B"), ("id", 2)],
        [("_writer_schema_version", 1), ("e", "B"), ("id", 3)],
    ]))  # fmt: skip
    chain.register(2, V2)
    assert chain.migrate() == 0
    assert rows(chain) == sorted(map(repr, [
        [("_writer_schema_version", 2), ("e", "C"), ("id", 1)],
        [("_writer_schema_version", 2), ("e", "B"), ("id", 2)],
        [("_writer_schema_version", 1), ("e", "B"), ("id", 3)],
    ]))  # fmt: skip
    assert chain.rows() == chain.fresh()
    assert chain.ingest()["files_skipped"] == 2


def test_a_symbol_added_needs_no_migrate_when_no_row_s_writer_had_it(tmp_path: Path) -> None:
    chain = Chain(tmp_path)
    chain.register(1, V1)
    chain.write(1, V1, [{"id": 3, "e": "B"}])
    assert chain.ingest()["files_ingested"] == 1
    chain.register(2, V2)
    summary = chain.ingest()  # raised SchemaMigrationRequiredError before
    assert (summary["files_skipped"], summary["records_written"]) == (1, 0)
    chain.write(2, V2, [{"id": 4, "e": "C"}])
    assert chain.ingest()["files_ingested"] == 1
    assert rows(chain) == sorted(map(repr, [
        [("_writer_schema_version", 1), ("e", "B"), ("id", 3)],
        [("_writer_schema_version", 2), ("e", "C"), ("id", 4)],
    ]))  # fmt: skip
