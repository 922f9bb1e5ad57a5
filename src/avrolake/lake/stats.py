"""Delta add-action statistics (numRecords, minValues, maxValues, nullCount), built per chunk.

Only top-level primitive columns get min/max/nullCount: Delta treats missing statistics as
unknown, and nested statistics must mirror the schema exactly.
"""

from __future__ import annotations

import datetime as dt
import json
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

    def add(self, table: pa.Table) -> None:
        self.num_records += table.num_rows
        for name, column in zip(table.column_names, table.columns, strict=True):
            if not _stat_column(column.type):
                continue
            self.nulls[name] = self.nulls.get(name, 0) + column.null_count
            if pa.types.is_boolean(column.type) or column.null_count == len(column):
                continue
            bounds = pc.min_max(column).as_py()
            lo, hi = bounds["min"], bounds["max"]
            if isinstance(lo, float) and (lo != lo or hi != hi):  # NaN: no usable bounds
                continue
            self.mins[name] = lo if name not in self.mins else min(self.mins[name], lo)
            self.maxs[name] = hi if name not in self.maxs else max(self.maxs[name], hi)

    def to_json(self) -> str:
        return json.dumps(
            {
                "numRecords": self.num_records,
                "minValues": {k: _json_value(v) for k, v in self.mins.items()},
                "maxValues": {k: _json_value(v) for k, v in self.maxs.items()},
                "nullCount": self.nulls,
            }
        )
