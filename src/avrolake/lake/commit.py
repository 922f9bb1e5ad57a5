"""The run's ONE Delta commit: every landed source's file adds, the app transaction, the audit.

deltalake (delta-rs) records app transactions but does not enforce them, so the commit
checks `transaction_version` itself, and two runs committing at once conflict on the same
app id: the loser reloads, drops the files the winner landed, and tries again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError
from deltalake.transaction import AddAction, CommitProperties, RemoveAction, Transaction

from avrolake.errors import CommitConflictError
from avrolake.lake.queries import landed_sources
from avrolake.lake.table import COMMIT_INFO_KEY
from avrolake.lake.writer import FileAdd

log = logging.getLogger(__name__)
APP_ID = "avrolake-ingest"
MAX_COMMIT_ATTEMPTS = 5
AuditRecord = Callable[[list[str]], dict[str, Any]]


def commit_run(
    table: DeltaTable,
    adds_by_source: Mapping[str, Sequence[FileAdd]],
    schema: pa.Schema,
    partition_by: list[str],
    audit: AuditRecord,
) -> tuple[int | None, list[str]]:
    """Commit the adds of every source file not landed meanwhile, in ONE commit.

    `audit(sources)` gives the commit-info record for the sources committed. Returns the new
    table version (None when nothing was left to commit) and the source files dropped
    because another run landed them first.
    """
    pending = {source: list(adds) for source, adds in adds_by_source.items()}
    dropped: list[str] = []
    for attempt in range(1, MAX_COMMIT_ATTEMPTS + 1):
        for source in landed_sources(table, list(pending)):
            dropped.append(source)
            pending.pop(source)
        if not any(pending.values()):
            return None, dropped
        txn = (table.transaction_version(APP_ID) or 0) + 1
        actions: list[AddAction | RemoveAction] = [
            a.action() for adds in pending.values() for a in adds
        ]
        properties = CommitProperties(
            custom_metadata={COMMIT_INFO_KEY: json.dumps(audit(sorted(pending)))},
            app_transactions=[Transaction(APP_ID, txn)],
        )
        try:
            table.create_write_transaction(
                actions,
                "append",
                schema,
                partition_by=partition_by or None,
                commit_properties=properties,
            )
        except CommitFailedError as exc:
            log.warning("commit attempt %d lost a race (%s); reloading", attempt, exc)
            table.update_incremental()
            continue
        table.update_incremental()
        return table.version(), dropped
    raise CommitConflictError(
        f"could not commit after {MAX_COMMIT_ATTEMPTS} attempts: other runs keep committing "
        "to this table at the same moment; run again"
    )
