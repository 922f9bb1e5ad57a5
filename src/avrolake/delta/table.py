"""The Delta sink: create or evolve the table, know what it holds, make the run's one commit.

deltalake (delta-rs) records app transactions but does not enforce them, so the commit
checks `transaction_version` itself, and two runs committing at once conflict on the same
app id: the loser reloads, drops the files the winner landed, and tries again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder
from deltalake import Field as DeltaField
from deltalake.exceptions import CommitFailedError, DeltaError, TableNotFoundError
from deltalake.transaction import AddAction, CommitProperties, RemoveAction, Transaction

from avrolake.delta.columns import SOURCE_FILE
from avrolake.errors import AvrolakeError

log = logging.getLogger(__name__)
APP_ID = "avrolake-ingest"
MAX_COMMIT_ATTEMPTS = 5


class SchemaMigrationRequiredError(AvrolakeError):
    """The reader schema changes the type of a column Delta already holds."""

    def __init__(self, table_uri: str, changes: list[str]) -> None:
        self.changes = changes
        super().__init__(
            f"table {table_uri} holds columns whose type the reader schema changes "
            f"({'; '.join(changes)}). Delta cannot widen types in place and avrolake never "
            f"casts silently: run `avrolake migrate --table {table_uri}` once to rewrite the "
            "table with the new types, then run the ingest again."
        )


@dataclass(frozen=True)
class FileAdd:
    """A Parquet file a task wrote into the table path, not yet committed."""

    path: str  # relative to the table root
    size: int
    partition_values: dict[str, str | None]
    modification_time: int
    stats: str

    def action(self) -> AddAction:
        return AddAction(
            self.path, self.size, self.partition_values, self.modification_time, True, self.stats
        )


def open_table(
    uri: str, schema: pa.Schema, partition_by: list[str], storage_options: dict[str, str]
) -> DeltaTable:
    """Load the table, creating it (version 0) on the first run and adding new columns."""
    try:
        table = DeltaTable(uri, storage_options=storage_options)
    except TableNotFoundError:
        log.info("creating Delta table %s partitioned by %s", uri, partition_by or "nothing")
        try:
            return DeltaTable.create(
                uri, schema, partition_by=partition_by or None, storage_options=storage_options
            )
        except DeltaError:
            table = DeltaTable(uri, storage_options=storage_options)  # a concurrent run made it
    evolve_schema(table, uri, schema)
    return table


def evolve_schema(table: DeltaTable, uri: str, schema: pa.Schema) -> None:
    current = pa.schema(table.schema().to_arrow())
    changed = [
        f"{f.name}: {current.field(f.name).type} -> {f.type}"
        for f in schema
        if f.name in current.names and not _same_type(current.field(f.name).type, f.type)
    ]
    if changed:
        raise SchemaMigrationRequiredError(uri, changed)
    added = [f for f in schema if f.name not in current.names]
    if added:
        log.info("adding columns %s to %s", [f.name for f in added], uri)
        table.alter.add_columns([DeltaField.from_arrow(f) for f in added])


def _same_type(old: pa.DataType, new: pa.DataType) -> bool:
    """Equal, ignoring large/small string and binary variants Delta does not distinguish."""
    normal = {
        pa.large_string(): pa.string(),
        pa.large_binary(): pa.binary(),
        pa.string_view(): pa.string(),
    }
    return bool(normal.get(old, old) == normal.get(new, new)) or str(old) == str(new)


def query(table: DeltaTable, sql: str) -> list[dict[str, Any]]:
    """Run SQL over the table as `t` (delta-rs's own engine; no pyarrow dataset threads)."""
    result: list[dict[str, Any]] = pa.table(
        QueryBuilder().register("t", table).execute(sql).read_all()
    ).to_pylist()
    return result


def landed_sources(table: DeltaTable, candidates: Sequence[str] = ()) -> set[str]:
    """Source files whose rows the table already holds (read from `_source_file`)."""
    if SOURCE_FILE not in pa.schema(table.schema().to_arrow()).names:
        return set()
    rows = query(table, f'SELECT DISTINCT "{SOURCE_FILE}" AS s FROM t')
    landed = {str(r["s"]) for r in rows if r["s"] is not None}
    return landed & set(candidates) if candidates else landed


def commit_run(
    table: DeltaTable,
    adds_by_source: dict[str, list[FileAdd]],
    schema: pa.Schema,
    partition_by: list[str],
    metadata: Callable[[list[str]], dict[str, Any]],
) -> tuple[int | None, list[str]]:
    """Commit the adds of every source file not landed meanwhile, in ONE commit.

    Returns the new table version (None when nothing was left to commit) and the source
    files dropped because another run landed them first.
    """
    dropped: list[str] = []
    for attempt in range(1, MAX_COMMIT_ATTEMPTS + 1):
        landed = landed_sources(table, list(adds_by_source))
        for source in landed:
            dropped.append(source)
            adds_by_source.pop(source)
        if not any(adds_by_source.values()):
            return None, dropped
        txn = (table.transaction_version(APP_ID) or 0) + 1
        actions: list[AddAction | RemoveAction] = [
            a.action() for adds in adds_by_source.values() for a in adds
        ]
        properties = CommitProperties(
            custom_metadata={"avrolake": json.dumps(metadata(sorted(adds_by_source)))},
            app_transactions=[Transaction(APP_ID, txn)],
        )
        try:
            table.create_write_transaction(
                actions,
                "append",
                schema,
                partition_by=partition_by or None,
                commit_properties=properties,
            )
        except CommitFailedError as exc:
            log.warning("commit attempt %d lost a race (%s); reloading", attempt, exc)
            table.update_incremental()
            continue
        table.update_incremental()
        return table.version(), dropped
    raise AvrolakeError(
        f"could not commit after {MAX_COMMIT_ATTEMPTS} attempts: other runs keep committing "
        "to this table at the same moment; run again"
    )
