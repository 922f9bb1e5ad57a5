"""The quarantine table beside the main one: one row per file that could not be landed.

Its location is the table handle's `quarantine_uri` (<table>_quarantine unless configured).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from deltalake import write_deltalake

from avrolake.errors import QuarantineKind
from avrolake.lake.table import TableRef, query

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("path", pa.string()),
        pa.field("size", pa.int64()),
        pa.field("error_kind", pa.string()),
        pa.field("message", pa.string()),
        pa.field("writer_fingerprint", pa.string()),
        pa.field("writer_schema", pa.string()),
        pa.field("run_id", pa.string()),
        pa.field("quarantined_at", pa.timestamp("us", tz="UTC")),
        pa.field("reader_fingerprint", pa.string()),
    ]
)


@dataclass(frozen=True)
class QuarantineRow:
    path: str
    size: int
    error_kind: QuarantineKind
    message: str
    writer_fingerprint: str | None
    writer_schema: str | None
    run_id: str
    quarantined_at: dt.datetime
    reader_fingerprint: str | None = None  # the reader schema the file was tried with


def append_quarantine(ref: TableRef, rows: Sequence[QuarantineRow]) -> None:
    """Add rows to the table's quarantine table (created on first use)."""
    if not rows:
        return
    records = [{**r.__dict__, "error_kind": r.error_kind.value} for r in rows]
    data = pa.Table.from_pylist(records, schema=QUARANTINE_SCHEMA)
    write_deltalake(
        ref.quarantine_uri,
        data,
        mode="append",
        schema_mode="merge",  # tables from before reader_fingerprint gain the column
        storage_options=ref.storage_options,
    )


def read_quarantine(ref: TableRef) -> list[dict[str, Any]]:
    """Every quarantine row of the table, oldest first ([] when nothing was quarantined)."""
    table = ref.quarantine().load()
    if table is None:
        return []
    return query(table, "SELECT * FROM t ORDER BY quarantined_at, path")
