"""A timestamp whose unit the new reader changes (millis → micros, or back), in a column,
a nested record, array items or map values: `migrate` lands the number written, read in the
new unit, as Avro Java and a fresh read do (resolution ignores logical types), by reading
the sources again.

Before, the stored column (timestamp[us] for millis and micros alike) was kept as it was:
the instant the old unit gave. Found by the Java differential test (seed 820565, chain 406:
`local-timestamp-millis` → `long` → `local-timestamp-micros`, the number
253402300799999 landed as 253402300799999000 µs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.lake import sql
from tests.unit.test_migrate_exact import Chain, field, inner, record

pytestmark = pytest.mark.unit

NUMBER = 1_767_225_600_123  # written as a long: 2026-01-01T00:00:00.123 in millis
EPOCH = dt.datetime(1970, 1, 1)


def stamp(unit: str, local: bool = False) -> dict[str, str]:
    return {"type": "long", "logicalType": f"{'local-' if local else ''}timestamp-{unit}"}


@pytest.mark.parametrize("local", [False, True], ids=["utc", "local"])
@pytest.mark.parametrize(("old", "new"), [("millis", "micros"), ("micros", "millis")])
def test_a_timestamp_read_in_a_new_unit_lands_the_number_written(
    tmp_path: Path, local: bool, old: str, new: str
) -> None:
    chain = Chain(tmp_path)

    def version(unit: str) -> dict[str, Any]:
        kind = stamp(unit, local)
        return record(field("t", kind), field("r", inner(field("t", kind))),
                      field("a", {"type": "array", "items": kind}),
                      field("m", {"type": "map", "values": ["null", kind]}))  # fmt: skip

    v1, v2 = version(old), version(new)
    chain.register(1, v1)
    value = (EPOCH + dt.timedelta(milliseconds=NUMBER) if old == "millis"
             else EPOCH + dt.timedelta(microseconds=NUMBER))  # fmt: skip
    written: Any = value if local else value.replace(tzinfo=dt.UTC)
    chain.write(1, v1, [{"id": 1, "t": written, "r": {"t": written}, "a": [written],
                         "m": {"k": written}}])  # fmt: skip
    assert chain.ingest()["files_ingested"] == 1
    chain.register(2, v2)
    assert chain.migrate() == 0
    landed = (EPOCH + dt.timedelta(microseconds=NUMBER) if new == "micros"
              else EPOCH + dt.timedelta(milliseconds=NUMBER))  # fmt: skip
    expected = landed if local else landed.replace(tzinfo=dt.UTC)
    assert sql(chain.table(), "SELECT t, r, a, m FROM t") == [
        {"t": expected, "r": {"t": expected}, "a": [expected], "m": [("k", expected)]}
    ]
    assert chain.rows() == chain.fresh()
