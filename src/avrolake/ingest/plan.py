"""Plan a run: find the source files it should look at, and group them into tasks."""

from __future__ import annotations

import datetime as dt
import heapq
import logging
from dataclasses import dataclass, field, replace

from avrolake.config import Backfill
from avrolake.errors import LayoutMismatchError, QuarantineKind
from avrolake.registry.source_layout import Period, SourceLayout, hidden, parse_layout
from avrolake.storage import Listed, Location

log = logging.getLogger(__name__)

HIVE = parse_layout("hive")
# a mismatch error shows this many of the keys found
MISMATCH_EXAMPLES = 5


@dataclass(frozen=True)
class SourceFile:
    """A file discovery found; what a task reads."""

    uri: str  # s3://bucket/key or an absolute local path: the file's identity in the table
    path: str  # the path in its filesystem
    size: int
    mtime_ms: int | None
    problem: QuarantineKind | None = None  # storage.PROBLEMS: quarantined without reading
    # A split of a large file: the bytes [start, end) (end None: to the end of the file);
    # it holds the blocks whose preceding sync marker starts in that range.
    start: int = 0
    end: int | None = None
    part: int = 0
    parts: int = 1
    period: Period | None = None  # the time its path holds, by the source's layout


def splits(f: SourceFile, split_bytes: int) -> list[SourceFile]:
    """A file larger than `split_bytes` as several splits of about that size, read by
    several tasks at sync markers (as Hadoop's and Spark's Avro readers do)."""
    parts = -(-f.size // split_bytes) if split_bytes > 0 else 1
    if parts <= 1:
        return [f]
    bounds = [f.size * i // parts for i in range(parts + 1)]
    return [
        replace(f, start=bounds[i], end=None if i == parts - 1 else bounds[i + 1], part=i,
                parts=parts)
        for i in range(parts)
    ]  # fmt: skip


def partition_hour(path: str) -> dt.datetime | None:
    """The hour a dt=YYYY-MM-DD[/hour=HH] path holds (hour 0 when only the day is given):
    the `hive` layout's time of a path.

    None when the path has no such partition, or an impossible one (dt=2026-02-30, hour=24).
    """
    return HIVE.hour_of(path)


def keeps(backfill: Backfill, path: str, mtime_ms: int | None, layout: SourceLayout = HIVE) -> bool:
    """Whether a file (path relative to the source) is inside the run's ranges.

    Partition ranges use the time the layout reads from the path (an hour, or a whole day
    when the path names only a day: kept when it overlaps the range); a path without one is
    kept unless a partition range is given. Modification-time ranges use the store's mtime.
    """
    return _in_ranges(backfill, layout.period_of(path), mtime_ms)


def _in_ranges(backfill: Backfill, period: Period | None, mtime_ms: int | None) -> bool:
    ranged = backfill.since or backfill.until
    if ranged and (period is None or not period.overlaps(backfill.since, backfill.until)):
        return False
    if mtime_ms is not None and (backfill.modified_after or backfill.modified_before):
        mtime = dt.datetime.fromtimestamp(mtime_ms / 1000, tz=dt.UTC)
        if backfill.modified_after and mtime < backfill.modified_after:
            return False
        if backfill.modified_before and mtime >= backfill.modified_before:
            return False
    return True


@dataclass
class Listing:
    """What a listing of the source found: the files inside the run's ranges, and the
    visible files outside the layout (a name the filter refuses; in a run that selects by
    time, a path without the layout's time). Hidden and in-progress files are in neither."""

    files: list[SourceFile] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


def discover(source: Location, backfill: Backfill, layout: SourceLayout = HIVE) -> list[SourceFile]:
    """Every file below the source inside the run's ranges, in path order."""
    return list_source(source, backfill, layout).files


def list_source(source: Location, backfill: Backfill, layout: SourceLayout = HIVE) -> Listing:
    """List the source once and sort each entry by the layout (docs/cli.md, `--layout`).

    Raises LayoutMismatchError when the prefix holds visible files and none of them matches
    the layout: a wrong layout never passes for an empty run.
    """
    by_time = layout.timed and bool(backfill.since or backfill.until)
    ranges = backfill if by_time else replace(backfill, since=None, until=None)
    listing, visible, matched = Listing(), 0, 0
    shown: list[str] = []  # the first keys found, for a mismatch error
    for info in source.list_files():
        relative = info.path[len(source.path) :].lstrip("/")
        if hidden(relative):
            continue  # hidden or in progress: a source file once renamed
        visible += 1
        if len(shown) < MISMATCH_EXAMPLES:
            shown.append(relative)
        period = layout.period_of(relative)
        named = info.problem is QuarantineKind.UNLISTABLE or layout.wants(relative)
        if not named or (by_time and period is None):
            listing.outside.append(source.uri_of(info.path))
            continue
        matched += 1
        mtime_ms = int(info.mtime_ns // 1_000_000) if info.mtime_ns is not None else None
        if _in_ranges(ranges, period, mtime_ms):
            listing.files.append(_source_file(source, info, mtime_ms, period))
    if visible and not matched:
        raise LayoutMismatchError(source.uri, layout.describe(), shown, visible)
    return listing


def log_outside(outside: list[str], layout: SourceLayout) -> None:
    """Warn about the files a listing left outside the layout: counted, never read."""
    if outside:
        log.warning(
            "%d file(s) under the source do not match the %s and were not read, such as: %s",
            len(outside),
            layout.describe(),
            ", ".join(outside[:5]),
        )


def _source_file(
    source: Location, info: Listed, mtime_ms: int | None, period: Period | None
) -> SourceFile:
    return SourceFile(
        source.uri_of(info.path),
        info.path,
        int(info.size or 0),
        mtime_ms,
        info.problem,
        period=period,
    )


def plan_groups(
    files: list[SourceFile],
    parallelism: int,
    max_bytes: int,
    *,
    split: bool = True,
    min_bytes: int = 0,
) -> list[list[SourceFile]]:
    """Files larger than max_bytes split at sync markers (unless `split` is False); the
    pieces are spread over as few tasks as keep every core busy and every task within
    max_bytes.

    The task count is the larger of `parallelism` and total / max_bytes, where a task gets
    at least `min_bytes` (a small run's cores are not all worth a worker). Pieces go largest
    first to the least loaded task (LPT), so the tasks end together, and a piece that would
    push a task past max_bytes opens a new one. A piece larger than max_bytes (not split) is
    a task of its own. Empty tasks are dropped.
    """
    pieces = [piece for f in files for piece in splits(f, max_bytes if split else 0)]
    if not pieces:
        return []
    total = sum(_size(p) for p in pieces)
    busy = min(parallelism, len(pieces), max(1, total // min_bytes) if min_bytes else parallelism)
    count = max(1, busy, -(-total // max(1, max_bytes)))
    groups: list[list[SourceFile]] = [[] for _ in range(count)]
    loads = [(0, i) for i in range(count)]  # a heap of (bytes, task index)
    for piece in sorted(pieces, key=_size, reverse=True):
        load, i = heapq.heappop(loads)
        if groups[i] and load + _size(piece) > max_bytes:
            heapq.heappush(loads, (load, i))
            load, i = 0, len(groups)
            groups.append([])
        groups[i].append(piece)
        heapq.heappush(loads, (load + _size(piece), i))
    return [group for group in groups if group]


def _size(f: SourceFile) -> int:
    return (f.size if f.end is None else f.end) - f.start
