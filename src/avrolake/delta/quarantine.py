"""The quarantine table beside the main one: one row per file that could not be landed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from avrolake.delta.table import query

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
    ]
)


@dataclass(frozen=True)
class QuarantineRow:
    path: str
    size: int
    error_kind: str
    message: str
    writer_fingerprint: str | None
    writer_schema: str | None
    run_id: str
    quarantined_at: dt.datetime


def quarantine_uri(table_uri: str) -> str:
    return f"{table_uri.rstrip('/')}_quarantine"


def append_quarantine(
    uri: str, rows: Sequence[QuarantineRow], storage_options: dict[str, str]
) -> int | None:
    if not rows:
        return None
    data = pa.Table.from_pylist([r.__dict__ for r in rows], schema=QUARANTINE_SCHEMA)
    write_deltalake(uri, data, mode="append", storage_options=storage_options)
    return DeltaTable(uri, storage_options=storage_options).version()


def quarantined_sources(uri: str, storage_options: dict[str, str]) -> set[str]:
    return {str(r["path"]) for r in read_quarantine(uri, storage_options)}


def read_quarantine(uri: str, storage_options: dict[str, str]) -> list[dict[str, Any]]:
    try:
        table = DeltaTable(uri, storage_options=storage_options)
    except TableNotFoundError:
        return []
    return query(table, "SELECT * FROM t ORDER BY quarantined_at, path")
