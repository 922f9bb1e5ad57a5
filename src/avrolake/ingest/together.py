"""Small source files decoded together: one native decode per writer schema, not per file.

A task of many small files (Kafka Connect flushes, hourly producers) paid the native
decoder's fixed cost, the exactness proof's and the resolver's once per file: about as
much as the records themselves (bench/results/worker_cost.md). A whole file of at most
`SMALL_SOURCE_BYTES` whose writer schema decodes natively is read, framed and inflated as
usual (its header checked, its blocks in place, its digest taken), and its blocks wait;
the waiting blocks of one writer schema are decoded as one chunk (`decode_together`, the
same proof as any chunk: docs/decode.md), resolved, given their metadata columns and split
by partition once, and their rows go to the task's shared Parquet files, each part tagged
with the files whose rows it holds.

Whatever goes wrong with a chunk (the native path refuses it, a value the table cannot
hold, a time outside the years 1 to 9999) changes nothing written: each of its files is
then read alone (`ingest_file`), which lands it exactly or quarantines it with the reason
it would have had on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from avrolake.decode import AvroFile, decode_together
from avrolake.decode.avro_file import NATIVE_CHUNK_BYTES, NATIVE_CHUNK_RECORDS
from avrolake.decode.container import Block
from avrolake.ingest.plan import SourceFile
from avrolake.lake import PartitionedWriter
from avrolake.lake.columns import SOURCE_FILE, WRITER_FINGERPRINT, WRITER_VERSION

log = logging.getLogger(__name__)
# A whole source file of at most this many bytes may be decoded with others.
SMALL_SOURCE_BYTES = 1024 * 1024
# The inflated blocks a task holds waiting, over all writer schemas, at most about this much.
WAITING_BYTES = 2 * NATIVE_CHUNK_BYTES
_FILE = "__avrolake_file"  # the file index of each row, while a chunk is split


def small(source: SourceFile) -> bool:
    """Whether a source may wait to be decoded with others: a whole, small file."""
    return source.parts == 1 and source.start == 0 and source.size <= SMALL_SOURCE_BYTES


@dataclass
class Waiting:
    """A small file read and checked up to its records, which wait for its chunk."""

    index: int  # its place in the task's outcomes (and its rows' tag)
    source: SourceFile
    avro: AvroFile
    blocks: list[Block]

    @property
    def records(self) -> int:
        return sum(b.count for b in self.blocks)


# Called with the files of a chunk once their rows are in the shared files (True), or once
# the chunk was given up (False: each is to be read alone).
Finish = Callable[[list[Waiting], bool], None]


@dataclass
class Together:
    """The task's waiting small files, by writer schema text, and their chunks."""

    shared: PartitionedWriter
    metadata: Callable[[pa.Table, dict[str, pa.Array]], pa.Table]
    finish: Finish
    waiting: dict[str, list[Waiting]] = field(default_factory=dict)
    _size: dict[str, tuple[int, int]] = field(default_factory=dict)  # records, bytes

    def add(self, file: Waiting) -> None:
        key = file.avro.writer_schema_json
        self.waiting.setdefault(key, []).append(file)
        records, size = self._size.get(key, (0, 0))
        records += file.records
        size += sum(len(b.data) for b in file.blocks)
        self._size[key] = (records, size)
        if records >= NATIVE_CHUNK_RECORDS or size >= NATIVE_CHUNK_BYTES:
            self.flush(key)
        elif sum(b for _, b in self._size.values()) >= WAITING_BYTES:  # many writer schemas
            self.flush(max(self._size, key=lambda k: self._size[k][1]))

    def flush_all(self) -> None:
        for key in list(self.waiting):
            self.flush(key)

    def flush(self, key: str) -> None:
        files = self.waiting.pop(key)
        self._size.pop(key, None)
        with_rows = [f for f in files if f.records]
        try:
            parts = self._parts(with_rows) if with_rows else []
        except Exception as exc:  # each file is read alone, which says why
            log.info(
                "%d small file(s) of writer schema %s are read one by one: %s: %s",
                len(with_rows),
                with_rows[0].avro.writer_fingerprint,
                type(exc).__name__,
                str(exc)[:300],
            )
            self.finish([f for f in files if not f.records], True)
            self.finish(with_rows, False)
            return
        for partition, rows, tags in parts:
            self.shared.append_tagged(partition, rows, tags)
        self.finish(files, True)

    def _parts(self, files: list[Waiting]) -> list[tuple[str | None, pa.Table, set[str]]]:
        """The chunk's rows with their metadata columns, by partition, with the tags of the
        files each part holds rows of; nothing is written here."""
        table = decode_together([(f.avro, f.blocks) for f in files])
        counts = np.array([f.records for f in files], dtype=np.int64)
        if table.num_rows != int(counts.sum()):
            raise ValueError(f"{table.num_rows} rows decoded from {int(counts.sum())} records")
        index = pa.array(np.repeat(np.arange(len(files), dtype=np.int32), counts))
        per_file = {
            SOURCE_FILE: pa.array([f.source.uri for f in files], pa.string()).take(index),
            WRITER_VERSION: pa.array([f.avro.writer_version for f in files], pa.int32()).take(
                index
            ),
            WRITER_FINGERPRINT: pa.array(
                [f.avro.writer_fingerprint for f in files], pa.string()
            ).take(index),
        }
        rows = self.metadata(table, per_file).append_column(_FILE, index)
        parts = []
        for partition, part in self.shared.split(rows):
            held = np.unique(part.column(_FILE).to_numpy())
            tags = {str(files[int(i)].index) for i in held}
            parts.append((partition, part.drop_columns([_FILE]), tags))
        return parts
