"""Taking some source files' rows out of Parquet files a run wrote but has not committed.

A task writes the rows of its small source files into shared Parquet files (one per
partition up to the target size). When the driver then decides not to commit some of those
sources (a byte-identical copy of a landed file, a source a concurrent run decided first, a
split file one of whose splits was quarantined), a file that holds only such rows is
deleted, and a file that also holds other sources' rows is written again without them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from avrolake.lake.columns import SOURCE_FILE
from avrolake.lake.writer import FileAdd, PartitionedWriter
from avrolake.registry import TableSettings
from avrolake.storage import Location

log = logging.getLogger(__name__)
Adds = Mapping[str, Sequence[FileAdd]]


def without_sources(
    folder: Location,
    settings: TableSettings,
    schema: pa.Schema,
    run_id: str,
    adds_by_source: Adds,
    drop: set[str],
) -> dict[str, tuple[FileAdd, ...]]:
    """`adds_by_source` for every source not in `drop`, with no row of a dropped source
    left in any of their files (`schema`: the Parquet files' schema)."""
    users: dict[str, set[str]] = {}
    for source, adds in adds_by_source.items():
        for add in adds:
            users.setdefault(add.path, set()).add(source)
    replaced: dict[str, tuple[FileAdd, ...]] = {}
    for source in sorted(drop):
        for add in adds_by_source.get(source, ()):
            if add.path in replaced:
                continue
            keep = users[add.path] - drop
            replaced[add.path] = (
                _rewrite(folder, settings, schema, run_id, add, drop) if keep else ()
            )
            _delete(folder, add.path)
    return {
        source: tuple(new for add in adds for new in replaced.get(add.path, (add,)))
        for source, adds in adds_by_source.items()
        if source not in drop
    }


def _rewrite(
    folder: Location,
    settings: TableSettings,
    schema: pa.Schema,
    run_id: str,
    add: FileAdd,
    drop: set[str],
) -> tuple[FileAdd, ...]:
    table = pq.read_table(folder.child(add.path), filesystem=folder.fs, schema=schema)
    kept = table.filter(pc.invert(pc.is_in(table.column(SOURCE_FILE), pa.array(sorted(drop)))))
    log.info("rewriting %s without the rows of %d source file(s)", add.path, len(drop))
    writer = PartitionedWriter(folder, settings, schema, run_id)
    partition = (
        add.partition_values.get(settings.partition_column) if settings.partition_field else None
    )
    writer.append(partition, kept)
    return tuple(writer.close())


def _delete(folder: Location, path: str) -> None:
    try:
        folder.fs.delete_file(folder.child(path))
    except OSError as exc:
        log.warning("could not delete uncommitted %s (vacuum removes it): %s", path, exc)
