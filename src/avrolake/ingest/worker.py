"""What a task does with its group of source files: decode each, write Parquet, report.

Executors write, the driver commits: a worker returns one typed, picklable outcome per file,
`Landed` (its file adds and counts) or `Quarantined` (kind and reason). A file that turns out
unreadable midway has its partial Parquet files deleted (never committed).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import pyarrow as pa
from pyarrow import fs as pafs

from avrolake.config import DEFAULT_SOURCE_BUFFER_BYTES, DEFAULT_TARGET_FILE_MB, RESCUED_DATA
from avrolake.decode import AvroFile, ReaderPlan
from avrolake.errors import QuarantineError, QuarantineKind, fail_if_out_of_memory
from avrolake.ingest.plan import SourceFile
from avrolake.ingest.progress import note
from avrolake.ingest.reading import Digesting, changed, etag_of, mtime_of
from avrolake.ingest.redact import without_content
from avrolake.ingest.together import Together, Waiting, small
from avrolake.lake import FileAdd, PartitionedWriter, TableRef
from avrolake.lake.columns import (
    INGESTED_AT,
    RUN_ID,
    SOURCE_FILE,
    WRITER_FINGERPRINT,
    WRITER_VERSION,
)
from avrolake.storage import PROBLEMS, Location, resolve

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
    # Rows of a task's small source files share Parquet files of about this size.
    target_file_bytes: int = DEFAULT_TARGET_FILE_MB * 1024 * 1024
    # A source (or split) with more decoded rows than this gets Parquet files of its own.
    buffer_bytes: int = DEFAULT_SOURCE_BUFFER_BYTES
    # Local mode: a folder on the driver's machine where each file done is noted (progress).
    progress_dir: str | None = None


class Landed(NamedTuple):
    source: str
    size: int
    records: int
    writer_version: int | None
    writer_fingerprint: str
    adds: tuple[FileAdd, ...]
    mtime_ms: int | None = None
    etag: str | None = None  # S3's, from the object read
    sync_marker: str | None = None  # hex of the file's 16-byte Avro sync marker
    digest: str | None = None  # BLAKE2b-128 of the file's bytes, as read
    records_by_path: tuple[tuple[str, int], ...] = ()  # (decode path, records): native/fastavro
    part: int = 0  # which split of the file (0 of 1 for a whole file)
    rescued: tuple[str, ...] = ()  # the field paths kept in `_rescued_data` (decode/rescue.py)


class Quarantined(NamedTuple):
    source: str
    size: int
    kind: QuarantineKind
    reason: str
    writer_fingerprint: str | None
    writer_schema: str | None
    mtime_ms: int | None = None


class Deferred(NamedTuple):
    """The file changed while it was read: nothing of it is kept, a later run reads it."""

    source: str
    reason: str


Outcome = Landed | Quarantined | Deferred


def run_group(files: Sequence[SourceFile], ctx: WorkerContext) -> list[Outcome]:
    """One task: every file (or split) of the group, in order.

    A file's rows are held in memory until the whole file has decoded (a file found bad
    midway leaves nothing behind), then go into Parquet files the task's files share, one
    per partition up to `target_file_bytes`. A file with more decoded rows than
    `buffer_bytes` is written to files of its own as it decodes instead.
    """
    task = _Task(ctx)
    try:
        for source in files:
            task.read(source)
        task.together.flush_all()
        adds = task.shared.close()
    except BaseException:
        task.shared.discard()
        raise
    outcomes = task.outcomes
    by_tag: dict[str, list[FileAdd]] = {}
    for add in adds:
        for tag in task.shared.tags.get(add.path, ()):
            by_tag.setdefault(tag, []).append(add)
    return [
        o._replace(adds=o.adds + tuple(by_tag.get(str(i), ()))) if isinstance(o, Landed) else o
        for i, o in enumerate(outcomes)
    ]


Rows = list[tuple[str | None, pa.Table]]


class _Task:
    """One task's files: their outcomes in order, the Parquet files they share, and the
    small files waiting to be decoded together (ingest/together.py). A file's rows are tagged
    with its place in `outcomes`."""

    def __init__(self, ctx: WorkerContext) -> None:
        settings = ctx.table.settings
        assert settings is not None, "the ingest job's table handle carries its settings"
        self.ctx = ctx
        self.stores = Stores(resolve(ctx.source_uri, ctx.table.s3).fs, ctx.table.location())
        self.shared = PartitionedWriter(
            self.stores.table, settings, ctx.file_schema, ctx.run_id, ctx.target_file_bytes
        )
        self.outcomes: list[Outcome] = []
        self.together = Together(self.shared, self._metadata, self._finish)

    def read(self, source: SourceFile) -> None:
        index = len(self.outcomes)
        outcome, rows = ingest_file(source, self.ctx, self.stores, together=small(source))
        self.outcomes.append(outcome)
        if isinstance(rows, Waiting):
            self.together.add(replace(rows, index=index))
        else:
            self._append(index, source, rows)

    def _append(self, index: int, source: SourceFile, rows: Rows) -> None:
        for partition, part in rows:
            self.shared.append(partition, part, str(index))
        self._done(index, source)

    def _done(self, index: int, source: SourceFile) -> None:
        if self.ctx.progress_dir is not None:
            outcome = self.outcomes[index]
            records = outcome.records if isinstance(outcome, Landed) else 0
            note(self.ctx.progress_dir, source, records)

    def _metadata(self, rows: pa.Table, per_file: dict[str, pa.Array]) -> pa.Table:
        return append_metadata(rows, per_file, self.ctx)

    def _finish(self, waiting: list[Waiting], landed: bool) -> None:
        """Files of a chunk: landed (their rows are in the shared files), or to read alone."""
        for file in waiting:
            if landed:
                outcome = self.outcomes[file.index]
                if isinstance(outcome, Landed) and file.records:
                    path = (("native", file.records),)
                    self.outcomes[file.index] = outcome._replace(records_by_path=path)
                self._done(file.index, file.source)
                continue
            outcome, rows = ingest_file(file.source, self.ctx, self.stores)
            assert not isinstance(rows, Waiting), "a file read alone is decoded"
            self.outcomes[file.index] = outcome
            self._append(file.index, file.source, rows)


class Stores(NamedTuple):
    """The source's filesystem and the table's folder, resolved once per task (an S3
    filesystem is costly to build, a local path to resolve)."""

    source: pafs.FileSystem
    table: Location


class _ReadAlone(Exception):
    """A file read to wait for its chunk turned out bad: read it alone, as every bad file is
    (so it is quarantined for the problem the one-file path finds first)."""


def ingest_file(
    source: SourceFile, ctx: WorkerContext, stores: Stores | None = None, together: bool = False
) -> tuple[Outcome, Rows | Waiting]:
    """Decode one file (or split): its outcome, and its rows by partition when they are
    still to be written to the task's shared files (empty once written to its own).

    `together` (a small whole file, ingest/together.py): when its writer schema decodes
    natively, its blocks are read and checked but not decoded; the outcome is then `Landed`
    with no decode path yet, and the blocks come back as `Waiting` (index 0: the caller's
    to set)."""
    settings = ctx.table.settings
    assert settings is not None, "the ingest job's table handle carries its settings"
    if stores is None:
        stores = Stores(resolve(ctx.source_uri, ctx.table.s3).fs, ctx.table.location())
    fs = stores.source
    own = PartitionedWriter(stores.table, settings, ctx.file_schema, ctx.run_id)
    held: Rows = []
    avro: AvroFile | None = None
    etag: str | None = None
    try:
        with fs.open_input_file(source.path) as raw:
            etag = etag_of(raw)
            stream = Digesting(raw, source.start, source.end)
            avro = AvroFile(stream, ctx.plan, start=source.start, end=source.end)  # type: ignore[arg-type]
            waiting = _waiting(avro, source) if together else None
            if waiting is None:
                records, held = _decode(avro, source, ctx, own)
            else:
                records = waiting.records
            stream.drain()
        now = fs.get_file_info(source.path)
    except _ReadAlone:
        return ingest_file(source, ctx, stores)
    except QuarantineError as exc:
        own.discard()
        fail_if_out_of_memory(exc, source.uri)
        if changed(fs, source):
            return Deferred(source.uri, f"changed while it was read ({exc.kind.value})"), []
        log.warning("quarantining %s: %s", source.uri, without_content(exc.message))
        return Quarantined(
            source.uri,
            source.size,
            exc.kind,
            without_content(exc.message),
            exc.writer_fingerprint or (avro.writer_fingerprint if avro else None),
            exc.writer_schema or (avro.writer_schema_json if avro else None),
            source.mtime_ms,
        ), []
    except OSError:
        own.discard()
        gone = not_a_file(fs, source)
        if gone is None:
            raise  # storage, not the file: the task is retried
        log.warning("not reading %s: %s", source.uri, gone.reason)
        return gone, []
    except Exception as exc:  # a value the table cannot hold: this file only, never the run
        own.discard()
        fail_if_out_of_memory(exc, source.uri)
        why = f"{type(exc).__name__}: {without_content(str(exc), quoted=True)}"
        log.warning("quarantining %s: %s", source.uri, why)
        return Quarantined(
            source.uri,
            source.size,
            QuarantineKind.CONVERSION_ERROR,
            f"a value could not be converted for the table ({why})",
            avro.writer_fingerprint if avro else None,
            avro.writer_schema_json if avro else None,
            source.mtime_ms,
        ), []
    except BaseException:
        own.discard()
        raise
    if now.size != source.size or (
        source.mtime_ms is not None and mtime_of(now) != source.mtime_ms
    ):
        own.discard()
        log.warning("deferring %s: it changed while it was read", source.uri)
        return Deferred(source.uri, "changed while it was read"), []
    log.info(
        "%s %s%s: %d records, writer v%s (%s)",
        "decoded" if waiting is None else "read",
        source.uri,
        f" split {source.part + 1} of {source.parts}" if source.parts > 1 else "",
        records,
        avro.writer_version,
        "to decode with the task's other small files of its writer schema"
        if waiting is not None
        else ", ".join(f"{n} {path}" for path, n in sorted(avro.records_by_path.items()))
        or "empty",
    )
    landed = Landed(
        source.uri,
        source.size,
        records,
        avro.writer_version,
        avro.writer_fingerprint,
        tuple(own.close()),
        source.mtime_ms,
        etag,
        avro.sync_marker.hex(),
        stream.hexdigest(),
        tuple(sorted(avro.records_by_path.items())),
        source.part,
        avro.rescue.paths if avro.rescue is not None else (),
    )
    return landed, held if waiting is None else waiting


def _decode(
    avro: AvroFile, source: SourceFile, ctx: WorkerContext, own: PartitionedWriter
) -> tuple[int, Rows]:
    """The file's records, decoded: how many, and the rows still to write (held in memory
    up to `buffer_bytes`; past that, they and the rest go to the file's `own` files)."""
    held: Rows = []
    held_bytes = records = 0
    for chunk in avro.tables():
        records += chunk.num_rows
        parts = own.split(with_metadata(chunk, avro, source, ctx.run_id, ctx.ingested_at))
        if held_bytes > ctx.buffer_bytes or own.open:
            for partition, rows in [*held, *parts]:
                own.append(partition, rows)
            held, held_bytes = [], held_bytes + sum(r.nbytes for _, r in parts)
        else:
            held += parts
            held_bytes += sum(r.nbytes for _, r in parts)
    return records, held


