"""`avrolake migrate`: rewrite a table once so that it equals a fresh read with a new reader.

Delta (delta-rs) cannot widen or rename a column in place. The rewrite applies a column plan
per writer version (`MigrationPlan`, built above this layer from the registry's schemas:
renames, promotions, defaults, removed columns) to the stored rows of that writer. A value
that cannot be converted exactly stops the migration with `MigrationError`; nothing is
truncated or rounded silently. It streams batch by batch and lands as ONE overwrite commit:
a migration that dies before it changes nothing, and running it again starts over. Old
files stay until `vacuum` runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, QueryBuilder, write_deltalake
from deltalake.exceptions import DeltaError
from deltalake.transaction import CommitProperties

from avrolake.errors import MigrationError
from avrolake.lake.columns import KEPT_KEY, SOURCE_FILE, WRITER_FINGERPRINT, WRITER_VERSION
from avrolake.lake.ntz import ensure_ntz_feature, needs_ntz_feature
from avrolake.lake.record import COMMIT_INFO_KEY, USER_METADATA_KEY, QuarantinedFile, RunRecord
from avrolake.lake.reread import (
    FreshRead,
    Problem,
    fresh_batch,
    refuse,
    stored_counts,
    unconvertible,
    writer_parts,
)
from avrolake.lake.reshape import Fields, ValueProblem, apply
from avrolake.lake.table import TableRef, query, with_reader

log = logging.getLogger(__name__)
__all__ = [
    "KEPT_KEY",
    "FreshRead",
    "Migration",
    "MigrationPlan",
    "migrate_table",
    "stored_schema",
]


@dataclass(frozen=True)
class MigrationPlan:
    """The table after the rewrite (`schema`) and, per writer version found in the table
    (None: unregistered writers), how a stored row becomes a row of it."""

    schema: pa.Schema
    writers: Mapping[int | None, Fields]
    renamed: Mapping[str, str] = field(default_factory=dict)  # new column -> old column
    kept: tuple[str, ...] = ()  # columns the reader lacks, kept with their values
    dropped: tuple[str, ...] = ()  # columns the reader lacks, dropped (asked for)
    filled: tuple[str, ...] = ()  # values some writers never wrote: the reader's defaults
    kept_nested: tuple[str, ...] = ()  # nested fields the reader lacks, kept (paths: r.a, r[].a)
    dropped_nested: tuple[str, ...] = ()  # nested fields the reader lacks, dropped (asked for)
    reader_version: int | None = None  # recorded as the table's reader, in the same commit
    # Applied to the stored rows before the writers' plans: rows of unregistered writers
    # become rows of their now-registered version, filled from `_rescued_data`
    # (ingest/rescued.py); the writers' plans read its output.
    prepare: Callable[[pa.StructArray], pa.StructArray] | None = None
    # Reads a source again with the new reader, for rows whose stored values do not convert
    # (lake/reread.py); None: such rows refuse the migration.
    reread: Callable[[str], FreshRead] | None = None
    # Sources read again whatever their stored values: rows of writers registered since
    # they landed whose fields the table may not hold (ingest/rescued.py).
    read_again: tuple[str, ...] = ()
    # The record the commit carries when sources read again are quarantined (its run id,
    # subject, reader and quarantine table; `quarantined` is filled here).
    run: RunRecord | None = None


@dataclass(frozen=True)
class Migration:
    version_before: int
    version_after: int
    rows: int
    rows_by_writer: dict[int | None, int]
    reread: tuple[str, ...] = ()  # sources read again with the new reader, landed
    quarantined: tuple[FreshRead, ...] = ()  # sources read again that a fresh read quarantines
    run: RunRecord | None = None  # the record the commit carried (with quarantined sources)


def stored_schema(table: DeltaTable) -> pa.Schema:
    """The table's schema as Delta holds it (plain string and binary types)."""
    return pa.schema(table.schema().to_arrow())


def writer_versions(table: DeltaTable) -> list[int | None]:
    """The writer versions whose rows the table holds (None: unregistered writers)."""
    rows = query(table, f'SELECT DISTINCT "{WRITER_VERSION}" AS v FROM t')
    found = {r["v"] for r in rows}
    return sorted(v for v in found if v is not None) + ([None] if None in found else [])


def unregistered_fingerprints(table: DeltaTable) -> set[str]:
    """The writer fingerprints of the rows an unregistered writer landed (version NULL)."""
    rows = query(
        table,
        f'SELECT DISTINCT "{WRITER_FINGERPRINT}" AS fp FROM t WHERE "{WRITER_VERSION}" IS NULL',
    )
    return {r["fp"] for r in rows if r["fp"] is not None}


def migrate_table(ref: TableRef, plan: MigrationPlan) -> Migration:
    """Rewrite the table by `plan` in one overwrite commit; the sources of rows whose stored
    values do not convert are read again (lake/reread.py)."""
    table = ref.require()
    before = table.version()
    stored = stored_schema(table)
    plan = replace(plan, schema=with_reader(plan.schema, plan.reader_version))
    fresh = _read_again(table, stored, plan, ref.uri)
    counts: dict[int | None, int] = {}
    failed: list[MigrationError] = []
    batches = pa.RecordBatchReader.from_batches(
        plan.schema, _rewritten(_scan(table), stored, plan, counts, ref.uri, failed, fresh)
    )
    quarantined = tuple(f for f in fresh.values() if f.rows is None)
    run = _record(plan.run, quarantined)
    partition_by = ref.settings.partition_columns if ref.settings else []
    if needs_ntz_feature(list(plan.schema)):
        ensure_ntz_feature(table)
    try:
        write_deltalake(
            ref.uri, batches, mode="overwrite", schema_mode="overwrite",
            partition_by=partition_by or None, storage_options=ref.storage_options,
            commit_properties=None if run is None else CommitProperties(custom_metadata={
                COMMIT_INFO_KEY: run.to_json(), USER_METADATA_KEY: run.history_line()}),
        )  # fmt: skip
    except DeltaError:
        if failed:  # delta-rs wraps what the batches raised: nothing was committed
            raise failed[0] from None
        raise
    table.update_incremental()
    after = table.version()
    rows = sum(counts.values())
    log.info(
        "migrated %s from version %d to %d: %d rows rewritten (by writer %s), %d source(s) "
        "read again (%d landed, %d quarantined)",
        ref.uri, before, after, rows, counts, len(fresh), len(fresh) - len(quarantined),
        len(quarantined),
    )  # fmt: skip
    landed = tuple(sorted(s for s, f in fresh.items() if f.rows is not None))
    return Migration(before, after, rows, counts, landed, quarantined, run)


