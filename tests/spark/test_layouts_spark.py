"""`avrolake ingest --layout` on local Spark lands what Kafka Connect (time-based partitioner)
and Flink (FileSink) write, file by file, read back with deltalake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from avrolake.cli import main
from tests.conftest import SHIPPED_REGISTRY
from tests.fixtures.lake import sql

pytestmark = pytest.mark.spark

RECORDS = 7
BY_FILE = "SELECT _source_file AS f, COUNT(*) AS n FROM t GROUP BY _source_file ORDER BY f"


def generate(raw: Path, layout: str, *extra: str) -> None:
    args = ["generate", "--out", str(raw), "--registry", str(SHIPPED_REGISTRY), "--layout", layout]
    assert main([*args, "--records", str(RECORDS), *extra]) == 0


def ingest(tmp: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    capsys.readouterr()
    args = ["ingest", "--source", str(tmp / "raw"), "--table", str(tmp / "lake"), "--json"]
    assert main([*args, "--registry", str(SHIPPED_REGISTRY), *extra]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def rows_by_file(tmp: Path) -> dict[str, int]:
    return {r["f"]: r["n"] for r in sql(str(tmp / "lake"), BY_FILE)}


def files_under(raw: Path, pattern: str) -> list[str]:
    return sorted(str(p.resolve()) for p in raw.glob(pattern) if p.is_file())


def test_a_kafka_connect_time_interval_lands_exactly_its_hours(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw"
    generate(raw, "kafka-connect-time", "--topic", "clicks", "--files", "6", "--hours", "3")
    interval = ["--since", "2026-01-01T01:00", "--until", "2026-01-01T02:00"]
    summary = ingest(
        tmp_path, capsys, "--layout", "kafka-connect-time", *interval, "--lookback-hours", "1"
    )
    hour_0 = files_under(raw, "year=2026/month=01/day=01/hour=00/clicks+*.avro")
    hour_1 = files_under(raw, "year=2026/month=01/day=01/hour=01/clicks+*.avro")
    assert (len(hour_0), len(hour_1), len(files_under(raw, "**/*.avro"))) == (2, 2, 6)
    assert (summary["files_seen"], summary["files_ingested"]) == (4, 4)
    assert summary["records_written"] == 4 * RECORDS
    assert sorted(summary["late"]) == hour_0  # the lookback's hour: late, landed
    assert (summary["files_outside_layout"], summary["outside_layout"]) == (0, [])
    assert rows_by_file(tmp_path) == dict.fromkeys(sorted(hour_0 + hour_1), RECORDS)


def test_flink_part_files_land_and_the_in_progress_one_waits(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw"
    generate(raw, "flink", "--files", "4", "--hours", "2", "--in-progress")
    parts = files_under(raw, "2026-01-01--*/part-*")
    (hidden,) = [str(p) for p in raw.glob("*/.part-*.inprogress.*")]
    summary = ingest(tmp_path, capsys, "--layout", "flink")
    assert (summary["files_seen"], summary["files_ingested"]) == (4, 4)
    assert summary["records_written"] == 4 * RECORDS
    assert rows_by_file(tmp_path) == dict.fromkeys(parts, RECORDS)

    finished = hidden.replace("/.part-", "/part-").split(".inprogress.", 1)[0]
    Path(hidden).rename(finished)
    again = ingest(tmp_path, capsys, "--layout", "flink", "--run-id", "after-rename")
    assert (again["files_seen"], again["files_ingested"], again["files_skipped"]) == (5, 1, 4)
    assert rows_by_file(tmp_path) == dict.fromkeys(sorted([*parts, finished]), RECORDS)


def test_the_wrong_layout_exits_2_naming_keys_found_and_the_layout(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate(tmp_path / "raw", "flink", "--files", "2", "--hours", "1")
    args = ["ingest", "--source", str(tmp_path / "raw"), "--table", str(tmp_path / "lake")]
    assert main([*args, "--registry", str(SHIPPED_REGISTRY)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"avrolake: error: no file under {(tmp_path / 'raw').resolve()} ")
    assert "matches the layout 'hive' (dt=YYYY-MM-DD[/hour=HH]/<name>), files '*.avro'" in err
    assert "holds 2 other file(s), such as: 2026-01-01--00/part-" in err
    assert not (tmp_path / "lake").exists()
