"""A number promoted to a float is rounded once, to the nearest float32, as Avro Java's
`(float) long` does, never through a float64 first (issue 17: long -> float rounded twice).
2**60 + 2**36 + 1 is 2**60 + 2**37 rounded once, but 2**60 rounded through 2**60 + 2**36 (the
nearest float64, a tie that float32 rounds to even). Both decode paths, at the top level, in
an array and in a union member."""

from __future__ import annotations

import io
from typing import Any

import fastavro
import pytest

from avrolake.decode import AvroFile, ReaderPlan
from avrolake.decode.fastavro_docs import float32_of

pytestmark = pytest.mark.unit
DECODERS = [pytest.param("auto", id="native"), pytest.param("fastavro", id="fastavro")]
TWICE = 2**60 + 2**36 + 1
ONCE = float(2**60 + 2**37)


def landed(writer_type: Any, reader_type: Any, value: Any, decoder: str) -> Any:
    def schema(t: Any) -> dict[str, Any]:
        return {"type": "record", "name": "R", "fields": [{"name": "v", "type": t}]}

    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(schema(writer_type)), [{"v": value}])
    plan = ReaderPlan("s", schema(reader_type), {}, decoder=decoder)
    tables = list(AvroFile(io.BytesIO(buffer.getvalue()), plan).tables())
    return next(row["v"] for table in tables for row in table.to_pylist())


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize(
    ("writer_type", "reader_type", "value", "expected"),
    [
        pytest.param("long", "float", TWICE, ONCE, id="long read as float"),
        pytest.param("long", "float", -TWICE, -ONCE, id="a negative long read as float"),
        pytest.param({"type": "array", "items": "long"}, {"type": "array", "items": "float"},
                     [TWICE], [ONCE], id="long items read as float items"),
        pytest.param(["null", "long"], ["null", "float"], TWICE, ONCE,
                     id="a nullable long read as a nullable float"),
        pytest.param(["null", "long", "string"], ["null", "float", "string"], TWICE,
                     {"member_float": ONCE, "member_string": None},
                     id="a long union branch read as a float member"),
        pytest.param("int", "float", 2**31 - 1, float(2**31), id="int read as float"),
        pytest.param("long", "double", 2**53 + 1, float(2**53), id="long read as double"),
    ],
)  # fmt: skip
def test_a_number_promoted_to_float_is_rounded_once(
    writer_type: Any, reader_type: Any, value: Any, expected: Any, decoder: str
) -> None:
    assert landed(writer_type, reader_type, value, decoder) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(TWICE, ONCE), (2**24 + 1, 2.0**24), (2**24 + 3, 2.0**24 + 4), (0, 0.0),
     (-(2**63), -(2.0**63)), (2**63 - 1, 2.0**63), (2**25 + 2, 2.0**25), (2**25 + 6, 2.0**25 + 8)],
)  # fmt: skip
def test_float32_of_rounds_to_nearest_even(value: int, expected: float) -> None:
    assert float32_of(value) == expected