def _scan(table: DeltaTable) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_stream(
        QueryBuilder().register("t", table).execute("SELECT * FROM t")
    )


def _stored_rows(batches: pa.RecordBatchReader, stored: pa.Schema,
                 plan: MigrationPlan) -> Iterator[pa.StructArray]:  # fmt: skip
    for batch in batches:
        rows = pa.StructArray.from_arrays(
            [batch.column(f.name).cast(f.type) for f in stored], fields=list(stored)
        )
        yield rows if plan.prepare is None else plan.prepare(rows)


def _read_again(
    table: DeltaTable, stored: pa.Schema, plan: MigrationPlan, uri: str
) -> dict[str, FreshRead]:
    """The sources whose stored rows do not convert, read again with the new reader; refuses
    (MigrationError) where that is not possible."""
    problems: dict[str, Problem] = {
        s: Problem(SOURCE_FILE, None, f"its writer schema was registered after {s} landed, "
                   "and the table may not hold every field it wrote (inside a union, an "
                   "array or a map)")
        for s in plan.read_again
    }  # fmt: skip
    for rows in _stored_rows(_scan(table), stored, plan):
        for source, problem in unconvertible(rows, plan.writers, uri).items():
            problems.setdefault(source, problem)
    sources = sorted(problems)
    if not sources:
        return {}
    if plan.reread is None:
        refuse(uri, problems, "", sources)
    held = stored_counts(table, sources)
    fresh = {s: plan.reread(s) for s in sources}
    lost = [s for s, f in fresh.items() if f.unavailable is not None]
    if lost:
        refuse(uri, problems, f"; its source cannot be read again ({fresh[lost[0]].unavailable})",
               lost)  # fmt: skip
    changed = [s for s, f in fresh.items() if f.rows is not None and f.rows.num_rows != held[s]]
    if changed:
        refuse(uri, problems, "; its source no longer holds the records that landed (run "
               "`avrolake ingest` first: it replaces changed files)", changed)  # fmt: skip
    return fresh


def _record(template: RunRecord | None, quarantined: tuple[FreshRead, ...]) -> RunRecord | None:
    """The commit's run record: the sources a fresh read quarantines (their rows leave)."""
    if template is None or not quarantined:
        return None
    return replace(template, quarantined=tuple(
        QuarantinedFile(q.source, q.kind, q.message[:2000], q.size, q.mtime_ms,
                        q.writer_fingerprint, replaced=True)
        for q in quarantined
    ))  # fmt: skip


def _rewritten(
    batches: pa.RecordBatchReader,
    stored: pa.Schema,
    plan: MigrationPlan,
    counts: dict[int | None, int],
    uri: str,
    failed: list[MigrationError],
    fresh: Mapping[str, FreshRead],
) -> Iterator[pa.RecordBatch]:
    try:
        yield from _rewrite(batches, stored, plan, counts, uri, fresh)
    except MigrationError as exc:
        failed.append(exc)
        raise


def _rewrite(
    batches: pa.RecordBatchReader,
    stored: pa.Schema,
    plan: MigrationPlan,
    counts: dict[int | None, int],
    uri: str,
    fresh: Mapping[str, FreshRead],
) -> Iterator[pa.RecordBatch]:
    again = pa.array(sorted(fresh), pa.string())
    held: dict[str, list[pa.StructArray]] = {}
    for rows in _stored_rows(batches, stored, plan):
        if fresh:
            mask = pc.is_in(rows.field(SOURCE_FILE), again)
            for source in pc.unique(rows.field(SOURCE_FILE).filter(mask)).to_pylist():
                held.setdefault(source, []).append(
                    rows.filter(pc.equal(rows.field(SOURCE_FILE), source))
                )
            rows = rows.filter(pc.invert(pc.fill_null(mask, False)))
        for version, part in writer_parts(rows, plan.writers, uri):
            try:  # the first pass (`_read_again`) found every row that does not convert
                new = apply(plan.writers[version], part)
            except ValueProblem as exc:
                problem = {s: Problem(exc.column, version, exc.why) for s in _sources(part)}
                refuse(uri, problem, "", sorted(problem))
            counts[version] = counts.get(version, 0) + len(part)
            yield pa.RecordBatch.from_arrays(new.flatten(), schema=plan.schema)
    for source, f in sorted(fresh.items()):
        if f.rows is not None:
            rows = pa.concat_arrays(held[source])
            version = rows.field(WRITER_VERSION)[0].as_py()
            batch = fresh_batch(f, rows, plan.writers[version], plan.schema, plan.kept, uri)
            version = batch.column(WRITER_VERSION)[0].as_py() if batch.num_rows else version
            counts[version] = counts.get(version, 0) + batch.num_rows
            yield batch


def _sources(part: pa.StructArray) -> list[str]:
    return [s for s in pc.unique(part.field(SOURCE_FILE).drop_null()).to_pylist()]
