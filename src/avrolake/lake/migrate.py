"""`avrolake migrate`: rewrite a table once when the reader schema changes a column's type.

Delta (delta-rs) cannot widen a column in place, and casting new values into an old type
silently would lose data, so the ingest stops and asks for this explicit rewrite. Values
are cast safely (an overflow fails the migration; nothing is truncated). Streams batch by
batch. Old files stay on storage until `vacuum` runs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pyarrow as pa
from deltalake import QueryBuilder, write_deltalake

from avrolake.lake.table import TableRef

log = logging.getLogger(__name__)


def migrate_table(ref: TableRef, schema: pa.Schema) -> int:
    """Rewrite the table with `schema` (new columns as NULL); returns the new version."""
    table = ref.require()
    before = table.version()
    reader = pa.RecordBatchReader.from_stream(
        QueryBuilder().register("t", table).execute("SELECT * FROM t")
    )
    batches = pa.RecordBatchReader.from_batches(schema, _cast_batches(reader, schema))
    partition_by = ref.settings.partition_columns if ref.settings else []
    write_deltalake(
        ref.uri, batches, mode="overwrite", schema_mode="overwrite",
        partition_by=partition_by or None, storage_options=ref.storage_options,
    )  # fmt: skip
    table.update_incremental()
    after = table.version()
    log.info("migrated %s from version %d to %d with schema %s", ref.uri, before, after, schema)
    return after


def _cast_batches(batches: pa.RecordBatchReader, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        columns = []
        for field in schema:
            if field.name in batch.schema.names:
                columns.append(batch.column(field.name).cast(field.type, safe=True))
            else:
                columns.append(pa.nulls(batch.num_rows, field.type))
        yield pa.RecordBatch.from_arrays(columns, schema=schema)
