"""Repair a table an earlier avrolake left wrong (docs/ledger.md#repairing-a-legacy-table).

Before issue 18, a landed file rewritten into something bad was quarantined (or found a
duplicate) while its old rows stayed in the table. The ledger then says `quarantined` or
`duplicate` for a file the table still holds rows of. `avrolake maintain --repair` removes
those rows in ONE commit whose run record says what each file is (`replaced: true`: this
commit removes its earlier rows), and the ledger gets the same rows again from it. A file
the ledger says is landed is never touched. `reconcile` names such files and asks for it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace

from deltalake import CommitProperties, DeltaTable

from avrolake.lake.columns import SOURCE_FILE
from avrolake.lake.ledger import Ledger, LedgerEntry, SourceStatus
from avrolake.lake.record import (
    COMMIT_INFO_KEY,
    USER_METADATA_KEY,
    DuplicateFile,
    QuarantinedFile,
    RunRecord,
)
from avrolake.lake.table import RECORD_LOOKBACK, TableRef, query

log = logging.getLogger(__name__)
# Ledger states whose file has no rows of its own in the table (docs/ledger.md).
ROWLESS = frozenset({SourceStatus.QUARANTINED, SourceStatus.DUPLICATE})


@dataclass(frozen=True)
class Repair:
    """What `repair_leftover_rows` did: the rows it removed per source file, and the commit
    (None: nothing to remove, nothing committed)."""

    run_id: str
    table_version: int | None = None
    removed: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "table_version": self.table_version,
            "rows_removed": sum(self.removed.values()),
            "removed": dict(sorted(self.removed.items())),
        }


def rows_of(table: DeltaTable, sources: Collection[str]) -> dict[str, int]:
    """{source: rows the table holds of it}, for those of `sources` it holds rows of."""
    if not sources:
        return {}
    rows = query(table, f'SELECT "{SOURCE_FILE}" s, COUNT(*) n FROM t GROUP BY 1')
    return {r["s"]: int(r["n"]) for r in rows if r["s"] in sources}


def leftover_rows(entries: Mapping[str, LedgerEntry], table: DeltaTable) -> dict[str, int]:
    """{source: rows} of the sources whose ledger state is quarantined or a duplicate and
    whose rows the table still holds (left by an earlier avrolake)."""
    return rows_of(table, {p for p, e in entries.items() if e.status in ROWLESS})


def repair_leftover_rows(ref: TableRef, run_id: str) -> Repair:
    """Remove the rows of every quarantined or duplicate source, in one commit recorded as
    the run `run_id` (module docstring). The ledger is synced with the table first."""
    table = ref.require()
    ledger = Ledger(ref)
    ledger.sync(table)
    entries = ledger.current()
    found = leftover_rows(entries, table)
    if not found:
        log.info("repair of %s: no quarantined or duplicate source has rows in it", ref.uri)
        return Repair(run_id)
    stale = [entries[p] for p in sorted(found)]
    subject, reader_version = _last_run(table)
    record = replace(
        repair_record(stale, run_id, ref.quarantine_uri),
        subject=subject,
        reader_version=reader_version,
    )
    listed = ", ".join("'" + p.replace("'", "''") + "'" for p in sorted(found))
    table.delete(
        predicate=f'"{SOURCE_FILE}" IN ({listed})',
        commit_properties=CommitProperties(
            custom_metadata={
                COMMIT_INFO_KEY: record.to_json(),
                USER_METADATA_KEY: f"avrolake repair {run_id}: removed {sum(found.values())} "
                f"rows of {len(found)} quarantined or duplicate source file(s)",
            }
        ),
    )
    version = table.version()
    ledger.append(
        [replace(e, run_id=run_id, table_version=version) for e in stale],
        {"table_version": version, "quarantine_table": ref.quarantine_uri},
    )
    log.warning(
        "repair of %s: removed %d row(s) of %d quarantined or duplicate source file(s) in "
        "table version %d", ref.uri, sum(found.values()), len(found), version,
    )  # fmt: skip
    return Repair(run_id, version, found)


def _last_run(table: DeltaTable) -> tuple[str | None, int | None]:
    """The subject and reader version of the newest run record (the report and `status`
    name the table's subject from the newest record)."""
    for commit in table.history(limit=RECORD_LOOKBACK):
        run = RunRecord.from_commit(commit)
        if run is not None and run.subject:
            return run.subject, run.reader_version
    return None, None


def repair_record(stale: list[LedgerEntry], run_id: str, quarantine_table: str) -> RunRecord:
    """The run record of a repair: each file as the ledger has it, `replaced` (this commit
    removes its earlier rows)."""
    readers = {e.reader_fingerprint for e in stale}
    return RunRecord(
        run_id,
        reader_fingerprint=readers.pop() if len(readers) == 1 else None,
        quarantine_table=quarantine_table,
        quarantined=tuple(
            QuarantinedFile(
                e.path, e.error_kind, e.message, e.size, e.mtime_ms, e.writer_fingerprint, True
            )
            for e in stale
            if e.status is SourceStatus.QUARANTINED
        ),
        duplicates=tuple(
            DuplicateFile(e.path, e.copy_of, e.size, e.mtime_ms, e.sync_marker, e.digest, True)
            for e in stale
            if e.status is SourceStatus.DUPLICATE
        ),
    )
