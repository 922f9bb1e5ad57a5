"""The Delta sink: the table handle, Parquet file writer, the one commit, quarantine, queries,
maintenance and migrate. It knows Delta and Parquet, nothing of Avro or Spark."""

from avrolake.lake.columns import METADATA_FIELDS, file_schema, table_schema, version_key
from avrolake.lake.commit import APP_ID, commit_run
from avrolake.lake.quarantine import (
    QuarantineRow,
    append_quarantine,
    quarantined_sources,
    read_quarantine,
)
from avrolake.lake.queries import (
    count_by_version,
    landed_sources,
    rows_by_writer_version,
    source_rows,
    table_status,
)
from avrolake.lake.table import TableRef, query
from avrolake.lake.writer import FileAdd, PartitionedWriter

__all__ = [
    "APP_ID",
    "METADATA_FIELDS",
    "FileAdd",
    "PartitionedWriter",
    "QuarantineRow",
    "TableRef",
    "append_quarantine",
    "commit_run",
    "count_by_version",
    "file_schema",
    "landed_sources",
    "quarantined_sources",
    "query",
    "read_quarantine",
    "rows_by_writer_version",
    "source_rows",
    "table_schema",
    "table_status",
    "version_key",
]
