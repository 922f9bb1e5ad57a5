"""The Avro object container framing, read by avrolake itself (docs/fastavro-notes.md).

fastavro accepts framing it should reject: a negative record count skips a block's data, the
bytes a block's records leave over are ignored, and a block is decompressed without a limit.
`Container` reads the header and then every block itself: it checks the counts, sizes and
sync markers, and decompresses each block under a cap (`max_block_bytes`), never holding more
than about the cap of decompressed data. Every problem raises `QuarantineError`; errors of the
underlying stream (OSError) propagate, as storage errors are retried, not quarantined.

The specification: https://avro.apache.org/docs/1.12.0/specification/#object-container-files
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Protocol

import cramjam
from backports import zstd
from isal import isal_zlib

from avrolake.errors import QuarantineError, QuarantineKind

MAGIC = b"Obj\x01"
SYNC_SIZE = 16
CODECS = ("null", "deflate", "bzip2", "xz", "snappy", "zstandard")
_READ_AHEAD = 64 * 1024
# liblzma's memory limit: an xz header may ask for a dictionary of up to 4 GiB.
_XZ_MEMLIMIT = 256 * 1024 * 1024

Data = bytes | bytearray


def encode_long(value: int) -> bytes:
    """Avro's zig-zag varint encoding of a long."""
    n = (value << 1) ^ (value >> 63)
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _mib(size: int) -> str:
    return f"{size / 2**20:g} MiB"


def too_large(what: str, cap: int) -> QuarantineError:
    return QuarantineError(
        QuarantineKind.TOO_LARGE,
        f"{what} more than the block cap of {_mib(cap)} ({cap} bytes); if the file is genuine, "
        "raise the cap with the ingest option --max-block-mb",
    )


class _EndOfData(Exception):
    """The stream ended before a value was whole."""


class _BadLong(Exception):
    """A varint of more than 10 bytes."""


