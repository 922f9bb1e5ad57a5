"""Delta statistics taken from the Parquet footer equal those computed from the rows, and the
Parquet files are encoded per column kind (lake/parquet_options.py)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from avrolake.lake import PartitionedWriter
from avrolake.lake.parquet_options import parquet_options
from avrolake.lake.stats import StatsAccumulator
from avrolake.registry import TableSettings
from avrolake.storage import resolve

pytestmark = pytest.mark.unit

SCHEMA = pa.schema(
    [
        pa.field("ts", pa.timestamp("us", tz="UTC")),
        pa.field("ms", pa.timestamp("ms", tz="UTC")),
        pa.field("day", pa.date32()),
        pa.field("n", pa.int64()),
        pa.field("small", pa.int32()),
        pa.field("score", pa.float64()),
        pa.field("ok", pa.bool_()),
        pa.field("url", pa.string()),
        pa.field("empty", pa.string()),
        pa.field("host", pa.struct([pa.field("name", pa.string())])),
        pa.field("tags", pa.map_(pa.string(), pa.string())),
    ]
)
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def table(n: int, offset: int = 0, score: list[float] | None = None) -> pa.Table:
    return pa.table(
        {
            "ts": [T0 + dt.timedelta(microseconds=7 * (i + offset)) for i in range(n)],
            "ms": [None if i % 3 == 0 else T0 + dt.timedelta(seconds=i) for i in range(n)],
            "day": [dt.date(2026, 1, 1) + dt.timedelta(days=i % 40) for i in range(n)],
            "n": [None if i % 5 == 0 else (i * 7919) % 1000 - 500 + offset for i in range(n)],
            "small": list(range(n)),
            "score": score or [i / 3 for i in range(n)],
            "ok": [i % 2 == 0 if i % 7 else None for i in range(n)],
            "url": [f"/ñ/{'x' * (i % 50)}{i + offset}" for i in range(n)],
            "empty": [None] * n,
            "host": [{"name": f"h{i % 3}"} for i in range(n)],
            "tags": [[("k", str(i))] for i in range(n)],
        },
        schema=SCHEMA,
    )


def footer_stats(tmp_path: Path, *chunks: pa.Table) -> dict[str, Any]:
    writer = PartitionedWriter(resolve(str(tmp_path)), TableSettings(None), SCHEMA, "r", 1 << 40)
    for chunk in chunks:
        writer.write(chunk)
    (add,) = writer.close()
    return json.loads(add.stats)  # type: ignore[no-any-return]


def row_stats(*chunks: pa.Table) -> dict[str, Any]:
    acc = StatsAccumulator()
    for chunk in chunks:
        acc.add(chunk)
    return json.loads(acc.to_json())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param([table(10)], id="one-row-group"),
        pytest.param([table(140_000), table(3, offset=-9)], id="several-row-groups"),
        pytest.param([table(4, score=[1.0, math.nan, 2.0, 3.0])], id="nan-drops-float-bounds"),
        pytest.param([table(3, score=[1.0, math.inf, 2.0])], id="infinity-drops-float-bounds"),
        pytest.param([table(3), table(3, score=[math.nan, 0.0, 1.0])], id="nan-in-a-later-chunk"),
    ],
)
def test_footer_statistics_equal_statistics_of_the_rows(
    tmp_path: Path, chunks: list[pa.Table]
) -> None:
    assert footer_stats(tmp_path, *chunks) == row_stats(*chunks)


def test_a_string_past_the_footer_limit_leaves_its_column_without_bounds(tmp_path: Path) -> None:
    chunk = table(3).set_column(7, "url", pa.array(["a", "b" * 5000, None]))
    stats = footer_stats(tmp_path, chunk)
    assert "url" not in stats["minValues"]
    assert "url" not in stats["maxValues"]
    assert stats["nullCount"]["url"] == 1
    assert stats["minValues"]["n"] == row_stats(chunk)["minValues"]["n"]


def test_numbers_and_times_are_written_plain_and_strings_with_a_dictionary(
    tmp_path: Path,
) -> None:
    path = tmp_path / "f.parquet"
    with pq.ParquetWriter(path, SCHEMA, **parquet_options(SCHEMA)) as writer:
        writer.write_table(table(100))
    meta = pq.read_metadata(path).row_group(0)
    encodings = {
        meta.column(i).path_in_schema: meta.column(i).encodings for i in range(meta.num_columns)
    }
    assert "RLE_DICTIONARY" not in encodings["ts"]
    assert "RLE_DICTIONARY" not in encodings["n"]
    assert "RLE_DICTIONARY" in encodings["url"]
    assert "RLE_DICTIONARY" in encodings["host.name"]
    assert "RLE_DICTIONARY" in encodings["tags.key_value.key"]
    with_stats = {
        meta.column(i).path_in_schema
        for i in range(meta.num_columns)
        if meta.column(i).is_stats_set
    }
    assert with_stats == {"ts", "ms", "day", "n", "small", "score", "ok", "url", "empty"}
