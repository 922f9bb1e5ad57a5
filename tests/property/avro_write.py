"""A small Avro binary writer that takes the union branch from the data, not from the value.

fastavro picks a union branch by the Python value (an int goes to the first of `int` and
`long` it fits), so it cannot write, say, 5 in the `long` branch of `["int", "long"]`. Here a
union value is `Branch(index, value)`, and the container is written around canonical blocks
(one array/map block per value, minimal varints). Avro Java reads every file back as the
oracle, so a file this writer got wrong would show up as a disagreement there first.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Branch:
    index: int
    value: Any


def varint(n: int) -> bytes:
    n = (n << 1) ^ (n >> 63)  # zigzag, 64-bit
    n &= (1 << 64) - 1
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def unscaled(value: Decimal, scale: int) -> int:
    return int(value.scaleb(scale))


def two_complement(n: int, size: int | None = None) -> bytes:
    length = size or max(1, (n.bit_length() + 8) // 8)
    return n.to_bytes(length, "big", signed=True)


class Encoder:
    """Encodes values of one writer schema document (named types resolved by full name)."""

    def __init__(self, doc: Any) -> None:
        self.names: dict[str, Any] = {}
        self._collect(doc)

    def _collect(self, doc: Any) -> None:
        if isinstance(doc, list):
            for branch in doc:
                self._collect(branch)
        elif isinstance(doc, dict):
            if doc["type"] in ("record", "enum", "fixed"):
                self.names[doc["name"]] = doc
            for field in doc.get("fields", []):
                self._collect(field["type"])
            for key in ("items", "values"):
                if key in doc:
                    self._collect(doc[key])

    def encode(self, doc: Any, value: Any, out: bytearray) -> None:  # noqa: C901 - one switch
        if isinstance(doc, str) and doc in self.names:
            doc = self.names[doc]
        if isinstance(doc, list):
            assert isinstance(value, Branch), f"a union value must be a Branch: {value!r}"
            out += varint(value.index)
            self.encode(doc[value.index], value.value, out)
            return
        kind = doc if isinstance(doc, str) else doc["type"]
        logical = doc.get("logicalType") if isinstance(doc, dict) else None
        if kind == "null":
            return
        if kind == "boolean":
            out.append(1 if value else 0)
        elif kind in ("int", "long"):
            out += varint(value)
        elif kind == "float":
            out += struct.pack("<f", value) if not isinstance(value, bytes) else value
        elif kind == "double":
            out += struct.pack("<d", value) if not isinstance(value, bytes) else value
        elif kind == "string":
            data = value.encode("utf-8")
            out += varint(len(data)) + data
        elif kind == "bytes":
            data = two_complement(unscaled(value, doc["scale"])) if logical == "decimal" else value
            out += varint(len(data)) + data
        elif kind == "fixed":
            if logical == "decimal":
                value = two_complement(unscaled(value, doc["scale"]), doc["size"])
            assert len(value) == doc["size"]
            out += value
        elif kind == "enum":
            out += varint(doc["symbols"].index(value))
        elif kind == "record":
            for field in doc["fields"]:
                self.encode(field["type"], value[field["name"]], out)
        elif kind == "array":
            if value:
                out += varint(len(value))
                for item in value:
                    self.encode(doc["items"], item, out)
            out += varint(0)
        elif kind == "map":
            if value:
                out += varint(len(value))
                for key, item in value.items():
                    self.encode("string", key, out)
                    self.encode(doc["values"], item, out)
            out += varint(0)
        else:
            raise AssertionError(f"unknown type {kind}")


def container(doc: Any, records: list[Any], *, codec: str = "null", per_block: int = 3) -> bytes:
    """An Avro object container file of `records`, `per_block` records a block."""
    encoder = Encoder(doc)
    sync = os.urandom(16)
    out = bytearray(b"Obj\x01")
    meta = {"avro.schema": json.dumps(doc).encode(), "avro.codec": codec.encode()}
    out += varint(len(meta))
    for key, data in meta.items():
        out += varint(len(key)) + key.encode() + varint(len(data)) + data
    out += varint(0) + sync
    for start in range(0, len(records), per_block):
        chunk = records[start : start + per_block]
        block = bytearray()
        for record in chunk:
            encoder.encode(doc, record, block)
        data = bytes(block)
        if codec == "deflate":
            compressor = zlib.compressobj(wbits=-15)
            data = compressor.compress(data) + compressor.flush()
        out += varint(len(chunk)) + varint(len(data)) + data + sync
    return bytes(out)
