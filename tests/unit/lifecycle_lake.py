"""A small lake for the source-file lifecycle tests: one subject, hourly dt=/hour= partitions,
files written with fastavro and given explicit modification times, the job run in-process."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
from pathlib import Path
from typing import Any

import fastavro

from avrolake.config import Backfill, IngestConfig
from avrolake.ingest import SerialRunner, TaskRunner, run_ingest
from avrolake.lake import TableRef
from avrolake.storage import S3Options
from tests.fixtures.lake import sql

READER: dict[str, Any] = {
    "type": "record",
    "name": "Ping",
    "namespace": "io.example",
    "fields": [
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "n", "type": "int"},
    ],
}
# the same record with `n` a string: the reader cannot read it (incompatible_schema)
INCOMPATIBLE = {**READER, "fields": [READER["fields"][0], {"name": "n", "type": "string"}]}
DAY = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def hour(h: int) -> dt.datetime:
    return DAY + dt.timedelta(hours=h)


def avro_bytes(records: int, at: dt.datetime, first: int = 0, schema: Any = READER) -> bytes:
    millis = int(at.timestamp() * 1000)
    rows = [
        {"ts": millis + i, "n": str(first + i) if schema is INCOMPATIBLE else first + i}
        for i in range(records)
    ]
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(schema), rows)
    return buffer.getvalue()


@dataclasses.dataclass
class Lake:
    root: Path
    clock: int = 0  # every write gets a new, later modification time

    def __post_init__(self) -> None:
        subject = self.root / "registry" / "pings"
        subject.mkdir(parents=True, exist_ok=True)
        (subject / "v1.avsc").write_text(json.dumps(READER))

    @property
    def table(self) -> str:
        return str(self.root / "lake" / "pings")

    def path(self, h: int, name: str) -> Path:
        at = hour(h)
        return self.root / "raw" / f"dt={at:%Y-%m-%d}" / f"hour={at:%H}" / name

    def uri(self, h: int, name: str) -> str:
        return str(self.path(h, name).resolve())

    def put(self, h: int, name: str, data: bytes, mtime: dt.datetime | None = None) -> str:
        """Write (or overwrite) a file of hour h; its mtime is `mtime` or a fresh one."""
        target = self.path(h, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.clock += 1
        when = mtime or (DAY - dt.timedelta(days=30) + dt.timedelta(seconds=self.clock))
        os.utime(target, (when.timestamp(), when.timestamp()))
        return str(target.resolve())

    def write(self, h: int, name: str, records: int, first: int = 0) -> str:
        return self.put(h, name, avro_bytes(records, hour(h), first))

    def config(self, since: int | None, **changes: Any) -> IngestConfig:
        """The run of the interval [hour since, hour since + 1) (None: everything)."""
        backfill = Backfill() if since is None else Backfill(hour(since), hour(since + 1))
        started = hour(since + 1) + dt.timedelta(minutes=5) if since is not None else hour(72)
        base = IngestConfig(
            source=str(self.root / "raw"),
            table=self.table,
            run_id=f"run-{self.clock}-{since}",
            started_at=started,
            registry=self.root / "registry",
            settle_seconds=0,
            backfill=backfill,
        )
        return dataclasses.replace(base, **changes)

    def run(
        self, since: int | None, runner: TaskRunner | None = None, **changes: Any
    ) -> dict[str, Any]:
        self.clock += 1
        return run_ingest(self.config(since, **changes), runner or SerialRunner()).as_dict()

    def rows(self) -> dict[str, int]:
        found = sql(self.table, 'SELECT "_source_file" s, COUNT(*) n FROM t GROUP BY 1')
        return {r["s"]: r["n"] for r in found}

    def ref(self) -> TableRef:
        return TableRef.find(self.table, S3Options())
