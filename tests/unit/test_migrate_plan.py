"""The column plan of `migrate`: one writer's stored values -> the new reader's, rule by rule.

Each case: the writer schema, the reader the table was landed with (its Arrow types are what
the table stores), the new reader, stored rows, and the rows a fresh read of the writer's
data with the new reader gives (Avro Java's values).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from avrolake.decode import arrow_schema
from avrolake.errors import MigrationError
from avrolake.ingest.evolve import needs_values, plan_migration
from avrolake.lake.reshape import apply
from avrolake.schema import Record, parse_schema

pytestmark = pytest.mark.unit

VERSION = pa.field("_writer_schema_version", pa.int32())


def rec(*fields: Any, name: str = "Row") -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": [{"name": n, "type": t} for n, t in fields]}


def field_rec(fields: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": fields}


def parse(doc: dict[str, Any]) -> Record:
    schema = parse_schema(doc)
    assert isinstance(schema, Record)
    return schema


def migrate(
    writer: dict[str, Any],
    landed_with: dict[str, Any],
    new: dict[str, Any],
    rows: list[dict[str, Any]],
    version: int | None = 1,
) -> list[dict[str, Any]]:
    """Land `rows` (stored values) in landed_with's Arrow types, plan, apply, read back."""
    stored = pa.schema([*arrow_schema(parse(landed_with)), VERSION])
    table = pa.Table.from_pylist([{**r, VERSION.name: version} for r in rows], schema=stored)
    reader = parse(new)
    target = pa.schema([*arrow_schema(reader), VERSION])
    writers = {1: parse(writer)}
    plan = plan_migration("table", reader, writers, [version], stored, target)
    out = apply(plan.writers[version], table.to_struct_array().combine_chunks())
    return [{k: v for k, v in r.items() if k != VERSION.name} for r in out.to_pylist()]


def one(type_: Any) -> dict[str, Any]:
    return rec(("n", type_))


A_INT = field_rec([{"name": "a", "type": "int"}], "A")
B_FROM_A = field_rec([{"name": "b", "type": "int", "aliases": ["a"]}], "A")
ENUM_ABC = {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}
ENUM_AB = {"type": "enum", "name": "E", "symbols": ["A", "B"], "default": "A"}

