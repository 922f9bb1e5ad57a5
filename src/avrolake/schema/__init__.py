"""The Avro schema model: a typed graph parsed from .avsc JSON, shared by every stage."""

from avrolake.schema.avsc import (
    Array,
    Decimal,
    Enum,
    Field,
    Fixed,
    Map,
    Named,
    Primitive,
    Record,
    Schema,
    Union,
    load_schema,
    member_name,
    parse_schema,
)

__all__ = [
    "Array",
    "Decimal",
    "Enum",
    "Field",
    "Fixed",
    "Map",
    "Named",
    "Primitive",
    "Record",
    "Schema",
    "Union",
    "load_schema",
    "member_name",
    "parse_schema",
]
