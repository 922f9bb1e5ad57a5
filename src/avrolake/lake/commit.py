"""The run's ONE Delta commit: every landed source's file adds (and, for a source that changed
after it landed, the removes of its old files), the app transaction and the audit record.

Every run that decided anything about a source file commits, even when it only quarantined
files or landed empty ones: the audit record is the truth the source ledger is built from.

Two runs committing at once: deltalake (delta-rs) records app transactions but does not
enforce them, so before each attempt the commit reads the audit records committed since the
run planned, and drops every source another run already decided (landed, quarantined or
found a duplicate). A lost race reloads and tries again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError
from deltalake.transaction import AddAction, CommitProperties, RemoveAction, Transaction

from avrolake.errors import CommitConflictError
from avrolake.lake.table import COMMIT_INFO_KEY, USER_METADATA_KEY, history_line
from avrolake.lake.writer import FileAdd

log = logging.getLogger(__name__)
APP_ID = "avrolake-ingest"
MAX_COMMIT_ATTEMPTS = 5
AuditRecord = Callable[[set[str]], dict[str, Any]]


def decided_since(table: DeltaTable, base_version: int) -> set[str]:
    """Source files the avrolake commits after `base_version` landed, quarantined or skipped
    as duplicates."""
    newer = table.version() - base_version
    if newer <= 0:
        return set()
    decided: set[str] = set()
    for commit in table.history(limit=newer):
        if int(commit.get("version", -1)) > base_version and COMMIT_INFO_KEY in commit:
            meta = json.loads(commit[COMMIT_INFO_KEY])
            decided.update(s["path"] for s in meta.get("source_files", []))
            decided.update(meta.get("quarantined_files", []))
            decided.update(d["path"] for d in meta.get("duplicates", []))
    return decided


def commit_run(
    table: DeltaTable,
    base_version: int,
    decided: Iterable[str],
    adds_by_source: Mapping[str, Sequence[FileAdd]],
    removes_by_source: Mapping[str, Sequence[str]],
    schema: pa.Schema,
    partition_by: list[str],
    audit: AuditRecord,
    without: Callable[[set[str]], Mapping[str, Sequence[FileAdd]]] | None = None,
) -> tuple[int | None, set[str], dict[str, Any] | None]:
    """Commit this run's decisions about `decided` in ONE commit.

    `adds_by_source` holds the Parquet files of landed sources; `removes_by_source` the
    data files (relative paths) a changed source's earlier rows are in. `audit(sources)` gives
    the commit's audit record for the sources kept; `without(sources)` gives the adds with
    those sources' rows taken out of files they share with others (docs/table.md). Returns
    the new table version (None when every decision was taken by another run first), the
    sources dropped for that reason, and the audit record committed.
    """
    pending = set(decided)
    dropped: set[str] = set()
    for attempt in range(1, MAX_COMMIT_ATTEMPTS + 1):
        table.update_incremental()
        taken = decided_since(table, base_version) & pending
        if taken:
            log.warning(
                "%d file(s) were decided by a concurrent run; not committed again", len(taken)
            )
            dropped |= taken
            pending -= taken
            if without is not None:
                adds_by_source = without(dropped)
        if not pending:
            return None, dropped, None
        txn = (table.transaction_version(APP_ID) or 0) + 1
        now_ms = int(time.time() * 1000)
        adds = {a.path: a for s in sorted(pending) for a in adds_by_source.get(s, ())}
        removes = {path for s in pending for path in removes_by_source.get(s, ())}
        actions: list[AddAction | RemoveAction] = [a.action() for a in adds.values()]
        actions += [
            RemoveAction(path=path, data_change=True, deletion_timestamp=now_ms)
            for path in sorted(removes)
        ]
        record = audit(pending)
        properties = CommitProperties(
            custom_metadata={
                COMMIT_INFO_KEY: json.dumps(record),
                USER_METADATA_KEY: history_line(record),
            },
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
            continue
        table.update_incremental()
        if attempt > 1 or dropped:  # issue 18 point 6: a race lost and retried is no error
            log.info(
                "a concurrent run committed first; retried: committed on attempt %d as table "
                "version %d (%d file(s) left to the other run)",
                attempt,
                table.version(),
                len(dropped),
            )
        return table.version(), dropped, record
    raise CommitConflictError(
        f"could not commit after {MAX_COMMIT_ATTEMPTS} attempts: other runs keep committing "
        "to this table at the same moment; run again"
    )
