"""`migrate` makes the table equal a fresh read of every landed source with the latest reader.

Each test lands real files of the older versions with the real job (SerialRunner), registers
the newer version, runs `avrolake migrate`, and compares the table, value for value, with a
fresh ingest of the same sources into a new table under the newest reader. Where avrolake's
fresh read is not the reference (Avro Java's rounding, decimal defaults), the expected values
are written out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
from pathlib import Path
from typing import Any

import pytest

from avrolake.cli import main
from avrolake.config import IngestConfig
from avrolake.errors import SchemaMigrationRequiredError
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.storage import resolve
from tests.fixtures.lake import sql, write_avro

pytestmark = pytest.mark.unit

STARTED = dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC)


def record(*fields: dict[str, Any], name: str = "Row") -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": [{"name": "id", "type": "int"}, *fields]}


def inner(*fields: dict[str, Any], name: str = "Inner") -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields)}


@dataclasses.dataclass
class Chain:
    """A subject whose versions are registered one by one; files of each version; tables."""

    root: Path
    runs: int = 0

    def register(self, version: int, doc: dict[str, Any]) -> None:
        folder = self.root / "registry" / "rows"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"v{version}.avsc").write_text(json.dumps(doc))

    def write(self, version: int, doc: dict[str, Any], records: list[dict[str, Any]]) -> None:
        write_avro(resolve(str(self.root / "raw")), f"v{version}/part.avro", doc, records)

    def table(self, name: str = "main") -> str:
        return str(self.root / "lake" / name)

    def ingest(self, name: str = "main", registry: Path | None = None) -> dict[str, Any]:
        self.runs += 1
        config = IngestConfig(
            source=str(self.root / "raw"),
            table=self.table(name),
            run_id=f"run-{self.runs}",
            started_at=STARTED,
            settle_seconds=0,
            registry=registry or self.root / "registry",
        )
        return run_ingest(config, SerialRunner()).as_dict()

    def migrate(self, *flags: str) -> int:
        args = ["migrate", "--table", self.table(), "--registry", str(self.root / "registry")]
        return main([*args, *flags])

    def rows(self, name: str = "main", columns: str = "*") -> list[str]:
        """The table's rows without the run columns, as sorted reprs (exact floats, NaN)."""
        found = sql(self.table(name), f"SELECT {columns} FROM t")
        for row in found:
            for column in ("_ingested_at", "_run_id"):
                row.pop(column, None)
        return sorted(repr(sorted(row.items())) for row in found)

    def fresh(self) -> list[str]:
        """What a fresh ingest of every source with the latest reader lands."""
        self.ingest("fresh")
        return self.rows("fresh")


def evolve(tmp_path: Path, old: dict[str, Any], new: dict[str, Any], rows: list[Any]) -> Chain:
    """v1 files landed under v1, then v2 registered and the table migrated (exit 0)."""
    chain = Chain(tmp_path)
    chain.register(1, old)
    chain.write(1, old, rows)
    assert chain.ingest()["files_ingested"] == 1
    chain.register(2, new)
    assert chain.migrate() == 0
    return chain


def field(name: str, type_: Any, **more: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **more}


def renamed(type_: str, name: str = "Inner") -> dict[str, Any]:
    """A record whose field `a` is renamed to `b` (alias `a`)."""
    return inner(field("b", type_, aliases=["a"]), name=name)


def array(items: Any) -> dict[str, Any]:
    return {"type": "array", "items": items}


def map_(values: Any) -> dict[str, Any]:
    return {"type": "map", "values": values}


