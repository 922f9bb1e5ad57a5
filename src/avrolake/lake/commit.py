"""The run's ONE Delta commit: every landed source's file adds (and, for a source that changed
after it landed, the removes of its old files), the app transaction and the run record
(`avrolake.lake.record.RunRecord`, taken in as data; the result comes back as data).

Every run that decided anything about a source file commits, even when it only quarantined
files or landed empty ones: the run record is the truth the source ledger is built from.

Two runs committing at once: deltalake (delta-rs) records app transactions but does not
enforce them, so before each attempt the commit reads the run records committed since the
run planned, and drops every source another run already decided (landed, quarantined or
found a duplicate). A lost race reloads and tries again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError
from deltalake.transaction import AddAction, CommitProperties, RemoveAction, Transaction

from avrolake.errors import CommitConflictError
from avrolake.lake.record import COMMIT_INFO_KEY, USER_METADATA_KEY, RunRecord
from avrolake.lake.writer import FileAdd

log = logging.getLogger(__name__)
APP_ID = "avrolake-ingest"
MAX_COMMIT_ATTEMPTS = 5


def decided_since(table: DeltaTable, base_version: int) -> set[str]:
    """Source files the avrolake commits after `base_version` landed, quarantined or skipped
    as duplicates."""
    newer = table.version() - base_version
    if newer <= 0:
        return set()
    decided: set[str] = set()
    for commit in table.history(limit=newer):
        record = RunRecord.from_commit(commit)
        if int(commit.get("version", -1)) > base_version and record is not None:
            decided |= record.decided()
    return decided


@dataclass(frozen=True)
class CommitResult:
    """What `commit_run` did: committed `version`, or nothing (`version` None).

    `taken`: sources of the record another run decided first. Nothing was committed then;
    the caller takes them out of the record and of its data files and commits again.
    """

    version: int | None
    taken: frozenset[str] = frozenset()


def commit_run(
    table: DeltaTable,
    base_version: int,
    record: RunRecord,
    adds_by_source: Mapping[str, Sequence[FileAdd]],
    removes_by_source: Mapping[str, Sequence[str]],
    schema: pa.Schema,
    partition_by: list[str],
) -> CommitResult:
    """Commit `record`'s decisions in ONE commit: data in, data out.

    `adds_by_source` holds the Parquet files of the record's landed sources;
    `removes_by_source` the data files (relative paths) that hold the earlier rows of
    sources that changed after they landed, whatever they became (landed, quarantined, a
    duplicate). A lost race reloads and tries again; a source another run decided since
    `base_version` stops the attempt and comes back in `taken`.
    """
    pending = record.decided()
    if not pending:
        return CommitResult(None)
    for attempt in range(1, MAX_COMMIT_ATTEMPTS + 1):
        table.update_incremental()
        taken = decided_since(table, base_version) & pending
        if taken:
            log.warning(
                "%d file(s) were decided by a concurrent run; not committed again", len(taken)
            )
            return CommitResult(None, frozenset(taken))
        txn = (table.transaction_version(APP_ID) or 0) + 1
        now_ms = int(time.time() * 1000)
        adds = {a.path: a for s in sorted(pending) for a in adds_by_source.get(s, ())}
        removes = {path for s in pending for path in removes_by_source.get(s, ())}
        actions: list[AddAction | RemoveAction] = [a.action() for a in adds.values()]
        actions += [
            RemoveAction(path=path, data_change=True, deletion_timestamp=now_ms)
            for path in sorted(removes)
        ]
        properties = CommitProperties(
            custom_metadata={
                COMMIT_INFO_KEY: record.to_json(),
                USER_METADATA_KEY: record.history_line(),
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
        if attempt > 1:  # issue 18 point 6: a race lost and retried is no error
            log.info(
                "a concurrent run committed first; retried: committed on attempt %d as table "
                "version %d",
                attempt,
                table.version(),
            )
        return CommitResult(table.version())
    raise CommitConflictError(
        f"could not commit after {MAX_COMMIT_ATTEMPTS} attempts: other runs keep committing "
        "to this table at the same moment; run again"
    )
