"""A plain `bytes`, `fixed` or `string` a reader decimal reads: its unscaled two's-complement
integer at the reader's scale, as Avro Java reads it (resolution ignores logical types).

fastavro converts by the writer's logical type, so such a value came back `bytes` and the
decimal column refused it: valid files were quarantined (`conversion_error: ... int or
Decimal object expected, got bytes`). Found by the Java differential test (CI seed
258480792591145, chain 92: `["null", "bytes"]` read as `["null", "string", decimal(7,2)]`).
Each landed value below is what tests/oracle/AvroOracle.java printed for the same file;
Java cannot read a decimal of no bytes (`Zero length BigInteger`), and reads one of more
digits than its precision, which no decimal column holds: both are quarantined, naming the
field. A decimal default of more than 28 digits lands exactly (it was rounded by Python's
default decimal context).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import avrolake.ingest.job as job_module
from tests.fixtures.lake import sql
from tests.unit.one_subject import ingest

pytestmark = pytest.mark.unit


def decimal(precision: int, scale: int) -> dict[str, Any]:
    return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}


def schema(kind: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": "R", "fields": [{"name": "v", "type": kind, **extra}]}


FIXED = {"type": "fixed", "name": "F", "size": 2}
FIXED_DECIMAL = {**FIXED, "logicalType": "decimal", "precision": 4, "scale": 1}
NINES = bytes.fromhex("4b3b4ca85a86c47a098a223fffffffff")  # 10**38 - 1

CASES = [
    pytest.param(
        "bytes", decimal(7, 2), [b"\x01\x02", b"\xff", b"\x00", b"\x80"],
        [Decimal("2.58"), Decimal("-0.01"), Decimal("0.00"), Decimal("-1.28")],
        id="bytes_as_decimal",
    ),
    pytest.param(
        ["null", "bytes"], ["null", "string", decimal(7, 2)], [b"\x01\x02", None],
        [{"member_string": None, "member_decimal": Decimal("2.58")}, None],
        id="union_bytes_as_the_decimal_member",
    ),
    pytest.param(
        "string", decimal(7, 2), ["ab", "\u00e9"], [Decimal("249.30"), Decimal("-154.47")],
        id="string_as_decimal_by_its_utf8_bytes",
    ),
    pytest.param(
        FIXED, FIXED_DECIMAL, [b"\x01\x02", b"\xff\xff"], [Decimal("25.8"), Decimal("-0.1")],
        id="fixed_as_fixed_decimal",
    ),
    pytest.param(
        "bytes", decimal(38, 0), [NINES], [Decimal("9" * 38)], id="thirty_eight_digits",
    ),
    pytest.param(
        {"type": "array", "items": "bytes"}, {"type": "array", "items": decimal(7, 2)},
        [[b"\x01\x02", b"\x01"]], [[Decimal("2.58"), Decimal("0.01")]], id="array_items",
    ),
]  # fmt: skip


@pytest.fixture(params=["auto", "fastavro"])
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "fastavro":
        plain = job_module.reader_plan
        monkeypatch.setattr(
            job_module, "reader_plan", lambda *a: replace(plain(*a), decoder="fastavro")
        )
    return str(request.param)


@pytest.mark.parametrize(("written", "read", "values", "landed"), CASES)
def test_plain_values_land_as_avro_java_reads_them_as_a_decimal(
    tmp_path: Path, decoder: str, written: Any, read: Any, values: list[Any], landed: list[Any]
) -> None:
    v1, v2 = schema(written), schema(read)
    summary, rows = ingest(tmp_path, [v1, v2], [(v1, [{"v": v} for v in values])])
    assert (summary["files_ingested"], summary["files_quarantined"]) == (1, 0), summary
    assert sorted(rows, key=repr) == sorted(({"v": v} for v in landed), key=repr)


@pytest.mark.parametrize(
    ("written", "read", "value", "reason"),
    [
        pytest.param(
            "bytes", decimal(7, 2), b"",
            "/v: a value read as decimal(7,2) has no bytes; an Avro decimal needs at least one "
            "(Avro Java cannot read it either). Fix the producer",
            id="no_bytes",
        ),
        pytest.param(
            decimal(7, 2), decimal(7, 2), b"",
            "/v: a value read as decimal(7,2) has no bytes; an Avro decimal needs at least one "
            "(Avro Java cannot read it either). Fix the producer",
            id="no_bytes_written_as_a_decimal",
        ),
        pytest.param(
            ["null", "bytes"], ["null", "string", decimal(7, 2)], b"\x7f\xff\xff\xff",
            "/v: a value read as decimal(7,2) has 10 digits, more than its precision holds. "
            "Widen the precision in a new schema version, or fix the producer",
            id="more_digits_than_the_precision",
        ),
    ],
)  # fmt: skip
def test_a_value_no_decimal_column_holds_quarantines_its_file_and_the_others_land(
    tmp_path: Path, decoder: str, written: Any, read: Any, value: bytes, reason: str
) -> None:
    v1, v2 = schema(written), schema(read)
    good = [{"v": b"\x01"}]
    summary, rows = ingest(tmp_path, [v1, v2], [(v1, [{"v": value}]), (v1, good)])
    assert (summary["files_ingested"], summary["files_quarantined"]) == (1, 1), summary
    assert summary["quarantined"][0]["error_kind"] == "conversion_error"
    first = rows[0]["v"]
    assert (first.get("member_decimal") if isinstance(first, dict) else first) == Decimal("0.01")
    [row] = sql(str(tmp_path / "table_quarantine"), "SELECT message FROM t")
    assert row["message"] == reason


def test_a_decimal_default_of_thirty_eight_digits_lands_exactly(
    tmp_path: Path, decoder: str
) -> None:
    v1 = schema("int")
    v2 = {**v1, "fields": [*v1["fields"], {"name": "d", "type": decimal(38, 2),
                                           "default": NINES.decode("latin-1")}]}  # fmt: skip
    summary, rows = ingest(tmp_path, [v1, v2], [(v1, [{"v": 1}])])
    assert summary["files_ingested"] == 1, summary
    assert rows == [{"v": 1, "d": Decimal("9" * 36 + ".99")}]
