"""Where fastavro departs from the Avro specification, pinned so an upgrade that changes it is seen.

Each test records fastavro's behaviour and what avrolake does about it. See
docs/fastavro-notes.md. avrolake checks writer->reader compatibility with its own checker
before it decodes, so the lenient cases below never reach fastavro in the product.
"""

from __future__ import annotations

import io
from typing import Any

import fastavro
import pytest

from avrolake.compatibility import IncompatibilityKind, check_compatibility
from avrolake.errors import SchemaParseError
from avrolake.schema import parse_schema

pytestmark = pytest.mark.unit


def fastavro_round_trip(writer: Any, reader: Any, value: Any) -> Any:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(writer), value)
    buffer.seek(0)
    return fastavro.schemaless_reader(
        buffer, fastavro.parse_schema(writer), fastavro.parse_schema(reader)
    )


WRITER = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}


def reader_with(field: dict[str, Any]) -> dict[str, Any]:
    return {**WRITER, "fields": [*WRITER["fields"], field]}


@pytest.mark.parametrize(
    ("field", "fastavro_value", "spec_value"),
    [
        pytest.param(
            {"name": "b", "type": "bytes", "default": "\u00ff"},
            "\u00ff",
            b"\xff",
            id="bytes_default_comes_back_as_str",
        ),
        pytest.param(
            {"name": "b", "type": {"type": "fixed", "name": "F", "size": 2}, "default": "ab"},
            "ab",
            b"ab",
            id="fixed_default_comes_back_as_str",
        ),
        pytest.param(
            {
                "name": "b",
                "type": {
                    "type": "record",
                    "name": "In",
                    "fields": [{"name": "x", "type": "int", "default": 3}],
                },
                "default": {},
            },
            {},
            {"x": 3},
            id="record_default_is_not_filled_with_its_field_defaults",
        ),
    ],
)
def test_fastavro_returns_json_defaults_unconverted(
    field: dict[str, Any], fastavro_value: Any, spec_value: Any
) -> None:
    reader = reader_with(field)
    assert check_compatibility(parse_schema(WRITER), parse_schema(reader)) == []
    decoded = fastavro_round_trip(WRITER, reader, {"a": 1})
    assert decoded["b"] == fastavro_value
    assert decoded["b"] != spec_value


def test_fastavro_crashes_with_key_error_on_enum_read_as_record() -> None:
    writer = {"type": "enum", "name": "X", "symbols": ["A"]}
    reader = {"type": "record", "name": "X", "fields": []}
    (finding,) = check_compatibility(parse_schema(writer), parse_schema(reader))
    assert finding.kind is IncompatibilityKind.TYPE_MISMATCH
    with pytest.raises(KeyError, match="symbols"):
        fastavro_round_trip(writer, reader, "A")


def test_fastavro_accepts_unqualified_alias_from_another_namespace() -> None:
    writer = {"type": "record", "name": "ns.A", "fields": [{"name": "x", "type": "int"}]}
    reader = {"type": "record", "name": "other.B", "aliases": ["A"],
              "fields": [{"name": "x", "type": "int"}]}  # fmt: skip
    (finding,) = check_compatibility(parse_schema(writer), parse_schema(reader))
    assert finding.kind is IncompatibilityKind.NAME_MISMATCH
    assert fastavro_round_trip(writer, reader, {"x": 1}) == {"x": 1}


def test_fastavro_accepts_a_union_of_two_arrays_which_the_spec_forbids() -> None:
    doc = [{"type": "array", "items": "int"}, {"type": "array", "items": "string"}]
    fastavro.parse_schema(doc)
    with pytest.raises(SchemaParseError, match="union contains 'array' twice"):
        parse_schema(doc)


def test_fastavro_writes_bytes_as_an_array_of_ints_when_an_array_branch_comes_first() -> None:
    union = [{"type": "array", "items": "int"}, {"type": "fixed", "name": "F", "size": 1}]
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(union), b"\x81")
    buffer.seek(0)
    assert fastavro.schemaless_reader(buffer, fastavro.parse_schema(union), None) == [129]
