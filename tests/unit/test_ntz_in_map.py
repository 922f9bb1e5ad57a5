"""A local timestamp that is only a map's value lands (issue 17: delta-rs did not turn on the
`timestampNtz` feature for it, and the run died with "Table contains TIMESTAMP_NTZ columns
but does not have the required 'timestampNtz' feature"): when the table is created, and when
a later reader adds such a column."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from avrolake.ingest import SerialRunner, run_ingest
from avrolake.storage import resolve
from tests.fixtures.lake import sql, write_avro
from tests.unit.one_subject import config, ingest

pytestmark = pytest.mark.unit
LOCAL = {"type": "long", "logicalType": "local-timestamp-micros"}
AT = dt.datetime(2026, 1, 2, 3, 4, 5, 6)


def row(*fields: tuple[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": "Row", "fields": [{"name": n, "type": t} for n, t in fields]}


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({"type": "map", "values": LOCAL}, id="map values"),
        pytest.param({"type": "map", "values": ["null", LOCAL]}, id="nullable map values"),
        pytest.param({"type": "array", "items": {"type": "map", "values": LOCAL}},
                     id="map values in array items"),
    ],
)  # fmt: skip
def test_a_local_timestamp_only_in_a_map_lands(tmp_path: Path, values: Any) -> None:
    schema = row(("id", "int"), ("m", values))
    value: Any = {"k": AT}
    value = [value] if values["type"] == "array" else value
    summary, rows = ingest(tmp_path, [schema], [(schema, [{"id": 1, "m": value}])])
    assert summary["records_written"] == 1
    landed = rows[0]["m"]
    first = landed[0] if values["type"] == "array" else landed
    assert first == [("k", AT)]


def test_a_later_reader_may_add_a_map_of_local_timestamps(tmp_path: Path) -> None:
    v1 = row(("id", "int"))
    v2 = {**v1, "fields": [*v1["fields"], {"name": "m", "type": ["null", {"type": "map",
          "values": LOCAL}], "default": None}]}  # fmt: skip
    ingest(tmp_path, [v1], [(v1, [{"id": 1}])])  # the table, without m
    write_avro(resolve(str(tmp_path / "raw")), "later.avro", v2, [{"id": 2, "m": {"k": AT}}])
    shutil.rmtree(tmp_path / "registry")
    summary = run_ingest(config(tmp_path, [v1, v2]), SerialRunner()).as_dict()
    assert summary["records_written"] == 1
    rows = sql(str(tmp_path / "table"), "SELECT id, m FROM t ORDER BY id")
    assert rows == [{"id": 1, "m": None}, {"id": 2, "m": [("k", AT)]}]
