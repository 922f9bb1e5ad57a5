"""A landed source read again with a new reader, for `migrate` (lake/reread.py says when).

The file is decoded exactly as `ingest` decodes it (ingest/worker.py): the same reader plan,
the same checks of times and of the partition field, so its rows, or its quarantine, are a
fresh read's.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import pyarrow as pa

from avrolake.config import RESCUED_DATA
from avrolake.decode import AvroFile, ReaderPlan
from avrolake.errors import QuarantineError, QuarantineKind
from avrolake.ingest.redact import without_content
from avrolake.lake.columns import WRITER_FINGERPRINT, WRITER_VERSION
from avrolake.lake.reread import FreshRead
from avrolake.lake.writer import check_times, partition_dates
from avrolake.registry import TableSettings
from avrolake.storage import S3Options, resolve

log = logging.getLogger(__name__)


def fresh_read(uri: str, plan: ReaderPlan, settings: TableSettings, s3: S3Options) -> FreshRead:
    """`uri`'s rows as a fresh read with `plan` lands them (the new reader's columns, the
    writer columns, `_rescued_data`, the partition column), or why it would be quarantined;
    `unavailable` when the file cannot be read at all (gone, a storage error)."""
    location = resolve(uri, s3)
    avro: AvroFile | None = None
    try:
        info = location.fs.get_file_info(location.path)
        size, mtime = info.size, info.mtime_ns // 1_000_000 if info.mtime_ns else None
    except OSError as exc:
        return FreshRead(uri, unavailable=f"{type(exc).__name__}: {exc}")
    try:
        with location.fs.open_input_file(location.path) as stream:
            avro = AvroFile(stream, plan)
            chunks = list(avro.tables())
        rows = pa.concat_tables(chunks) if chunks else pa.table({})
        if chunks:
            rows = _with_columns(rows, avro, settings)
    except QuarantineError as exc:
        found = FreshRead(uri, kind=exc.kind.value, message=without_content(exc.message),
                          writer_fingerprint=exc.writer_fingerprint,
                          writer_schema=exc.writer_schema)  # fmt: skip
        return _quarantined(found, avro, size, mtime)
    except OSError as exc:
        return FreshRead(uri, unavailable=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a value the table cannot hold, as ingest_file quarantines it
        why = f"{type(exc).__name__}: {without_content(str(exc), quoted=True)}"
        found = FreshRead(
            uri,
            kind=QuarantineKind.CONVERSION_ERROR.value,
            message=f"a value could not be converted for the table ({why})",
        )
        return _quarantined(found, avro, size, mtime)
    log.info("read %s again with the new reader: %d records", uri, rows.num_rows)
    return FreshRead(uri, rows, size=size, mtime_ms=mtime)


def _with_columns(rows: pa.Table, avro: AvroFile, settings: TableSettings) -> pa.Table:
    """The decoded rows with the writer columns, `_rescued_data` and the partition column."""
    check_times(rows)
    n = rows.num_rows
    if RESCUED_DATA not in rows.column_names:
        rows = rows.append_column(RESCUED_DATA, pa.nulls(n, pa.string()))
    rows = rows.append_column(
        WRITER_VERSION, pa.repeat(pa.scalar(avro.writer_version, pa.int32()), n)
    )
    rows = rows.append_column(
        WRITER_FINGERPRINT, pa.repeat(pa.scalar(avro.writer_fingerprint, pa.string()), n)
    )
    if settings.partition_field:
        dates = partition_dates(rows, settings.partition_field)
        rows = rows.append_column(settings.partition_column, dates)
    return rows


def _quarantined(
    found: FreshRead, avro: AvroFile | None, size: int | None, mtime: int | None
) -> FreshRead:
    log.warning("a fresh read of %s quarantines it: %s", found.source, found.message)
    return replace(
        found, size=size, mtime_ms=mtime,
        writer_fingerprint=found.writer_fingerprint or (avro.writer_fingerprint if avro else None),
        writer_schema=found.writer_schema or (avro.writer_schema_json if avro else None),
    )  # fmt: skip
