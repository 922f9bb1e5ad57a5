"""Avro binary encoding by hand, for tests that craft (and corrupt) container files."""

from __future__ import annotations


def zz(n: int) -> bytes:
    """Avro's zig-zag varint of a long."""
    n = (n << 1) ^ (n >> 63)
    out = b""
    while n & ~0x7F:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def text(data: bytes) -> bytes:
    """A string or bytes value: its length, then its bytes."""
    return zz(len(data)) + data
