"""Parquet files of one source file: one per partition value, their sizes and Delta statistics."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from avrolake.errors import QuarantineError, QuarantineKind
from avrolake.lake import FileAdd, PartitionedWriter
from avrolake.lake.stats import StatsAccumulator
from avrolake.registry import TableSettings
from avrolake.storage import resolve

pytestmark = pytest.mark.unit

PARTITIONED = TableSettings("ts", "event_date")
UNPARTITIONED = TableSettings(None)
SCHEMA = pa.schema(
    [
        pa.field("ts", pa.timestamp("us", tz="UTC")),
        pa.field("url", pa.string()),
        pa.field("dwell", pa.int64()),
    ]
)


def at(day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


def rows(*ts: dt.datetime | None) -> pa.Table:
    n = len(ts)
    return pa.table(
        {"ts": list(ts), "url": [f"/p{i}" for i in range(n)], "dwell": list(range(n))},
        schema=SCHEMA,
    )


def write(
    tmp_path: Path, settings: TableSettings, *chunks: pa.Table, run_id: str = "run-1"
) -> list[FileAdd]:
    writer = PartitionedWriter(resolve(str(tmp_path)), settings, SCHEMA, run_id)
    for chunk in chunks:
        writer.write(chunk)
    return writer.close()


def parquet_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.parquet"))


def read_parquet(path: Path) -> pa.Table:
    """One Parquet file, without guessing partitions from its folder name."""
    return pq.ParquetFile(path).read()


def stats_of(*chunks: pa.Table) -> dict[str, Any]:
    acc = StatsAccumulator()
    for chunk in chunks:
        acc.add(chunk)
    return json.loads(acc.to_json())  # type: ignore[no-any-return]


# -- files and folders ------------------------------------------------------------------------


def test_one_file_per_partition_value_in_hive_folders(tmp_path: Path) -> None:
    adds = write(tmp_path, PARTITIONED, rows(at(1, 10), at(2, 0), at(1, 23, 59), at(3, 12)))
    by_folder = {a.path.split("/")[0]: a for a in adds}
    assert sorted(by_folder) == [
        "event_date=2026-03-01",
        "event_date=2026-03-02",
        "event_date=2026-03-03",
    ]
    assert {folder: a.partition_values for folder, a in by_folder.items()} == {
        "event_date=2026-03-01": {"event_date": "2026-03-01"},
        "event_date=2026-03-02": {"event_date": "2026-03-02"},
        "event_date=2026-03-03": {"event_date": "2026-03-03"},
    }
    assert len(parquet_files(tmp_path)) == 3


def test_rows_go_to_the_file_of_their_utc_date(tmp_path: Path) -> None:
    adds = write(tmp_path, PARTITIONED, rows(at(1, 10), at(2, 0), at(1, 23, 59)))
    files = {a.partition_values["event_date"]: read_parquet(tmp_path / a.path) for a in adds}
    assert {day: t.column("url").to_pylist() for day, t in files.items()} == {
        "2026-03-01": ["/p0", "/p2"],
        "2026-03-02": ["/p1"],
    }


def test_null_partition_value_goes_to_the_hive_default_partition(tmp_path: Path) -> None:
    adds = write(tmp_path, PARTITIONED, rows(None, at(1), None))
    by_value = {a.partition_values["event_date"]: a for a in adds}
    assert sorted(by_value, key=str) == ["2026-03-01", None]
    null_file = by_value[None]
    assert null_file.path.startswith("event_date=__HIVE_DEFAULT_PARTITION__/")
    assert read_parquet(tmp_path / null_file.path).num_rows == 2


def test_file_names_carry_the_run_id(tmp_path: Path) -> None:
    (add,) = write(tmp_path, PARTITIONED, rows(at(1)), run_id="nightly-7")
    assert re.fullmatch(
        r"event_date=2026-03-01/part-nightly-7-[0-9a-f]{32}\.snappy\.parquet", add.path
    )


def test_unpartitioned_writes_one_file_at_the_root(tmp_path: Path) -> None:
    (add,) = write(tmp_path, UNPARTITIONED, rows(at(1), at(2), None), rows(at(9)))
    assert "/" not in add.path
    assert add.partition_values == {}
    assert parquet_files(tmp_path) == [add.path]
    assert read_parquet(tmp_path / add.path).num_rows == 4


def test_chunks_of_one_partition_append_to_the_same_file(tmp_path: Path) -> None:
    adds = write(tmp_path, PARTITIONED, rows(at(1, 1), at(2)), rows(at(1, 2)), rows(at(1, 3)))
    assert len(adds) == 2
    sizes = {
        a.partition_values["event_date"]: read_parquet(tmp_path / a.path).num_rows for a in adds
    }
    assert sizes == {"2026-03-01": 3, "2026-03-02": 1}


def test_files_hold_the_file_schema_columns_only(tmp_path: Path) -> None:
    chunk = rows(at(1)).append_column("_extra", pa.array(["x"]))
    (add,) = write(tmp_path, PARTITIONED, chunk)
    assert pq.read_schema(tmp_path / add.path).names == ["ts", "url", "dwell"]


def test_file_add_size_is_the_size_on_disk(tmp_path: Path) -> None:
    adds = write(tmp_path, PARTITIONED, rows(at(1), at(2), at(2, 5)))
    assert [a.size for a in adds] == [(tmp_path / a.path).stat().st_size for a in adds]
    assert all(a.size > 0 for a in adds)


def test_file_add_action_carries_path_size_partition_and_stats(tmp_path: Path) -> None:
    (add,) = write(tmp_path, PARTITIONED, rows(at(1)))
    action = add.action()
    assert (action.path, action.size, action.partition_values, action.data_change) == (
        add.path,
        add.size,
        {"event_date": "2026-03-01"},
        True,
    )
    assert action.stats == add.stats


def test_each_file_has_the_stats_of_its_own_rows(tmp_path: Path) -> None:
    adds = write(tmp_path, PARTITIONED, rows(at(1, 10), at(2), at(1, 11)))
    stats = {a.partition_values["event_date"]: json.loads(a.stats) for a in adds}
    dwell = {
        day: (s["numRecords"], s["minValues"]["dwell"], s["maxValues"]["dwell"])
        for day, s in stats.items()
    }
    assert dwell == {"2026-03-01": (2, 0, 2), "2026-03-02": (1, 1, 1)}


def test_discard_deletes_the_files(tmp_path: Path) -> None:
    writer = PartitionedWriter(resolve(str(tmp_path)), PARTITIONED, SCHEMA, "run-1")
    writer.write(rows(at(1), at(2), None))
    assert len(parquet_files(tmp_path)) == 3
    writer.discard()
    assert parquet_files(tmp_path) == []
    assert writer.close() == []


# -- statistics -------------------------------------------------------------------------------


def test_stats_of_a_small_table_are_exact() -> None:
    table = pa.table(
        {
            "ts": pa.array([at(1, 10), None, at(2, 0, 30)], pa.timestamp("us", tz="UTC")),
            "day": pa.array([dt.date(2026, 3, 1), dt.date(2026, 2, 28), None], pa.date32()),
            "n": pa.array([5, -3, None], pa.int32()),
            "score": pa.array([0.5, 2.25, -1.0], pa.float64()),
            "url": pa.array(["/b", None, "/a"], pa.string()),
            "ok": pa.array([True, None, False], pa.bool_()),
            "geo": pa.array([{"c": "NO"}, None, {"c": "SE"}]),
            "tags": pa.array([["x"], [], None], pa.list_(pa.string())),
        }
    )
    assert stats_of(table) == {
        "numRecords": 3,
        "minValues": {
            "ts": "2026-03-01T10:00:00Z",
            "day": "2026-02-28",
            "n": -3,
            "score": -1.0,
            "url": "/a",
        },
        "maxValues": {
            "ts": "2026-03-02T00:30:00Z",
            "day": "2026-03-01",
            "n": 5,
            "score": 2.25,
            "url": "/b",
        },
        "nullCount": {"ts": 1, "day": 1, "n": 1, "score": 0, "url": 1, "ok": 1},
    }


def test_stats_accumulate_over_chunks() -> None:
    first = pa.table({"n": pa.array([4, None], pa.int64())})
    second = pa.table({"n": pa.array([9, 1, None], pa.int64())})
    assert stats_of(first, second) == {
        "numRecords": 5,
        "minValues": {"n": 1},
        "maxValues": {"n": 9},
        "nullCount": {"n": 2},
    }


NAN = float("nan")


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param([[1.0, NAN, 2.0]], id="nan_among_values"),
        pytest.param([[NAN]], id="only_nan"),
        pytest.param([[1.0, 2.0], [NAN]], id="nan_in_a_later_chunk"),
        pytest.param([[NAN], [1.0, 2.0]], id="nan_in_an_earlier_chunk"),
    ],
)
def test_nan_in_a_float_column_leaves_its_min_max_out(chunks: list[list[float]]) -> None:
    tables = [
        pa.table({"score": pa.array(c, pa.float64()), "n": list(range(len(c)))}) for c in chunks
    ]
    stats = stats_of(*tables)
    assert "score" not in stats["minValues"]
    assert "score" not in stats["maxValues"]
    assert stats["nullCount"]["score"] == 0
    assert stats["minValues"]["n"] == 0


def test_stats_with_nan_are_strict_json() -> None:
    acc = StatsAccumulator()
    acc.add(pa.table({"score": pa.array([NAN, 1.0], pa.float32())}))

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    assert json.loads(acc.to_json(), parse_constant=refuse) == {
        "numRecords": 2,
        "minValues": {},
        "maxValues": {},
        "nullCount": {"score": 0},
    }


def test_all_null_column_has_a_null_count_and_no_bounds() -> None:
    table = pa.table({"n": pa.array([None, None], pa.int64()), "url": ["a", "b"]})
    assert stats_of(table) == {
        "numRecords": 2,
        "minValues": {"url": "a"},
        "maxValues": {"url": "b"},
        "nullCount": {"n": 2, "url": 0},
    }


def test_sub_second_timestamps_keep_their_microseconds() -> None:
    ts = dt.datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=dt.UTC)
    table = pa.table({"ts": pa.array([ts], pa.timestamp("us", tz="UTC"))})
    assert stats_of(table)["minValues"] == {"ts": "2026-03-01T10:00:00.123456Z"}


def test_empty_table_has_zero_records_and_zero_nulls() -> None:
    assert stats_of(pa.table({"n": pa.array([], pa.int64())})) == {
        "numRecords": 0,
        "minValues": {},
        "maxValues": {},
        "nullCount": {"n": 0},
    }


@pytest.mark.parametrize(
    ("micros", "days"),
    [
        pytest.param(300_000_000_000_000_000, "20513 to 3472222", id="year_11476"),
        pytest.param(-70_000_000_000_000_000, "-810186 to 20513", id="before_year_1"),
    ],
)
def test_event_time_outside_years_1_to_9999_is_quarantined_before_any_file(
    tmp_path: Path, micros: int, days: str
) -> None:
    far = pa.table(
        {"ts": pa.array([micros], SCHEMA.field("ts").type), "url": ["/far"], "dwell": [1]},
        schema=SCHEMA,
    )
    writer = PartitionedWriter(resolve(str(tmp_path)), PARTITIONED, SCHEMA, "run-1")
    with pytest.raises(QuarantineError) as caught:
        writer.write(pa.concat_tables([rows(at(1)), far]))
    assert caught.value.kind is QuarantineKind.EVENT_TIME_OUT_OF_RANGE
    assert caught.value.message == (
        "event-time field 'ts' holds a value outside the years 1 to 9999 (days since "
        f"1970-01-01 from {days}); such a row has no partition date. Fix the producer's clock "
        "or units and replace the file (a changed file is read again), or run `avrolake "
        "quarantine retry`."
    )
    assert parquet_files(tmp_path) == []
    assert writer.close() == []
