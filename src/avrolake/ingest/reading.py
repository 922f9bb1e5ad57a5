"""Reading one source file in a task: its bytes hashed as they are read (copy detection),
its ETag, and what became of a file that changed or went away since the listing."""

from __future__ import annotations

import hashlib

import pyarrow as pa
from pyarrow import fs as pafs

from avrolake.ingest.plan import SourceFile


class Digesting:
    """A read-only stream that hashes the bytes of [start, end) read through it, so a copy
    can be told from a file that merely shares its sync marker and size.

    The container reads the header from byte 0, then (a split) seeks once to `start` and
    reads forward; bytes are hashed once each, in order, from `start`. `drain()` reads what
    of the range is left unread (a file's last bytes after a corrupt-free end are always
    read; a split may stop before its `end`)."""

    def __init__(self, stream: pa.NativeFile, start: int = 0, end: int | None = None) -> None:
        self._stream = stream
        self._hash = hashlib.blake2b(digest_size=16)
        self._pos = 0
        self._done = start  # bytes before this are hashed (or not the range's)
        self._end = end

    def seek(self, offset: int) -> int:
        self._stream.seek(offset)
        self._pos = offset
        return offset

    def read(self, size: int = -1) -> bytes:
        data = bytes(self._stream.read(size))
        top = self._pos + len(data)
        high = top if self._end is None else min(top, self._end)
        if self._pos <= self._done < high:
            self._hash.update(data[self._done - self._pos : high - self._pos])
            self._done = high
        self._pos = top
        return data

    def drain(self) -> None:
        if self._pos < self._done:
            self.seek(self._done)
        while (self._end is None or self._pos < self._end) and self.read(1 << 20):
            pass

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def mtime_of(info: pafs.FileInfo) -> int | None:
    return int(info.mtime_ns // 1_000_000) if info.mtime_ns is not None else None


def changed(fs: pafs.FileSystem, source: SourceFile) -> bool:
    """Whether the file differs now from what the listing saw (size or modification time)."""
    try:
        now = fs.get_file_info(source.path)
    except OSError:
        return False
    if now.type != pafs.FileType.File:
        return True
    return now.size != source.size or (
        source.mtime_ms is not None and mtime_of(now) != source.mtime_ms
    )


def etag_of(stream: pa.NativeFile) -> str | None:
    """The object's ETag, where the store gives one (S3); None for local files."""
    try:
        meta = stream.metadata()
    except (OSError, NotImplementedError):
        return None
    value = meta.get(b"ETag") or meta.get("ETag") if meta else None
    return (
        (value.decode() if isinstance(value, bytes) else str(value)).strip('"') if value else None
    )
