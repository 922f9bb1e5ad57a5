"""One rule of the Avro specification's schema resolution per case; ids read as rules."""

from __future__ import annotations

from typing import Any

import pytest

from avrolake.compatibility import IncompatibilityKind as K
from avrolake.compatibility import check_compatibility
from avrolake.schema import parse_schema

pytestmark = pytest.mark.unit


def rec(name: str, *fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def f(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def enum(name: str, *symbols: str, **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": name, "symbols": list(symbols), **extra}


def fixed(name: str, size: int, **extra: Any) -> dict[str, Any]:
    return {"type": "fixed", "name": name, "size": size, **extra}


def dec(base: Any, precision: int, scale: int) -> dict[str, Any]:
    schema = base if isinstance(base, dict) else {"type": base}
    return {**schema, "logicalType": "decimal", "precision": precision, "scale": scale}


LINKED = rec("Node", f("value", "int"), f("next", ["null", "Node"]))
LINKED_LONG = rec("Node", f("value", "long"), f("next", ["null", "Node"]))
LINKED_STR = rec("Node", f("value", "string"), f("next", ["null", "Node"]))

COMPATIBLE = [
    pytest.param("int", "int", id="same_primitive_reads"),
    pytest.param("int", "long", id="int_promotes_to_long"),
    pytest.param("int", "float", id="int_promotes_to_float"),
    pytest.param("int", "double", id="int_promotes_to_double"),
    pytest.param("long", "float", id="long_promotes_to_float"),
    pytest.param("long", "double", id="long_promotes_to_double"),
    pytest.param("float", "double", id="float_promotes_to_double"),
    pytest.param("string", "bytes", id="string_reads_as_bytes"),
    pytest.param("bytes", "string", id="bytes_read_as_string"),
    pytest.param(
        rec("R", f("a", "int")),
        rec("R", f("a", "int"), f("b", "string", default="x")),
        id="reader_default_fills_missing_field",
    ),
    pytest.param(
        rec("R", f("a", "int"), f("b", "string")),
        rec("R", f("a", "int")),
        id="writer_field_not_in_reader_is_skipped",
    ),
    pytest.param(
        rec("R", f("a", "int"), f("b", "string")),
        rec("R", f("b", "string"), f("a", "int")),
        id="field_order_does_not_matter",
    ),
    pytest.param(
        rec("R", f("service", "string")),
        rec("R", f("service_name", "string", aliases=["service"])),
        id="field_alias_reads_renamed_field",
    ),
    pytest.param(
        rec("a.R", f("x", "int")),
        rec("b.R", f("x", "int")),
        id="record_names_match_unqualified",
    ),
    pytest.param(
        rec("a.Old", f("x", "int")),
        rec("a.New", f("x", "int"), aliases=["Old"]),
        id="record_alias_reads_renamed_record",
    ),
    pytest.param(
        rec("a.Old", f("x", "int")),
        rec("b.New", f("x", "int"), aliases=["a.Old"]),
        id="record_alias_with_full_name_crosses_namespaces",
    ),
    pytest.param(
        rec("R", f("h", rec("Host", f("n", "int")))),
        rec("R", f("h", rec("Host", f("n", "long"), f("r", "string", default="eu")))),
        id="nested_record_resolves_recursively",
    ),
    pytest.param(enum("E", "A", "B"), enum("E", "A", "B", "C"), id="enum_symbol_added_in_reader"),
    pytest.param(
        enum("E", "A", "B", "C"),
        enum("E", "A", "B", default="A"),
        id="enum_default_reads_unknown_writer_symbol",
    ),
    pytest.param(
        enum("Old", "A"), enum("New", "A", aliases=["Old"]), id="enum_alias_reads_renamed_enum"
    ),
    pytest.param(fixed("F", 16), fixed("F", 16), id="fixed_same_name_and_size"),
    pytest.param(
        fixed("Old", 4), fixed("New", 4, aliases=["Old"]), id="fixed_alias_reads_renamed_fixed"
    ),
    pytest.param(
        {"type": "array", "items": "int"},
        {"type": "array", "items": "long"},
        id="array_items_promote",
    ),
    pytest.param(
        {"type": "map", "values": "float"},
        {"type": "map", "values": "double"},
        id="map_values_promote",
    ),
    pytest.param("int", ["null", "int"], id="reader_union_with_writer_type_reads"),
    pytest.param("int", ["null", "string", "long"], id="reader_union_branch_by_promotion"),
    pytest.param(["null", "int"], ["null", "long"], id="union_to_union_each_branch_promotes"),
    pytest.param(["int", "long"], "double", id="writer_union_every_branch_reads_into_reader"),
    pytest.param(["null", "string"], ["string", "null"], id="union_branch_order_does_not_matter"),
    pytest.param(LINKED, LINKED_LONG, id="recursive_record_resolves"),
    pytest.param(dec("bytes", 10, 2), dec("bytes", 10, 2), id="decimal_same_precision_scale"),
    pytest.param(
        dec(fixed("D", 8), 12, 3),
        dec(fixed("D", 8), 12, 3),
        id="fixed_decimal_same_precision_scale",
    ),
    pytest.param(
        {"type": "long", "logicalType": "timestamp-millis"},
        "long",
        id="logical_type_reads_as_underlying_type",
    ),
]

INCOMPATIBLE = [
    pytest.param("long", "int", K.TYPE_MISMATCH, "", id="long_does_not_narrow_to_int"),
    pytest.param("double", "float", K.TYPE_MISMATCH, "", id="double_does_not_narrow_to_float"),
    pytest.param("string", "int", K.TYPE_MISMATCH, "", id="string_does_not_read_as_int"),
    pytest.param("float", "long", K.TYPE_MISMATCH, "", id="float_does_not_read_as_long"),
    pytest.param("boolean", "int", K.TYPE_MISMATCH, "", id="boolean_does_not_read_as_int"),
    pytest.param("null", "string", K.TYPE_MISMATCH, "", id="null_does_not_read_as_string"),
    pytest.param(
        rec("R", f("a", "int")),
        rec("R", f("a", "int"), f("b", "string")),
        K.READER_FIELD_MISSING_DEFAULT_VALUE,
        "/fields/1",
        id="reader_field_without_default_missing_in_writer",
    ),
    pytest.param(
        rec("R", f("service", "string")),
        rec("R", f("service_name", "string")),
        K.READER_FIELD_MISSING_DEFAULT_VALUE,
        "/fields/0",
        id="field_renamed_without_alias",
    ),
    pytest.param(
        rec("R", f("a", "string")),
        rec("R", f("a", "int")),
        K.TYPE_MISMATCH,
        "/fields/0/type",
        id="field_type_mismatch_names_field_path",
    ),
    pytest.param(
        rec("a.Old", f("x", "int")),
        rec("a.New", f("x", "int")),
        K.NAME_MISMATCH,
        "/name",
        id="record_renamed_without_alias",
    ),
    pytest.param(
        rec("a.Old", f("x", "int")),
        rec("b.New", f("x", "int"), aliases=["Old"]),
        K.NAME_MISMATCH,
        "/name",
        id="record_alias_is_relative_to_reader_namespace",
    ),
    pytest.param(
        rec("R", f("h", rec("Host", f("n", "int")))),
        rec("R", f("h", rec("Host", f("n", "int"), f("r", "string")))),
        K.READER_FIELD_MISSING_DEFAULT_VALUE,
        "/fields/0/type/fields/1",
        id="nested_record_missing_default_names_nested_path",
    ),
    pytest.param(
        enum("E", "A", "B", "C"),
        enum("E", "A", "B"),
        K.MISSING_ENUM_SYMBOLS,
        "/symbols",
        id="enum_symbol_missing_without_default",
    ),
    pytest.param(
        enum("E1", "A"), enum("E2", "A"), K.NAME_MISMATCH, "/name", id="enum_renamed_without_alias"
    ),
    pytest.param(
        fixed("F", 16), fixed("F", 8), K.FIXED_SIZE_MISMATCH, "/size", id="fixed_size_differs"
    ),
    pytest.param(
        fixed("F1", 4), fixed("F2", 4), K.NAME_MISMATCH, "/name", id="fixed_renamed_without_alias"
    ),
    pytest.param(enum("E", "A"), "string", K.TYPE_MISMATCH, "", id="enum_does_not_read_as_string"),
    pytest.param(fixed("F", 4), "bytes", K.TYPE_MISMATCH, "", id="fixed_does_not_read_as_bytes"),
    pytest.param(
        enum("X", "A"),
        rec("X"),
        K.TYPE_MISMATCH,
        "",
        id="named_types_of_different_kinds_differ",
    ),
    pytest.param(
        {"type": "array", "items": "long"},
        {"type": "array", "items": "int"},
        K.TYPE_MISMATCH,
        "/items",
        id="array_items_do_not_narrow",
    ),
    pytest.param(
        {"type": "map", "values": "string"},
        {"type": "map", "values": "int"},
        K.TYPE_MISMATCH,
        "/values",
        id="map_values_mismatch",
    ),
    pytest.param(
        {"type": "array", "items": "int"},
        {"type": "map", "values": "int"},
        K.TYPE_MISMATCH,
        "",
        id="array_does_not_read_as_map",
    ),
    pytest.param(
        "string", ["null", "int"], K.MISSING_UNION_BRANCH, "", id="reader_union_lacks_writer_type"
    ),
    pytest.param(
        ["null", "int"], "int", K.TYPE_MISMATCH, "", id="writer_union_branch_unreadable_by_reader"
    ),
    pytest.param(
        ["null", "int", "string"],
        ["null", "int"],
        K.MISSING_UNION_BRANCH,
        "",
        id="reader_union_drops_writer_branch",
    ),
    pytest.param(
        rec("R", f("a", "int")),
        [rec("R", f("a", "int"), f("b", "int")), rec("S", f("a", "int"))],
        K.READER_FIELD_MISSING_DEFAULT_VALUE,
        "/0/fields/1",
        id="reader_union_first_matching_branch_is_resolved",
    ),
    pytest.param(
        LINKED, LINKED_STR, K.TYPE_MISMATCH, "/fields/0/type", id="recursive_record_field_mismatch"
    ),
    pytest.param(
        dec("bytes", 10, 2),
        dec("bytes", 10, 3),
        K.DECIMAL_MISMATCH,
        "",
        id="decimal_scale_differs",
    ),
    pytest.param(
        dec(fixed("D", 8), 12, 3),
        dec(fixed("D", 8), 10, 3),
        K.DECIMAL_MISMATCH,
        "",
        id="decimal_precision_differs",
    ),
]


@pytest.mark.parametrize(("writer", "reader"), COMPATIBLE)
def test_reader_can_read_writer(writer: Any, reader: Any) -> None:
    assert check_compatibility(parse_schema(writer), parse_schema(reader)) == []


@pytest.mark.parametrize(("writer", "reader", "kind", "path"), INCOMPATIBLE)
def test_reader_cannot_read_writer(writer: Any, reader: Any, kind: K, path: str) -> None:
    findings = check_compatibility(parse_schema(writer), parse_schema(reader))
    assert [(x.kind, x.path) for x in findings] == [(kind, path)]
    assert findings[0].message


def test_every_problem_is_reported_at_once() -> None:
    writer = rec("R", f("a", "string"), f("b", "int"))
    reader = rec("R", f("a", "int"), f("b", "int"), f("c", "int"))
    findings = check_compatibility(parse_schema(writer), parse_schema(reader))
    assert [(x.kind, x.path) for x in findings] == [
        (K.TYPE_MISMATCH, "/fields/0/type"),
        (K.READER_FIELD_MISSING_DEFAULT_VALUE, "/fields/2"),
    ]


def test_missing_default_message_names_field_and_record() -> None:
    findings = check_compatibility(
        parse_schema(rec("ns.R", f("a", "int"))),
        parse_schema(rec("ns.R", f("a", "int"), f("region", "string"))),
    )
    assert findings[0].message == (
        "reader field 'region' of ns.R has no default, and writer ns.R has no field 'region'"
    )
