"""Find the source files a run should look at, and group them into Spark tasks."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from avrolake.ingest.sources import SourceFile
from avrolake.storage import Location

_PARTITION = re.compile(r"(?:^|/)dt=(\d{4}-\d{2}-\d{2})(?:/hour=(\d{1,2}))?(?:/|$)")


@dataclass(frozen=True)
class SourceFilter:
    """Backfill ranges: partition hour from the path, modification time from the store.

    Ranges are half-open, [since, until), like Airflow's data intervals. Files whose path has
    no dt=YYYY-MM-DD[/hour=HH] partition are kept unless a partition range is given.
    """

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    modified_after: dt.datetime | None = None
    modified_before: dt.datetime | None = None
    suffix: str = ".avro"

    def keeps(self, path: str, mtime_ms: int | None) -> bool:
        if self.since or self.until:
            hour = partition_hour(path)
            if hour is None:
                return False
            if (self.since and hour < self.since) or (self.until and hour >= self.until):
                return False
        if mtime_ms is not None and (self.modified_after or self.modified_before):
            mtime = dt.datetime.fromtimestamp(mtime_ms / 1000, tz=dt.UTC)
            if self.modified_after and mtime < self.modified_after:
                return False
            if self.modified_before and mtime >= self.modified_before:
                return False
        return True


def partition_hour(path: str) -> dt.datetime | None:
    """The hour a dt=YYYY-MM-DD[/hour=HH] path holds (hour 0 when only the day is given)."""
    match = _PARTITION.search(path)
    if not match:
        return None
    day = dt.datetime.strptime(match.group(1), "%Y-%m-%d").replace(tzinfo=dt.UTC)
    return day + dt.timedelta(hours=int(match.group(2) or 0))


def discover(source: Location, filt: SourceFilter) -> list[SourceFile]:
    """Every matching file below the source, in path order."""
    files = []
    for info in source.list_files(filt.suffix):
        mtime_ms = int(info.mtime_ns // 1_000_000) if info.mtime_ns is not None else None
        relative = info.path[len(source.path) :].lstrip("/")
        if filt.keeps(relative, mtime_ms):
            files.append(
                SourceFile(source.uri_of(info.path), info.path, int(info.size or 0), mtime_ms)
            )
    return files


def plan_groups(
    files: list[SourceFile], parallelism: int, max_bytes: int
) -> list[list[SourceFile]]:
    """One task per large file; small files packed together up to a target size.

    The target is the smaller of max_bytes and an even share of the input per core, so
    small inputs still spread over every core.
    """
    total = sum(f.size for f in files)
    target = max(1, min(max_bytes, total // max(1, parallelism)))
    groups: list[list[SourceFile]] = []
    current: list[SourceFile] = []
    size = 0
    for f in sorted(files, key=lambda f: f.size, reverse=True):
        if current and size + f.size > target:
            groups.append(current)
            current, size = [], 0
        current.append(f)
        size += f.size
    if current:
        groups.append(current)
    return groups
