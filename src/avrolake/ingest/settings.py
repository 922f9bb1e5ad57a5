"""The job's one frozen settings object, built by an entry point (CLI, spark-submit, DAG)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from avrolake.delta.columns import Partitioning
from avrolake.ingest.discover import SourceFilter
from avrolake.storage import S3Options


@dataclass(frozen=True)
class IngestSettings:
    source: str
    table: str
    registry: Path = Path("schemas")
    subject: str = "log_event"
    quarantine_table: str | None = None  # default: <table>_quarantine
    master: str = "local[2]"
    run_id: str = ""
    filters: SourceFilter = field(default_factory=SourceFilter)
    partitioning: Partitioning = field(default_factory=Partitioning)
    batch_size: int = 8192
    max_task_bytes: int = 128 * 1024 * 1024
    s3: S3Options = field(default_factory=S3Options)
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
