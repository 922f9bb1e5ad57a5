"""What a run does with each listed file, decided from the ledger (docs/ledger.md), and which
partitions it lists (its interval, the lookback window for late files, or all: the sweep)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from avrolake.config import Backfill, SweepMode
from avrolake.errors import QuarantineKind
from avrolake.ingest.plan import HIVE, SourceFile
from avrolake.lake.ledger import Ledger, LedgerEntry, LedgerState, SourceStatus
from avrolake.lake.sweep_mark import sweep_mark
from avrolake.registry import SourceLayout
from avrolake.storage import Location

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    """The partitions a run lists: its own interval [since, until), plus `lookback` before
    it for late files; a sweep lists everything (`mode` full), or only the keys after the
    ledger's mark (`mode` new: `listed_from`); an interval run of a layout with no time in
    the path lists everything too (the ledger tells what is new). Files whose path's period
    ended before `since` (for a sweep: whose period and lookback had passed when the run
    started) are late."""

    backfill: Backfill
    lookback: dt.timedelta
    sweep: bool = False
    mode: SweepMode = "full"
    layout: SourceLayout = HIVE

    @property
    def reads_whole_ledger(self) -> bool:
        """A full sweep reads the whole ledger; every other run the rows of what it listed."""
        return self.sweep and self.mode == "full"

    def listed_from(self, source: Location, ledger: Ledger) -> tuple[Location, str | None]:
        """Where discovery lists, and the mark: for a `new` sweep, the source after the
        greatest path the ledger holds (docs/ledger.md#the-sweep); else the source."""
        if not self.sweep or self.mode != "new":
            return source, None
        mark = sweep_mark(ledger, source.uri_of(source.path))
        log.info("sweep (new): listing the paths after %s", mark or "(none: the whole source)")
        if mark is None:
            return source, None
        return replace(source, after=mark.removeprefix("s3://") if source.is_s3 else mark), mark

    def listing(self) -> Backfill:
        """The ranges discovery lists."""
        if self.sweep or not self.layout.timed:
            return replace(self.backfill, since=None, until=None)
        if self.backfill.since is None:
            return self.backfill
        return replace(self.backfill, since=self.backfill.since - self.lookback)

    def late(self, f: SourceFile, started_at: dt.datetime) -> bool:
        """Whether a file (by the period its path holds) is late for this run."""
        if f.period is None:
            return False
        if self.sweep:
            return f.period.end + self.lookback <= started_at
        return self.backfill.since is not None and f.period.end <= self.backfill.since


@dataclass
class Work:
    """What a run does with the files it listed (every one lands in exactly one list)."""

    todo: list[SourceFile] = field(default_factory=list)
    replacing: dict[str, LedgerEntry] = field(default_factory=dict)  # changed after landing
    unreadable: list[SourceFile] = field(default_factory=list)  # bad_name, dangling_link
    deferred: list[SourceFile] = field(default_factory=list)  # younger than the settle time
    copies: list[tuple[SourceFile, LedgerEntry]] = field(default_factory=list)  # skipped
    skipped: int = 0


def plan_work(
    files: list[SourceFile],
    state: LedgerState,
    reader_fingerprint: str,
    started_at: dt.datetime,
    settle_seconds: float,
) -> Work:
    """Decide, from the ledger, what each listed file needs (docs/ledger.md):

    new -> read; landed and unchanged -> skip; landed but changed (size or mtime) -> read and
    replace its rows; quarantined -> skip, unless it changed, was released by `avrolake
    quarantine retry`, or was quarantined for a reason the reader schema decides
    (`READER_KINDS`: incompatible_schema, corrupt_data, conversion_error,
    event_time_out_of_range) under a reader schema that has changed since; a duplicate ->
    skip unless it changed (or its original's content did: `requeue_copies`). A file to
    read that was modified less than `settle_seconds` before the run is deferred to a later
    run.
    """
    work = Work()
    settled_ms = (started_at.timestamp() - settle_seconds) * 1000
    for f in files:
        if not f.problem and state.settled(f.uri, f.size, f.mtime_ms):
            work.skipped += 1  # landed and unchanged: the common case, without an entry
            if state.is_duplicate(f.uri):
                work.copies.append((f, state[f.uri]))
            continue
        entry = state.get(f.uri)
        if f.problem:
            if entry and entry.status is SourceStatus.QUARANTINED and entry.error_kind == f.problem:
                work.skipped += 1
            else:
                work.unreadable.append(f)
            continue
        if not _needed(f, entry, reader_fingerprint):
            work.skipped += 1
            continue
        if entry is not None and entry.status is SourceStatus.LANDED:
            work.replacing[f.uri] = entry
        _read_or_defer(work, f, settle_seconds, settled_ms)
    return work


# Quarantine kinds that the reader schema decides, not the file alone: a file quarantined so
# is read again once the reader schema changes (another reader may read it: a field whose
# type could not hold a value was removed, bytes no longer read as a string, ...).
READER_KINDS = frozenset(
    k.value
    for k in (
        QuarantineKind.INCOMPATIBLE_SCHEMA,
        QuarantineKind.CORRUPT_DATA,
        QuarantineKind.CONVERSION_ERROR,
        QuarantineKind.EVENT_TIME_OUT_OF_RANGE,
    )
)


def _needed(f: SourceFile, entry: LedgerEntry | None, reader_fingerprint: str) -> bool:
    if entry is None or entry.status is SourceStatus.RELEASED:
        return True
    if entry.changed(f.size, f.mtime_ms):
        return True
    if entry.status is SourceStatus.QUARANTINED:
        return entry.error_kind == QuarantineKind.DANGLING_LINK.value or (
            entry.error_kind in READER_KINDS and entry.reader_fingerprint != reader_fingerprint
        )
    return False


def _read_or_defer(work: Work, f: SourceFile, settle_seconds: float, settled_ms: float) -> None:
    if settle_seconds > 0 and f.mtime_ms is not None and f.mtime_ms > settled_ms:
        work.replacing.pop(f.uri, None)  # still landed until it is read
        work.deferred.append(f)
    else:
        work.todo.append(f)


def requeue_copies(
    work: Work,
    originals: Mapping[str, LedgerEntry],
    started_at: dt.datetime,
    settle_seconds: float,
) -> int:
    """Read again the duplicates whose original no longer holds their content: the
    original changed (in this run, or since: its landed entry has another sync marker, size
    or digest), was quarantined or became a duplicate itself. Such a copy becomes its own
    source and lands. A copy whose original was deleted at source stays a duplicate: the
    content's rows are still in the table. Returns how many were requeued."""
    settled_ms = (started_at.timestamp() - settle_seconds) * 1000
    changing = {f.uri for f in work.todo}
    waiting = {f.uri for f in work.deferred}
    requeued = 0
    for f, entry in work.copies:
        original = originals.get(entry.copy_of or "")
        if original is not None and original.path in waiting:
            work.skipped -= 1  # its original is still being written: decide with it
            work.deferred.append(f)
            continue
        holds = (
            original is not None
            and original.path not in changing
            and original.status is SourceStatus.LANDED
            and (original.sync_marker, original.size, original.digest)
            == (entry.sync_marker, entry.size, entry.digest)
        )
        if not holds:
            work.skipped -= 1
            requeued += 1
            _read_or_defer(work, f, settle_seconds, settled_ms)
    work.copies = []
    return requeued