RENAME_CASES = {
    "field renamed by alias inside a nested record": (
        record(field("r", inner(field("a", "string")))),
        record(field("r", renamed("string"))),
        [{"id": i, "r": {"a": f"v{i}"}} for i in range(5)],
    ),
    "field renamed inside array<record>": (
        record(field("xs", array(inner(field("a", "long"))))),
        record(field("xs", array(renamed("long")))),
        [{"id": i, "xs": [{"a": i}, {"a": -i}]} for i in range(5)] + [{"id": 9, "xs": []}],
    ),
    "field renamed inside map<record>": (
        record(field("m", map_(inner(field("a", "int"))))),
        record(field("m", map_(renamed("int")))),
        [{"id": i, "m": {"k": {"a": i}}} for i in range(5)],
    ),
    "field renamed inside a union member record": (
        record(field("u", ["null", inner(field("a", "int"), name="A"), "string"])),
        record(field("u", ["null", renamed("int", name="A"), "string"])),
        [{"id": 1, "u": {"a": 5}}, {"id": 2, "u": "text"}, {"id": 3, "u": None}],
    ),
    "top-level field renamed by alias": (
        record(field("a", "string")),
        record(field("b", "string", aliases=["a"])),
        [{"id": 1, "a": "x"}],
    ),
}


@pytest.mark.parametrize(
    ("old", "new", "rows"), list(RENAME_CASES.values()), ids=list(RENAME_CASES)
)
def test_renamed_field_keeps_every_old_value(
    tmp_path: Path, old: dict[str, Any], new: dict[str, Any], rows: list[Any]
) -> None:
    chain = evolve(tmp_path, old, new, rows)
    assert chain.rows() == chain.fresh()


