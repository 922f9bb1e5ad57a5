"""`spark.read.format("avrolake")`: mixed writer versions read as one resolved DataFrame."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from avrolake.spark.source import register
from avrolake.storage import resolve
from tests.conftest import SHIPPED_REGISTRY
from tests.fixtures.lake import generate_logs

pytestmark = pytest.mark.spark


def read(spark: Any, path: Path, mode: str = "FAILFAST") -> Any:
    register(spark)
    return (
        spark.read.format("avrolake")
        .option("path", str(path))
        .option("registry", str(SHIPPED_REGISTRY))
        .option("subject", "log_event")
        .option("mode", mode)
        .load()
    )


def test_data_source_reads_every_version_resolved_to_latest(spark: Any, tmp_path: Path) -> None:
    generate_logs(resolve(str(tmp_path)), files=3, records=120, seed=3)
    frame = read(spark, tmp_path)
    assert frame.columns[:3] == ["timestamp", "level", "service_name"]
    counts = {r[0]: r[1] for r in frame.groupBy("_writer_schema_version").count().collect()}
    assert counts == {1: 120, 2: 120, 3: 120}
    v1 = (
        frame.where("_writer_schema_version = 1")
        .select("service_name", "latency_ms", "host")
        .first()
    )
    assert v1["service_name"] is not None
    assert (v1["latency_ms"], v1["host"]) == (None, None)
    assert dict(frame.dtypes)["timestamp"] == "timestamp"
    assert dict(frame.dtypes)["tags"] == "map<string,string>"


def test_data_source_failfast_names_the_broken_file(spark: Any, tmp_path: Path) -> None:
    generate_logs(resolve(str(tmp_path)), files=1, records=10, corrupt=1)
    with pytest.raises(Exception, match=r"corrupt-truncated_block\.avro: truncated"):
        read(spark, tmp_path).count()


def test_data_source_dropmalformed_skips_broken_files(spark: Any, tmp_path: Path) -> None:
    generate_logs(resolve(str(tmp_path)), files=2, records=10, corrupt=2)
    assert read(spark, tmp_path, "DROPMALFORMED").count() == 20
