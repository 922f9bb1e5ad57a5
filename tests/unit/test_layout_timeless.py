"""Kafka Connect's default partitioner puts no time in the path: an interval run lands what
the ledger has not seen, whatever its interval, and reconcile checks every file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from avrolake.config import Backfill, IngestConfig
from avrolake.errors import ReconciliationError
from avrolake.generate import GenerateSpec, generate
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.lake import TableRef
from avrolake.orchestration.reconcile import interval_layout, reconcile_interval
from avrolake.registry import Registry
from avrolake.storage import S3Options, resolve
from tests.conftest import SHIPPED_REGISTRY

pytestmark = pytest.mark.unit

# an interval long after the files' event times: with no time in the path, that cannot matter
SINCE = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
UNTIL = SINCE + dt.timedelta(hours=1)


def kafka_connect(raw: Path, files: int, seed: int) -> list[str]:
    versions = Registry(SHIPPED_REGISTRY).versions("log_event")
    spec = GenerateSpec(files=files, records=4, seed=seed, layout="kafka-connect", topic="logs")
    return [f.path for f in generate(versions, resolve(str(raw)), spec).files]


def ingest(tmp: Path, run_id: str) -> dict[str, object]:
    config = IngestConfig(
        str(tmp / "raw"),
        str(tmp / "lake"),
        run_id,
        UNTIL,
        registry=SHIPPED_REGISTRY,
        backfill=Backfill(SINCE, UNTIL),
        settle_seconds=0,
        layout="kafka-connect",
    )
    return run_ingest(config, SerialRunner()).as_dict()


def reconcile(tmp: Path) -> dict[str, object]:
    ref = TableRef.find(str(tmp / "lake"), S3Options())
    layout = interval_layout(SHIPPED_REGISTRY, None, "kafka-connect")
    return reconcile_interval(
        str(tmp / "raw"), ref, SINCE, UNTIL, 0, dt.timedelta(hours=1), layout
    ).as_dict()


def test_an_interval_run_lands_every_unseen_file_and_reconcile_checks_all(
    tmp_path: Path,
) -> None:
    kafka_connect(tmp_path / "raw", files=3, seed=1)
    first = ingest(tmp_path, "run-1")
    assert (first["files_seen"], first["files_ingested"], first["files_late"]) == (3, 3, 0)
    checked = reconcile(tmp_path)
    assert (checked["files_seen"], checked["files_landed"], checked["lookback_from"]) == (3, 3, "")

    (late,) = kafka_connect(tmp_path / "raw" / "partition=3", files=1, seed=2)
    with pytest.raises(ReconciliationError, match=r"\(every file under the prefix: its layout"):
        reconcile(tmp_path)  # the new file is missing until a run lands it
    second = ingest(tmp_path, "run-2")
    assert (second["files_seen"], second["files_ingested"], second["files_skipped"]) == (4, 1, 3)
    assert reconcile(tmp_path)["files_landed"] == 4
    assert late.endswith("/partition=3/partition=0/logs+0+0000000000.avro")
