"""Parsing .avsc documents: names, namespaces, recursion, and errors that point at the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from avrolake.errors import SchemaParseError
from avrolake.schema import Enum, Record, Union, load_schema, parse_schema

pytestmark = pytest.mark.unit


def test_namespace_is_inherited_by_nested_named_types() -> None:
    schema = parse_schema(
        {
            "type": "record",
            "name": "Outer",
            "namespace": "io.x",
            "fields": [{"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A"]}}],
        }
    )
    assert isinstance(schema, Record)
    assert schema.fullname == "io.x.Outer"
    inner = schema.fields[0].type
    assert isinstance(inner, Enum)
    assert inner.fullname == "io.x.E"


def test_dotted_name_overrides_namespace() -> None:
    schema = parse_schema({"type": "record", "name": "a.b.R", "namespace": "x", "fields": []})
    assert isinstance(schema, Record)
    assert schema.fullname == "a.b.R"


def test_aliases_are_qualified_with_the_types_namespace() -> None:
    schema = parse_schema(
        {
            "type": "record",
            "name": "R",
            "namespace": "n",
            "aliases": ["Old", "o.Other"],
            "fields": [],
        }
    )
    assert isinstance(schema, Record)
    assert schema.aliases == ("n.Old", "o.Other")


def test_recursive_reference_is_the_same_object() -> None:
    schema = parse_schema(
        {
            "type": "record",
            "name": "Node",
            "fields": [{"name": "next", "type": ["null", "Node"]}],
        }
    )
    assert isinstance(schema, Record)
    union = schema.fields[0].type
    assert isinstance(union, Union)
    assert union.branches[1] is schema


def test_invalid_logical_type_is_ignored() -> None:
    schema = parse_schema({"type": "string", "logicalType": "timestamp-millis"})
    assert schema.type == "string"
    assert getattr(schema, "logical", None) is None


@pytest.mark.parametrize(
    ("doc", "path", "message"),
    [
        pytest.param({"name": "R"}, "$", 'object has no "type"', id="missing_type"),
        pytest.param("Nope", "$", "unknown type 'Nope'", id="unknown_named_type"),
        pytest.param(
            {"type": "record", "name": "R", "fields": [{"name": "a", "type": "Nope"}]},
            "$.fields[0].type",
            "unknown type 'Nope'",
            id="unknown_type_in_field",
        ),
        pytest.param(
            {
                "type": "record",
                "name": "R",
                "fields": [{"name": "a", "type": "int", "default": "x"}],
            },
            "$.fields[0].default",
            "default 'x' does not match",
            id="default_of_wrong_type",
        ),
        pytest.param(
            {
                "type": "record",
                "name": "R",
                "fields": [{"name": "a", "type": ["null", "int"], "default": 1}],
            },
            "$.fields[0].default",
            "default 1 does not match",
            id="union_default_must_match_first_branch",
        ),
        pytest.param(
            ["int", "int"], "$[1]", "union contains 'int' twice", id="duplicate_union_branch"
        ),
        pytest.param(
            ["null", ["int"]],
            "$[1]",
            "may not directly contain a union",
            id="nested_union",
        ),
        pytest.param(
            {"type": "enum", "name": "E", "symbols": ["A", "A"]},
            "$.symbols",
            "symbols must be unique",
            id="duplicate_enum_symbol",
        ),
        pytest.param(
            {"type": "enum", "name": "E", "symbols": ["A"], "default": "B"},
            "$.default",
            "enum default 'B' is not a symbol",
            id="enum_default_not_a_symbol",
        ),
        pytest.param(
            {"type": "fixed", "name": "F", "size": -1},
            "$.size",
            "non-negative",
            id="negative_fixed_size",
        ),
        pytest.param(
            {
                "type": "record",
                "name": "R",
                "fields": [{"name": "a", "type": "int"}, {"name": "a", "type": "int"}],
            },
            "$.fields[1].name",
            "field 'a' appears twice",
            id="duplicate_field",
        ),
        pytest.param(
            {
                "type": "record",
                "name": "R",
                "fields": [{"name": "x", "type": {"type": "enum", "name": "R", "symbols": ["A"]}}],
            },
            "$.fields[0].type.name",
            "'R' is defined twice",
            id="duplicate_type_name",
        ),
        pytest.param(
            {"type": "record", "name": "9bad", "fields": []},
            "$.name",
            "not a valid Avro name",
            id="invalid_name",
        ),
    ],
)
def test_malformed_schema_error_names_json_path(doc: Any, path: str, message: str) -> None:
    with pytest.raises(SchemaParseError) as caught:
        parse_schema(doc, source="s.avsc")
    assert caught.value.path == path
    assert message in caught.value.message
    assert str(caught.value).startswith(f"s.avsc: invalid Avro schema at {path}: ")


def test_load_schema_reports_file_and_json_syntax_position(tmp_path: Path) -> None:
    bad = tmp_path / "v1.avsc"
    bad.write_text('{"type": "record",\n  "name": }')
    with pytest.raises(SchemaParseError) as caught:
        load_schema(bad)
    assert str(caught.value) == (
        f"{bad}: invalid Avro schema at $: not JSON (Expecting value at line 2, column 11)"
    )
