"""What a task does with its group of source files: decode each, write Parquet, report.

Executors write, the driver commits: a worker returns one typed, picklable outcome per file,
`Landed` (its file adds and counts) or `Quarantined` (kind and reason). A file that turns out
unreadable midway has its partial Parquet files deleted (never committed).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import pyarrow as pa

from avrolake.decode import AvroFile, ReaderPlan
from avrolake.errors import QuarantineError, QuarantineKind
from avrolake.ingest.plan import SourceFile
from avrolake.lake import FileAdd, PartitionedWriter, TableRef
from avrolake.lake.columns import (
    INGESTED_AT,
    RUN_ID,
    SOURCE_FILE,
    WRITER_FINGERPRINT,
    WRITER_VERSION,
)
from avrolake.storage import resolve

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerContext:
    """Shipped from the driver to every task (S3 secrets never appear in its repr)."""

    plan: ReaderPlan
    source_uri: str
    table: TableRef  # carries the subject's table settings
    run_id: str
    ingested_at: dt.datetime
    file_schema: pa.Schema  # the Parquet files' schema: the table's minus the partition column


class Landed(NamedTuple):
    source: str
    size: int
    records: int
    writer_version: int | None
    writer_fingerprint: str
    adds: tuple[FileAdd, ...]


class Quarantined(NamedTuple):
    source: str
    size: int
    kind: QuarantineKind
    reason: str
    writer_fingerprint: str | None
    writer_schema: str | None


Outcome = Landed | Quarantined


def run_group(files: Sequence[SourceFile], ctx: WorkerContext) -> list[Outcome]:
    """One task: every file of the group, in order."""
    return [ingest_file(source, ctx) for source in files]


def ingest_file(source: SourceFile, ctx: WorkerContext) -> Outcome:
    settings = ctx.table.settings
    assert settings is not None, "the ingest job's table handle carries its settings"
    fs = resolve(ctx.source_uri, ctx.table.s3).fs
    writer = PartitionedWriter(ctx.table.location(), settings, ctx.file_schema, ctx.run_id)
    avro: AvroFile | None = None
    try:
        with fs.open_input_file(source.path) as stream:
            avro = AvroFile(stream, ctx.plan)
            records = 0
            for chunk in avro.tables():
                records += chunk.num_rows
                writer.write(with_metadata(chunk, avro, source, ctx.run_id, ctx.ingested_at))
    except QuarantineError as exc:
        writer.discard()
        log.warning("quarantining %s: %s", source.uri, exc)
        return Quarantined(
            source.uri,
            source.size,
            exc.kind,
            exc.message,
            exc.writer_fingerprint or (avro.writer_fingerprint if avro else None),
            exc.writer_schema or (avro.writer_schema_json if avro else None),
        )
    except OSError:
        writer.discard()
        raise  # storage, not the file: the task is retried
    except Exception as exc:  # a value the table cannot hold: this file only, never the run
        writer.discard()
        log.warning("quarantining %s: %s: %s", source.uri, type(exc).__name__, exc)
        return Quarantined(
            source.uri,
            source.size,
            QuarantineKind.CONVERSION_ERROR,
            f"a value could not be converted for the table ({type(exc).__name__}: {exc})",
            avro.writer_fingerprint if avro else None,
            avro.writer_schema_json if avro else None,
        )
    except BaseException:
        writer.discard()
        raise
    log.info("decoded %s: %d records, writer v%s", source.uri, records, avro.writer_version)
    return Landed(
        source.uri,
        source.size,
        records,
        avro.writer_version,
        avro.writer_fingerprint,
        tuple(writer.close()),
    )


def with_metadata(
    chunk: pa.Table, avro: AvroFile, source: SourceFile, run_id: str, ingested_at: dt.datetime
) -> pa.Table:
    """The decoded columns plus the table's metadata columns (docs/table.md)."""
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
