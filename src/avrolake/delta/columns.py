"""The landed table's columns: the reader schema's fields, metadata columns, the partition."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

SOURCE_FILE = "_source_file"
WRITER_VERSION = "_writer_schema_version"
WRITER_FINGERPRINT = "_writer_schema_fingerprint"
INGESTED_AT = "_ingested_at"
RUN_ID = "_run_id"

METADATA_FIELDS = [
    pa.field(SOURCE_FILE, pa.string()),
    pa.field(WRITER_VERSION, pa.int32()),
    pa.field(WRITER_FINGERPRINT, pa.string()),
    pa.field(INGESTED_AT, pa.timestamp("us", tz="UTC")),
    pa.field(RUN_ID, pa.string()),
]


@dataclass(frozen=True)
class Partitioning:
    """Partition by the UTC date of a timestamp field of the reader schema (or not at all)."""

    source_field: str | None = "timestamp"
    column: str = "event_date"

    @property
    def columns(self) -> list[str]:
        return [self.column] if self.source_field else []


def table_schema(data: pa.Schema, partitioning: Partitioning) -> pa.Schema:
    fields = [*data, *METADATA_FIELDS]
    if partitioning.source_field:
        fields.append(pa.field(partitioning.column, pa.date32()))
    return pa.schema(fields)
