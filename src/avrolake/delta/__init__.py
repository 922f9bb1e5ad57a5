"""The Delta sink (deltalake / delta-rs): table schema, stats, the one commit, quarantine."""

from avrolake.delta.columns import METADATA_FIELDS, Partitioning, table_schema
from avrolake.delta.quarantine import (
    QuarantineRow,
    append_quarantine,
    quarantine_uri,
    quarantined_sources,
    read_quarantine,
)
from avrolake.delta.stats import StatsAccumulator
from avrolake.delta.table import (
    FileAdd,
    SchemaMigrationRequiredError,
    commit_run,
    landed_sources,
    open_table,
)

__all__ = [
    "METADATA_FIELDS",
    "FileAdd",
    "Partitioning",
    "QuarantineRow",
    "SchemaMigrationRequiredError",
    "StatsAccumulator",
    "append_quarantine",
    "commit_run",
    "landed_sources",
    "open_table",
    "quarantine_uri",
    "quarantined_sources",
    "read_quarantine",
    "table_schema",
]