# id: (writer, landed with, new reader, stored rows, rows of a fresh read)
RULES: dict[str, tuple[Any, Any, Any, list[Any], list[Any]]] = {
    "int->float rounds to nearest, ties to even": (
        one("int"), one("int"), one("float"),
        [{"n": 16_777_217}, {"n": 16_777_219}, {"n": -(2**31)}],
        [{"n": 16_777_216.0}, {"n": 16_777_220.0}, {"n": -2147483648.0}],
    ),
    "long->float rounds once (not via double)": (
        one("long"), one("long"), one("float"),
        [{"n": 2**60 + 2**36 + 1}], [{"n": float(2**60 + 2**37)}],
    ),
    "long->double rounds to nearest, ties to even": (
        one("long"), one("long"), one("double"), [{"n": 2**53 + 1}], [{"n": float(2**53)}],
    ),
    "float->double widens the float exactly": (
        one("float"), one("float"), one("double"), [{"n": 0.1}], [{"n": 0.10000000149011612}],
    ),
    "int landed as float, read as double: exact below 2**24": (
        one("int"), one("float"), one("double"), [{"n": 16_777_215}], [{"n": 16_777_215.0}],
    ),
    "int landed as long, read as float": (
        one("int"), one("long"), one("float"), [{"n": 16_777_217}], [{"n": 16_777_216.0}],
    ),
    "string->bytes are its UTF-8 bytes": (
        one("string"), one("string"), one("bytes"), [{"n": "é"}], [{"n": "é".encode()}],
    ),
    "bytes->string": (
        one("bytes"), one("bytes"), one("string"), [{"n": b"ok"}], [{"n": "ok"}],
    ),
    "enum symbol the new reader lacks reads as its default": (
        one(ENUM_ABC), one(ENUM_ABC), one(ENUM_AB),
        [{"n": "C"}, {"n": "B"}, {"n": None}], [{"n": "A"}, {"n": "B"}, {"n": None}],
    ),
    "nested rename reads the old child": (
        one(A_INT), one(A_INT), one(B_FROM_A), [{"n": {"a": 3}}, {"n": None}],
        [{"n": {"b": 3}}, {"n": None}],
    ),
    "rename inside array items": (
        one({"type": "array", "items": A_INT}), one({"type": "array", "items": A_INT}),
        one({"type": "array", "items": B_FROM_A}),
        [{"n": [{"a": 1}, {"a": 2}]}, {"n": []}, {"n": None}],
        [{"n": [{"b": 1}, {"b": 2}]}, {"n": []}, {"n": None}],
    ),
    "rename inside map values": (
        one({"type": "map", "values": A_INT}), one({"type": "map", "values": A_INT}),
        one({"type": "map", "values": B_FROM_A}),
        [{"n": [("k", {"a": 1})]}], [{"n": [("k", {"b": 1})]}],
    ),
    "rename inside a union member": (
        one(["null", A_INT, "string"]), one(["null", A_INT, "string"]),
        one(["null", B_FROM_A, "string"]),
        [{"n": {"member_A": {"a": 1}, "member_string": None}},
         {"n": {"member_A": None, "member_string": "s"}}, {"n": None}],
        [{"n": {"member_A": {"b": 1}, "member_string": None}},
         {"n": {"member_A": None, "member_string": "s"}}, {"n": None}],
    ),
    "a union member record renamed by alias moves to the new member": (
        one(["null", A_INT, "string"]), one(["null", A_INT, "string"]),
        one(["null", {**A_INT, "name": "A2", "aliases": ["A"]}, "string"]),
        [{"n": {"member_A": {"a": 1}, "member_string": None}}],
        [{"n": {"member_A2": {"a": 1}, "member_string": None}}],
    ),
    "added nested field takes its default, a NULL record stays NULL": (
        one(A_INT), one(A_INT),
        one(field_rec([{"name": "a", "type": "int"}, {"name": "c", "type": "long", "default": 9}],
                      "A")),
        [{"n": {"a": 1}}, {"n": None}], [{"n": {"a": 1, "c": 9}}, {"n": None}],
    ),
    "a default the older reader stored is replaced by the new reader's": (
        rec(("x", "int")),
        {"type": "record", "name": "Row", "fields": [
            {"name": "x", "type": "int"}, {"name": "y", "type": "int", "default": 1}]},
        {"type": "record", "name": "Row", "fields": [
            {"name": "x", "type": "int"}, {"name": "y", "type": "int", "default": 2}]},
        [{"x": 5, "y": 1}], [{"x": 5, "y": 2}],
    ),
    "a plain column becomes a union member": (
        one(["null", "int"]), one(["null", "int"]), one(["null", "int", "string"]),
        [{"n": 5}, {"n": None}], [{"n": {"member_int": 5, "member_string": None}}, {"n": None}],
    ),
    "a written int goes to the long member it promotes to": (
        one(["null", "int", "string"]), one(["null", "int", "string"]),
        one(["null", "long", "string"]),
        [{"n": {"member_int": 5, "member_string": None}}],
        [{"n": {"member_long": 5, "member_string": None}}],
    ),
    "a union member becomes the plain column": (
        one(["null", "string"]), one(["null", "int", "string"]), one(["null", "string"]),
        [{"n": {"member_int": None, "member_string": "x"}}, {"n": None}],
        [{"n": "x"}, {"n": None}],
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("writer", "landed_with", "new", "stored", "expected"), list(RULES.values()), ids=list(RULES)
)
def test_stored_values_become_a_fresh_reads_values(
    writer: Any, landed_with: Any, new: Any, stored: list[Any], expected: list[Any]
) -> None:
    assert migrate(writer, landed_with, new, stored) == expected


# What the stored values cannot give exactly: the plan refuses (a writer the new reader cannot
# read), or applying it raises ValueProblem, and `migrate` reads those rows' sources again.
REFUSALS = {
    "an int the table holds rounded to float, read as double": (
        one("int"), one("float"), one("double"), [{"n": 16_777_216.0}], "^n: .*rounded",
    ),
    "a written field the table holds no column for": (
        rec(("x", "int"), ("y", "int")), rec(("x", "int")),
        rec(("x", "int"), ("y", "int")), [{"x": 1}], "^y: .*holds no column",
    ),
    "a writer the new reader cannot read": (
        one("string"), one("string"), one("int"), [{"n": "a"}], "cannot read this writer",
    ),
    "bytes that are not UTF-8, read as string": (
        one("bytes"), one("bytes"), one("string"), [{"n": b"\xff"}], "^n: .*does not convert",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("writer", "landed_with", "new", "stored", "match"), list(REFUSALS.values()), ids=list(REFUSALS)
)
def test_what_the_stored_values_cannot_give_exactly_is_refused_or_read_again(
    writer: Any, landed_with: Any, new: Any, stored: list[Any], match: str
) -> None:
    from avrolake.lake.reshape import ValueProblem

    with pytest.raises((MigrationError, ValueProblem), match=match):
        migrate(writer, landed_with, new, stored)


def test_unregistered_writer_keeps_what_the_table_stores_and_takes_new_defaults() -> None:
    old = rec(("x", "int"))
    fields = [{"name": "x", "type": "long"}, {"name": "z", "type": "string", "default": "d"}]
    new = {"type": "record", "name": "Row", "fields": fields}
    assert migrate(old, old, new, [{"x": 1}], version=None) == [{"x": 1, "z": "d"}]


def test_removed_column_is_kept_unless_dropped() -> None:
    stored = pa.schema([pa.field("x", pa.int32()), pa.field("gone", pa.string()), VERSION])
    reader = parse(rec(("x", "int")))
    target = pa.schema([*arrow_schema(reader), VERSION])
    writers = {1: parse(rec(("x", "int"), ("gone", "string")))}
    kept = plan_migration("t", reader, writers, [1], stored, target)
    dropped = plan_migration("t", reader, writers, [1], stored, target, drop_removed=True)
    assert (kept.kept, kept.dropped, kept.schema.names) == (
        ("gone",), (), ["x", "gone", VERSION.name],
    )  # fmt: skip
    assert (dropped.kept, dropped.dropped, dropped.schema.names) == (
        (),
        ("gone",),
        ["x", VERSION.name],
    )


def test_removed_nested_field_is_kept_and_a_renamed_ones_old_name_is_not() -> None:
    """A nested child the reader lacks is kept (marked) after the reader's fields; a child
    read under an alias (a rename's old name) is read, not kept."""
    old = rec(("r", rec(("a", "int"), ("gone", "string"), name="Inner")))
    new = rec(("r", field_rec([{"name": "b", "type": "int", "aliases": ["a"]}], "Inner")))
    stored = pa.schema([*arrow_schema(parse(old)), VERSION])
    reader = parse(new)
    target = pa.schema([*arrow_schema(reader), VERSION])
    kept = plan_migration("t", reader, {1: parse(old)}, [1], stored, target)
    dropped = plan_migration("t", reader, {1: parse(old)}, [1], stored, target, drop_removed=True)
    r = kept.schema.field("r").type
    assert (kept.kept_nested, kept.dropped_nested, [f.name for f in r]) == (
        ("r.gone",), (), ["b", "gone"],
    )  # fmt: skip
    assert r.field("gone").metadata == {b"avrolake.kept": b"not in the reader"}
    assert (dropped.kept_nested, dropped.dropped_nested, dropped.schema.field("r").type) == (
        (), ("r.gone",), pa.struct([pa.field("b", pa.int32())]),
    )  # fmt: skip
    assert migrate(old, old, new, [{"r": {"a": 1, "gone": "x"}}]) == [{"r": {"b": 1, "gone": "x"}}]


NEEDS = {
    "a non-null default": ({"name": "c", "type": "int", "default": 0}, {}, {"c"}),
    "a null default": ({"name": "c", "type": ["null", "int"], "default": None}, {}, set()),
    "a field an older writer wrote": (
        {"name": "c", "type": ["null", "int"], "default": None}, {1: rec(("c", "int"))}, {"c"},
    ),
}  # fmt: skip


@pytest.mark.parametrize(("added", "older", "expected"), list(NEEDS.values()), ids=list(NEEDS))
def test_added_column_needs_migrate_when_landed_rows_must_not_read_null(
    added: dict[str, Any], older: dict[int, Any], expected: set[str]
) -> None:
    reader = parse({"type": "record", "name": "Row", "fields": [added]})
    writers = {v: parse(d) for v, d in older.items()}
    assert set(needs_values(reader, {**writers, 2: reader}, 2)) == expected
