"""A written logical type the reader's type lacks: the reader reads the number written.

Schema resolution ignores logical types (Avro Java reads the written int, long or bytes and
gives it the reader's logical type, if any). fastavro converts by the writer's logical type,
so a `date` read as `int` came back a `datetime.date` the int column could not take: valid
files were quarantined (`conversion_error`) and `migrate` took landed rows out. Found by a
new user's trial (issue 17). Each value below is Avro Java's (tests/oracle/AvroOracle.java).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import avrolake.ingest.job as job_module
from tests.unit.one_subject import ingest

pytestmark = pytest.mark.unit

DAY = dt.date(1969, 12, 31)  # -1 days
MILLIS = 1_767_225_600_123  # 2026-01-01T00:00:00.123Z


def schema(kind: Any) -> dict[str, Any]:
    return {"type": "record", "name": "R", "fields": [{"name": "v", "type": kind}]}


def logical(base: str, name: str) -> dict[str, str]:
    return {"type": base, "logicalType": name}


CASES = [
    pytest.param(logical("int", "date"), DAY, "int", -1, id="date_as_int"),
    pytest.param(logical("int", "date"), DAY, "long", -1, id="date_as_long"),
    pytest.param(logical("int", "date"), DAY, "double", -1.0, id="date_as_double"),
    pytest.param(
        logical("int", "date"), DAY, ["null", "long", "string"],
        {"member_long": -1, "member_string": None}, id="date_as_a_union_long",
    ),
    pytest.param(
        logical("long", "timestamp-millis"),
        dt.datetime(2026, 1, 1, 0, 0, 0, 123_000, tzinfo=dt.UTC), "long", MILLIS,
        id="timestamp_millis_as_long",
    ),
    # the written number in the reader's unit: 1767225600123 microseconds
    pytest.param(
        logical("long", "timestamp-millis"),
        dt.datetime(2026, 1, 1, 0, 0, 0, 123_000, tzinfo=dt.UTC),
        logical("long", "timestamp-micros"),
        dt.datetime(1970, 1, 21, 10, 53, 45, 600_123, tzinfo=dt.UTC),
        id="timestamp_millis_as_timestamp_micros",
    ),
    pytest.param(
        logical("long", "timestamp-micros"),
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        logical("long", "local-timestamp-micros"),
        dt.datetime(2026, 1, 1),
        id="timestamp_micros_as_local_timestamp_micros",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("written", "value", "read", "landed"), CASES)
@pytest.mark.parametrize("decoder", ["auto", "fastavro"])
def test_the_reader_reads_the_number_written(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    decoder: str,
    written: Any,
    value: Any,
    read: Any,
    landed: Any,
) -> None:
    if decoder == "fastavro":
        plain = job_module.reader_plan
        monkeypatch.setattr(
            job_module, "reader_plan", lambda *a: replace(plain(*a), decoder="fastavro")
        )
    v1, v2 = schema(written), schema(read)
    summary, rows = ingest(tmp_path, [v1, v2], [(v1, [{"v": value}])])
    assert (summary["files_ingested"], summary["files_quarantined"]) == (1, 0), summary
    assert rows == [{"v": landed}]
