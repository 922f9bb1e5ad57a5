"""Stored plain values read as a logical type of the same Avro type (Avro Java's exact match:
a written `bytes` branch read by a decimal-on-bytes branch, a `long` by timestamp-millis).

The table stores the plain value (binary, int64, int32); the new reader's Arrow type is the
logical one. The conversion is Avro's own: bytes are the unscaled two's-complement integer,
a timestamp's long counts its unit since the epoch, a date's int counts days.
"""

from __future__ import annotations

import pyarrow as pa

from avrolake.lake.reshape import Cast, Unscaled
from avrolake.schema import Fixed, Primitive, Schema

_UNITS = {"millis": "ms", "micros": "us", "nanos": "ns"}


def logical_leaf(
    reader: Schema, stored: pa.DataType, target: pa.DataType
) -> Cast | Unscaled | None:
    """The node reading the stored plain values as the reader's logical type, or None."""
    if pa.types.is_decimal(target) and isinstance(reader, Primitive | Fixed):
        binary = pa.types.is_binary(stored) or pa.types.is_fixed_size_binary(stored)
        return Unscaled(target) if binary else None
    if not isinstance(reader, Primitive) or not pa.types.is_integer(stored):
        return None
    logical = reader.logical or ""
    if pa.types.is_timestamp(target) and logical.startswith(("timestamp-", "local-timestamp-")):
        unit = _UNITS[logical.rsplit("-", 1)[1]]
        return Cast(target, via=(pa.int64(), pa.timestamp(unit, tz=target.tz)))
    if pa.types.is_date32(target) and logical == "date":
        return Cast(target, via=(pa.int32(),))
    return None
