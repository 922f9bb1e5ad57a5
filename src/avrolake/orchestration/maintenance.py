"""Table maintenance: compaction, vacuum, log checkpoint and cleanup, with before/after sizes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable

from avrolake.errors import AvrolakeError

log = logging.getLogger(__name__)
# Readers that started before a vacuum may still read files it removes: keep files at
# least as long as the longest read (and any time travel users rely on). Delta's default.
MIN_RETENTION_HOURS = 168


@dataclass(frozen=True)
class TableFiles:
    version: int
    files: int
    bytes: int


def table_files(table: DeltaTable) -> TableFiles:
    actions = pa.table(table.get_add_actions(flatten=True))
    sizes: list[int] = actions.column("size_bytes").to_pylist() if actions.num_rows else []
    return TableFiles(table.version(), len(sizes), int(sum(sizes)))


def maintain(
    uri: str,
    options: dict[str, str],
    retention_hours: int = MIN_RETENTION_HOURS,
    target_file_mb: int = 128,
) -> dict[str, Any]:
    """Compact small files, vacuum files older than the retention, checkpoint the log."""
    if retention_hours < MIN_RETENTION_HOURS:
        raise AvrolakeError(
            f"vacuum retention {retention_hours}h is below {MIN_RETENTION_HOURS}h: files that "
            "running readers still need could be deleted; use a longer retention"
        )
    table = DeltaTable(uri, storage_options=options)
    before = table_files(table)
    metrics = table.optimize.compact(target_size=target_file_mb * 1024 * 1024)
    table.update_incremental()
    removed = table.vacuum(
        retention_hours=retention_hours, dry_run=False, enforce_retention_duration=True
    )
    table.update_incremental()
    table.create_checkpoint()
    table.cleanup_metadata()
    after = table_files(table)
    report = {
        "table": uri,
        "before": before.__dict__,
        "after": after.__dict__,
        "compaction": {k: metrics.get(k) for k in ("numFilesAdded", "numFilesRemoved")},
        "vacuumed_files": len(removed),
    }
    log.info("maintained %s: %s", uri, report)
    return report
