"""After the workers: decide what each outcome becomes, commit once, then the ledger and the
quarantine table, and the summary. Each stage takes data and gives data back.

    decide  -> Decisions (landed, quarantined, copies, deferred; copies' rows taken out)
    record  -> RunRecord (what the commit carries; `replaced` and `late` marked)
    commit  -> the table version (sources a concurrent run decided first taken out)
    publish -> ledger rows and quarantine rows, from the committed record
    summarize -> the run summary's counts, from the committed record
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from avrolake.errors import CommitConflictError
from avrolake.ingest.summary import RunSummary
from avrolake.ingest.worker import Deferred, Landed, Outcome, Quarantined
from avrolake.lake import QuarantineRow, append_quarantine, count_by_version, file_schema
from avrolake.lake.commit import MAX_COMMIT_ATTEMPTS, commit_run
from avrolake.lake.kept import with_table_kept
from avrolake.lake.ledger import MESSAGE_LIMIT, Ledger, LedgerEntry, entries_of
from avrolake.lake.record import DuplicateFile, LandedFile, QuarantinedFile, RunRecord
from avrolake.lake.replace import old_files_of
from avrolake.lake.rewrite import without_sources
from avrolake.lake.writer import FileAdd

if TYPE_CHECKING:
    from avrolake.ingest.job import Target

log = logging.getLogger(__name__)
Adds = dict[str, tuple[FileAdd, ...]]


@dataclass
class Decisions:
    """What each outcome of the run becomes (every source in at most one of them)."""

    landed: dict[str, Landed] = field(default_factory=dict)
    quarantined: dict[str, Quarantined] = field(default_factory=dict)
    copies: dict[str, Landed] = field(default_factory=dict)  # byte copies: not landed
    copy_of: dict[str, str] = field(default_factory=dict)
    deferred: list[str] = field(default_factory=list)
    adds: Adds = field(default_factory=dict)  # data files of the landed sources


def data_file_schema(target: Target) -> pa.Schema:
    """The Parquet files' schema: the table's, with the nested children `migrate` kept
    (NULL in the rows landed now; lake/kept.py)."""
    stored = pa.schema(target.loaded.schema().to_arrow()) if target.loaded is not None else None
    return with_table_kept(file_schema(target.schema, target.settings), stored)


def take_out(target: Target, run_id: str, adds: Adds, drop: set[str]) -> Adds:
    """`adds` without any row of `drop` (files rewritten or deleted; docs/table.md)."""
    if not drop & set(adds):
        return {s: a for s, a in adds.items() if s not in drop}
    return without_sources(
        target.table.location(),
        target.settings,
        data_file_schema(target),
        run_id,
        adds,
        drop & set(adds),
    )


def decide(
    outcomes: list[Outcome],
    orphans: dict[str, tuple[Any, ...]],
    ledger: Ledger,
    replacing: dict[str, LedgerEntry],
    target: Target,
    run_id: str,
) -> Decisions:
    """Sort the outcomes; a landed file byte-identical to a source landed now (or to an
    earlier path of this run) is a copy, and its rows are taken out with the orphans'."""
    d = Decisions()
    d.deferred = [o.source for o in outcomes if isinstance(o, Deferred)]
    d.quarantined = {o.source: o for o in outcomes if isinstance(o, Quarantined)}
    landed = [o for o in outcomes if isinstance(o, Landed)]
    d.copy_of = duplicates(landed, ledger, replacing)
    d.landed = {o.source: o for o in landed if o.source not in d.copy_of}
    d.copies = {o.source: o for o in landed if o.source in d.copy_of}
    adds: Adds = {o.source: tuple(o.adds) for o in landed} | orphans
    d.adds = take_out(target, run_id, adds, set(d.copy_of) | set(orphans))
    return d


def duplicates(
    landed: list[Landed], ledger: Ledger, replacing: dict[str, LedgerEntry]
) -> dict[str, str]:
    """{copy: original} for landed outcomes byte-identical to the content of a source landed
    now, or to an earlier path of this run: the same sync marker and size (the cheap key), and
    the same content digest (so a writer that reuses sync markers loses nothing). A source
    that changed in this run is no original: its recorded content is gone."""
    if not landed:
        return {}
    markers = {o.sync_marker for o in landed if o.sync_marker}
    known = {k: p for k, p in ledger.landed_keys(markers).items() if p not in replacing}
    copies = {}
    for o in sorted(landed, key=lambda o: o.source):
        key = (o.sync_marker, o.size, o.digest)
        original = known.get(key)
        if original is not None and original != o.source:
            copies[o.source] = original
        else:
            known[key] = o.source
    return copies


