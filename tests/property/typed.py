"""Rows of a landed table, and Avro Java's rows, in one comparable form (AvroOracle.java's).

`typed(schema, value)` turns a value read back from Delta into the form the Java oracle prints
for the reader schema `schema`; `hostile(schema, value)` says whether a Java value holds
a timestamp or date outside the years 1..9999, which the product must quarantine.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from decimal import Decimal
from typing import Any

from avrolake.schema import Array, Enum, Fixed, Map, Primitive, Record, Schema, Union
from tests.property.chain_data import MAX_DAYS, MAX_MICROS, MIN_DAYS, MIN_MICROS

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
DAY0 = dt.date(1970, 1, 1)
MICRO = dt.timedelta(microseconds=1)
STAMPS = ("timestamp-millis", "timestamp-micros", "local-timestamp-millis",
          "local-timestamp-micros")  # fmt: skip


def non_null(union: Union) -> list[Schema]:
    return [b for b in union.branches if not (isinstance(b, Primitive) and b.type == "null")]


def member(schema: Schema) -> str:
    """docs/table.md: member_<named type's name | logical type | type>."""
    if isinstance(schema, Record | Enum | Fixed):
        return f"member_{schema.name}"
    if isinstance(schema, Primitive) and schema.logical:
        return f"member_{schema.logical.replace('-', '_')}"
    return f"member_{schema.type}"


def typed(schema: Schema, value: Any) -> Any:  # noqa: C901 - one switch over kinds
    if value is None:
        return None
    if isinstance(schema, Union):
        return typed_union(schema, value)
    if isinstance(schema, Record):
        return {f.name: typed(f.type, value.get(f.name)) for f in schema.fields}
    if isinstance(schema, Enum):
        return value
    if isinstance(schema, Array):
        return [typed(schema.items, v) for v in value]
    if isinstance(schema, Map):
        return {k: typed(schema.values, v) for k, v in value}
    if isinstance(schema, Fixed) or schema.type == "bytes":
        if schema.decimal is not None:
            return {"$dec": format(Decimal(value), "f")}
        return {"$b": bytes(value).hex()}
    logical = schema.logical
    if logical in STAMPS:
        epoch = EPOCH if value.tzinfo else EPOCH.replace(tzinfo=None)
        return (value - epoch) // MICRO
    if logical == "date":
        return (value - DAY0).days
    if logical in ("time-millis", "time-micros"):  # the number written (docs/table.md)
        return value
    if schema.type in ("float", "double"):
        return float_form(schema.type, value)
    return value


def float_form(kind: str, value: float) -> dict[str, str]:
    tag = "$f32" if kind == "float" else "$f64"
    if math.isnan(value):
        return {tag: "NaN"}
    return {tag: struct.pack(">f" if kind == "float" else ">d", value).hex()}


def typed_union(schema: Union, value: Any) -> Any:
    branches = non_null(schema)
    if len(branches) == 1:
        return typed(branches[0], value)
    by_member = {member(b): b for b in branches}
    filled = {k: v for k, v in value.items() if v is not None}
    if not filled:
        return None
    if len(filled) > 1:
        return {"$several_members": sorted(filled)}
    name, inner = next(iter(filled.items()))
    return {name: typed(by_member[name], inner)}


def hostile(schema: Schema, value: Any) -> bool:
    """Whether a Java-typed value holds a timestamp or a date Delta cannot hold, bytes
    read as a string that are not UTF-8, or a decimal of more digits than its precision
    (Java does not check it): values the product quarantines (docs/table.md)."""
    if value is None:
        return False
    if isinstance(value, dict) and "$invalid_utf8" in value:
        return True
    if isinstance(schema, Union):
        branches = non_null(schema)
        if len(branches) == 1:
            return hostile(branches[0], value)
        by_member = {member(b): b for b in branches}
        return any(hostile(by_member[k], v) for k, v in value.items())
    if isinstance(schema, Record):
        return any(hostile(f.type, value[f.name]) for f in schema.fields)
    if isinstance(schema, Array):
        return any(hostile(schema.items, v) for v in value)
    if isinstance(schema, Map):
        return any(hostile(schema.values, v) for v in value.values())
    if isinstance(schema, Primitive) and schema.logical in STAMPS:
        return not MIN_MICROS <= value <= MAX_MICROS
    if isinstance(schema, Primitive) and schema.logical == "date":
        return not MIN_DAYS <= value <= MAX_DAYS
    if isinstance(schema, Primitive | Fixed) and schema.decimal is not None:
        unscaled = int(value["$dec"].replace(".", ""))  # toPlainString: `scale` decimals
        return abs(unscaled) >= 10**schema.decimal.precision
    return False
