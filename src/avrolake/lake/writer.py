"""Write decoded rows as Parquet files into the table's folder, one per partition value.

Executors write, the driver commits: nothing here touches the Delta log. `close()` returns
the `FileAdd`s (path, size, partition values, statistics) the driver's one commit carries;
`discard()` deletes what was written (it was never committed).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake.transaction import AddAction

from avrolake.errors import QuarantineError, QuarantineKind
from avrolake.lake.stats import StatsAccumulator
from avrolake.registry import TableSettings
from avrolake.storage import Location

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
# Partition dates must be dates Python, Spark and Delta's partition values can all hold.
_FIRST_DAY = -719_162  # 0001-01-01 in days since 1970-01-01
_LAST_DAY = 2_932_896  # 9999-12-31


@dataclass(frozen=True)
class FileAdd:
    """A Parquet file a task wrote into the table path, not yet committed."""

    path: str  # relative to the table root
    size: int
    partition_values: dict[str, str | None]
    modification_time: int
    stats: str

    def action(self) -> AddAction:
        return AddAction(
            self.path, self.size, self.partition_values, self.modification_time, True, self.stats
        )


class PartitionedWriter:
    """Parquet files for one source file: one per partition value it holds."""

    def __init__(
        self, folder: Location, settings: TableSettings, schema: pa.Schema, run_id: str
    ) -> None:
        self.folder, self.settings, self.schema, self.run_id = folder, settings, schema, run_id
        self.open: dict[str | None, tuple[str, pq.ParquetWriter, StatsAccumulator]] = {}

    def write(self, chunk: pa.Table) -> None:
        """Split a chunk of rows by the partition column's value and append each part."""
        source_field = self.settings.partition_field
        if not source_field:
            self._append(chunk, None)
            return
        dates = pc.cast(chunk.column(source_field), pa.date32())
        _check_range(source_field, dates)
        for value in pc.unique(dates).to_pylist():
            mask = (
                pc.is_null(dates)
                if value is None
                else pc.equal(dates, pa.scalar(value, pa.date32()))
            )
            self._append(chunk.filter(mask), None if value is None else value.isoformat())

    def _append(self, rows: pa.Table, partition: str | None) -> None:
        if partition not in self.open:
            folder = (
                f"{self.settings.partition_column}={partition or HIVE_NULL}/"
                if self.settings.partition_field
                else ""
            )
            rel = f"{folder}part-{self.run_id}-{uuid.uuid4().hex}.snappy.parquet"
            writer = pq.ParquetWriter(
                self.folder.ensure_parent(rel),
                self.schema,
                filesystem=self.folder.fs,
                compression="snappy",
            )
            self.open[partition] = (rel, writer, StatsAccumulator())
        _, writer, stats = self.open[partition]
        writer.write_table(rows.select(self.schema.names))
        stats.add(rows)

    def close(self) -> list[FileAdd]:
        adds = []
        for partition, (rel, writer, stats) in self.open.items():
            writer.close()
            size = self.folder.fs.get_file_info(self.folder.child(rel)).size
            values = (
                {self.settings.partition_column: partition} if self.settings.partition_field else {}
            )
            adds.append(
                FileAdd(rel, int(size or 0), values, int(time.time() * 1000), stats.to_json())
            )
        self.open.clear()
        return adds

    def discard(self) -> None:
        for rel, writer, _ in self.open.values():
            writer.close()
            self.folder.fs.delete_file(self.folder.child(rel))
        self.open.clear()


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
