"""A source file's life on real Spark (issue 18): the unit tier runs every case in-process
(tests/unit/test_file_lifecycle.py); this one runs the late file and the landed file that
turns bad and then good again through the Spark runner (local[2])."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from avrolake.spark.runner import SparkRunner
from tests.unit.lifecycle_lake import Lake, avro_bytes, hour

pytestmark = pytest.mark.spark


def test_late_and_changed_files_land_exactly_once_on_spark(spark: Any, tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    runner = SparkRunner(lambda: spark)
    a = lake.write(0, "a.avro", 100)
    b = lake.write(0, "b.avro", 60, first=100)
    lake.run(0, runner)
    late = lake.write(0, "late.avro", 77, first=500)  # after hour 0's run
    good = avro_bytes(100, hour(0), first=1000)
    lake.put(0, "a.avro", good[:-20])  # a landed file turns bad
    summary = lake.run(1, runner)
    assert (summary["files_late"], summary["files_quarantined"]) == (1, 1)
    assert lake.rows() == {b: 60, late: 77}
    lake.put(0, "a.avro", good)  # and good again
    lake.run(2, runner)
    assert lake.rows() == {a: 100, b: 60, late: 77}
