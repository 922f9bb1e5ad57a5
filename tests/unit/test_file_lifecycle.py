"""A source file's life (issue 18, points 1 and 2; docs/ledger.md#a-source-files-life).

Each test is one "Why" case of the issue, run on the hourly schedule's interval runs with
the job in-process (SerialRunner). Counts are exact, per file: the records a file holds
now are the table's rows of it, or it is quarantined (0 rows) or a duplicate (0 rows, its
content in its original's rows).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from avrolake.errors import ReconciliationError
from avrolake.lake import Ledger, table_status
from avrolake.orchestration.reconcile import reconcile_interval
from tests.fixtures.lake import sql
from tests.unit.lifecycle_lake import INCOMPATIBLE, Lake, avro_bytes, hour

pytestmark = pytest.mark.unit


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(tmp_path)


def states(lake: Lake) -> dict[str, str]:
    return {p: e.status.value for p, e in Ledger(lake.ref()).current().items()}


# -- late files ---------------------------------------------------------------------------


def test_late_file_of_an_earlier_hour_lands_in_the_next_interval_run(lake: Lake) -> None:
    landed = [lake.write(0, f"f{i}.avro", 10, first=i * 10) for i in range(4)]
    lake.run(0)
    late = lake.write(0, "late.avro", 77)
    summary = lake.run(1)
    assert lake.rows() == {**dict.fromkeys(landed, 10), late: 77}
    assert (summary["files_ingested"], summary["files_late"], summary["late"]) == (1, 1, [late])
    # it lands with its own partition's event dates
    dates = sql(lake.table, f"SELECT DISTINCT event_date d FROM t WHERE _source_file = '{late}'")
    assert dates == [{"d": dt.date(2026, 1, 1)}]
    assert table_status(lake.ref())["last_runs"][0]["late"] == 1


def test_reconcile_is_red_while_a_late_file_of_the_lookback_is_missing(lake: Lake) -> None:
    lake.write(0, "a.avro", 5)
    lake.run(0)
    lake.write(1, "b.avro", 5)
    lake.run(1)
    late = lake.write(0, "late.avro", 3)  # after hour 1's run: hour 2's run lands it
    with pytest.raises(ReconciliationError, match="1 of 3 file"):
        reconcile_interval(str(lake.root / "raw"), lake.ref(), hour(1), hour(2), 5)
    lake.run(2)
    report = reconcile_interval(str(lake.root / "raw"), lake.ref(), hour(1), hour(2), 5)
    assert (report.files_landed, report.unaccounted) == (3, [])
    assert lake.rows()[late] == 3


def test_file_unsettled_when_its_interval_ran_lands_in_a_later_run(lake: Lake) -> None:
    started = hour(1) + dt.timedelta(minutes=5)
    busy = lake.put(0, "busy.avro", avro_bytes(20, hour(0)), started - dt.timedelta(seconds=5))
    first = lake.run(0, settle_seconds=60)
    assert (first["files_deferred"], first["files_ingested"]) == (1, 0)
    second = lake.run(1, settle_seconds=60)
    assert lake.rows() == {busy: 20}
    assert (second["files_ingested"], second["files_late"]) == (1, 1)


def test_sweep_lands_a_file_older_than_the_lookback(lake: Lake) -> None:
    lake.write(30, "now.avro", 4)
    lake.run(30)
    old = lake.write(0, "old.avro", 9)  # 30 hours late: beyond the 24-hour lookback
    assert lake.run(31)["files_ingested"] == 0
    swept = lake.run(None, sweep=True)
    assert (swept["files_ingested"], swept["files_late"], swept["late"]) == (1, 1, [old])
    assert lake.rows()[old] == 9


# -- a copy, then a rewrite of the original -------------------------------------------------


def test_copy_lands_on_its_own_when_its_original_is_rewritten(lake: Lake) -> None:
    data = avro_bytes(100, hour(0))
    original = lake.put(0, "a.avro", data)
    lake.run(0)
    copy = lake.put(0, "b.avro", data)
    assert lake.run(0)["duplicates"] == [{"path": copy, "copy_of": original}]
    lake.write(0, "a.avro", 40, first=1000)  # the original gets new content
    lake.run(0)
    assert lake.rows() == {original: 40, copy: 100}
    assert states(lake) == {original: "landed", copy: "landed"}
    assert lake.run(0)["files_ingested"] == 0  # and it stays so


def test_copy_lands_when_its_original_was_rewritten_in_an_earlier_run(lake: Lake) -> None:
    data = avro_bytes(100, hour(0))
    original = lake.put(0, "a.avro", data)
    copy = lake.put(40, "b.avro", data)  # 40 hours later: no run lists both hours
    lake.run(0)
    assert lake.run(40)["duplicates"] == [{"path": copy, "copy_of": original}]
    lake.write(0, "a.avro", 40, first=1000)
    lake.run(0)  # lists the original's hour (and the day before) only
    assert lake.rows() == {original: 40}
    lake.run(40)  # lists the copy's hour: its original's content is gone
    assert lake.rows() == {original: 40, copy: 100}


# -- a landed file that changes into something bad ----------------------------------------


@pytest.mark.parametrize(
    ("becomes", "status"),
    [
        pytest.param("truncated", "quarantined", id="truncated-is-quarantined-rows-removed"),
        pytest.param("incompatible", "quarantined", id="incompatible-is-quarantined-rows-removed"),
        pytest.param("copy", "duplicate", id="copy-of-another-is-a-duplicate-rows-removed"),
    ],
)
def test_landed_file_changed_into_something_bad_loses_its_old_rows(
    lake: Lake, becomes: str, status: str
) -> None:
    other = lake.write(0, "other.avro", 30)
    changing = lake.write(0, "x.avro", 50, first=500)
    lake.run(0)
    good = avro_bytes(50, hour(0), first=500)
    new = {
        "truncated": good[: len(good) - 20],
        "incompatible": avro_bytes(50, hour(0), schema=INCOMPATIBLE),
        "copy": Path(other).read_bytes(),
    }[becomes]
    lake.put(0, "x.avro", new)
    summary = lake.run(0)
    assert states(lake)[changing] == status
    assert lake.rows() == {other: 30}
    assert summary["files_ingested"] == 0


def test_rewritten_bad_then_good_holds_exactly_the_source_records(lake: Lake) -> None:
    a = lake.write(0, "a.avro", 100)
    b = lake.write(0, "b.avro", 60, first=100)
    lake.run(0)
    good = avro_bytes(100, hour(0), first=1000)
    lake.put(0, "a.avro", good[:-20])  # truncated: quarantined
    lake.run(0)
    lake.put(0, "a.avro", Path(b).read_bytes())  # a copy of b: a duplicate
    lake.run(0)
    lake.put(0, "a.avro", good)  # good data again
    lake.run(0)
    assert lake.rows() == {a: 100, b: 60}
    assert sum(lake.rows().values()) == 160
