"""Delta add-action statistics (numRecords, minValues, maxValues, nullCount), built per chunk.

Only top-level primitive columns get min/max/nullCount: Delta treats missing statistics as
unknown, and nested statistics must mirror the schema exactly. As Delta's own writers do:
- a float column holding NaN or ±Infinity gets no min/max in that file (JSON has no such
  numbers; delta-rs cannot read a log holding them);
- a value Python cannot represent (a timestamp past year 9999) drops that column's min/max;
- strings are truncated to STRING_PREFIX characters: min to its prefix, max to its prefix
  followed by the highest code point, so both stay true bounds.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


def _stat_column(data_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(data_type)
        or pa.types.is_floating(data_type)
        or pa.types.is_string(data_type)
        or pa.types.is_timestamp(data_type)
        or pa.types.is_date(data_type)
        or pa.types.is_boolean(data_type)
    )


STRING_PREFIX = 32  # Delta's delta.dataSkippingStringPrefixLength default
_TOP = chr(0x10FFFF)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@dataclass
class StatsAccumulator:
    num_records: int = 0
    mins: dict[str, Any] = field(default_factory=dict)
    maxs: dict[str, Any] = field(default_factory=dict)
    nulls: dict[str, int] = field(default_factory=dict)
    unbounded: set[str] = field(default_factory=set)  # columns whose min/max are left out

    def add(self, table: pa.Table) -> None:
        self.num_records += table.num_rows
        for name, column in zip(table.column_names, table.columns, strict=True):
            if not _stat_column(column.type):
                continue
            self.nulls[name] = self.nulls.get(name, 0) + column.null_count
            if pa.types.is_boolean(column.type) or column.null_count == len(column):
                continue
            bounds = _bounds(column)
            if bounds is None:
                self.unbounded.add(name)
                continue
            lo, hi = bounds
            self.mins[name] = lo if name not in self.mins else min(self.mins[name], lo)
            self.maxs[name] = hi if name not in self.maxs else max(self.maxs[name], hi)

    def to_json(self) -> str:
        bounded = [k for k in self.mins if k not in self.unbounded]
        return json.dumps(
            {
                "numRecords": self.num_records,
                "minValues": {k: _json_value(_low(self.mins[k])) for k in bounded},
                "maxValues": {k: _json_value(_high(self.maxs[k])) for k in bounded},
                "nullCount": self.nulls,
            },
            allow_nan=False,
        )


def _bounds(column: pa.ChunkedArray) -> tuple[Any, Any] | None:
    """(min, max) of a column's non-null values, or None when they make no valid stats."""
    if pa.types.is_floating(column.type):
        finite = pc.all(pc.is_finite(column.filter(pc.is_valid(column)))).as_py()
        if finite is False:  # NaN or ±Infinity: no usable bounds
            return None
    try:
        result = pc.min_max(column).as_py()
    except (OverflowError, ValueError):  # e.g. a timestamp beyond Python's year 9999
        return None
    lo, hi = result["min"], result["max"]
    if isinstance(lo, float) and not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    return lo, hi


def _low(value: Any) -> Any:
    return value[:STRING_PREFIX] if isinstance(value, str) else value


def _high(value: Any) -> Any:
    if isinstance(value, str) and len(value) > STRING_PREFIX:
        return value[:STRING_PREFIX] + _TOP
    return value
