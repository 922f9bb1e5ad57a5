"""One bad entry never blocks the rest (issue 18, point 4), on real Spark: each odd entry of
a local source is quarantined with its kind, and every other file lands, exactly: per file,
the records in the source equal the rows in the table (or the file is quarantined).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import fastavro
import pytest

from avrolake.config import IngestConfig
from avrolake.ingest import SourceFile, WorkerContext, run_ingest
from avrolake.ingest.worker import Outcome
from avrolake.spark.runner import SparkRunner
from avrolake.storage import resolve
from tests.conftest import SHIPPED_REGISTRY
from tests.fixtures.lake import generate_logs, sql

pytestmark = pytest.mark.spark
STARTED = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)


def config(tmp: Path, run_id: str) -> IngestConfig:
    return IngestConfig(
        source=str(tmp / "raw"),
        table=str(tmp / "lake" / "logs"),
        run_id=run_id,
        started_at=STARTED,
        settle_seconds=0,
        registry=SHIPPED_REGISTRY,
    )


def good_files(tmp: Path, files: int = 3) -> dict[str, int]:
    """Seeded log files in the source: {path: records}."""
    generate_logs(resolve(str(tmp / "raw")), files=files, records=40, seed=7)
    return {str(p): records_in(p) for p in sorted((tmp / "raw").rglob("*.avro"))}


def records_in(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in fastavro.reader(handle))


def ingest(spark: Any, tmp: Path, run_id: str = "run-1", runner: Any = None) -> dict[str, Any]:
    summary = run_ingest(config(tmp, run_id), runner or SparkRunner(lambda: spark))
    assert summary.accounted, summary
    return summary.as_dict()


def rows_by_file(tmp: Path) -> dict[str, int]:
    rows = sql(str(tmp / "lake" / "logs"), 'SELECT "_source_file" s, COUNT(*) n FROM t GROUP BY 1')
    return {r["s"]: r["n"] for r in rows}


def quarantine_messages(tmp: Path) -> dict[str, tuple[str, str]]:
    rows = sql(str(tmp / "lake" / "logs_quarantine"), "SELECT path, error_kind, message FROM t")
    return {r["path"]: (r["error_kind"], r["message"]) for r in rows}


def test_a_self_referencing_link_is_quarantined_and_every_other_file_lands(
    spark: Any, tmp_path: Path
) -> None:
    good = good_files(tmp_path)
    loop = tmp_path / "raw" / "loop.avro"
    loop.symlink_to(loop)
    summary = ingest(spark, tmp_path)
    assert summary["quarantined"] == [{"path": str(loop), "error_kind": "link_loop"}]
    assert (summary["files_seen"], summary["files_ingested"]) == (4, 3)
    assert rows_by_file(tmp_path) == good
    again = ingest(spark, tmp_path, "run-2")
    assert (again["files_skipped"], again["files_quarantined"]) == (4, 0)


def test_a_link_out_of_the_source_is_not_followed_and_nothing_of_it_is_quoted(
    spark: Any, tmp_path: Path
) -> None:
    good = good_files(tmp_path)
    secret = tmp_path / "etc" / "shadow"
    secret.parent.mkdir()
    secret.write_bytes(b"root:$6$SECRETHASH:19000:0:99999:7:::\n")
    link = tmp_path / "raw" / "shadow.avro"
    link.symlink_to(secret)
    summary = ingest(spark, tmp_path)
    assert summary["quarantined"] == [{"path": str(link), "error_kind": "outside_link"}]
    assert rows_by_file(tmp_path) == good
    kind, message = quarantine_messages(tmp_path)[str(link)]
    assert kind == "outside_link"
    assert "root" not in message
    assert "SECRET" not in message


def test_a_quarantine_message_never_quotes_the_file_content(spark: Any, tmp_path: Path) -> None:
    good = good_files(tmp_path)
    text = tmp_path / "raw" / "passwords.avro"
    text.write_bytes(b"root:hunter2\nadmin:letmein\n")
    summary = ingest(spark, tmp_path)
    assert summary["quarantined"] == [{"path": str(text), "error_kind": "not_avro"}]
    assert rows_by_file(tmp_path) == good
    kind, message = quarantine_messages(tmp_path)[str(text)]
    assert kind == "not_avro"
    assert message.startswith("file starts with <4 bytes not shown>, not the Avro magic")
    ledger = sql(str(tmp_path / "lake" / "logs_ledger"), "SELECT path, message FROM t")
    assert [r["message"] for r in ledger if r["path"] == str(text)] == [message]


class FolderRunner(SparkRunner):
    """Turns a listed file into a folder (holding a good file) before the tasks read it."""

    def __init__(self, spark: Any, path: Path, inner: Path) -> None:
        super().__init__(lambda: spark)
        self.path, self.inner = path, inner

    def run(self, groups: list[list[SourceFile]], ctx: WorkerContext) -> list[Outcome]:
        self.path.unlink()
        self.path.mkdir()
        shutil.copy(self.inner, self.path / "inner.avro")
        return super().run(groups, ctx)


def test_a_name_that_became_a_folder_is_quarantined_and_the_rest_lands(
    spark: Any, tmp_path: Path
) -> None:
    good = good_files(tmp_path, files=4)
    first, *others = sorted(good)
    kept = tmp_path / "kept.avro"
    shutil.copy(first, kept)
    summary = ingest(spark, tmp_path, runner=FolderRunner(spark, Path(first), kept))
    assert summary["quarantined"] == [{"path": first, "error_kind": "not_a_file"}]
    assert rows_by_file(tmp_path) == {p: good[p] for p in others}
    later = ingest(spark, tmp_path, "run-2")  # the folder's file is a new file of the source
    inner = os.path.join(first, "inner.avro")
    assert (later["files_ingested"], later["records_written"]) == (1, good[first])
    assert rows_by_file(tmp_path) == {**{p: good[p] for p in others}, inner: good[first]}
