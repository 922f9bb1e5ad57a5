"""The landed table's columns: the reader schema's fields, metadata columns, the partition.

docs/table.md is the contract: names and types of the metadata columns, the partition column.
"""

from __future__ import annotations

import pyarrow as pa

from avrolake.config import (
    INGESTED_AT,
    RESCUED_DATA,
    RUN_ID,
    SOURCE_FILE,
    WRITER_FINGERPRINT,
    WRITER_VERSION,
)
from avrolake.registry import TableSettings

__all__ = ["INGESTED_AT", "RUN_ID", "SOURCE_FILE", "WRITER_FINGERPRINT", "WRITER_VERSION"]
UNREGISTERED = "unregistered"  # the rows-by-version key of writers the registry lacks
# Column metadata key marking a column the reader no longer has, kept with its values.
KEPT_KEY = "avrolake.kept"
# `_source_file` column metadata: the reader version the rows equal a fresh read with.
READER_KEY = "avrolake.reader_version"

METADATA_FIELDS = [
    pa.field(SOURCE_FILE, pa.string()),
    pa.field(WRITER_VERSION, pa.int32()),
    pa.field(WRITER_FINGERPRINT, pa.string()),
    pa.field(INGESTED_AT, pa.timestamp("us", tz="UTC")),
    pa.field(RUN_ID, pa.string()),
    # An unregistered writer's fields that no registered version has, as JSON; NULL when
    # nothing was rescued (docs/table.md, decode/rescue.py).
    pa.field(RESCUED_DATA, pa.string()),
]


def table_schema(data: pa.Schema, settings: TableSettings) -> pa.Schema:
    """The Delta table's schema: data fields, metadata fields, then the partition column."""
    fields = [*data, *METADATA_FIELDS]
    if settings.partition_field:
        fields.append(pa.field(settings.partition_column, pa.date32()))
    return pa.schema(fields)


def file_schema(schema: pa.Schema, settings: TableSettings) -> pa.Schema:
    """The Parquet files' schema: the table's without the partition column (in folder names)."""
    if not settings.partition_field:
        return schema
    return schema.remove(schema.get_field_index(settings.partition_column))


def version_key(version: int | None) -> str:
    """How a writer version is named in run summaries and status: "3", or "unregistered"."""
    return UNREGISTERED if version is None else str(version)
