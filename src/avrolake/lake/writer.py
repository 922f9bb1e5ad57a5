"""Write decoded rows as Parquet files into the table's folder, one per partition value.

Executors write, the driver commits: nothing here touches the Delta log. `close()` returns
the `FileAdd`s (path, size, partition values, statistics) the driver's one commit carries;
`discard()` deletes what was written (it was never committed).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from avrolake.errors import QuarantineError, QuarantineKind
from avrolake.lake.kept import conform
from avrolake.lake.parquet_options import parquet_options
from avrolake.lake.stats import StatsAccumulator, footer_columns
from avrolake.registry import TableSettings
from avrolake.storage import Location

if TYPE_CHECKING:  # delta-rs is the driver's (its commit), not a worker's
    from deltalake.transaction import AddAction

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
# Partition dates must be dates Python, Spark and Delta's partition values can all hold.
_FIRST_DAY = -719_162  # 0001-01-01 in days since 1970-01-01
_LAST_DAY = 2_932_896  # 9999-12-31
# Delta's timestamp range (and Spark's, and Python's): 0001-01-01 to 9999-12-31, in seconds.
_FIRST_SECOND = -62_135_596_800
_LAST_SECOND = 253_402_300_799
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000}
# Rows of a shared file are written in row groups of about this many rows.
ROW_GROUP_ROWS = 131_072


@dataclass(frozen=True)
class FileAdd:
    """A Parquet file a task wrote into the table path, not yet committed."""

    path: str  # relative to the table root
    size: int
    partition_values: dict[str, str | None]
    modification_time: int
    stats: str

    def action(self) -> AddAction:
        from deltalake.transaction import AddAction

        return AddAction(
            self.path, self.size, self.partition_values, self.modification_time, True, self.stats
        )


class PartitionedWriter:
    """Parquet files in the table's folder: one open file per partition value.

    Without `target_bytes` (one large source file's own files) every file stays open until
    `close()`. With it (a task's small source files together) a file is closed once it holds
    about `target_bytes` and the next rows of its partition start a new one, and rows are
    gathered to `ROW_GROUP_ROWS` before they are written, so small sources do not make small
    row groups. `tags` says which rows went where: {file: the tags its rows were written with}.
    """

    def __init__(
        self,
        folder: Location,
        settings: TableSettings,
        schema: pa.Schema,
        run_id: str,
        target_bytes: int | None = None,
    ) -> None:
        self.folder, self.settings, self.schema, self.run_id = folder, settings, schema, run_id
        self.target_bytes = target_bytes
        self.open: dict[str | None, _OpenFile] = {}
        self.done: list[FileAdd] = []
        self.tags: dict[str, set[str]] = {}

    def write(self, chunk: pa.Table, tag: str = "") -> None:
        """Split a chunk of rows by the partition column's value and append each part."""
        for partition, rows in self.split(chunk):
            self.append(partition, rows, tag)

    def split(self, chunk: pa.Table) -> list[tuple[str | None, pa.Table]]:
        """The chunk's rows by partition value (ISO date, None for NULL); raises
        QuarantineError for an event time no partition can hold."""
        source_field = self.settings.partition_field
        if source_field:
            dates = partition_dates(chunk, source_field)
        check_times(chunk)
        if not source_field:
            return [(None, chunk)]
        values = pc.unique(dates).to_pylist()
        if len(values) == 1:
            return [(None if values[0] is None else values[0].isoformat(), chunk)]
        parts = []
        for value in values:
            mask = (
                pc.is_null(dates)
                if value is None
                else pc.equal(dates, pa.scalar(value, pa.date32()))
            )
            parts.append((None if value is None else value.isoformat(), chunk.filter(mask)))
        return parts

    def append(self, partition: str | None, rows: pa.Table, tag: str = "") -> None:
        self.append_tagged(partition, rows, {tag})

    def append_tagged(self, partition: str | None, rows: pa.Table, tags: set[str]) -> None:
        """Append rows of one partition; `tags` name whose rows they are (several sources'
        rows decoded together)."""
        if partition not in self.open:
            self.open[partition] = self._new_file(partition)
        current = self.open[partition]
        self.tags.setdefault(current.rel, set()).update(tags)
        current.pending.append(conform(rows.select(self.schema.names), self.schema))
        current.pending_rows += rows.num_rows
        if self.target_bytes is None or current.pending_rows >= ROW_GROUP_ROWS:
            self._flush(current)
            if self.target_bytes is not None and current.sink.tell() >= self.target_bytes:
                self.done.append(self._finish(partition, self.open.pop(partition)))

    def _new_file(self, partition: str | None) -> _OpenFile:
        folder = (
            f"{self.settings.partition_column}={partition or HIVE_NULL}/"
            if self.settings.partition_field
            else ""
        )
        rel = f"{folder}part-{self.run_id}-{uuid.uuid4().hex}.snappy.parquet"
        sink = self.folder.fs.open_output_stream(self.folder.ensure_parent(rel))
        options = parquet_options(self.schema)
        writer = pq.ParquetWriter(sink, self.schema, **options)
        footer = footer_columns(self.schema, options["write_statistics"])
        return _OpenFile(rel, sink, writer, StatsAccumulator(footer=footer))

    @staticmethod
    def _flush(current: _OpenFile) -> None:
        if not current.pending:
            return
        rows = (
            current.pending[0] if len(current.pending) == 1 else pa.concat_tables(current.pending)
        )
        current.pending, current.pending_rows = [], 0
        current.writer.write_table(rows)
        current.stats.add(rows)

    def _finish(self, partition: str | None, current: _OpenFile) -> FileAdd:
        self._flush(current)
        current.writer.close()
        current.stats.add_footer(current.writer.writer.metadata)
        size = current.sink.tell()
        current.sink.close()
        values = (
            {self.settings.partition_column: partition} if self.settings.partition_field else {}
        )
        return FileAdd(
            current.rel, int(size), values, int(time.time() * 1000), current.stats.to_json()
        )

    def close(self) -> list[FileAdd]:
        adds = self.done + [self._finish(p, f) for p, f in self.open.items()]
        self.open.clear()
        self.done = []
        return adds

    def discard(self) -> None:
        for current in self.open.values():
            current.writer.close()
            current.sink.close()
            self.folder.fs.delete_file(self.folder.child(current.rel))
        for add in self.done:
            self.folder.fs.delete_file(self.folder.child(add.path))
        self.open.clear()
        self.done = []


@dataclass
class _OpenFile:
    rel: str
    sink: Any
    writer: pq.ParquetWriter
    stats: StatsAccumulator
    pending: list[pa.Table] = field(default_factory=list)
    pending_rows: int = 0


def partition_dates(chunk: pa.Table, field: str) -> pa.ChunkedArray:
    """The partition column's values: the UTC date of `field`; raises QuarantineError
    (event_time_out_of_range) for a date outside the years 1 to 9999."""
    dates = pc.cast(chunk.column(field), pa.date32())
    _check_range(field, dates)
    return dates


def _check_range(field: str, dates: pa.ChunkedArray) -> None:
    days = pc.min_max(pc.cast(dates, pa.int32())).as_py()
    if days["min"] is None:
        return
    if days["min"] < _FIRST_DAY or days["max"] > _LAST_DAY:
        raise QuarantineError(
            QuarantineKind.EVENT_TIME_OUT_OF_RANGE,
            f"event-time field {field!r} holds a value outside the years 1 to 9999 "
            f"(days since 1970-01-01 from {days['min']} to {days['max']}); such a row has no "
            "partition date. Fix the producer's clock or units and replace the file (a changed "
            "file is read again), or run `avrolake quarantine retry`.",
        )


def check_times(chunk: pa.Table) -> None:
    """Raise QuarantineError (conversion_error) for a timestamp or date outside the years 1
    to 9999 in any column, nested ones included.

    Values a file declares as timestamps are checked while decoding (corrupt_data, as
    fastavro cannot read them either). This catches the rest: a writer's plain `long` read
    through the reader schema's logical type, which no Delta reader could read back.
    """
    for name, column in zip(chunk.column_names, chunk.columns, strict=True):
        for where, values in _time_arrays(name, column.type, column.chunks):
            if pa.types.is_date32(values[0].type):
                low, high, unit = _FIRST_DAY, _LAST_DAY, "days"
                numbers = [v.cast(pa.int32()) for v in values]
            else:
                per = _PER_SECOND.get(values[0].type.unit)
                if per is None:  # nanoseconds: int64 holds only the years 1677 to 2262
                    continue
                low, high = _FIRST_SECOND * per, (_LAST_SECOND + 1) * per - 1
                unit = values[0].type.unit
                numbers = [v.cast(pa.int64()) for v in values]
            extremes = pc.min_max(pa.chunked_array(numbers, numbers[0].type)).as_py()
            if extremes["min"] is not None and (extremes["min"] < low or extremes["max"] > high):
                value = extremes["min"] if extremes["min"] < low else extremes["max"]
                raise QuarantineError(
                    QuarantineKind.CONVERSION_ERROR,
                    f"{where}: value {value} ({unit} since 1970-01-01) is outside the years 1 "
                    "to 9999, which no Delta timestamp or date can hold. It is likely a "
                    "plain long read through the reader schema's logical type in another "
                    "unit; fix the producer or the schema and replace the file (a changed "
                    "file is read again), or run `avrolake quarantine retry`.",
                )


def _time_arrays(where: str, kind: pa.DataType, arrays: list[Any]) -> list[tuple[str, list[Any]]]:
    """(path, arrays) of every timestamp or date32 column under `kind`."""
    if not arrays or not _has_time(kind):
        return []
    if pa.types.is_timestamp(kind) or pa.types.is_date32(kind):
        return [(where, arrays)]
    found: list[tuple[str, list[Any]]] = []
    if pa.types.is_struct(kind):
        for i in range(kind.num_fields):
            child = kind.field(i)
            found += _time_arrays(
                f"{where}.{child.name}", child.type, [a.flatten()[i] for a in arrays]
            )
    elif pa.types.is_map(kind):
        found += _time_arrays(f"{where}[key]", kind.key_type, [a.keys for a in arrays])
        found += _time_arrays(f"{where}[value]", kind.item_type, [a.items for a in arrays])
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        found += _time_arrays(f"{where}[]", kind.value_type, [a.flatten() for a in arrays])
    return found


@lru_cache(maxsize=256)
def _has_time(kind: pa.DataType) -> bool:
    """Whether a type holds a timestamp or date32 anywhere (worked out once per type, so
    columns without one are never flattened to look)."""
    if pa.types.is_timestamp(kind) or pa.types.is_date32(kind):
        return True
    if pa.types.is_struct(kind):
        return any(_has_time(kind.field(i).type) for i in range(kind.num_fields))
    if pa.types.is_map(kind):
        return _has_time(kind.key_type) or _has_time(kind.item_type)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _has_time(kind.value_type)
    return False
