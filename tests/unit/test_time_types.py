"""Time of day lands: Delta has no time type, so `time-millis` lands as its int (milliseconds
after midnight) and `time-micros` as its long (microseconds after midnight), the numbers
written, on both decode paths and through a whole run into Delta."""

from __future__ import annotations

import io
from pathlib import Path

import fastavro
import pyarrow as pa
import pytest

from avrolake.decode import AvroFile, ReaderPlan
from tests.unit.one_subject import ingest

pytestmark = pytest.mark.unit
DECODERS = [pytest.param("auto", id="native"), pytest.param("fastavro", id="fastavro")]
MILLIS = {"type": "int", "logicalType": "time-millis"}
MICROS = {"type": "long", "logicalType": "time-micros"}
NOON = 45_296_789  # 12:34:56.789
LAST = 86_399_999  # 23:59:59.999
CLOCK = {
    "type": "record",
    "name": "Clock",
    "fields": [
        {"name": "n", "type": "int"},
        {"name": "ms", "type": MILLIS},
        {"name": "us", "type": MICROS},
        {"name": "maybe", "type": ["null", MILLIS]},
        {"name": "either", "type": ["null", "string", MICROS]},
    ],
}
RECORDS = [
    {"n": 0, "ms": NOON, "us": NOON * 1000 + 1, "maybe": None, "either": ("long", 0)},
    {"n": 1, "ms": LAST, "us": LAST * 1000 + 999, "maybe": 0, "either": "12:00"},
]
LANDED = [
    {"n": 0, "ms": NOON, "us": NOON * 1000 + 1, "maybe": None,
     "either": {"member_string": None, "member_time_micros": 0}},
    {"n": 1, "ms": LAST, "us": LAST * 1000 + 999, "maybe": 0,
     "either": {"member_string": "12:00", "member_time_micros": None}},
]  # fmt: skip


def decoded(decoder: str) -> pa.Table:
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(CLOCK), RECORDS)
    plan = ReaderPlan("clock", CLOCK, {}, decoder=decoder)
    return pa.concat_tables(AvroFile(io.BytesIO(buffer.getvalue()), plan).tables())


@pytest.mark.parametrize("decoder", DECODERS)
def test_time_of_day_lands_as_the_number_written(decoder: str) -> None:
    table = decoded(decoder)
    assert table.to_pylist() == LANDED
    assert table.schema.field("ms").type == pa.int32()
    assert table.schema.field("us").type == pa.int64()
    assert table.schema.field("maybe").type == pa.int32()


@pytest.mark.parametrize("decoder", DECODERS)
def test_a_run_with_time_fields_lands_them_in_delta(
    tmp_path: Path, decoder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ReaderPlan, "decoder", decoder)
    summary, rows = ingest(tmp_path, [CLOCK], [(CLOCK, RECORDS)])
    assert (summary["files_ingested"], summary["records_written"]) == (1, 2)
    assert rows == LANDED
