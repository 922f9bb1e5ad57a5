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

from avrolake.errors import MigrationError
from avrolake.lake.columns import KEPT_KEY, SOURCE_FILE, WRITER_VERSION
from avrolake.lake.ntz import ensure_ntz_feature, needs_ntz_feature
from avrolake.lake.reshape import Fields, ValueProblem, apply
from avrolake.lake.table import TableRef, query, with_reader

log = logging.getLogger(__name__)
__all__ = ["KEPT_KEY", "Migration", "MigrationPlan", "migrate_table", "stored_schema"]


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
    reader_version: int | None = None  # recorded as the table's reader, in the same commit
    # Applied to the stored rows before the writers' plans: rows of unregistered writers
    # become rows of their now-registered version, filled from `_rescued_data`
    # (ingest/rescued.py); the writers' plans read its output.
    prepare: Callable[[pa.StructArray], pa.StructArray] | None = None


@dataclass(frozen=True)
class Migration:
    version_before: int
    version_after: int
    rows: int
    rows_by_writer: dict[int | None, int]


def stored_schema(table: DeltaTable) -> pa.Schema:
    """The table's schema as Delta holds it (plain string and binary types)."""
    return pa.schema(table.schema().to_arrow())


def writer_versions(table: DeltaTable) -> list[int | None]:
    """The writer versions whose rows the table holds (None: unregistered writers)."""
    rows = query(table, f'SELECT DISTINCT "{WRITER_VERSION}" AS v FROM t')
    found = {r["v"] for r in rows}
    return sorted(v for v in found if v is not None) + ([None] if None in found else [])


def migrate_table(ref: TableRef, plan: MigrationPlan) -> Migration:
    """Rewrite the table by `plan` in one overwrite commit."""
    table = ref.require()
    before = table.version()
    stored = stored_schema(table)
    reader = pa.RecordBatchReader.from_stream(
        QueryBuilder().register("t", table).execute("SELECT * FROM t")
    )
    counts: dict[int | None, int] = {}
    failed: list[MigrationError] = []
    plan = replace(plan, schema=with_reader(plan.schema, plan.reader_version))
    batches = pa.RecordBatchReader.from_batches(
        plan.schema, _rewritten(reader, stored, plan, counts, ref.uri, failed)
    )
    partition_by = ref.settings.partition_columns if ref.settings else []
    if needs_ntz_feature(list(plan.schema)):
        ensure_ntz_feature(table)
    try:
        write_deltalake(
            ref.uri, batches, mode="overwrite", schema_mode="overwrite",
            partition_by=partition_by or None, storage_options=ref.storage_options,
        )  # fmt: skip
    except DeltaError:
        if failed:  # delta-rs wraps what the batches raised: nothing was committed
            raise failed[0] from None
        raise
    table.update_incremental()
    after = table.version()
    rows = sum(counts.values())
    log.info(
        "migrated %s from version %d to %d: %d rows rewritten (by writer %s)",
        ref.uri, before, after, rows, counts,
    )  # fmt: skip
    return Migration(before, after, rows, counts)


def _rewritten(
    batches: pa.RecordBatchReader,
    stored: pa.Schema,
    plan: MigrationPlan,
    counts: dict[int | None, int],
    uri: str,
    failed: list[MigrationError],
) -> Iterator[pa.RecordBatch]:
    try:
        yield from _rewrite(batches, stored, plan, counts, uri)
    except MigrationError as exc:
        failed.append(exc)
        raise


def _rewrite(
    batches: pa.RecordBatchReader,
    stored: pa.Schema,
    plan: MigrationPlan,
    counts: dict[int | None, int],
    uri: str,
) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        rows = pa.StructArray.from_arrays(
            [batch.column(f.name).cast(f.type) for f in stored], fields=list(stored)
        )
        if plan.prepare is not None:
            rows = plan.prepare(rows)
        versions = rows.field(WRITER_VERSION)
        for version in _present(versions):
            chosen = versions.is_null() if version is None else pc.equal(versions, version)
            part = rows.filter(pc.fill_null(chosen, False))
            if version not in plan.writers:
                raise MigrationError(
                    uri, WRITER_VERSION, version, "the plan has no entry for these rows "
                    "(they landed while the migration was planned)", "Run `avrolake migrate` again",
                )  # fmt: skip
            try:
                new = apply(plan.writers[version], part)
            except ValueProblem as exc:
                raise MigrationError(uri, exc.column, version, exc.why, _reland(part)) from exc
            counts[version] = counts.get(version, 0) + len(part)
            yield pa.RecordBatch.from_arrays(new.flatten(), schema=plan.schema)


def _reland(part: pa.StructArray) -> str:
    """What to do when stored rows cannot become the new reader's: land their sources again
    (named, the first five) into a new table with the new reader."""
    sources = sorted(pc.unique(part.field(SOURCE_FILE).drop_null()).to_pylist())
    named = ", ".join(sources[:5]) + (f" and {len(sources) - 5} more" if len(sources) > 5 else "")
    return (
        "Land the sources of these rows again into a new table with the new reader "
        f"(avrolake cannot rebuild values the table does not hold): {named}"
    )


def _present(versions: pa.Array) -> list[int | None]:
    found: list[int | None] = [v for v in pc.unique(versions.drop_null()).to_pylist()]
    return found + ([None] if versions.null_count else [])
