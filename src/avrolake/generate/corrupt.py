"""Broken Avro files of the kinds real pipelines meet: cut uploads, junk, damaged blocks."""

from __future__ import annotations

import io
import random
from enum import StrEnum

from fastavro import parse_schema, schemaless_reader

MAGIC = b"Obj\x01"
SYNC_SIZE = 16
HEADER_SCHEMA = parse_schema(
    {
        "type": "record",
        "name": "org.apache.avro.file.Header",
        "fields": [
            {"name": "magic", "type": {"type": "fixed", "name": "Magic", "size": 4}},
            {"name": "meta", "type": {"type": "map", "values": "bytes"}},
            {"name": "sync", "type": {"type": "fixed", "name": "Sync", "size": SYNC_SIZE}},
        ],
    }
)


class CorruptionKind(StrEnum):
    TRUNCATED_BLOCK = "truncated_block"
    GARBAGE_BYTES = "garbage_bytes"
    BAD_SYNC_MARKER = "bad_sync_marker"


def corrupt(valid: bytes, kind: CorruptionKind, rng: random.Random) -> bytes:
    """Damage a valid Avro object container file in the named way."""
    if kind is CorruptionKind.GARBAGE_BYTES:
        junk = rng.randbytes(max(64, len(valid) // 4))
        return junk if not junk.startswith(MAGIC) else b"\x00" + junk
    header_end, sync = _header_sync(valid)
    if kind is CorruptionKind.TRUNCATED_BLOCK:
        return valid[: header_end + (len(valid) - header_end) // 2]
    block_end = valid.find(sync, header_end)
    if block_end < 0:
        raise ValueError("file has no data block to corrupt; write at least one record")
    bad = bytes(b ^ 0xFF for b in sync)
    return valid[:block_end] + bad + valid[block_end + SYNC_SIZE :]


def _header_sync(valid: bytes) -> tuple[int, bytes]:
    """The end of the header and the file's sync marker, read by the spec's header schema."""
    if not valid.startswith(MAGIC):
        raise ValueError("not an Avro object container file")
    stream = io.BytesIO(valid)
    header = schemaless_reader(stream, HEADER_SCHEMA, None)
    assert isinstance(header, dict)
    return stream.tell(), bytes(header["sync"])