def test_migrate_names_a_nested_rename(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new, rows = RENAME_CASES["field renamed by alias inside a nested record"]
    evolve(tmp_path, old, new, rows)
    assert "renamed columns: r.a -> r.b" in capsys.readouterr().out


PROMOTION_CASES = {
    "int to long": ("int", "long", [0, -(2**31), 2**31 - 1]),
    "int to float rounds to nearest even": ("int", "float", [16_777_217, 2**31 - 1, -(2**31), 3]),
    "int to double is exact": ("int", "double", [2**31 - 1, -(2**31), 7]),
    "long to double rounds to nearest even": ("long", "double", [2**53 + 1, -(2**63), 2**63 - 1]),
    "float to double widens the float": ("float", "double", [0.1, 1e30, -0.0, 16_777_217.0]),
    "string to bytes": ("string", "bytes", ["", "héllo", "x"]),
    "bytes to string": ("bytes", "string", [b"", "héllo".encode(), b"x"]),
}


@pytest.mark.parametrize(
    ("written", "read", "values"), list(PROMOTION_CASES.values()), ids=list(PROMOTION_CASES)
)
def test_promoted_column_equals_a_fresh_read(
    tmp_path: Path, written: str, read: str, values: list[Any]
) -> None:
    old = record({"name": "n", "type": written}, {"name": "o", "type": ["null", written]})
    new = record({"name": "n", "type": read}, {"name": "o", "type": ["null", read]})
    rows = [{"id": i, "n": v, "o": v if i % 2 else None} for i, v in enumerate(values)]
    chain = evolve(tmp_path, old, new, rows)
    assert chain.rows() == chain.fresh()


def test_long_to_float_rounds_once_as_avro_java_does(tmp_path: Path) -> None:
    """Java: (float) of a long, one IEEE round to nearest even; not via a double (which would
    round 2**60 + 2**36 + 1 down to 2**60 + 2**36, a tie that then rounds to 2**60)."""
    old = record({"name": "n", "type": "long"})
    chain = evolve(
        tmp_path, old, record({"name": "n", "type": "float"}), [{"id": 1, "n": 2**60 + 2**36 + 1}]
    )
    assert sql(chain.table(), "SELECT n FROM t") == [{"n": float(2**60 + 2**37)}]


TS_MILLIS = {"type": "long", "logicalType": "timestamp-millis"}
DECIMAL = {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2}
DEFAULT_CASES = {
    "nested record field": (
        field("r", inner(field("a", "int"), field("c", "int", default=7))),
        {"r": {"a": 1, "c": 7}},
    ),
    "top-level int": (field("c", "int", default=3), {"c": 3}),
    "enum": (
        field("c", {"type": "enum", "name": "E", "symbols": ["X", "Y"]}, default="Y"),
        {"c": "Y"},
    ),
    "bytes": (field("c", "bytes", default="\u00ff\u0000"), {"c": b"\xff\x00"}),
    "fixed": (field("c", {"type": "fixed", "name": "F", "size": 2}, default="ab"), {"c": b"ab"}),
    "timestamp-millis in a nested record": (  # nested: a top-level one would partition
        field("r", inner(field("a", "int"), field("t", TS_MILLIS, default=1000))),
        {"r": {"a": 1, "t": dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC)}},
    ),
    "bytes decimal": (field("c", DECIMAL, default="\u0001\u0000"), {"c": decimal.Decimal("2.56")}),
    "record with its own defaults": (
        field(
            "c",
            inner(field("p", "string", default="q"), field("z", ["null", "long"], default=None),
                  name="C"),
            default={},
        ),
        {"c": {"p": "q", "z": None}},
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("added", "expected"), list(DEFAULT_CASES.values()), ids=list(DEFAULT_CASES)
)
def test_added_field_gives_old_rows_the_default(
    tmp_path: Path, added: dict[str, Any], expected: dict[str, Any]
) -> None:
    base = field("r", inner(field("a", "int")))
    old = record(base)
    new = record(added) if added["name"] == "r" else record(base, added)
    chain = evolve(tmp_path, old, new, [{"id": 1, "r": {"a": 1}}])
    columns = ", ".join(expected)
    assert sql(chain.table(), f"SELECT {columns} FROM t") == [expected]


def test_removed_field_keeps_its_column_and_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = record({"name": "x", "type": "string"})
    chain = evolve(tmp_path, old, record(), [{"id": i, "x": f"v{i}"} for i in range(3)])
    assert "kept columns (not in the reader, values kept): x" in capsys.readouterr().out
    assert sql(chain.table(), "SELECT x FROM t ORDER BY id") == [
        {"x": "v0"},
        {"x": "v1"},
        {"x": "v2"},
    ]


def test_removed_field_is_dropped_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = Chain(tmp_path)
    old = record({"name": "x", "type": "string"})
    chain.register(1, old)
    chain.write(1, old, [{"id": 1, "x": "a"}])
    chain.ingest()
    chain.register(2, record())
    assert chain.migrate("--drop-removed-columns") == 0
    assert "dropped columns: x" in capsys.readouterr().out
    assert "x" not in sql(chain.table(), "SELECT * FROM t")[0]


def test_field_removed_then_back_gives_the_rows_between_its_default(tmp_path: Path) -> None:
    """v1 has x, v2 removes it (the column is kept), v3 has it again with a default: v1 rows
    keep their values, v2 rows read v3's default, as a fresh read gives them."""
    chain = Chain(tmp_path)
    v1 = record({"name": "x", "type": "int"})
    v2 = record()
    v3 = record({"name": "x", "type": ["int", "null"], "default": 5})  # not v1's fingerprint
    chain.register(1, v1)
    chain.write(1, v1, [{"id": 1, "x": 10}, {"id": 2, "x": 20}])
    chain.ingest()
    chain.register(2, v2)
    chain.write(2, v2, [{"id": 3}])
    assert chain.ingest()["files_ingested"] == 1  # x is kept: v1 values stay
    chain.register(3, v3)
    chain.write(3, v3, [{"id": 4, "x": 40}])
    with pytest.raises(SchemaMigrationRequiredError, match="x is back in the reader"):
        chain.ingest()
    assert chain.migrate() == 0
    assert chain.ingest()["files_ingested"] == 1
    assert sql(chain.table(), "SELECT id, x FROM t ORDER BY id") == [
        {"id": 1, "x": 10}, {"id": 2, "x": 20}, {"id": 3, "x": 5}, {"id": 4, "x": 40},
    ]  # fmt: skip
    assert chain.rows() == chain.fresh()


def test_added_column_with_a_default_needs_migrate_and_old_rows_get_it(tmp_path: Path) -> None:
    chain = Chain(tmp_path)
    v1 = record()
    chain.register(1, v1)
    chain.write(1, v1, [{"id": 1}])
    chain.ingest()
    v2 = record({"name": "y", "type": "long", "default": 3})
    chain.register(2, v2)
    chain.write(2, v2, [{"id": 2, "y": 4}])
    with pytest.raises(SchemaMigrationRequiredError, match="y added"):
        chain.ingest()
    assert chain.migrate() == 0
    assert chain.ingest()["files_ingested"] == 1
    assert sql(chain.table(), "SELECT id, y FROM t ORDER BY id") == [
        {"id": 1, "y": 3},
        {"id": 2, "y": 4},
    ]
    assert chain.rows() == chain.fresh()


def test_new_version_files_land_after_an_int_to_float_migration(tmp_path: Path) -> None:
    old = record({"name": "n", "type": "int"})
    new = record({"name": "n", "type": "float"})
    chain = evolve(tmp_path, old, new, [{"id": 1, "n": 16_777_217}])
    chain.write(2, new, [{"id": 2, "n": 0.5}])
    assert chain.ingest()["files_ingested"] == 1
    assert sql(chain.table(), "SELECT id, n FROM t ORDER BY id") == [
        {"id": 1, "n": 16_777_216.0}, {"id": 2, "n": 0.5},
    ]  # fmt: skip


def int_landed_as_float_then_double(tmp_path: Path) -> Chain:
    """int -> float landed 16777217 as 16777216.0; v3 reads it as double, which takes the
    writer's exact int: the table no longer holds it."""
    chain = evolve(
        tmp_path, record({"name": "n", "type": "int"}), record({"name": "n", "type": "float"}),
        [{"id": 1, "n": 16_777_217}, {"id": 2, "n": 3}],
    )  # fmt: skip
    chain.register(3, record({"name": "n", "type": "double"}))
    return chain


def test_an_integer_the_table_holds_rounded_is_read_again_from_its_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The rows whose stored value lost the writer's integer are read again from their
    source with the new reader: the table holds the exact value, as a fresh read does."""
    chain = int_landed_as_float_then_double(tmp_path)
    capsys.readouterr()
    assert chain.migrate() == 0
    assert "sources read again with the new reader: 1" in capsys.readouterr().out
    assert sql(chain.table(), "SELECT n FROM t ORDER BY id") == [{"n": 16_777_217.0}, {"n": 3.0}]
    assert chain.rows() == chain.fresh()


def test_an_integer_the_table_holds_rounded_is_refused_when_its_source_is_gone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the source the exact value is nowhere: migrate refuses (exit 1), naming the
    source, and changes nothing."""
    chain = int_landed_as_float_then_double(tmp_path)
    (tmp_path / "raw" / "v1" / "part.avro").unlink()
    capsys.readouterr()
    assert chain.migrate() == 1
    err = capsys.readouterr().err
    assert "column n (rows of writer v1)" in err
    assert "its source cannot be read again" in err
    assert "part.avro" in err
    assert "Traceback" not in err
    assert sql(chain.table(), "SELECT n FROM t ORDER BY id") == [{"n": 16_777_216.0}, {"n": 3.0}]


def test_a_field_the_table_never_stored_is_read_again_from_its_source(tmp_path: Path) -> None:
    """x was dropped from the table (v2, --drop-removed-columns); v3 has it again: the rows of
    v1, which wrote it, are read again from their source and get the written value."""
    chain = Chain(tmp_path)
    v1 = record({"name": "x", "type": "int"})
    chain.register(1, v1)
    chain.write(1, v1, [{"id": 1, "x": 10}])
    chain.ingest()
    chain.register(2, record())
    assert chain.migrate("--drop-removed-columns") == 0
    chain.register(3, record({"name": "x", "type": "int", "default": 0}))
    assert chain.migrate() == 0
    assert sql(chain.table(), "SELECT x FROM t") == [{"x": 10}]
    assert chain.rows() == chain.fresh()


def test_a_changed_default_needs_migrate_and_rows_without_the_field_get_the_new_one(
    tmp_path: Path,
) -> None:
    """v1 lacks y; v2 adds it with default 1 (landed as 1); v3 changes the default to 2: a
    fresh read gives v1 rows 2, so ingest asks for migrate, which gives it."""
    chain = Chain(tmp_path)
    v1 = record()
    chain.register(1, v1)
    chain.register(2, record(field("y", "int", default=1)))
    chain.write(1, v1, [{"id": 1}])
    chain.ingest()
    assert sql(chain.table(), "SELECT y FROM t") == [{"y": 1}]
    chain.register(3, record(field("y", ["int", "null"], default=2)))
    with pytest.raises(SchemaMigrationRequiredError, match="y: rows of writer v1 read other"):
        chain.ingest()
    assert chain.migrate() == 0
    assert sql(chain.table(), "SELECT y FROM t") == [{"y": 2}]
    assert chain.ingest()["files_skipped"] == 1
    assert chain.rows() == chain.fresh()


def test_an_enum_symbol_the_reader_drops_reads_as_its_default_after_migrate(
    tmp_path: Path,
) -> None:
    chain = Chain(tmp_path)
    abc = {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}
    v1 = record(field("e", abc))
    chain.register(1, v1)
    chain.write(1, v1, [{"id": 1, "e": "C"}, {"id": 2, "e": "B"}])
    chain.ingest()
    chain.register(2, record(field("e", {**abc, "symbols": ["A", "B"], "default": "A"})))
    with pytest.raises(SchemaMigrationRequiredError, match="e: rows of writer v1"):
        chain.ingest()
    assert chain.migrate() == 0
    assert sql(chain.table(), "SELECT e FROM t ORDER BY id") == [{"e": "A"}, {"e": "B"}]
    assert chain.rows() == chain.fresh()


def test_a_chain_of_ingests_and_migrations_equals_a_fresh_read(tmp_path: Path) -> None:
    """Three versions, files of each landed as it is registered, migrate run whenever ingest
    asks for it: renames at depth, int -> long -> double, a field removed and back with a
    default, nested and top-level defaults. The table equals a fresh read with v3."""
    item_v1 = inner(field("a", "int"), name="Item")
    item_v2 = inner(
        field("b", "int", aliases=["a"]), field("q", "string", default="-"), name="Item"
    )
    v1 = record(field("n", "int"), field("x", "string"), field("items", array(item_v1)))
    v2 = record(field("n", "long"), field("items", array(item_v2)))
    v3 = record(
        field("n", "double"),
        field("items", array(item_v2)),
        field("x", ["string", "null"], default="none"),
        field("flag", "boolean", default=True),
    )
    chain = Chain(tmp_path)
    rows = {
        1: [{"id": i, "n": 2**31 - 1 - i, "x": f"x{i}", "items": [{"a": i}]} for i in range(3)],
        2: [{"id": 10, "n": 2**53 + 1, "items": [{"b": 5, "q": "z"}, {"b": 6, "q": "y"}]}],
        3: [{"id": 20, "n": 0.5, "items": [], "x": None, "flag": False}],
    }
    for version, doc in ((1, v1), (2, v2), (3, v3)):
        chain.register(version, doc)
        chain.write(version, doc, rows[version])
        try:
            chain.ingest()
        except SchemaMigrationRequiredError:
            assert chain.migrate() == 0
            assert chain.ingest()["files_ingested"] == 1
    assert chain.rows() == chain.fresh()
    assert sql(chain.table(), "SELECT id, x, flag FROM t ORDER BY id") == [
        {"id": 0, "x": "x0", "flag": True}, {"id": 1, "x": "x1", "flag": True},
        {"id": 2, "x": "x2", "flag": True}, {"id": 10, "x": "none", "flag": True},
        {"id": 20, "x": None, "flag": False},
    ]  # fmt: skip
