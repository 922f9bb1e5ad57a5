"""`avrolake migrate`: rewrite a table once when the reader schema changes its columns.

Delta (delta-rs) cannot widen or rename a column in place, and casting new values into an old
type silently would lose data, so the ingest stops and asks for this explicit rewrite:
- a field renamed through aliases reads its old column (every old value keeps its place);
- values are cast safely to the reader's types (an overflow fails the migration; nothing is
  truncated); a reader field with no old column is NULL for old rows.
It streams batch by batch and lands as ONE overwrite commit: a migration that dies before it
changes nothing, and running it again starts over. Old files stay until `vacuum` runs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
from deltalake import QueryBuilder, write_deltalake

from avrolake.lake.table import TableRef, renamed_columns

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version_before: int
    version_after: int
    rows: int
    renamed: dict[str, str]  # new column -> the old column it was read from


def migrate_table(
    ref: TableRef, schema: pa.Schema, renames: Mapping[str, Sequence[str]] | None = None
) -> Migration:
    """Rewrite the table with `schema`, reading renamed fields from their old columns."""
    table = ref.require()
    before = table.version()
    current = pa.schema(table.schema().to_arrow())
    sources = renamed_columns(current.names, schema, renames or {})
    reader = pa.RecordBatchReader.from_stream(
        QueryBuilder().register("t", table).execute("SELECT * FROM t")
    )
    counter = _Counter()
    batches = pa.RecordBatchReader.from_batches(
        schema, counter.count(_cast_batches(reader, schema, sources))
    )
    partition_by = ref.settings.partition_columns if ref.settings else []
    write_deltalake(
        ref.uri, batches, mode="overwrite", schema_mode="overwrite",
        partition_by=partition_by or None, storage_options=ref.storage_options,
    )  # fmt: skip
    table.update_incremental()
    after = table.version()
    log.info(
        "migrated %s from version %d to %d: %d rows rewritten, renamed %s",
        ref.uri, before, after, counter.rows, sources or "nothing",
    )  # fmt: skip
    return Migration(before, after, counter.rows, sources)


class _Counter:
    def __init__(self) -> None:
        self.rows = 0

    def count(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            self.rows += batch.num_rows
            yield batch


def _cast_batches(
    batches: pa.RecordBatchReader, schema: pa.Schema, sources: Mapping[str, str]
) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        columns = []
        for field in schema:
            name = field.name if field.name in batch.schema.names else sources.get(field.name)
            if name is not None:
                columns.append(batch.column(name).cast(field.type, safe=True))
            else:
                columns.append(pa.nulls(batch.num_rows, field.type))
        yield pa.RecordBatch.from_arrays(columns, schema=schema)
