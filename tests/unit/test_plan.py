"""Planning a run: dt=/hour= partitions, the run's ranges, discovery, and task groups."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from avrolake.config import Backfill
from avrolake.ingest import SourceFile, discover, partition_hour, plan_groups
from avrolake.ingest.plan import keeps
from avrolake.registry import parse_layout
from avrolake.storage import resolve

pytestmark = pytest.mark.unit


def utc(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=dt.UTC)


def ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


# -- partition_hour ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "hour"),
    [
        pytest.param("dt=2026-03-02/hour=05/a.avro", utc(2, 5), id="day_and_hour"),
        pytest.param("raw/clicks/dt=2026-03-02/hour=23/a.avro", utc(2, 23), id="below_a_prefix"),
        pytest.param("dt=2026-03-02/hour=7/a.avro", utc(2, 7), id="one_digit_hour"),
        pytest.param("dt=2026-03-02/a.avro", utc(2, 0), id="day_only_is_hour_0"),
        pytest.param("dt=2026-03-02", utc(2, 0), id="the_folder_itself"),
        pytest.param("a.avro", None, id="no_partition"),
        pytest.param("xdt=2026-03-02/a.avro", None, id="dt_must_start_a_segment"),
        pytest.param("dt=2026-03-02x/a.avro", None, id="dt_must_end_a_segment"),
        pytest.param("dt=20260302/a.avro", None, id="compact_date"),
        pytest.param("hour=05/a.avro", None, id="hour_without_day"),
    ],
)
def test_partition_hour_reads_dt_and_hour_folders(path: str, hour: dt.datetime | None) -> None:
    assert partition_hour(path) == hour


def test_partition_hour_is_utc() -> None:
    hour = partition_hour("dt=2026-03-02/hour=05/a.avro")
    assert hour is not None
    assert hour.tzinfo is dt.UTC


# -- keeps ------------------------------------------------------------------------------------

INTERVAL = Backfill(since=utc(2, 0), until=utc(2, 6))


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        pytest.param("dt=2026-03-01/hour=23/a.avro", False, id="before_since"),
        pytest.param("dt=2026-03-02/hour=00/a.avro", True, id="at_since"),
        pytest.param("dt=2026-03-02/hour=05/a.avro", True, id="inside"),
        pytest.param("dt=2026-03-02/hour=06/a.avro", False, id="at_until"),
        pytest.param("dt=2026-03-02/a.avro", True, id="day_only_reads_as_hour_0"),
        pytest.param("late/a.avro", False, id="no_partition"),
    ],
)
def test_partition_range_is_half_open(path: str, kept: bool) -> None:
    assert keeps(INTERVAL, path, None) is kept


@pytest.mark.parametrize(
    ("backfill", "path", "kept"),
    [
        pytest.param(
            Backfill(since=utc(2)), "dt=2026-03-01/hour=23/a.avro", False, id="since_only_before"
        ),
        pytest.param(Backfill(since=utc(2)), "dt=2030-01-01/a.avro", True, id="since_only_later"),
        pytest.param(Backfill(until=utc(2)), "dt=2020-01-01/a.avro", True, id="until_only_earlier"),
        pytest.param(Backfill(until=utc(2)), "dt=2026-03-02/a.avro", False, id="until_only_at"),
    ],
)
def test_one_sided_partition_range(backfill: Backfill, path: str, kept: bool) -> None:
    assert keeps(backfill, path, None) is kept


def test_without_ranges_every_file_is_kept() -> None:
    assert keeps(Backfill(), "anything/at/all.avro", None) is True


MODIFIED = Backfill(modified_after=utc(2, 0), modified_before=utc(2, 6))


@pytest.mark.parametrize(
    ("mtime", "kept"),
    [
        pytest.param(ms(utc(2, 0)) - 1, False, id="just_before_after"),
        pytest.param(ms(utc(2, 0)), True, id="at_modified_after"),
        pytest.param(ms(utc(2, 3)), True, id="inside"),
        pytest.param(ms(utc(2, 6)) - 1, True, id="just_before_before"),
        pytest.param(ms(utc(2, 6)), False, id="at_modified_before"),
    ],
)
def test_modified_range_is_half_open(mtime: int, kept: bool) -> None:
    assert keeps(MODIFIED, "a.avro", mtime) is kept


def test_modified_range_ignores_files_without_mtime() -> None:
    assert keeps(MODIFIED, "a.avro", None) is True


def test_modified_range_does_not_need_a_partition() -> None:
    assert keeps(MODIFIED, "no/partition/a.avro", ms(utc(2, 1))) is True


def test_both_ranges_must_hold() -> None:
    both = Backfill(since=utc(2), until=utc(3), modified_after=utc(2), modified_before=utc(3))
    assert keeps(both, "dt=2026-03-02/a.avro", ms(utc(2, 1))) is True
    assert keeps(both, "dt=2026-03-02/a.avro", ms(utc(4))) is False
    assert keeps(both, "dt=2026-03-04/a.avro", ms(utc(2, 1))) is False


# -- discover ---------------------------------------------------------------------------------


def make_files(root: Path, sizes: dict[str, int]) -> None:
    for relative, size in sizes.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)


SOURCE_FILES = {
    "dt=2026-03-02/hour=01/b.avro": 20,
    "dt=2026-03-02/hour=00/z.avro": 10,
    "dt=2026-03-01/hour=23/a.avro": 30,
    "dt=2026-03-02/hour=00/notes.txt": 5,
    "dt=2026-03-02/hour=00/c.avro.tmp": 5,
    "loose.avro": 1,
}


def test_discover_finds_suffix_files_in_path_order(tmp_path: Path) -> None:
    make_files(tmp_path / "raw", SOURCE_FILES)
    found = discover(resolve(str(tmp_path / "raw")), Backfill())
    root = (tmp_path / "raw").resolve()
    assert [(f.uri, f.size) for f in found] == [
        (str(root / "dt=2026-03-01/hour=23/a.avro"), 30),
        (str(root / "dt=2026-03-02/hour=00/z.avro"), 10),
        (str(root / "dt=2026-03-02/hour=01/b.avro"), 20),
        (str(root / "loose.avro"), 1),
    ]


def test_discover_uri_and_path_are_the_absolute_local_path(tmp_path: Path) -> None:
    make_files(tmp_path / "raw", {"a.avro": 3})
    (found,) = discover(resolve(str(tmp_path / "raw")), Backfill())
    absolute = str((tmp_path / "raw" / "a.avro").resolve())
    assert (found.uri, found.path) == (absolute, absolute)
    assert Path(found.uri).is_absolute()


def test_discover_reports_the_modification_time_in_ms(tmp_path: Path) -> None:
    make_files(tmp_path / "raw", {"a.avro": 3})
    os.utime(tmp_path / "raw" / "a.avro", ns=(0, 1_772_359_200_123_456_789))
    (found,) = discover(resolve(str(tmp_path / "raw")), Backfill())
    assert found.mtime_ms == 1_772_359_200_123


def test_discover_uses_the_file_filter_of_the_layout(tmp_path: Path) -> None:
    make_files(tmp_path / "raw", SOURCE_FILES)
    found = discover(resolve(str(tmp_path / "raw")), Backfill(), parse_layout("hive", ".txt"))
    assert [Path(f.uri).name for f in found] == ["notes.txt"]


def test_discover_applies_the_partition_range(tmp_path: Path) -> None:
    make_files(tmp_path / "raw", SOURCE_FILES)
    found = discover(resolve(str(tmp_path / "raw")), Backfill(since=utc(2), until=utc(2, 1)))
    assert [Path(f.uri).name for f in found] == ["z.avro"]


def test_discover_reads_partitions_relative_to_the_source(tmp_path: Path) -> None:
    source = tmp_path / "dt=1999-01-01" / "raw"  # the source's own folders are no partition
    make_files(source, {"dt=2026-03-02/hour=00/a.avro": 1, "b.avro": 1})
    found = discover(resolve(str(source)), Backfill(since=utc(2), until=utc(3)))
    assert [Path(f.uri).name for f in found] == ["a.avro"]


def test_discover_applies_the_modified_range(tmp_path: Path) -> None:
    make_files(tmp_path / "raw", {"old.avro": 1, "new.avro": 1})
    os.utime(tmp_path / "raw" / "old.avro", (utc(1).timestamp(), utc(1).timestamp()))
    os.utime(tmp_path / "raw" / "new.avro", (utc(3).timestamp(), utc(3).timestamp()))
    found = discover(resolve(str(tmp_path / "raw")), Backfill(modified_after=utc(2)))
    assert [Path(f.uri).name for f in found] == ["new.avro"]


def test_discover_of_a_missing_folder_finds_nothing(tmp_path: Path) -> None:
    assert discover(resolve(str(tmp_path / "absent")), Backfill()) == []


# -- plan_groups ------------------------------------------------------------------------------


def files(**sizes: int) -> list[SourceFile]:
    return [SourceFile(name, f"/raw/{name}", size, None) for name, size in sizes.items()]


def names(groups: list[list[SourceFile]]) -> list[list[str]]:
    return [[f.uri for f in group] for group in groups]


@pytest.mark.parametrize(
    ("sizes", "parallelism", "max_bytes", "groups"),
    [
        pytest.param(
            {"a": 10, "b": 100, "c": 30, "d": 50, "e": 20},
            1,
            100,
            [["b"], ["d", "a"], ["c", "e"]],
            id="three_tasks_of_max_bytes_largest_first_to_the_least_loaded",
        ),
        pytest.param(
            {"a": 200, "b": 100},
            1,
            100,
            [["a"], ["a"], ["b"]],
            id="a_file_larger_than_max_bytes_is_split_one_task_per_split",
        ),
        pytest.param(
            {"a": 10, "b": 10, "c": 10, "d": 10},
            1,
            1000,
            [["a", "b", "c", "d"]],
            id="one_core_one_group",
        ),
        pytest.param(
            {"a": 10, "b": 10, "c": 10, "d": 10},
            2,
            1000,
            [["a", "c"], ["b", "d"]],
            id="split_evenly_over_two_cores",
        ),
        pytest.param(
            {"a": 10, "b": 10, "c": 10, "d": 10},
            4,
            1000,
            [["a"], ["b"], ["c"], ["d"]],
            id="one_file_per_core",
        ),
        pytest.param(
            {"a": 10, "b": 10, "c": 10, "d": 10},
            2,
            10,
            [["a"], ["b"], ["c"], ["d"]],
            id="max_bytes_below_the_share_per_core_wins",
        ),
        pytest.param(
            {"a": 0, "b": 0, "c": 0},
            8,
            100,
            [["a", "b", "c"]],
            id="empty_files_share_one_group",
        ),
    ],
)
def test_plan_groups(
    sizes: dict[str, int], parallelism: int, max_bytes: int, groups: list[list[str]]
) -> None:
    assert names(plan_groups(files(**sizes), parallelism, max_bytes)) == groups


def test_plan_groups_of_no_files_is_no_groups() -> None:
    assert plan_groups([], 4, 100) == []


def test_plan_groups_balances_tasks_and_keeps_max_bytes() -> None:
    # 12 files of 2.2-2.6 MB on 2 cores: two tasks that end together (the old greedy packing
    # made 5 + 6 + 1: a third task and a third Parquet file)
    sizes = {f"f{i:02}": 2_200_000 + (i * 37_000) % 400_000 for i in range(12)}
    groups = plan_groups(files(**sizes), 2, 128 * 2**20)
    loads = sorted(sum(sizes[uri] for uri in group) for group in names(groups))
    assert len(groups) == 2
    assert loads[1] - loads[0] <= max(sizes.values())
    # a piece that would push every task past max_bytes opens a new task
    assert names(plan_groups(files(a=60, b=60, c=60), 2, 100)) == [["a"], ["b"], ["c"]]


@pytest.mark.parametrize(
    ("sizes", "groups"),
    [
        # two files of 1 MB on 2 cores: one worker is cheaper than two (a worker's start
        # costs about as much as 16 MB of input)
        ({"a": 1_000_000, "b": 1_000_000}, 1),
        ({"a": 20 * 2**20, "b": 20 * 2**20}, 2),
        ({"a": 20 * 2**20, "b": 10 * 2**20, "c": 10 * 2**20}, 2),
        # cores beyond total / min_bytes stay idle
        ({f"f{i}": 2**20 for i in range(40)}, 2),
    ],
)
def test_a_small_run_has_no_more_tasks_than_min_bytes_fills(
    sizes: dict[str, int], groups: int
) -> None:
    planned = plan_groups(files(**sizes), 4, 128 * 2**20, min_bytes=16 * 2**20)
    assert len(planned) == groups
    assert sorted(uri for group in names(planned) for uri in group) == sorted(sizes)


def test_plan_groups_keeps_every_file_once() -> None:
    sizes = {f"f{i}": (i * 37) % 101 for i in range(40)}
    groups = plan_groups(files(**sizes), 3, 200)
    assert sorted(uri for group in names(groups) for uri in group) == sorted(sizes)


IMPOSSIBLE_PARTITIONS = [
    pytest.param("dt=2026-02-30/hour=00/x.avro", id="february_30"),
    pytest.param("dt=2026-01-01/hour=24/x.avro", id="hour_24"),
    pytest.param("dt=2026-13-01/x.avro", id="month_13"),
    pytest.param("dt=2026-01-01/hour=99/x.avro", id="hour_99"),
]


@pytest.mark.parametrize("path", IMPOSSIBLE_PARTITIONS)
def test_impossible_partition_is_no_partition(path: str) -> None:
    assert partition_hour(path) is None


@pytest.mark.parametrize("path", IMPOSSIBLE_PARTITIONS)
def test_partition_range_drops_a_file_with_an_impossible_partition(path: str) -> None:
    since = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert keeps(Backfill(since=since), path, None) is False
