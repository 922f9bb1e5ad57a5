"""Errors a person can act on, on real Spark (issue 18, point 6): a disk that fills up
mid-run, and the losing run of two concurrent ingests, which is no error at all."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from avrolake.cli import main
from avrolake.cli.ingest import print_summary
from avrolake.config import Backfill, IngestConfig
from avrolake.ingest import SourceFile, WorkerContext, run_ingest
from avrolake.ingest.worker import Outcome
from avrolake.spark.runner import SparkRunner
from avrolake.storage import resolve
from tests.conftest import SHIPPED_REGISTRY
from tests.fixtures.lake import generate_logs, sql

pytestmark = pytest.mark.spark
STARTED = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs: a real filesystem that runs out of space (needs root's mount)."""
    disk = tmp_path / "tiny"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)],
        capture_output=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_full_disk_mid_run_says_free_disk_space_and_nothing_was_lost(
    spark: Any, tmp_path: Path, tiny_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate_logs(resolve(str(tmp_path / "raw")), files=4, records=4000, seed=2, codec="null")
    table = tiny_disk / "logs"
    code = main(["ingest", "--source", str(tmp_path / "raw"), "--table", str(table),
                 "--registry", str(SHIPPED_REGISTRY)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err[-2000:]
    line = err.strip().splitlines()[-1]
    assert line.startswith("avrolake: error: no space left on the disk holding"), line
    assert "free disk space" in line
    assert "Nothing was lost" in line
    assert sql(str(table), "SELECT COUNT(*) n FROM t") == [{"n": 0}]  # nothing committed


class RacingRunner(SparkRunner):
    """While this run's tasks read, a concurrent run lands the first hour and commits first."""

    def __init__(self, spark: Any, rival: IngestConfig) -> None:
        super().__init__(lambda: spark)
        self.spark, self.rival = spark, rival

    def run(self, groups: list[list[SourceFile]], ctx: WorkerContext) -> list[Outcome]:
        outcomes = super().run(groups, ctx)
        run_ingest(self.rival, SparkRunner(lambda: self.spark))
        return outcomes


def config(tmp: Path, run_id: str, **changes: Any) -> IngestConfig:
    return IngestConfig(
        source=str(tmp / "raw"), table=str(tmp / "lake" / "logs"), run_id=run_id,
        started_at=STARTED, settle_seconds=0, registry=SHIPPED_REGISTRY, **changes,
    )  # fmt: skip


def test_the_losing_run_of_two_concurrent_ingests_commits_the_rest_and_says_so(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate_logs(resolve(str(tmp_path / "raw")), files=6, records=30, seed=4, hours=3)
    first_hour = Backfill(until=dt.datetime(2026, 1, 1, 1, tzinfo=dt.UTC))
    rival = config(tmp_path, "winner", backfill=first_hour)
    summary = run_ingest(config(tmp_path, "loser"), RacingRunner(spark, rival)).as_dict()
    assert (summary["files_ingested"], summary["files_skipped"]) == (4, 2)
    assert summary["files_decided_concurrently"] == 2
    assert summary["table_version"] == 2  # the winner's commit is 1, the loser's 2
    print_summary(summary, as_json=False)
    out = capsys.readouterr().out
    assert "a concurrent run committed first: 2 file(s)" in out
    assert "no re-run is needed" in out
    rows = sql(str(tmp_path / "lake" / "logs"), 'SELECT "_source_file" s, COUNT(*) n FROM t '
               "GROUP BY 1")  # fmt: skip
    assert sorted(r["n"] for r in rows) == [30] * 6  # every file once, none twice
