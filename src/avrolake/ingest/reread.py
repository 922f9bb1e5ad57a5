"""A landed source read again with a new reader, for `migrate` (lake/reread.py says when).

The file is decoded exactly as `ingest` decodes it (ingest/worker.py): the same reader plan,
the same checks of times and of the partition field, so its rows, or its quarantine, are a
fresh read's. The new reader has no kept columns: each is read too, from the same file, by
the newest registered version that still had it (`KeptReader`), the reader whose read the
table stored there, so the fresh rows carry the values that place the stored ones
(lake/reread.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace

import pyarrow as pa

from avrolake.config import RESCUED_DATA
from avrolake.decode import AvroFile, ReaderPlan, arrow_type
from avrolake.decode.resolve import is_recursive
from avrolake.errors import QuarantineError, QuarantineKind, fail_if_out_of_memory
from avrolake.ingest.redact import without_content
from avrolake.lake.columns import WRITER_FINGERPRINT, WRITER_VERSION
from avrolake.lake.reread import FreshRead
from avrolake.lake.table import same_type
from avrolake.lake.writer import check_times, partition_dates
from avrolake.registry import SchemaVersion, TableSettings
from avrolake.schema import Record
from avrolake.storage import Location, S3Options, resolve

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeptReader:
    """Kept `columns` as the reader that last had them read them (`plan`: that version)."""

    plan: ReaderPlan
    columns: tuple[str, ...]


def kept_readers(
    kept: tuple[str, ...],
    versions: list[SchemaVersion],
    recorded: int | None,
    like: ReaderPlan,
    stored: pa.Schema | None = None,
) -> tuple[KeptReader, ...]:
    """For each kept column, the newest version up to the table's recorded reader that has
    a top-level field of its name (the reader whose read the table keeps there); none for a
    table whose reader was not recorded. With the table's `stored` schema, the newest such
    version whose field has the column's stored type: a table migrated past a version that
    changed the field's type (a long read as float, then removed) never held that version's
    read of it; where no version has that type, the newest with the field."""
    if recorded is None:
        return ()
    by_version: dict[int, list[str]] = {}
    older = [v for v in versions if v.version <= recorded and isinstance(v.schema, Record)]
    for column in kept:
        having = [v for v in reversed(older) if column in _names(v)]
        typed = (v for v in having if stored is None or _stored_as(v, column, stored))
        last = next(typed, having[0] if having else None)
        if last is not None:
            by_version.setdefault(last.version, []).append(column)
    found = {v.version: v for v in older}
    return tuple(
        KeptReader(_plan_of(found[number], like), tuple(columns))
        for number, columns in sorted(by_version.items())
    )


def _names(version: SchemaVersion) -> set[str]:
    assert isinstance(version.schema, Record)
    return {f.name for f in version.schema.fields}


def _stored_as(version: SchemaVersion, column: str, stored: pa.Schema) -> bool:
    """Whether `version` reads `column` as the type the table stores it in."""
    assert isinstance(version.schema, Record)
    if stored.get_field_index(column) < 0:
        return False
    field = next(f for f in version.schema.fields if f.name == column)
    if is_recursive(field.type):  # no Arrow type: the table never stored this read
        return False
    return same_type(stored.field(column).type, arrow_type(field.type))


def _plan_of(version: SchemaVersion, like: ReaderPlan) -> ReaderPlan:
    """A plan reading with `version`, decoding as `like` does (its own caches)."""
    return ReaderPlan(
        like.subject, version.doc, like.versions_by_fingerprint, like.batch_size,
        like.max_block_bytes, decoder=like.decoder, known_paths=like.known_paths,
        versions_by_text=like.versions_by_text,
    )  # fmt: skip


def fresh_read(
    uri: str,
    plan: ReaderPlan,
    settings: TableSettings,
    s3: S3Options,
    kept: tuple[KeptReader, ...] = (),
) -> FreshRead:
    """`uri`'s rows as a fresh read with `plan` lands them (the new reader's columns, the
    writer columns, `_rescued_data`, the partition column, and the `kept` columns each
    `KeptReader` reads), or why it would be quarantined; `unavailable` when the file cannot
    be read at all (gone, a storage error)."""
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
            rows = _with_kept(location, rows, kept)
    except QuarantineError as exc:
        fail_if_out_of_memory(exc, uri)
        found = FreshRead(uri, kind=exc.kind.value, message=without_content(exc.message),
                          writer_fingerprint=exc.writer_fingerprint,
                          writer_schema=exc.writer_schema)  # fmt: skip
        return _quarantined(found, avro, size, mtime)
    except OSError as exc:
        return FreshRead(uri, unavailable=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a value the table cannot hold, as ingest_file quarantines it
        fail_if_out_of_memory(exc, uri)
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


def _with_kept(location: Location, rows: pa.Table, kept: tuple[KeptReader, ...]) -> pa.Table:
    """The rows with each kept column its reader reads from the same file, in the same
    order; a column whose read fails or differs in length is left out (the stored rows are
    then placed without it)."""
    for reader in kept:
        read = _read_columns(location, reader)
        for name, column in read.items():
            if name not in rows.column_names and len(column) == rows.num_rows:
                rows = rows.append_column(name, column)
    return rows


def _read_columns(location: Location, reader: KeptReader) -> Mapping[str, pa.ChunkedArray]:
    try:
        with location.fs.open_input_file(location.path) as stream:
            chunks = list(AvroFile(stream, reader.plan).tables())
    except Exception as exc:  # no kept values to match the stored rows by: logged
        log.warning("the kept columns %s of %s could not be read (%s: %s)",
                    reader.columns, location.path, type(exc).__name__, exc)  # fmt: skip
        return {}
    if not chunks:
        return {}
    read = pa.concat_tables(chunks)
    return {c: read.column(c) for c in reader.columns if c in read.column_names}


def _quarantined(
    found: FreshRead, avro: AvroFile | None, size: int | None, mtime: int | None
) -> FreshRead:
    log.warning("a fresh read of %s quarantines it: %s", found.source, found.message)
    return replace(
        found, size=size, mtime_ms=mtime,
        writer_fingerprint=found.writer_fingerprint or (avro.writer_fingerprint if avro else None),
        writer_schema=found.writer_schema or (avro.writer_schema_json if avro else None),
    )  # fmt: skip