def record(
    target: Target, run_id: str, d: Decisions, replaced: set[str], late: set[str]
) -> RunRecord:
    """The run record of the decisions (`replaced`: sources that had landed and changed)."""
    return RunRecord(
        run_id=run_id,
        subject=target.subject,
        reader_version=target.reader_version,
        reader_fingerprint=target.reader_fingerprint,
        quarantine_table=target.table.quarantine_uri,
        landed=tuple(
            LandedFile(
                path=o.source,
                records=o.records,
                writer_version=o.writer_version,
                writer_fingerprint=o.writer_fingerprint,
                size=o.size,
                mtime_ms=o.mtime_ms,
                etag=o.etag,
                sync_marker=o.sync_marker,
                digest=o.digest,
                data_files=tuple(a.path for a in d.adds.get(s, ())),
                records_by_path=tuple(o.records_by_path),
                replaced=s in replaced,
                late=s in late,
                rescued=o.rescued,
            )
            for s, o in sorted(d.landed.items())
        ),
        quarantined=tuple(
            QuarantinedFile(
                path=s,
                error_kind=q.kind.value,
                message=q.reason[:MESSAGE_LIMIT],
                size=q.size,
                mtime_ms=q.mtime_ms,
                writer_fingerprint=q.writer_fingerprint,
                replaced=s in replaced,
            )
            for s, q in sorted(d.quarantined.items())
        ),
        duplicates=tuple(
            DuplicateFile(
                path=s,
                copy_of=d.copy_of[s],
                size=o.size,
                mtime_ms=o.mtime_ms,
                sync_marker=o.sync_marker,
                digest=o.digest,
                replaced=s in replaced,
            )
            for s, o in sorted(d.copies.items())
        ),
        deferred=tuple(sorted(d.deferred)),
    )


def commit(
    table: Any,
    base_version: int,
    run: RunRecord,
    d: Decisions,
    replacing: dict[str, LedgerEntry],
    ledger: Ledger,
    target: Target,
) -> tuple[int | None, RunRecord, set[str]]:
    """ONE commit of `run`: its adds, and the removes of the earlier rows of every source
    that changed after it landed, whatever it became. Returns the version (None: nothing
    committed), the record committed and the sources a concurrent run decided first."""
    changed = {s: e for s, e in replacing.items() if s in run.decided()}
    files = {f for e in changed.values() for f in e.data_files}
    removes = old_files_of(table, changed, ledger.holders(files))
    dropped: set[str] = set()
    for _ in range(MAX_COMMIT_ATTEMPTS):
        result = commit_run(
            table,
            base_version,
            run,
            d.adds,
            removes,
            target.schema,
            target.settings.partition_columns,
        )
        if not result.taken:
            return result.version, run, dropped
        dropped |= result.taken
        d.adds = take_out(target, run.run_id or "", d.adds, set(result.taken))
        run = run.without(result.taken)
    raise CommitConflictError(
        f"could not commit after {MAX_COMMIT_ATTEMPTS} attempts: other runs keep deciding "
        "the same files at the same moment; run again"
    )


def publish(
    ledger: Ledger,
    target: Target,
    run: RunRecord,
    version: int,
    d: Decisions,
    started_at: dt.datetime,
) -> None:
    """The ledger rows and the quarantine rows of a committed record."""
    ledger.append(
        entries_of(run, version),
        {"table_version": version, "quarantine_table": run.quarantine_table},
    )
    kept = {q.path for q in run.quarantined}
    rows = [
        QuarantineRow(
            q.source,
            q.size,
            q.kind,
            q.reason,
            q.writer_fingerprint,
            q.writer_schema,
            run.run_id or "",
            started_at,
            target.reader_fingerprint,
        )
        for q in sorted(d.quarantined.values())
        if q.source in kept
    ]
    append_quarantine(target.table, rows)


def summarize(
    summary: RunSummary, run: RunRecord, d: Decisions, dropped: set[str], version: int | None
) -> None:
    """The summary's counts of what the run committed."""
    summary.files_deferred += len(d.deferred)
    summary.deferred += sorted(d.deferred)
    summary.files_skipped += len(dropped)
    summary.files_decided_concurrently = len(dropped)  # the CLI says a concurrent run won
    if version is not None:
        summary.table_version = version
    summary.files_ingested = len(run.landed)
    summary.files_replaced = sum(1 for f in run.landed if f.replaced)
    summary.files_late = sum(1 for f in run.landed if f.late)
    summary.late = sorted(f.path for f in run.landed if f.late)
    summary.records_by_writer_version = count_by_version(
        (f.writer_version, f.records) for f in run.landed
    )
    summary.records_written = sum(summary.records_by_writer_version.values())
    for f in run.landed:
        for path, n in f.records_by_path:
            summary.records_by_decode_path[path] = summary.records_by_decode_path.get(path, 0) + n
    summary.files_duplicate = len(run.duplicates)
    summary.duplicates = [{"path": c.path, "copy_of": c.copy_of or ""} for c in run.duplicates]
    summary.files_quarantined = len(run.quarantined)
    summary.quarantined = [
        {"path": q.path, "error_kind": q.error_kind or ""} for q in run.quarantined
    ]
