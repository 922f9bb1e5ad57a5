"""The ledger rows a run reads cover every folder it listed, shallow and deep."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from avrolake.config import IngestConfig
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.storage import resolve
from tests.conftest import SHIPPED_REGISTRY
from tests.fixtures.lake import generate_logs

pytestmark = pytest.mark.unit


def config(tmp: Path, run_id: str) -> IngestConfig:
    return IngestConfig(
        source=str(tmp / "raw"),
        table=str(tmp / "lake"),
        registry=SHIPPED_REGISTRY,
        run_id=run_id,
        started_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        settle_seconds=0,
    )


def test_a_file_above_the_partition_folders_is_decided_once(tmp_path: Path) -> None:
    """`raw/x.avro` sorts after `raw/dt=…/`: a range ending at the last folder missed it, and
    every later run decided it again."""
    generate_logs(resolve(str(tmp_path / "raw")), files=2, records=5)
    loop = tmp_path / "raw" / "loop.avro"
    loop.symlink_to(loop)
    first = run_ingest(config(tmp_path, "r1"), SerialRunner()).as_dict()
    assert (first["files_seen"], first["files_ingested"], first["files_quarantined"]) == (3, 2, 1)
    again = run_ingest(config(tmp_path, "r2"), SerialRunner()).as_dict()
    assert (again["files_skipped"], again["files_quarantined"], again["files_ingested"]) == (
        3,
        0,
        0,
    )
