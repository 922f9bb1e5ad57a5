"""Avro schema -> Arrow types (docs/table.md's type mapping), and the fixes values need on the way.

Two type trees come out of one reader schema:
- `raw`: what fastavro's values are built into. Timestamp and date logical types are
  decoded as plain numbers (fastavro is told to skip them) and typed here in their own unit.
  Time of day (`time-millis`, `time-micros`) lands as its number: Delta has no time type.
- `final`: what lands: every timestamp as microseconds; the Spark and Delta-facing types.
Every field is nullable: Delta merges new columns as nullable, and old rows read NULL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from avrolake.schema import (
    Array,
    Enum,
    Fixed,
    Map,
    Primitive,
    Record,
    Schema,
    Union,
    member_name,
)

NUMERIC_LOGICAL = frozenset(
    {
        "date", "time-millis", "time-micros", "timestamp-millis", "timestamp-micros",
        "timestamp-nanos", "local-timestamp-millis", "local-timestamp-micros",
        "local-timestamp-nanos",
    }
)  # fmt: skip
_PRIMITIVE: dict[str, pa.DataType] = {
    "null": pa.string(),
    "boolean": pa.bool_(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "bytes": pa.binary(),
    "string": pa.string(),
}


def arrow_type(schema: Schema, *, final: bool = True) -> pa.DataType:
    if isinstance(schema, Union):
        rest = non_null(schema)
        if len(rest) == 1:
            return arrow_type(rest[0], final=final)
        return pa.struct([pa.field(member_name(b), arrow_type(b, final=final)) for b in rest])
    if isinstance(schema, Record):
        return pa.struct([pa.field(f.name, arrow_type(f.type, final=final)) for f in schema.fields])
    if isinstance(schema, Array):
        return pa.list_(arrow_type(schema.items, final=final))
    if isinstance(schema, Map):
        return pa.map_(pa.string(), arrow_type(schema.values, final=final))
    if isinstance(schema, Enum):
        return pa.string()
    if isinstance(schema, Fixed):
        if schema.decimal:
            return _decimal(schema.decimal.precision, schema.decimal.scale)
        return pa.binary()
    return _primitive(schema, final)


def _primitive(schema: Primitive, final: bool) -> pa.DataType:
    logical = schema.logical
    if logical == "decimal" and schema.decimal:
        return _decimal(schema.decimal.precision, schema.decimal.scale)
    if logical and logical.startswith(("timestamp-", "local-timestamp-")):
        unit = (
            "us"
            if final
            else {"millis": "ms", "micros": "us", "nanos": "ns"}[logical.rsplit("-", 1)[1]]
        )
        return pa.timestamp(unit, tz=None if logical.startswith("local-") else "UTC")
    if logical == "date":
        return pa.date32()
    return _PRIMITIVE[schema.type]  # time-millis, time-micros: their int and long (table.md)


def _decimal(precision: int, scale: int) -> pa.DataType:
    return pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)


def non_null(union: Union) -> list[Schema]:
    return [b for b in union.branches if not (isinstance(b, Primitive) and b.type == "null")]


def arrow_schema(record: Record, *, final: bool = True) -> pa.Schema:
    return pa.schema([pa.field(f.name, arrow_type(f.type, final=final)) for f in record.fields])


Fix = Callable[[Any], Any]


def uuid_fixer(schema: Schema) -> Fix | None:
    """A function that turns the uuid.UUID objects fastavro returns for strings a writer
    marked `uuid` into their text; None where the reader has no string to fix.

    Unions of several types arrive as `{member_<type>: value}` (decode/fastavro_docs.py)."""
    if isinstance(schema, Union):
        branches = non_null(schema)
        if len(branches) == 1:
            return uuid_fixer(branches[0])
        return _union_fixer(branches)
    if isinstance(schema, Record):
        return _record_fixer(schema)
    if isinstance(schema, Array):
        items = uuid_fixer(schema.items)
        if items is None:
            return None
        return lambda v: None if v is None else [items(x) for x in v]
    if isinstance(schema, Map):
        values = uuid_fixer(schema.values)
        if values is None:
            return None
        return lambda v: None if v is None else {k: values(x) for k, x in v.items()}
    if isinstance(schema, Primitive) and schema.type == "string":
        return _text
    return None


def _text(value: Any) -> Any:
    return value if value is None or isinstance(value, str) else str(value)


def _record_fixer(record: Record) -> Fix | None:
    active = {f.name: fixer for f in record.fields if (fixer := uuid_fixer(f.type)) is not None}
    if not active:
        return None

    def fix(value: Any) -> Any:
        if value is None:
            return None
        out = dict(value)
        for name, fixer in active.items():
            out[name] = fixer(out.get(name))
        return out

    return fix


def _union_fixer(branches: list[Schema]) -> Fix | None:
    members = {member_name(b): fixer for b in branches if (fixer := uuid_fixer(b)) is not None}
    if not members:
        return None

    def fix(value: Any) -> Any:
        if value is None:
            return None
        return {k: members[k](v) if k in members else v for k, v in value.items()}

    return fix
