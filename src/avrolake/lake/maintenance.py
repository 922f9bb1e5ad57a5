"""Table maintenance: compaction, vacuum, log checkpoint and cleanup, with before/after sizes."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable

from avrolake.config import DEFAULT_TARGET_FILE_MB, MIN_RETENTION_HOURS
from avrolake.errors import ConfigError
from avrolake.lake.table import TableRef

log = logging.getLogger(__name__)


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
    ref: TableRef,
    retention_hours: int = MIN_RETENTION_HOURS,
    target_file_mb: int = DEFAULT_TARGET_FILE_MB,
    sort_by: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Compact small files, vacuum files older than the retention, checkpoint the log.

    `sort_by`: compact by Z-order on these columns instead (the source ledger, by `path`: an
    interval run's ledger read then opens the one sorted file's matching row groups and the
    appends made since, docs/ledger.md).

    Readers that started before a vacuum may still read files it removes: files are kept at
    least MIN_RETENTION_HOURS (Delta's default), and a shorter retention is refused.
    A table that does not exist yet (e.g. a quarantine table nothing was ever put in) is
    reported as such, not an error.
    """
    if retention_hours < MIN_RETENTION_HOURS:
        raise ConfigError(
            f"vacuum retention {retention_hours}h is below {MIN_RETENTION_HOURS}h: files that "
            "running readers still need could be deleted; use a longer retention"
        )
    table = ref.load()
    if table is None:
        log.info("no Delta table at %s yet: nothing to maintain", ref.uri)
        return {"table": ref.uri, "exists": False}
    before = table_files(table)
    target = target_file_mb * 1024 * 1024
    metrics = (
        table.optimize.z_order(list(sort_by), target_size=target)
        if sort_by
        else table.optimize.compact(target_size=target)
    )
    table.update_incremental()
    removed = table.vacuum(
        retention_hours=retention_hours, dry_run=False, enforce_retention_duration=True
    )
    table.update_incremental()
    table.create_checkpoint()
    table.cleanup_metadata()
    after = table_files(table)
    report = {
        "table": ref.uri,
        "exists": True,
        "before": asdict(before),
        "after": asdict(after),
        "compaction": {k: metrics.get(k) for k in ("numFilesAdded", "numFilesRemoved")},
        "vacuumed_files": len(removed),
    }
    log.info("maintained %s: %s", ref.uri, report)
    return report
