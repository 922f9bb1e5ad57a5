"""A registry of one subject, files written under its versions, and an in-process ingest run
(SerialRunner, no Spark) into a real Delta table, read back with delta-rs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from avrolake.config import IngestConfig, PartitionOverride
from avrolake.ingest import SerialRunner, run_ingest
from avrolake.storage import resolve
from tests.fixtures.lake import sql, write_avro

SUBJECT = "subject"
STARTED = dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC)


def registry(root: Path, versions: list[dict[str, Any]]) -> Path:
    folder = root / "registry" / SUBJECT
    folder.mkdir(parents=True)
    for number, doc in enumerate(versions, start=1):
        (folder / f"v{number}.avsc").write_text(json.dumps(doc))
    return root / "registry"


def config(root: Path, versions: list[dict[str, Any]]) -> IngestConfig:
    return IngestConfig(
        source=str(root / "raw"),
        table=str(root / "table"),
        run_id="run-1",
        started_at=STARTED,
        settle_seconds=0,
        registry=registry(root, versions),
        subject=SUBJECT,
        partitioning=PartitionOverride(field=""),
    )


def ingest(
    root: Path, versions: list[dict[str, Any]], files: list[tuple[dict[str, Any], list[Any]]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The run summary and the data rows (no metadata columns), by file and first column."""
    raw = resolve(str(root / "raw"))
    for number, (schema, records) in enumerate(files):
        write_avro(raw, f"f{number:03d}.avro", schema, records)
    summary = run_ingest(config(root, versions), SerialRunner()).as_dict()
    names = [f["name"] for f in versions[-1]["fields"]]
    columns = ", ".join(f'"{n}"' for n in names)
    order = f'"_source_file", "{names[0]}"'
    rows = sql(str(root / "table"), f"SELECT {columns} FROM t ORDER BY {order}")
    return summary, rows
