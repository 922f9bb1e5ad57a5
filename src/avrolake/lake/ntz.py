"""The `timestampNtz` table feature where delta-rs does not turn it on by itself.

A `local-timestamp-*` value lands as a timestamp without time zone (TIMESTAMP_NTZ), which
needs the table feature `timestampNtz`. delta-rs turns it on when it creates a table or adds
a column whose NTZ timestamp is a column, a struct field or an array item, but not when it is
a map's value: the commit succeeds and every later read fails ("Table contains TIMESTAMP_NTZ
columns but does not have the required 'timestampNtz' feature"). So such columns are added
after the feature is on (docs/table.md: they come after the metadata columns).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:  # delta-rs is the driver's, not a Spark worker's
    from deltalake import DeltaTable


def ntz_in_map(data_type: pa.DataType, inside_map: bool = False) -> bool:
    """Whether a timestamp without time zone is a map's value (or below one)."""
    if pa.types.is_timestamp(data_type):
        return inside_map and data_type.tz is None
    if pa.types.is_map(data_type):
        return ntz_in_map(data_type.key_type, True) or ntz_in_map(data_type.item_type, True)
    if pa.types.is_struct(data_type):
        return any(ntz_in_map(f.type, inside_map) for f in data_type)
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return ntz_in_map(data_type.value_type, inside_map)
    return False


def needs_ntz_feature(fields: list[pa.Field]) -> bool:
    return any(ntz_in_map(f.type) for f in fields)


def ensure_ntz_feature(table: DeltaTable) -> None:
    """Turn `timestampNtz` on (a protocol upgrade, one commit) unless it already is."""
    from deltalake import TableFeatures

    if "timestampNtz" in (table.protocol().reader_features or []):
        return
    table.alter.add_feature(
        TableFeatures.TimestampWithoutTimezone, allow_protocol_versions_increase=True
    )
