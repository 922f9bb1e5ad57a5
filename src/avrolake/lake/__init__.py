"""The Delta sink: the table handle, Parquet file writer, the one commit, quarantine, queries,
maintenance and migrate. It knows Delta and Parquet, nothing of Avro or Spark.

Its names are imported on first use (avrolake.lazy): a Spark worker writes Parquet with
`avrolake.lake.writer` and never loads delta-rs, which only the driver's commit needs.
"""

from typing import TYPE_CHECKING

from avrolake.lazy import lazy_exports

if TYPE_CHECKING:
    from avrolake.lake.columns import METADATA_FIELDS, file_schema, table_schema, version_key
    from avrolake.lake.commit import APP_ID, commit_run
    from avrolake.lake.ledger import Ledger, LedgerEntry, SourceStatus
    from avrolake.lake.quarantine import QuarantineRow, append_quarantine, read_quarantine
    from avrolake.lake.queries import (
        count_by_version,
        landed_sources,
        rows_by_writer_version,
        source_rows,
    )
    from avrolake.lake.status import table_status
    from avrolake.lake.table import TableRef, query
    from avrolake.lake.writer import FileAdd, PartitionedWriter

__all__ = [
    "APP_ID",
    "METADATA_FIELDS",
    "FileAdd",
    "Ledger",
    "LedgerEntry",
    "PartitionedWriter",
    "QuarantineRow",
    "SourceStatus",
    "TableRef",
    "append_quarantine",
    "commit_run",
    "count_by_version",
    "file_schema",
    "landed_sources",
    "query",
    "read_quarantine",
    "rows_by_writer_version",
    "source_rows",
    "table_schema",
    "table_status",
    "version_key",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "columns": ("METADATA_FIELDS", "file_schema", "table_schema", "version_key"),
        "commit": ("APP_ID", "commit_run"),
        "ledger": ("Ledger", "LedgerEntry", "SourceStatus"),
        "quarantine": ("QuarantineRow", "append_quarantine", "read_quarantine"),
        "queries": ("count_by_version", "landed_sources", "rows_by_writer_version", "source_rows"),
        "status": ("table_status",),
        "table": ("TableRef", "query"),
        "writer": ("FileAdd", "PartitionedWriter"),
    },
)
