"""A Flink in-progress file is neither landed nor missing until it is renamed to its finished
name; then the next run lands it. A layout mismatch fails the run and reconcile alike."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from avrolake.config import Backfill, IngestConfig
from avrolake.errors import LayoutMismatchError, ReconciliationError
from avrolake.generate import GenerateSpec, generate
from avrolake.generate.names import finished_name
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.lake import TableRef
from avrolake.orchestration.reconcile import interval_layout, reconcile_interval
from avrolake.registry import Registry, parse_layout
from avrolake.storage import S3Options, resolve
from tests.conftest import SHIPPED_REGISTRY
from tests.fixtures.lake import sql

pytestmark = pytest.mark.unit

SINCE = dt.datetime(2026, 1, 1, 0, tzinfo=dt.UTC)
UNTIL = SINCE + dt.timedelta(hours=2)
FLINK = parse_layout("flink")


def flink_source(raw: Path) -> tuple[list[str], str]:
    """Two finished part files (5 records each) in two hourly buckets, and one in progress."""
    versions = Registry(SHIPPED_REGISTRY).versions("log_event")
    spec = GenerateSpec(files=2, records=5, hours=2, layout="flink", in_progress=True)
    report = generate(versions, resolve(str(raw)), spec)
    return [f.path for f in report.files], report.in_progress[0]


def ingest(tmp: Path, run_id: str) -> dict[str, object]:
    config = IngestConfig(
        str(tmp / "raw"),
        str(tmp / "lake"),
        run_id,
        UNTIL,
        registry=SHIPPED_REGISTRY,
        backfill=Backfill(SINCE, UNTIL),
        settle_seconds=0,
        layout="flink",
    )
    return run_ingest(config, SerialRunner()).as_dict()


def reconcile(tmp: Path) -> dict[str, object]:
    ref = TableRef.find(str(tmp / "lake"), S3Options())
    return reconcile_interval(
        str(tmp / "raw"), ref, SINCE, UNTIL, 0, dt.timedelta(0), FLINK
    ).as_dict()


def rows_by_file(tmp: Path) -> dict[str, int]:
    query = "SELECT _source_file AS f, COUNT(*) AS n FROM t GROUP BY _source_file ORDER BY f"
    return {r["f"]: r["n"] for r in sql(str(tmp / "lake"), query)}


def test_a_flink_in_progress_file_lands_only_after_its_rename(tmp_path: Path) -> None:
    finished, in_progress = flink_source(tmp_path / "raw")
    assert Path(in_progress).name.startswith(".part-")
    assert ".inprogress." in Path(in_progress).name

    first = ingest(tmp_path, "run-1")
    assert (first["files_seen"], first["files_ingested"], first["records_written"]) == (2, 2, 10)
    assert (first["files_outside_layout"], first["outside_layout"]) == (0, [])
    assert rows_by_file(tmp_path) == dict.fromkeys(sorted(finished), 5)
    checked = reconcile(tmp_path)  # the in-progress file is not missing
    assert (checked["files_seen"], checked["files_landed"], checked["unaccounted"]) == (2, 2, [])

    renamed = finished_name(in_progress)
    Path(in_progress).rename(renamed)
    with pytest.raises(ReconciliationError, match=Path(renamed).name):
        reconcile(tmp_path)  # finished now: missing until a run lands it

    second = ingest(tmp_path, "run-2")
    assert (second["files_seen"], second["files_ingested"], second["files_skipped"]) == (3, 1, 2)
    assert second["records_written"] == 5
    assert rows_by_file(tmp_path) == dict.fromkeys(sorted([*finished, renamed]), 5)
    assert reconcile(tmp_path)["files_landed"] == 3


def test_a_layout_mismatch_fails_the_run_and_reconcile(tmp_path: Path) -> None:
    flink_source(tmp_path / "raw")
    ingest(tmp_path, "run-1")
    ref = TableRef.find(str(tmp_path / "lake"), S3Options())
    hive = interval_layout(SHIPPED_REGISTRY, "log_event", "hive")
    with pytest.raises(LayoutMismatchError, match=r"layout 'hive' \(dt=YYYY-MM-DD"):
        reconcile_interval(str(tmp_path / "raw"), ref, SINCE, UNTIL, 0, dt.timedelta(0), hive)
    config = IngestConfig(
        str(tmp_path / "raw"),
        str(tmp_path / "other"),
        "run-2",
        UNTIL,
        registry=SHIPPED_REGISTRY,
        settle_seconds=0,
    )
    with pytest.raises(LayoutMismatchError, match="part-"):
        run_ingest(config, SerialRunner())  # hive's *.avro: none of Flink's part files
    assert not (tmp_path / "other").exists()  # nothing was created