class _Source:
    """The underlying stream, read ahead in chunks (a remote file may not buffer reads)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._buffer = b""
        self._pos = 0
        self.offset = 0  # bytes of the file consumed so far

    def _fill(self, need: int) -> bool:
        """Buffer at least `need` bytes; False if the stream ends first."""
        parts = [self._buffer[self._pos :]]
        have = len(parts[0])
        while have < need:
            chunk = self._stream.read(max(need - have, _READ_AHEAD))
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        self._buffer = b"".join(parts)
        self._pos = 0
        return have >= need

    def read_some(self, size: int) -> bytes:
        """Up to `size` bytes: fewer only where the stream ends."""
        if len(self._buffer) - self._pos < size:
            self._fill(size)
        out = self._buffer[self._pos : self._pos + size]
        self._pos += len(out)
        self.offset += len(out)
        return out

    def at_end(self) -> bool:
        return self._pos >= len(self._buffer) and not self._fill(1)

    def read(self, size: int) -> bytes:
        """Exactly `size` bytes; `_EndOfData` if the stream has fewer."""
        pos = self._pos
        if len(self._buffer) - pos < size:
            if len(self._buffer) == pos and size >= _READ_AHEAD:
                return self._read_direct(size)
            if not self._fill(size):
                self.offset += len(self._buffer) - self._pos
                self._pos = len(self._buffer)
                raise _EndOfData
            pos = 0
        self._pos = pos + size
        self.offset += size
        if pos == 0 and size == len(self._buffer):
            return self._buffer
        return self._buffer[pos : pos + size]

    def _read_direct(self, size: int) -> bytes:
        parts: list[bytes] = []
        have = 0
        while have < size:
            chunk = self._stream.read(size - have)
            if not chunk:
                self.offset += have
                raise _EndOfData
            parts.append(chunk)
            have += len(chunk)
        self.offset += size
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def find(self, marker: bytes, start: int) -> bool:
        """Seek to `start` and on to just after the next `marker`; False if none follows."""
        self._stream.seek(start)
        self._buffer, self._pos, self.offset = b"", 0, start
        keep = len(marker) - 1
        while True:
            at = self._buffer.find(marker, self._pos)
            if at >= 0:
                self.offset += at + len(marker) - self._pos
                self._pos = at + len(marker)
                return True
            tail = max(self._pos, len(self._buffer) - keep)
            self.offset += tail - self._pos
            self._pos = tail
            if not self._fill(len(self._buffer) - tail + 1):
                return False

    def read_long(self) -> int:
        """One zig-zag varint long (at most 10 bytes)."""
        value = shift = 0
        for _ in range(10):
            if self._pos >= len(self._buffer) and not self._fill(1):
                raise _EndOfData
            byte = self._buffer[self._pos]
            self._pos += 1
            self.offset += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return (value >> 1) ^ -(value & 1)
            shift += 7
        raise _BadLong(f"the long ending at byte {self.offset} is longer than 10 bytes")


@dataclass(frozen=True)
class Header:
    """The file header: its metadata (in the file's order) and its sync marker."""

    metadata: dict[str, bytes]
    sync: bytes
    size: int  # bytes, magic and sync marker included

    @property
    def codec(self) -> str:
        raw = self.metadata.get("avro.codec", b"null")
        return raw.decode("utf-8", "backslashreplace")

    def with_null_codec(self, schema: bytes | None = None) -> bytes:
        """This header, encoded again with `avro.codec` "null" (for already decompressed data),
        and with `schema` as its `avro.schema` when given.

        Metadata values are bytes, but fastavro decodes every one as UTF-8 and refuses the
        file if one is not: such values (a writer's own binary metadata) are left out; a
        non-UTF-8 `avro.schema` is kept, for fastavro to refuse.
        """
        entries = []
        for key, value in self.metadata.items():
            if key == "avro.codec":
                value = b"null"
            elif key == "avro.schema" and schema is not None:
                value = schema
            elif key != "avro.schema" and not _is_utf8(value):
                continue
            encoded = key.encode()
            entries += [encode_long(len(encoded)), encoded, encode_long(len(value)), value]
        count = [encode_long(len(entries) // 4)] if entries else []
        return b"".join([MAGIC, *count, *entries, encode_long(0), self.sync])


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class Block:
    number: int  # 1 for the first block of the file
    offset: int  # where its record count starts in the file
    count: int
    data: Data  # decompressed

    @property
    def where(self) -> str:
        return f"block {self.number} (at byte {self.offset})"


def read_header(source: _Source, max_bytes: int) -> Header:
    """The header after the magic; NOT_AVRO, TRUNCATED or TOO_LARGE if it cannot be read."""
    metadata: dict[str, bytes] = {}
    try:
        while True:
            count = source.read_long()
            if count == 0:
                break
            if count < 0:
                count = -count
                source.read_long()  # the byte size of this map block; not needed
            for _ in range(count):
                key = _header_bytes(source, max_bytes)
                value = _header_bytes(source, max_bytes)
                try:
                    metadata[key.decode("utf-8")] = value
                except UnicodeDecodeError as exc:
                    raise QuarantineError(
                        QuarantineKind.NOT_AVRO,
                        f"unreadable Avro header (a metadata key is not UTF-8: {key[:40]!r})",
                    ) from exc
                if source.offset > max_bytes:
                    raise too_large(f"the header holds {source.offset} bytes,", max_bytes)
        sync = source.read(SYNC_SIZE)
    except _EndOfData as exc:
        raise QuarantineError(
            QuarantineKind.TRUNCATED,
            f"the header is cut short (the file ends at byte {source.offset}, inside its header)",
        ) from exc
    except _BadLong as exc:
        raise QuarantineError(QuarantineKind.NOT_AVRO, f"unreadable Avro header ({exc})") from exc
    return Header(metadata, sync, source.offset)


def _header_bytes(source: _Source, max_bytes: int) -> bytes:
    size = source.read_long()
    if size < 0:
        raise QuarantineError(
            QuarantineKind.NOT_AVRO,
            f"unreadable Avro header (a metadata entry has negative length {size} at byte "
            f"{source.offset})",
        )
    if size > max_bytes:
        raise too_large(f"a header metadata entry holds {size} bytes,", max_bytes)
    return source.read(size)


class Container:
    """One object container file: its header, then its blocks, checked and decompressed."""

    def __init__(self, stream: IO[bytes], max_block_bytes: int) -> None:
        self.max_block_bytes = max_block_bytes
        self._source = _Source(stream)
        magic = self._source.read_some(len(MAGIC))
        if not magic:
            raise QuarantineError(
                QuarantineKind.NOT_AVRO,
                "the file is empty (0 bytes): not an Avro object container file (a producer "
                "that failed, or a marker file: remove it, or fix the producer)",
            )
        if magic != MAGIC:
            raise QuarantineError(
                QuarantineKind.NOT_AVRO,
                f"file starts with {magic!r}, not the Avro magic {MAGIC!r}: not an Avro "
                "object container file",
            )
        self.header = read_header(self._source, max_block_bytes)
        self._split = False  # block numbers count from a split's start, not the file's

    def seek_split(self, start: int) -> bool:
        """Move to the first block of a split that begins at byte `start` (Hadoop's rule):
        the block after the first sync marker that starts at or after `start`. False if no
        marker follows `start` (the split holds no block). The stream must be seekable.

        A split that starts inside the header starts at the first block. Sync markers are 16
        random bytes; finding one by chance inside block data is as unlikely as a hash
        collision, and a false one is caught by the block checks that follow.
        """
        if start <= self.header.size - SYNC_SIZE:
            return True
        self._split = True
        return self._source.find(self.header.sync, start)

    def blocks(self, end: int | None = None) -> Iterator[Block]:
        """Every block in file order, or, with `end`, those whose preceding sync marker
        starts before `end` (a split); raises QuarantineError at the first bad one."""
        codec = self.header.codec
        decompress = decompressor(codec, self.max_block_bytes)
        source, sync, cap = self._source, self.header.sync, self.max_block_bytes
        limit = stored_limit(codec, cap)
        number = 0
        while not source.at_end():
            offset = source.offset
            if end is not None and offset - SYNC_SIZE >= end:
                return
            number += 1
            where = f"block {'~' if self._split else ''}{number} (at byte {offset})"
            try:
                count = source.read_long()
                if count < 0:
                    raise QuarantineError(
                        QuarantineKind.CORRUPT_DATA,
                        f"{where}: negative block count {count} (fastavro would skip the "
                        "block's records)",
                    )
                if count > cap:
                    raise QuarantineError(
                        QuarantineKind.CORRUPT_DATA,
                        f"{where}: block count {count} is more records than the block cap of "
                        f"{cap} bytes can hold",
                    )
                size = source.read_long()
                if size < 0:
                    raise QuarantineError(
                        QuarantineKind.CORRUPT_DATA, f"{where}: negative block size {size}"
                    )
                if size > limit:
                    raise too_large(f"{where} stores {size} bytes,", cap)
                raw = source.read(size)
                marker = source.read(SYNC_SIZE)
            except _EndOfData as exc:
                raise QuarantineError(
                    QuarantineKind.TRUNCATED,
                    f"{where}: the file ends at byte {source.offset}, inside the block",
                ) from exc
            except _BadLong as exc:
                raise QuarantineError(QuarantineKind.CORRUPT_DATA, f"{where}: {exc}") from exc
            if marker != sync:
                raise QuarantineError(
                    QuarantineKind.BAD_SYNC_MARKER,
                    f"{where}: the sync marker after the block is {marker.hex()}, not the "
                    f"header's {sync.hex()}",
                )
            yield Block(number, offset, count, decompress(raw, where) if raw else raw)


def stored_limit(codec: str, cap: int) -> int:
    """The most bytes a block may store: the cap, plus what compression can add to it."""
    return cap if codec == "null" else cap + cap // 8 + 4096


Decompress = Callable[[bytes, str], Data]


class _Decompressor(Protocol):
    """What the bz2, lzma and zstd decompressors share."""

    @property
    def eof(self) -> bool: ...
    @property
    def needs_input(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    def decompress(self, data: bytes, /, max_length: int = -1) -> bytes: ...


def _xz() -> _Decompressor:
    return lzma.LZMADecompressor(memlimit=_XZ_MEMLIMIT)


_CONCATENATED: dict[str, Callable[[], _Decompressor]] = {
    "bzip2": bz2.BZ2Decompressor,
    "xz": _xz,
    "zstandard": zstd.ZstdDecompressor,
}


def decompressor(codec: str, cap: int) -> Decompress:
    """The codec's decompression under the cap; CODEC_ERROR for a codec Avro does not define."""
    if codec == "null":
        return lambda raw, where: raw
    if codec == "deflate":
        return lambda raw, where: _guarded(codec, where, lambda: _inflate(raw, where, cap))
    if codec == "snappy":
        return lambda raw, where: _snappy(raw, where, cap)
    if codec in _CONCATENATED:
        make = _CONCATENATED[codec]
        return lambda raw, where: _guarded(
            codec, where, lambda: _concatenated(codec, make, raw, where, cap)
        )
    raise QuarantineError(
        QuarantineKind.CODEC_ERROR,
        f"unknown codec {codec!r} in the header (avrolake reads {', '.join(CODECS)})",
    )


def _guarded(codec: str, where: str, run: Callable[[], bytes]) -> bytes:
    """The codec libraries' own errors as CODEC_ERROR (bz2 raises OSError: not storage here)."""
    try:
        return run()
    except QuarantineError:
        raise
    except Exception as exc:
        raise QuarantineError(
            QuarantineKind.CODEC_ERROR,
            f"{where}: {codec} data cannot be decompressed ({type(exc).__name__}: {exc})",
        ) from exc


def _inflate(raw: bytes, where: str, cap: int) -> bytes:
    """Raw deflate (RFC 1951); bytes after the end of the stream are ignored, as in Avro Java.

    Inflated by ISA-L (python-isal), the same streams as zlib's at about 2.3x its speed
    (bench/results/worker_cost.md); `max_length` bounds the output at cap + 1 bytes."""
    inflater = isal_zlib.decompressobj(-15)
    out = inflater.decompress(raw, cap + 1)
    if len(out) > cap:
        raise too_large(f"{where} decompresses to", cap)
    if not inflater.eof:
        raise _ended_early("deflate", where)
    return out


def _concatenated(
    codec: str, make: Callable[[], _Decompressor], raw: bytes, where: str, cap: int
) -> bytes:
    """bzip2, xz, zstd: every stream in the block (they may be concatenated), at most cap + 1
    bytes of output. After a first stream, bzip2 and xz ignore trailing garbage, as Python's
    own bz2.decompress and lzma.decompress (and so fastavro) do."""
    parts: list[bytes] = []
    have = 0
    data = raw
    while data:
        stream = make()
        try:
            out = stream.decompress(data, cap + 1 - have)
        except Exception:
            if parts and codec != "zstandard":
                break
            raise
        have += len(out)
        parts.append(out)
        if have > cap or not (stream.eof or stream.needs_input):
            raise too_large(f"{where} decompresses to", cap)
        if not stream.eof:
            raise _ended_early(codec, where)
        data = stream.unused_data
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _ended_early(codec: str, where: str) -> QuarantineError:
    return QuarantineError(
        QuarantineKind.CODEC_ERROR,
        f"{where}: the {codec} data ends before its end-of-stream marker",
    )


def _snappy(raw: bytes, where: str, cap: int) -> Data:
    """Avro's snappy: raw snappy, then the big-endian CRC32 of the uncompressed data."""
    if len(raw) < 4:
        raise QuarantineError(
            QuarantineKind.CODEC_ERROR,
            f"{where}: a snappy block of {len(raw)} bytes has no room for its checksum",
        )
    body, crc = raw[:-4], raw[-4:]
    length = shift = 0
    for i in range(5):  # the raw snappy preamble: the uncompressed length, a uvarint32
        if i >= len(body):
            break
        byte = body[i]
        length |= (byte & 0x7F) << shift
        if byte < 0x80:
            break
        shift += 7
    else:
        length = -1
    if length < 0 or not body:
        raise QuarantineError(
            QuarantineKind.CODEC_ERROR, f"{where}: the snappy length preamble is not valid"
        )
    if length > cap:
        raise too_large(f"{where} decompresses to {length} bytes,", cap)
    out = bytearray(length)
    try:
        written = cramjam.snappy.decompress_raw_into(body, out)
    except Exception as exc:  # cramjam.DecompressionError
        raise QuarantineError(
            QuarantineKind.CODEC_ERROR,
            f"{where}: snappy data cannot be decompressed ({type(exc).__name__}: {exc})",
        ) from exc
    if written != length:
        raise QuarantineError(
            QuarantineKind.CODEC_ERROR,
            f"{where}: snappy data decompresses to {written} bytes, not the {length} it declares",
        )
    if zlib.crc32(out).to_bytes(4, "big") != crc:
        raise QuarantineError(
            QuarantineKind.CODEC_ERROR,
            f"{where}: the snappy block's CRC32 {crc.hex()} does not match its data "
            f"({zlib.crc32(out):08x})",
        )
    return out
