"""`migrate` reads a stored plain value into the new reader's union member of the same Avro
type with a logical type, as Avro Java resolves it (an exact match, issue 17, found by the Java
differential test): a written `bytes` branch into a decimal-on-bytes member (the bytes are the
unscaled two's-complement integer), a written `long` into a timestamp-millis member (millis
since the epoch)."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import pytest

from tests.fixtures.lake import sql
from tests.unit.test_migrate_exact import evolve, record

pytestmark = pytest.mark.unit

DECIMAL = {"type": "bytes", "logicalType": "decimal", "precision": 8, "scale": 4}
MILLIS = {"type": "long", "logicalType": "timestamp-millis"}


def test_a_stored_bytes_member_becomes_the_decimal_member_of_its_unscaled_value(
    tmp_path: Path,
) -> None:
    old = record({"name": "u", "type": ["double", "bytes"]})
    new = record({"name": "u", "type": ["double", "string", DECIMAL]})
    rows = [{"id": 1, "u": b"\x01\x00"}, {"id": 2, "u": b"\xff\x85"}, {"id": 3, "u": 2.5}]
    chain = evolve(tmp_path, old, new, rows)
    got = [r["u"] for r in sql(chain.table(), "SELECT id, u FROM t ORDER BY id")]
    assert [u["member_decimal"] for u in got] == [
        decimal.Decimal("0.0256"),
        decimal.Decimal("-0.0123"),
        None,
    ]
    assert [u["member_double"] for u in got] == [None, None, 2.5]
    assert [u["member_string"] for u in got] == [None, None, None]


def test_a_stored_long_member_becomes_the_timestamp_millis_member_at_that_millisecond(
    tmp_path: Path,
) -> None:
    old = record({"name": "u", "type": ["string", "long", "bytes"]})
    new = record({"name": "u", "type": ["string", "float", "bytes", MILLIS]})
    rows = [{"id": 1, "u": 1_700_000_000_123}, {"id": 2, "u": -1}, {"id": 3, "u": "x"}]
    chain = evolve(tmp_path, old, new, rows)
    got = sql(chain.table(), "SELECT id, u FROM t ORDER BY id")
    at = dt.datetime(2023, 11, 14, 22, 13, 20, 123_000, tzinfo=dt.UTC)
    before = dt.datetime(1969, 12, 31, 23, 59, 59, 999_000, tzinfo=dt.UTC)
    assert [r["u"]["member_timestamp_millis"] for r in got] == [at, before, None]
    assert [r["u"]["member_string"] for r in got] == [None, None, "x"]


def test_stored_empty_bytes_read_as_a_decimal_quarantine_their_source_as_a_fresh_read_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Java's `new BigInteger(new byte[0])` throws: no decimal value exists, and a fresh read
    quarantines the file. migrate reads the source again, takes its rows out of the table and
    quarantines it (ledger and quarantine table); the next ingest skips it."""
    old = record({"name": "u", "type": ["double", "bytes"]})
    chain = evolve(tmp_path, old, old, [{"id": 1, "u": b""}])
    chain.write(2, old, [{"id": 2, "u": 1.5}])
    chain.ingest()
    chain.register(3, record({"name": "u", "type": ["double", "string", DECIMAL]}))
    capsys.readouterr()
    assert chain.migrate() == 0
    out = capsys.readouterr().out
    source = str((tmp_path / "raw" / "v1" / "part.avro").resolve())
    gone = f"sources quarantined by the new reader (rows removed): {source} (conversion_error)"
    assert gone in out
    assert sql(chain.table(), "SELECT id FROM t") == [{"id": 2}]
    quarantined = sql(chain.table() + "_quarantine", "SELECT path, error_kind FROM t")
    assert quarantined == [{"path": source, "error_kind": "conversion_error"}]
    assert chain.ingest()["files_skipped"] == 2
    assert chain.rows() == chain.fresh()


@pytest.mark.parametrize(
    "logical",
    [
        pytest.param("local-timestamp-micros", id="local-timestamp-micros-needs-no-scaling"),
        pytest.param("timestamp-micros", id="timestamp-micros-needs-no-scaling"),
    ],
)
def test_a_stored_long_read_as_a_timestamp_past_the_year_9999_quarantines_its_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], logical: str
) -> None:
    """Differential seed 279813158666899 chain 148: a written long 2^63-1 read as a
    microsecond timestamp converts without overflow but lies past the year 9999, where a
    fresh read quarantines the file (conversion_error). migrate reads it again and
    quarantines it; the other file's rows land as timestamps."""
    old = record({"name": "u", "type": ["boolean", "long"]})
    chain = evolve(tmp_path, old, old, [{"id": 1, "u": 2**63 - 1}, {"id": 2, "u": True}])
    chain.write(2, old, [{"id": 3, "u": 1_700_000_000_123_456}])
    chain.ingest()
    micros = {"type": "long", "logicalType": logical}
    chain.register(3, record({"name": "u", "type": ["boolean", "float", micros]}))
    capsys.readouterr()
    assert chain.migrate() == 0
    source = str((tmp_path / "raw" / "v1" / "part.avro").resolve())
    assert f"(rows removed): {source} (conversion_error)" in capsys.readouterr().out
    got = sql(chain.table(), "SELECT id, u FROM t")
    at = dt.datetime(2023, 11, 14, 22, 13, 20, 123_456)
    member = f"member_{logical.replace('-', '_')}"
    assert [(r["id"], r["u"][member]) for r in got] == [
        (3, at if logical.startswith("local") else at.replace(tzinfo=dt.UTC))
    ]
    assert chain.rows() == chain.fresh()
