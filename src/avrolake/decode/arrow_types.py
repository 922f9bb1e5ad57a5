"""Avro schema -> Arrow types (docs/table.md's type mapping), and the fixes values need on the way.

Two type trees come out of one reader schema:
- `raw`: what fastavro's values are built into. Timestamp, date and time logical types are
  decoded as plain numbers (fastavro is told to skip them) and typed here in their own unit.
- `final`: what lands: every timestamp as microseconds; the Spark and Delta-facing types.
Every field is nullable: Delta merges new columns as nullable, and old rows read NULL.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from avrolake.schema import Array, Enum, Fixed, Map, Primitive, Record, Schema, Union

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
    if logical in ("time-millis", "time-micros"):
        return (
            pa.time64("us")
            if final
            else (pa.time32("ms") if logical == "time-millis" else pa.time64("us"))
        )
    return _PRIMITIVE[schema.type]


def _decimal(precision: int, scale: int) -> pa.DataType:
    return pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)


def non_null(union: Union) -> list[Schema]:
    return [b for b in union.branches if not (isinstance(b, Primitive) and b.type == "null")]


def member_name(schema: Schema) -> str:
    """Stable struct member name of a union branch: member_<type or record name>."""
    if isinstance(schema, Record | Enum | Fixed):
        return f"member_{schema.name}"
    if isinstance(schema, Primitive) and schema.logical:
        return f"member_{schema.logical.replace('-', '_')}"
    return f"member_{schema.type}"


def arrow_schema(record: Record, *, final: bool = True) -> pa.Schema:
    return pa.schema([pa.field(f.name, arrow_type(f.type, final=final)) for f in record.fields])


def fastavro_reader_doc(doc: Any) -> Any:
    """The reader schema handed to fastavro.

    Numeric logical types are removed (their values are typed by Arrow, faster and without
    time-zone surprises), and record-typed field defaults are completed with their own
    fields' defaults, which fastavro would otherwise return incomplete.
    """
    return _strip(doc)


def _strip(doc: Any) -> Any:
    if isinstance(doc, list):
        return [_strip(d) for d in doc]
    if not isinstance(doc, dict):
        return doc
    out = {k: (_strip(v) if k != "default" else v) for k, v in doc.items()}
    if out.get("logicalType") in NUMERIC_LOGICAL:
        del out["logicalType"]
    if out.get("type") == "record":
        for field in out["fields"]:
            if "default" in field:
                field["default"] = _complete(field["type"], field["default"])
    return out


def _complete(type_doc: Any, default: Any) -> Any:
    """Fill a record default's missing fields from the record's own field defaults."""
    if isinstance(type_doc, list):
        return _complete(type_doc[0], default) if type_doc else default
    if not isinstance(type_doc, dict) or type_doc.get("type") != "record":
        return default
    if not isinstance(default, dict):
        return default
    out = dict(default)
    for field in type_doc["fields"]:
        if field["name"] in out:
            out[field["name"]] = _complete(field["type"], out[field["name"]])
        elif "default" in field:
            out[field["name"]] = _complete(field["type"], field["default"])
    return out


Fix = Callable[[Any], Any]


def value_fixer(schema: Schema, *, uuids: bool = False) -> Fix | None:
    """A function that makes fastavro's values fit their Arrow type; None if none is needed.

    Needed for unions of several types (values become struct members), for bytes/fixed
    defaults, which fastavro returns as str (docs/fastavro-notes.md), and, with `uuids`, for
    strings a writer marked `uuid`, which fastavro returns as uuid.UUID objects.
    """
    if isinstance(schema, Union):
        branches = non_null(schema)
        if len(branches) == 1:
            return value_fixer(branches[0], uuids=uuids)
        return _union_fixer(branches, uuids)
    if isinstance(schema, Record):
        return _record_fixer(schema, uuids)
    if isinstance(schema, Array):
        items = value_fixer(schema.items, uuids=uuids)
        if items is None:
            return None
        return lambda v: None if v is None else [items(x) for x in v]
    if isinstance(schema, Map):
        values = value_fixer(schema.values, uuids=uuids)
        if values is None:
            return None
        return lambda v: None if v is None else {k: values(x) for k, x in v.items()}
    if uuids and isinstance(schema, Primitive) and schema.type == "string":
        return _text  # a writer's uuid logical type makes fastavro return uuid.UUID objects
    return None


def _text(value: Any) -> Any:
    return value if value is None or isinstance(value, str) else str(value)


def _record_fixer(record: Record, uuids: bool) -> Fix | None:
    active: dict[str, Fix] = {}
    for field in record.fields:
        fixer = value_fixer(field.type, uuids=uuids)
        if field.has_default and _holds_bytes(field.type, set()):
            fixer = _then(_bytes_fixer(field.type), fixer)
        if fixer is not None:
            active[field.name] = fixer
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


def _then(first: Fix, second: Fix | None) -> Fix:
    return first if second is None else (lambda v: second(first(v)))


def _holds_bytes(schema: Schema, seen: set[int]) -> bool:
    if id(schema) in seen:
        return False
    seen.add(id(schema))
    if isinstance(schema, Fixed) or (isinstance(schema, Primitive) and schema.type == "bytes"):
        return True
    if isinstance(schema, Union):
        return any(_holds_bytes(b, seen) for b in schema.branches)
    if isinstance(schema, Record):
        return any(_holds_bytes(f.type, seen) for f in schema.fields)
    if isinstance(schema, Array):
        return _holds_bytes(schema.items, seen)
    if isinstance(schema, Map):
        return _holds_bytes(schema.values, seen)
    return False


def _bytes_fixer(schema: Schema) -> Fix:
    """Deeply turn str into bytes at bytes/fixed positions (ISO-8859-1, as the spec says)."""

    def fix(value: Any, node: Schema = schema) -> Any:
        if value is None:
            return None
        if isinstance(node, Fixed) or (isinstance(node, Primitive) and node.type == "bytes"):
            return value.encode("latin-1") if isinstance(value, str) else value
        if isinstance(node, Union):
            first = node.branches[0] if node.branches else node
            return fix(value, first) if isinstance(value, str | dict | list) else value
        if isinstance(node, Record) and isinstance(value, dict):
            types = {f.name: f.type for f in node.fields}
            return {k: fix(v, types[k]) if k in types else v for k, v in value.items()}
        if isinstance(node, Array) and isinstance(value, list):
            return [fix(v, node.items) for v in value]
        if isinstance(node, Map) and isinstance(value, dict):
            return {k: fix(v, node.values) for k, v in value.items()}
        return value

    return fix


_PY_CLASSES: dict[str, tuple[type, ...]] = {
    "boolean": (bool,), "int": (int,), "long": (int,), "float": (float, int),
    "double": (float, int), "string": (str, uuid.UUID), "bytes": (bytes,), "enum": (str,),
    "fixed": (bytes,), "record": (dict,), "map": (dict,), "array": (list,),
}  # fmt: skip


def _union_fixer(branches: list[Schema], uuids: bool) -> Fix:
    """Multi-type union -> {member_<type>: value}; the member is the first branch whose
    Python type fits (an int in a union of int and long lands in the first of them)."""
    members = [(member_name(b), b.type, value_fixer(b, uuids=uuids)) for b in branches]

    def fix(value: Any) -> Any:
        if value is None:
            return None
        for name, kind, fixer in members:
            if isinstance(value, _PY_CLASSES.get(kind, (object,))) and (
                kind == "boolean" or not isinstance(value, bool)
            ):
                return {name: fixer(value) if fixer else value}
        raise ValueError(f"value {value!r} fits no branch of the union")

    return fix
