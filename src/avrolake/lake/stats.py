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
import pyarrow.parquet as pq


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
    uncounted: set[str] = field(default_factory=set)  # columns whose null count is unknown

    # Columns whose min, max and null count come from the Parquet footer (`add_footer`):
    # `add` only looks for NaN or ±Infinity in them (the footer leaves NaN out of min/max).
    footer: frozenset[str] = frozenset()

    def add(self, table: pa.Table) -> None:
        self.num_records += table.num_rows
        for name, column in zip(table.column_names, table.columns, strict=True):
            if not _stat_column(column.type):
                continue
            if name in self.footer:
                if pa.types.is_floating(column.type) and not _finite(column):
                    self.unbounded.add(name)
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
                "nullCount": {k: n for k, n in self.nulls.items() if k not in self.uncounted},
            },
            allow_nan=False,
        )

    def add_footer(self, meta: pq.FileMetaData) -> None:
        """Min, max and null count of the `footer` columns from the statistics the Parquet
        writer kept for each row group: the same values `add` computes from the rows,
        without a second pass over them. A column a row group has no statistics for (a
        value past the writer's size limit) gets no min/max."""
        leaves = {meta.schema.column(i).path: i for i in range(meta.num_columns)}
        for name in sorted(self.footer):
            index = leaves[name]
            for group in range(meta.num_row_groups):
                column = meta.row_group(group).column(index)
                self._add_row_group(name, column.statistics, column.physical_type)

    def _add_row_group(self, name: str, stats: Any, physical: str) -> None:
        if stats is None or not stats.has_null_count:  # unknown: no statistics at all
            self.uncounted.add(name)
            self.unbounded.add(name)
            return
        self.nulls[name] = self.nulls.get(name, 0) + stats.null_count
        if physical == "BOOLEAN" or stats.num_values == 0:
            return
        try:
            lo, hi = (stats.min, stats.max) if stats.has_min_max else (None, None)
        except (OverflowError, ValueError):  # e.g. a timestamp beyond Python's year 9999
            lo = hi = None
        if lo is None or hi is None or (isinstance(lo, float) and not _finite_pair(lo, hi)):
            self.unbounded.add(name)
            return
        self.mins[name] = lo if name not in self.mins else min(self.mins[name], lo)
        self.maxs[name] = hi if name not in self.maxs else max(self.maxs[name], hi)


def footer_columns(schema: pa.Schema, with_statistics: list[str]) -> frozenset[str]:
    """The columns whose Delta statistics the Parquet footer gives: top-level columns Delta
    keeps statistics for, written with Parquet statistics."""
    kept = set(with_statistics)
    return frozenset(f.name for f in schema if _stat_column(f.type) and f.name in kept)


def _finite_pair(lo: float, hi: float) -> bool:
    return math.isfinite(lo) and math.isfinite(hi)


def _finite(column: pa.ChunkedArray) -> bool:
    return pc.all(pc.is_finite(column.filter(pc.is_valid(column)))).as_py() is not False


def _bounds(column: pa.ChunkedArray) -> tuple[Any, Any] | None:
    """(min, max) of a column's non-null values, or None when they make no valid stats."""
    if pa.types.is_floating(column.type) and not _finite(column):
        return None  # NaN or ±Infinity: no usable bounds
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
