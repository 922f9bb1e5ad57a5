"""The native decode path gives exactly what the fastavro path gives, on generated evolutions.

For each generated (writer, reader) pair, with logical types laid over some of the numeric
fields on both sides: fastavro writes covering data with the writer schema into a container
of several blocks, and `AvroFile` reads it twice: with the default decoder (native where the
writer schema allows, docs/decode.md) and with `decoder="fastavro"` (the oracle). The Arrow
tables must be equal, value for value and type for type; a file the oracle quarantines must
be quarantined with the same kind. The same holds for a corrupted copy of every file (one
byte changed, or the file cut short).
"""

from __future__ import annotations

import copy
import io
import os
import random
from collections import Counter
from dataclasses import replace
from typing import Any

import fastavro
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avrolake.compatibility import check_compatibility
from avrolake.decode import AvroFile, ReaderPlan
from avrolake.errors import QuarantineError
from avrolake.schema import parse_schema
from tests.property.evolutions import evolutions
from tests.property.oracle import Cover

pytestmark = pytest.mark.property
PAIRS = 2000
# Logical types over a numeric type, laid over the same field of writer and reader.
LOGICAL = {
    "long": ["timestamp-millis", "timestamp-micros", "local-timestamp-millis", "time-micros"],
    "int": ["date", "time-millis"],
}


def with_logical(writer: Any, reader: Any, rng: random.Random) -> tuple[Any, Any]:
    """The pair with some same-typed int/long fields of both records given a logical type
    (a field read as the same numeric type keeps its meaning on both sides)."""
    writer, reader = copy.deepcopy(writer), copy.deepcopy(reader)
    readers = {f["name"]: f for f in reader["fields"]}
    for field in writer["fields"]:
        other = readers.get(field["name"])
        kind = field["type"]
        if other is None or not isinstance(kind, str) or kind not in LOGICAL or rng.random() < 0.4:
            continue
        if other["type"] != kind:
            continue
        logical = rng.choice(LOGICAL[kind])
        field["type"] = other["type"] = {"type": kind, "logicalType": logical}
    return writer, reader


def container(writer: Any, records: list[Any], rng: random.Random) -> bytes:
    out = io.BytesIO()
    codec = rng.choice(["null", "deflate"])
    fastavro.writer(
        out, fastavro.parse_schema(writer), records, codec=codec, sync_interval=rng.choice([1, 64])
    )
    return out.getvalue()


def read(data: bytes, plan: ReaderPlan) -> tuple[str, Any, dict[str, int]]:
    """("ok", table, records by path) or ("quarantined", kind, {}) — a value the table cannot
    hold is quarantined by the worker as conversion_error, so any other error counts as one."""
    try:
        avro = AvroFile(io.BytesIO(data), plan)
        tables = list(avro.tables())
    except QuarantineError as exc:
        return "quarantined", exc.kind.value, {}
    except Exception as exc:  # the worker's conversion_error
        return "quarantined", f"conversion_error ({type(exc).__name__})", {}
    table = pa.concat_tables(tables) if tables else pa.table({})
    return "ok", table, avro.records_by_path


def same(data: bytes, reader: Any) -> dict[str, int]:
    """Assert both paths agree on one file; return what the native side's paths decoded."""
    plan = ReaderPlan("prop", reader, {})
    got = read(data, plan)
    want = read(data, replace(plan, decoder="fastavro"))
    assert got[0] == want[0], f"native: {got[:2]}, fastavro: {want[:2]}"
    if got[0] == "quarantined":
        assert got[1].split(" ")[0] == want[1].split(" ")[0]
        return {}
    assert got[1].schema == want[1].schema
    assert got[1].equals(want[1]), (
        f"\nnative:   {got[1].to_pylist()}\nfastavro: {want[1].to_pylist()}"
    )
    return got[2]


def corrupted(data: bytes, rng: random.Random) -> bytes:
    """One byte changed after the header's first 40 bytes, or the file cut short."""
    if rng.random() < 0.3:
        return data[: rng.randrange(40, len(data))] if len(data) > 41 else data
    at = rng.randrange(min(40, len(data) - 1), len(data))
    broken = bytearray(data)
    broken[at] ^= 1 << rng.randrange(8)
    return bytes(broken)


def test_native_equals_fastavro_on_generated_evolutions() -> None:
    counts: Counter[str] = Counter()

    @settings(
        max_examples=PAIRS,
        deadline=None,
        database=None,
        derandomize=os.environ.get("CI") == "true",
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(pair=evolutions(), seed=st.integers(0, 2**32))
    def run(pair: tuple[Any, Any], seed: int) -> None:
        rng = random.Random(seed)
        writer_doc, reader_doc = with_logical(pair[0], pair[1], rng)
        writer = parse_schema(writer_doc)
        if check_compatibility(writer, parse_schema(reader_doc)):
            counts["incompatible"] += 1
        records = Cover(seed).records(writer)
        data = container(writer_doc, records, rng)
        paths = same(data, reader_doc)
        counts["pairs"] += 1
        counts["native"] += "native" in paths
        same(corrupted(data, rng), reader_doc)
        counts["corrupted"] += 1

    run()
    print(f"native vs fastavro: {dict(counts)}")  # noqa: T201 - shown with -s
    assert counts["pairs"] >= PAIRS
    assert counts["corrupted"] >= PAIRS
    assert counts["native"] >= PAIRS // 5  # the native path really was exercised
