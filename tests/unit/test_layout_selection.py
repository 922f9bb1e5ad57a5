"""Interval runs select by the source's layout: exactly their hours (a file of a neighbouring
hour is not theirs), their lookback (late), or every file for layouts without time; a layout
that matches nothing under a non-empty prefix is an error; files outside it are counted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from avrolake.config import Backfill
from avrolake.errors import EXIT_USAGE, LayoutMismatchError
from avrolake.ingest import list_source
from avrolake.ingest.work import Window
from avrolake.registry import parse_layout
from avrolake.storage import resolve

pytestmark = pytest.mark.unit

Namer = Callable[[dt.datetime, int], str]
UUID = "5b0f2a1e-7c1d-4a53-9e55-3c2b8f0d6a10"
NAMES: dict[str, Namer] = {
    "hive": lambda h, n: f"{h:dt=%Y-%m-%d/hour=%H}/log-{n}.avro",
    "kafka-connect-time": lambda h, n: f"{h:year=%Y/month=%m/day=%d/hour=%H}/t+0+{n:010d}.avro",
    "flink": lambda h, n: f"{h:%Y-%m-%d--%H}/part-{UUID}-0-{n}",
    "{year}/{month}/{day}/{hour}": lambda h, n: f"{h:%Y/%m/%d/%H}/log-{n}.avro",
    "kafka-connect": lambda h, n: f"partition={n % 3}/t+{n % 3}+{n:010d}.avro",
    "none": lambda h, n: f"log-{n}.avro",
}
TIMED = ["hive", "kafka-connect-time", "flink", "{year}/{month}/{day}/{hour}"]
TIMELESS = ["kafka-connect", "none"]
# an interval that starts at midnight: its neighbours are the day before's 23:00 and 01:00
SINCE = dt.datetime(2026, 3, 3, 0, tzinfo=dt.UTC)
UNTIL = SINCE + dt.timedelta(hours=1)
HOURS = [SINCE - dt.timedelta(hours=1), SINCE, UNTIL]


def write(root: Path, relatives: list[str]) -> list[str]:
    for relative in relatives:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(b"Obj\x01")
    return [str((root / r).resolve()) for r in relatives]


def three_hours(root: Path, layout: str) -> list[str]:
    """One file in the hour before the interval, one in it, one after."""
    return write(root, [NAMES[layout](hour, n) for n, hour in enumerate(HOURS)])


@pytest.mark.parametrize("layout", TIMED)
def test_interval_selects_its_hour_not_a_neighbouring_one(tmp_path: Path, layout: str) -> None:
    _before, inside, _after = three_hours(tmp_path, layout)
    found = list_source(resolve(str(tmp_path)), Backfill(SINCE, UNTIL), parse_layout(layout))
    assert [f.uri for f in found.files] == [inside]
    assert found.outside == []


@pytest.mark.parametrize("layout", TIMED)
def test_the_lookback_lists_the_hour_before_and_it_is_late(tmp_path: Path, layout: str) -> None:
    before, inside, _after = three_hours(tmp_path, layout)
    window = Window(Backfill(SINCE, UNTIL), dt.timedelta(hours=1), layout=parse_layout(layout))
    found = list_source(resolve(str(tmp_path)), window.listing(), window.layout).files
    assert [f.uri for f in found] == sorted([before, inside])
    assert {f.uri: window.late(f, UNTIL) for f in found} == {before: True, inside: False}


@pytest.mark.parametrize("layout", TIMELESS)
def test_a_layout_without_time_lists_every_file_in_an_interval_run(
    tmp_path: Path, layout: str
) -> None:
    files = three_hours(tmp_path, layout)
    window = Window(Backfill(SINCE, UNTIL), dt.timedelta(hours=1), layout=parse_layout(layout))
    found = list_source(resolve(str(tmp_path)), window.listing(), window.layout)
    assert sorted(f.uri for f in found.files) == sorted(files)
    assert found.outside == []
    assert not any(window.late(f, UNTIL) for f in found.files)


def test_a_day_folder_belongs_to_every_hour_of_its_day(tmp_path: Path) -> None:
    days = write(tmp_path, [f"y=2026/m=03/d={d:02d}/log.avro" for d in (2, 3, 4)])
    found = list_source(
        resolve(str(tmp_path)),
        Backfill(SINCE + dt.timedelta(hours=5), UNTIL + dt.timedelta(hours=5)),
        parse_layout("y={year}/m={month}/d={day}"),
    )
    assert [f.uri for f in found.files] == [days[1]]


MISMATCHES = [
    pytest.param("hive", "flink", None, id="hive_over_flink_part_files_without_suffix"),
    pytest.param("kafka-connect-time", "hive", SINCE, id="kafka_connect_time_over_hive"),
    pytest.param("flink", "kafka-connect-time", SINCE, id="flink_over_kafka_connect_time"),
    pytest.param("{year}/{month}/{day}/{hour}", "hive", SINCE, id="custom_over_hive"),
    pytest.param("kafka-connect", "flink", SINCE, id="kafka_connect_over_flink"),
    pytest.param("none", "flink", None, id="none_over_flink"),
]


@pytest.mark.parametrize(("layout", "written", "since"), MISMATCHES)
def test_a_layout_matching_no_file_of_the_prefix_is_an_error(
    tmp_path: Path, layout: str, written: str, since: dt.datetime | None
) -> None:
    three_hours(tmp_path, written)
    expected = parse_layout(layout)
    backfill = Backfill(since, UNTIL if since else None)
    with pytest.raises(LayoutMismatchError) as caught:
        list_source(resolve(str(tmp_path)), backfill, expected)
    error = caught.value
    assert error.exit_code == EXIT_USAGE
    assert error.layout == expected.describe()
    assert error.found == sorted(NAMES[written](h, n) for n, h in enumerate(HOURS))
    assert (error.count, error.source) == (3, str(tmp_path.resolve()))
    assert f"no file under {tmp_path.resolve()} matches the {expected.describe()}" in str(error)


@pytest.mark.parametrize(
    "relatives",
    [
        pytest.param([], id="an_empty_prefix"),
        pytest.param(
            [f"2026-03-03--00/.part-{UUID}-0-0.inprogress.1", "_SUCCESS"],
            id="only_hidden_and_in_progress_files",
        ),
    ],
)
def test_a_prefix_without_visible_files_is_an_empty_run(
    tmp_path: Path, relatives: list[str]
) -> None:
    write(tmp_path, relatives)
    found = list_source(resolve(str(tmp_path)), Backfill(SINCE, UNTIL), parse_layout("flink"))
    assert (found.files, found.outside) == ([], [])


def test_an_interval_with_no_file_of_a_matching_layout_is_no_error(tmp_path: Path) -> None:
    three_hours(tmp_path, "flink")
    later = Backfill(UNTIL + dt.timedelta(hours=5), UNTIL + dt.timedelta(hours=6))
    assert list_source(resolve(str(tmp_path)), later, parse_layout("flink")).files == []


MIXED = ["dt=2026-03-03/hour=00/a.avro", "loose.avro", "notes.txt", "dt=2026-03-03/_SUCCESS"]


def test_files_outside_the_layout_are_counted_in_an_interval_run(tmp_path: Path) -> None:
    inside, loose, notes, _ = write(tmp_path, MIXED)
    found = list_source(resolve(str(tmp_path)), Backfill(SINCE, UNTIL), parse_layout("hive"))
    assert [f.uri for f in found.files] == [inside]
    assert found.outside == [loose, notes]


def test_a_run_without_a_time_range_reads_every_file_the_filter_passes(tmp_path: Path) -> None:
    inside, loose, notes, _ = write(tmp_path, MIXED)
    found = list_source(resolve(str(tmp_path)), Backfill(), parse_layout("hive"))
    assert [f.uri for f in found.files] == [inside, loose]
    assert found.outside == [notes]
