"""What one Spark task does with one source file: decode, write Parquet into the table path.

Nothing is committed here. A file that turns out unreadable midway has its partial Parquet
files deleted (they were never committed) and comes back as quarantined.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from avrolake.decode import AvroFile, QuarantineError, ReaderPlan
from avrolake.delta.columns import (
    INGESTED_AT,
    RUN_ID,
    SOURCE_FILE,
    WRITER_FINGERPRINT,
    WRITER_VERSION,
    Partitioning,
)
from avrolake.delta.stats import StatsAccumulator
from avrolake.delta.table import FileAdd
from avrolake.ingest.sources import SourceFile
from avrolake.storage import Location, S3Options, resolve

log = logging.getLogger(__name__)
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


@dataclass(frozen=True)
class TaskContext:
    """Shipped from the driver to every task (S3 secrets never appear in its repr)."""

    plan: ReaderPlan
    source_uri: str
    table_uri: str
    s3: S3Options
    run_id: str
    ingested_at: dt.datetime
    partitioning: Partitioning
    file_schema: pa.Schema  # the Parquet files' schema: the table's minus the partition column


@dataclass
class FileResult:
    source: str
    size: int
    status: str  # "ingested" | "quarantined"
    records: int = 0
    writer_version: int | None = None
    writer_fingerprint: str | None = None
    error_kind: str | None = None
    message: str | None = None
    writer_schema: str | None = None
    adds: list[FileAdd] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileResult:
        adds = [FileAdd(**a) for a in data.pop("adds")]
        return cls(**data, adds=adds)


class _PartitionWriters:
    """One Parquet file per partition value for one source file."""

    def __init__(self, table: Location, ctx: TaskContext) -> None:
        self.table, self.ctx = table, ctx
        self.open: dict[str | None, tuple[str, pq.ParquetWriter, StatsAccumulator]] = {}

    def write(self, chunk: pa.Table, partition: str | None) -> None:
        if partition not in self.open:
            column = self.ctx.partitioning.column
            folder = (
                f"{column}={partition or HIVE_NULL}/" if self.ctx.partitioning.source_field else ""
            )
            rel = f"{folder}part-{self.ctx.run_id}-{uuid.uuid4().hex}.snappy.parquet"
            writer = pq.ParquetWriter(
                self.table.ensure_parent(rel),
                self.ctx.file_schema,
                filesystem=self.table.fs,
                compression="snappy",
            )
            self.open[partition] = (rel, writer, StatsAccumulator())
        _, writer, stats = self.open[partition]
        writer.write_table(chunk)
        stats.add(chunk)

    def close(self) -> list[FileAdd]:
        adds = []
        for partition, (rel, writer, stats) in self.open.items():
            writer.close()
            size = self.table.fs.get_file_info(self.table.child(rel)).size
            values = (
                {self.ctx.partitioning.column: partition}
                if self.ctx.partitioning.source_field
                else {}
            )
            adds.append(
                FileAdd(rel, int(size or 0), values, int(time.time() * 1000), stats.to_json())
            )
        return adds

    def discard(self) -> None:
        for rel, writer, _ in self.open.values():
            writer.close()
            self.table.fs.delete_file(self.table.child(rel))


def ingest_file(source: SourceFile, ctx: TaskContext) -> FileResult:
    table = resolve(ctx.table_uri, ctx.s3)
    fs = resolve(ctx.source_uri, ctx.s3).fs
    writers = _PartitionWriters(table, ctx)
    try:
        with fs.open_input_file(source.path) as stream:
            avro = AvroFile(stream, ctx.plan)
            records = 0
            for chunk in avro.tables():
                records += chunk.num_rows
                meta = with_metadata(chunk, avro, source, ctx.run_id, ctx.ingested_at)
                _write_chunk(writers, meta, ctx)
    except QuarantineError as exc:
        writers.discard()
        log.warning("quarantining %s: %s", source.uri, exc)
        return FileResult(
            source.uri,
            source.size,
            "quarantined",
            error_kind=exc.kind.value,
            message=exc.message,
            writer_fingerprint=exc.writer_fingerprint,
            writer_schema=exc.writer_schema,
        )
    except BaseException:
        writers.discard()
        raise
    log.info("decoded %s: %d records, writer v%s", source.uri, records, avro.writer_version)
    return FileResult(
        source.uri,
        source.size,
        "ingested",
        records=records,
        writer_version=avro.writer_version,
        writer_fingerprint=avro.writer_fingerprint,
        adds=writers.close(),
    )


def with_metadata(
    chunk: pa.Table, avro: AvroFile, source: SourceFile, run_id: str, ingested_at: dt.datetime
) -> pa.Table:
    """The decoded columns plus DESIGN.md's metadata columns."""
    n = chunk.num_rows
    columns = {
        SOURCE_FILE: pa.array([source.uri] * n, pa.string()),
        WRITER_VERSION: pa.array([avro.writer_version] * n, pa.int32()),
        WRITER_FINGERPRINT: pa.array([avro.writer_fingerprint] * n, pa.string()),
        INGESTED_AT: pa.array([ingested_at] * n, pa.timestamp("us", tz="UTC")),
        RUN_ID: pa.array([run_id] * n, pa.string()),
    }
    for name, column in columns.items():
        chunk = chunk.append_column(name, column)
    return chunk


def _write_chunk(writers: _PartitionWriters, chunk: pa.Table, ctx: TaskContext) -> None:
    source_field = ctx.partitioning.source_field
    if not source_field:
        writers.write(chunk, None)
        return
    dates = pc.cast(chunk.column(source_field), pa.date32())
    for value in pc.unique(dates).to_pylist():
        mask = (
            pc.is_null(dates) if value is None else pc.equal(dates, pa.scalar(value, pa.date32()))
        )
        writers.write(chunk.filter(mask), None if value is None else value.isoformat())