def _waiting(avro: AvroFile, source: SourceFile) -> Waiting | None:
    """The file's checked blocks, to decode with others (None: it is decoded now)."""
    try:
        blocks = avro.native_blocks()
    except QuarantineError as exc:
        raise _ReadAlone from exc
    return None if blocks is None else Waiting(0, source, avro, blocks)


def not_a_file(fs: pafs.FileSystem, source: SourceFile) -> Quarantined | Deferred | None:
    """What a file that could not be opened has become since the listing: a folder (it is
    quarantined as not_a_file) or nothing (deleted: deferred, a later listing decides);
    None when it is still a file (a storage error)."""
    try:
        now = fs.get_file_info(source.path).type
    except OSError:
        return None
    if now == pafs.FileType.Directory:
        return Quarantined(
            source.uri,
            source.size,
            QuarantineKind.NOT_A_FILE,
            PROBLEMS[QuarantineKind.NOT_A_FILE],
            None,
            None,
            source.mtime_ms,
        )
    if now == pafs.FileType.NotFound:
        return Deferred(source.uri, "deleted after the run listed it")
    return None


def with_metadata(
    chunk: pa.Table, avro: AvroFile, source: SourceFile, run_id: str, ingested_at: dt.datetime
) -> pa.Table:
    """The decoded columns plus the table's metadata columns (docs/table.md)."""
    n = chunk.num_rows
    # One value per column, repeated in Arrow (a Python list of n values costs ~0.4 us a row).
    per_file = {
        SOURCE_FILE: pa.repeat(pa.scalar(source.uri, pa.string()), n),
        WRITER_VERSION: pa.repeat(pa.scalar(avro.writer_version, pa.int32()), n),
        WRITER_FINGERPRINT: pa.repeat(pa.scalar(avro.writer_fingerprint, pa.string()), n),
    }
    return _with_run_columns(chunk, per_file, run_id, ingested_at)


def append_metadata(chunk: pa.Table, per_file: dict[str, pa.Array], ctx: WorkerContext) -> pa.Table:
    """`with_metadata` for rows of several files: their source, version and fingerprint
    columns given (`per_file`), the run's added."""
    return _with_run_columns(chunk, per_file, ctx.run_id, ctx.ingested_at)


def _with_run_columns(
    chunk: pa.Table, per_file: dict[str, pa.Array], run_id: str, ingested_at: dt.datetime
) -> pa.Table:
    n = chunk.num_rows
    columns = {
        **per_file,
        INGESTED_AT: pa.repeat(pa.scalar(ingested_at, pa.timestamp("us", tz="UTC")), n),
        RUN_ID: pa.repeat(pa.scalar(run_id, pa.string()), n),
        RESCUED_DATA: pa.nulls(n, pa.string()),
    }
    if RESCUED_DATA in chunk.column_names:  # decoded with rescued data (decode/rescue.py)
        index = chunk.column_names.index(RESCUED_DATA)
        columns[RESCUED_DATA] = chunk.column(index)
        chunk = chunk.remove_column(index)
    for name, column in columns.items():
        chunk = chunk.append_column(name, column)
    return chunk
