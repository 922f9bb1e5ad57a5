"""`avrolake status`: what a landed table holds, its last runs, and its sources by state."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from deltalake import DeltaTable

from avrolake.lake.columns import SOURCE_FILE
from avrolake.lake.ledger import Ledger, LedgerEntry, SourceStatus
from avrolake.lake.queries import rows_by_writer_version, unregistered_writers
from avrolake.lake.record import RunRecord
from avrolake.lake.table import TableRef, query


def last_runs(table: DeltaTable, limit: int) -> list[dict[str, Any]]:
    """The newest avrolake runs, from the run record each run's commit carries."""
    runs: list[dict[str, Any]] = []
    for commit in table.history(limit=50):
        record = RunRecord.from_commit(commit)
        if record is None or len(runs) >= limit:
            continue
        paths: Counter[str] = Counter()
        for f in record.landed:
            paths.update(dict(f.records_by_path))
        runs.append(
            {
                "table_version": commit["version"],
                "run_id": record.run_id,
                "files": len(record.landed),
                "records": sum(f.records for f in record.landed),
                "quarantined": len(record.quarantined),
                "late": sum(1 for f in record.landed if f.late),
                "records_by_decode_path": dict(sorted(paths.items())),
            }
        )
    return runs


def rows_missing(table: DeltaTable, state: Mapping[str, LedgerEntry]) -> list[dict[str, Any]]:
    """Landed sources the table holds fewer rows of than the ledger recorded: someone (a
    Spark DELETE, a GDPR request) deleted them. avrolake never lands them again by itself."""
    rows = query(table, f'SELECT "{SOURCE_FILE}" AS s, COUNT(*) AS n FROM t GROUP BY 1')
    held = {r["s"]: int(r["n"]) for r in rows}
    return [
        {"path": e.path, "ledger_records": e.records, "table_rows": held.get(e.path, 0)}
        for e in sorted(state.values(), key=lambda e: e.path)
        if e.status is SourceStatus.LANDED
        and e.records is not None
        and held.get(e.path, 0) < e.records
    ]


def table_status(ref: TableRef, runs: int = 5) -> dict[str, Any]:
    """`avrolake status`: version, rows by writer version, last runs, and from the source
    ledger: source files by state, the quarantine by kind, and the files quarantined now."""
    table = ref.require()
    by_version = rows_by_writer_version(table)
    ledger = Ledger(ref)
    ledger.sync(table)
    state = ledger.current()
    quarantined = sorted(
        (e for e in state.values() if e.status is SourceStatus.QUARANTINED), key=lambda e: e.path
    )
    return {
        "table": ref.uri,
        "quarantine_table": ref.quarantine_uri,
        "ledger": ref.ledger_uri,
        "table_version": table.version(),
        "rows": sum(by_version.values()),
        "rows_by_writer_version": by_version,
        "last_runs": last_runs(table, runs),
        "source_files": dict(sorted(Counter(e.status.value for e in state.values()).items())),
        "quarantined_by_kind": dict(
            sorted(Counter(e.error_kind or "" for e in quarantined).items())
        ),
        "quarantined_files": [
            {"path": e.path, "error_kind": e.error_kind, "message": e.message, "run_id": e.run_id}
            for e in quarantined
        ],
        "rows_missing": rows_missing(table, state),
        "unregistered_writers": unregistered_writers(table),
    }
