"""Decimal defaults are applied: a reader field of a bytes or fixed decimal with a default
lands the default's value (its JSON string read as the two's-complement bytes of the unscaled
number) in every row of a file whose writer lacks the field, on both decode paths."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastavro
import pyarrow as pa
import pytest

from avrolake.decode import AvroFile, ReaderPlan
from tests.unit.one_subject import ingest

pytestmark = pytest.mark.unit
DECODERS = [pytest.param("auto", id="native"), pytest.param("fastavro", id="fastavro")]
V1 = {"type": "record", "name": "Sale", "fields": [{"name": "n", "type": "int"}]}
BYTES_DECIMAL = {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2}
FIXED_DECIMAL = {
    "type": "fixed", "name": "Money", "size": 3, "logicalType": "decimal", "precision": 6,
    "scale": 2,
}  # fmt: skip


def v2(field_type: Any, default: Any) -> dict[str, Any]:
    fields = [*V1["fields"], {"name": "amount", "type": field_type, "default": default}]
    return {**V1, "fields": fields}


CASES = [
    pytest.param(BYTES_DECIMAL, "\u0000", Decimal("0.00"), id="bytes decimal(5,2) zero"),
    pytest.param(BYTES_DECIMAL, "\u0004\u00d2", Decimal("12.34"), id="bytes decimal(5,2) 12.34"),
    pytest.param(BYTES_DECIMAL, "\u00ff", Decimal("-0.01"), id="bytes decimal(5,2) negative"),
    pytest.param(FIXED_DECIMAL, "\u0000\u0004\u00d2", Decimal("12.34"),
                 id="fixed decimal(6,2) 12.34"),
    pytest.param(["null", BYTES_DECIMAL], None, None, id="an optional decimal defaulting to null"),
    pytest.param([BYTES_DECIMAL, "null"], "\u0001", Decimal("0.01"),
                 id="an optional decimal with a decimal default"),
    pytest.param({"type": "array", "items": BYTES_DECIMAL}, ["\u0001", "\u0002"],
                 [Decimal("0.01"), Decimal("0.02")], id="an array of decimals"),
]  # fmt: skip


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize(("field_type", "default", "expected"), CASES)
def test_a_decimal_default_lands_in_rows_of_older_files(
    field_type: Any, default: Any, expected: Any, decoder: str
) -> None:
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(V1), [{"n": 1}, {"n": 2}])
    plan = ReaderPlan("sale", v2(field_type, default), {}, decoder=decoder)
    table = pa.concat_tables(AvroFile(io.BytesIO(buffer.getvalue()), plan).tables())
    assert table.column("amount").to_pylist() == [expected, expected]


@pytest.mark.parametrize("decoder", DECODERS)
def test_a_run_lands_older_files_with_the_decimal_default(
    tmp_path: Path, decoder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ReaderPlan, "decoder", decoder)
    reader = v2(BYTES_DECIMAL, "\u0000")
    summary, rows = ingest(tmp_path, [V1, reader], [(V1, [{"n": 1}]), (reader, [{"n": 2,
                           "amount": Decimal("1.50")}])])  # fmt: skip
    assert summary["files_quarantined"] == 0
    assert rows == [{"n": 1, "amount": Decimal("0.00")}, {"n": 2, "amount": Decimal("1.50")}]
