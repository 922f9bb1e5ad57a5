"""A reader field's default as the one-row Arrow array it lands as (docs/table.md's mapping).

The specification's JSON encoding of defaults: a union's default is of its first branch;
bytes and fixed are strings whose code points are the byte values (ISO-8859-1); a decimal's
bytes are its unscaled two's-complement big-endian value; a record default names its fields,
and a field it leaves out takes that field's own default; logical types are defaulted by their
base type's value (a timestamp-millis default is milliseconds since the epoch).
"""

from __future__ import annotations

import decimal
from typing import Any

import pyarrow as pa

from avrolake.decode import arrow_type, member_name
from avrolake.schema import Array, Enum, Fixed, Map, Primitive, Record, Schema, Union


def default_array(schema: Schema, value: Any) -> pa.Array:
    """The default `value` of a field of type `schema`, as a one-row array of its landed type.

    Raises ValueError (or an Arrow error) when the value does not fit the landed type, such as
    a timestamp-nanos default that is not a whole number of microseconds."""
    raw = pa.array([python_value(schema, value)], arrow_type(schema, final=False))
    return raw.cast(arrow_type(schema, final=True))


def python_value(schema: Schema, value: Any) -> Any:
    """The default as the Python value Arrow builds the field's raw (`final=False`) type from."""
    if isinstance(schema, Union):
        first = schema.branches[0]
        rest = [b for b in schema.branches if not (isinstance(b, Primitive) and b.type == "null")]
        if isinstance(first, Primitive) and first.type == "null":
            return None
        inner = python_value(first, value)
        return inner if len(rest) == 1 else {member_name(first): inner}
    if isinstance(schema, Record):
        given = value if isinstance(value, dict) else {}
        return {f.name: python_value(f.type, given.get(f.name, f.default)) for f in schema.fields}
    if isinstance(schema, Array):
        return [python_value(schema.items, v) for v in value]
    if isinstance(schema, Map):
        return [(k, python_value(schema.values, v)) for k, v in value.items()]
    if isinstance(schema, Enum):
        return value
    if isinstance(schema, Fixed):
        return _bytes_value(value, schema.decimal.scale if schema.decimal else None)
    return _primitive(schema, value)


def _primitive(schema: Primitive, value: Any) -> Any:
    if schema.type == "null" or value is None:
        return None
    if schema.type == "bytes":
        return _bytes_value(value, schema.decimal.scale if schema.decimal else None)
    if schema.type in ("float", "double"):
        return float(value)
    return value


def _bytes_value(value: str, scale: int | None) -> Any:
    data = value.encode("latin-1")
    if scale is None:
        return data
    unscaled = int.from_bytes(data, "big", signed=True) if data else 0
    return decimal.Decimal(f"{unscaled}E-{scale}")  # exact: no context rounds it
