"""The one table handle, and creating or evolving the Delta table it names.

A `TableRef` carries everything that identifies a landed table: its URI, how to reach its
storage, where its quarantine table is, and (for writers) the subject's table settings. Every
consumer (ingest, status, reconcile, migrate, maintenance, the data source) takes one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from avrolake.config import default_quarantine_uri, ledger_uri
from avrolake.errors import AvrolakeError, ConfigError, SchemaMigrationRequiredError
from avrolake.lake.columns import KEPT_KEY, READER_KEY, SOURCE_FILE
from avrolake.lake.features import check_writable
from avrolake.lake.kept import back_in_reader, without_kept
from avrolake.lake.ntz import ensure_ntz_feature, needs_ntz_feature, ntz_in_map
from avrolake.lake.record import COMMIT_INFO_KEY, RunRecord
from avrolake.registry import TableSettings
from avrolake.storage import Location, S3Options, resolve
from avrolake.storage_errors import translated

if TYPE_CHECKING:  # delta-rs is imported where it is used: a Spark worker never loads it
    from deltalake import DeltaTable

log = logging.getLogger(__name__)
# the ledger commit-info key of a run's note: {"table_version", "quarantine_table"}
RUN_NOTE_KEY = "avrolake_run"
RECORD_LOOKBACK = 100  # commits searched for the last run's record (maintenance commits too)


@dataclass(frozen=True)
class TableRef:
    """A Delta table and everything needed to reach it (S3 secrets never appear in its repr)."""

    uri: str  # what deltalake takes: s3://bucket/path or an absolute local path
    quarantine_uri: str
    s3: S3Options = field(default_factory=S3Options, repr=False)
    settings: TableSettings | None = None  # the subject's partitioning (writers need it)

    @classmethod
    def at(
        cls,
        uri: str,
        s3: S3Options,
        *,
        quarantine: str | None = None,
        settings: TableSettings | None = None,
    ) -> TableRef:
        """The table at `uri`; its quarantine table is `quarantine` or <table>_quarantine."""
        table = resolve(uri, s3).delta_uri()
        q_uri = resolve(quarantine, s3).delta_uri() if quarantine else None
        return cls(table, q_uri or default_quarantine_uri(table), s3, settings)

    @classmethod
    def find(
        cls,
        uri: str,
        s3: S3Options,
        *,
        quarantine: str | None = None,
        settings: TableSettings | None = None,
        loaded: DeltaTable | None = None,
        ledger: DeltaTable | None = None,
    ) -> TableRef:
        """Like `at`, but without `quarantine` the quarantine table is the one the table's last
        run recorded in its commit (docs/table.md), so a run's --quarantine-table is found
        again by status, reconcile, maintenance and later runs without repeating it.
        `loaded`: the table, already loaded by the caller (None: load it here)."""
        ref = cls.at(uri, s3, quarantine=quarantine, settings=settings)
        if quarantine:
            return ref
        recorded = ref.recorded_quarantine(loaded, ledger)
        return replace(ref, quarantine_uri=recorded) if recorded else ref

    def recorded_quarantine(
        self, table: DeltaTable | None = None, ledger: DeltaTable | None = None
    ) -> str | None:
        """The quarantine table named by the newest avrolake commit, if any.

        Read from the run note on the ledger's commits (`RUN_NOTE_KEY`: the run's table
        version and quarantine table, a few bytes) plus the main commits after that version;
        the main table's own history is searched only without a note (a table landed before
        notes, a run that died before its ledger rows). An audit record can be megabytes
        (one entry per source), and planning should not parse it. `table`: this table,
        already loaded (None: load it).
        """
        if table is None:
            table = self.load()
        if table is None:
            return None
        note = self._run_note(ledger)
        if note is not None and note[0] <= table.version():
            later = table.version() - note[0]
            for commit in table.history(limit=later) if later else []:
                if int(commit.get("version", -1)) > note[0] and COMMIT_INFO_KEY in commit:
                    return _quarantine_of(commit)
            return note[1]
        for commit in table.history(limit=RECORD_LOOKBACK):
            if COMMIT_INFO_KEY in commit:
                return _quarantine_of(commit)
        return None

    def _run_note(self, ledger: DeltaTable | None = None) -> tuple[int, str | None] | None:
        """(table version, quarantine table) of the newest run note on the ledger's commits
        (`ledger`: the ledger table, already loaded; None: load it)."""
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        if ledger is None:
            try:
                with translated(self.ledger_uri, self.endpoint):
                    ledger = DeltaTable(self.ledger_uri, storage_options=self.storage_options)
            except TableNotFoundError:
                return None
        for limit in (1, RECORD_LOOKBACK):  # the newest commit is usually a run's
            for commit in ledger.history(limit=limit):
                if RUN_NOTE_KEY in commit:
                    note = json.loads(commit[RUN_NOTE_KEY])
                    return int(note["table_version"]), note.get("quarantine_table") or None
        return None

    @property
    def storage_options(self) -> dict[str, str]:
        """deltalake's storage options for this table (empty for a local path)."""
        return self.s3.delta_storage_options() if self.uri.startswith("s3://") else {}

    @property
    def ledger_uri(self) -> str:
        """The source ledger (docs/ledger.md): always beside the table, <table>_ledger."""
        return ledger_uri(self.uri)

    def location(self) -> Location:
        """The table's folder, for writing data files into it."""
        return resolve(self.uri, self.s3)

    def quarantine(self) -> TableRef:
        """The quarantine table as a handle of its own (for maintenance and queries)."""
        return replace(self, uri=self.quarantine_uri, settings=None)

    @property
    def endpoint(self) -> str | None:
        """The S3 endpoint the table is reached at (None: AWS itself, or a local path)."""
        return self.s3.endpoint_url if self.uri.startswith("s3://") else None

    def ledger(self) -> TableRef:
        """The source ledger as a handle of its own (for maintenance)."""
        return replace(self, uri=self.ledger_uri, settings=None)

    def _create(self, schema: pa.Schema, partition_by: list[str]) -> DeltaTable:
        """Create the table; columns with a timestamp without time zone in a map are added
        once the `timestampNtz` feature is on (lake/ntz.py)."""
        from deltalake import DeltaTable
        from deltalake import Field as DeltaField

        later = [f for f in schema if ntz_in_map(f.type)]
        first = pa.schema([f for f in schema if not ntz_in_map(f.type)], schema.metadata)
        table = DeltaTable.create(
            self.uri, first, partition_by=partition_by or None,
            storage_options=self.storage_options,
        )  # fmt: skip
        if later:
            ensure_ntz_feature(table)
            table.alter.add_columns([DeltaField.from_arrow(f) for f in later])
        return table

    def load(self) -> DeltaTable | None:
        """The Delta table, or None when there is none yet. A storage problem (endpoint,
        bucket, credentials, a gap in the log) is raised as a `StorageProblemError`."""
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        try:
            with translated(self.uri, self.endpoint):
                return DeltaTable(self.uri, storage_options=self.storage_options)
        except TableNotFoundError:
            return None

    def require(self) -> DeltaTable:
        table = self.load()
        if table is None:
            raise AvrolakeError(f"no Delta table at {self.uri}; run `avrolake ingest` first")
        return table

    def open_or_create(
        self,
        schema: pa.Schema,
        renames: Mapping[str, Sequence[str]] | None = None,
        loaded: DeltaTable | None = None,
        needs_values: Mapping[str, str] | None = None,
        *,
        reader_version: int | None = None,
        value_changes: Sequence[str] = (),
    ) -> DeltaTable:
        """Load the table, creating it (version 0) on the first run and adding new columns.

        `renames` maps a reader field to its aliases (its earlier names); `loaded`: the
        table as the caller just loaded it (None: load it here); `needs_values`: reader
        columns that rows already landed must not read as NULL, with the reason;
        `value_changes`: what the reader reads differently in rows already landed (they need
        `migrate`); `reader_version`: recorded as the table's reader once nothing needs it.
        """
        from deltalake.exceptions import DeltaError

        partition_by = self.settings.partition_columns if self.settings else []
        table = loaded if loaded is not None else self.load()
        if table is None:
            log.info(
                "creating Delta table %s partitioned by %s", self.uri, partition_by or "nothing"
            )
            try:
                with translated(self.uri, self.endpoint):
                    return self._create(with_reader(schema, reader_version), partition_by)
            except DeltaError:
                table = self.require()  # a concurrent run made it
        check_writable(self.uri, table.protocol())
        existing = list(table.metadata().partition_columns)
        if existing != partition_by:
            raise ConfigError(
                f"table {self.uri} is partitioned by {existing or 'nothing'}, but the subject's "
                f"table settings ask for {partition_by or 'nothing'}; a table keeps its "
                "partitioning: restore the settings (table.json / --partition-field / "
                "--partition-column) or land into a new table"
            )
        evolve_schema(table, self.uri, schema, renames or {}, needs_values or {}, value_changes)
        if reader_version is not None and recorded_reader(table) != reader_version:
            record_reader(table, reader_version)
        return table


def renamed_columns(
    current: Sequence[str], schema: pa.Schema, renames: Mapping[str, Sequence[str]]
) -> dict[str, str]:
    """{new name: old column} for reader fields the table holds only under an alias."""
    found = {}
    for column in schema:
        if column.name in current:
            continue
        old = [a for a in renames.get(column.name, ()) if a in current]
        if old:
            found[column.name] = old[0]
    return found


def evolve_schema(
    table: DeltaTable,
    uri: str,
    schema: pa.Schema,
    renames: Mapping[str, Sequence[str]],
    needs_values: Mapping[str, str] | None = None,
    value_changes: Sequence[str] = (),
) -> None:
    """Add the reader's new columns; refuse a change Delta cannot make in place.

    A type change, a rename through aliases (adding the new name would leave its old rows
    NULL), a new column that landed rows must not read as NULL (`needs_values`: a non-NULL
    default, or a field older writers wrote) and a column the reader had removed and now has
    again need `avrolake migrate`, which rewrites the table once. Columns the reader no
    longer has are kept, marked with `KEPT_KEY` in their metadata.
    """
    current = pa.schema(table.schema().to_arrow())
    kept = {f.name for f in current if KEPT_KEY.encode() in (f.metadata or {})}
    held = {f.name: without_kept(f.type, schema.field(f.name).type)
            for f in current if f.name in schema.names}  # fmt: skip
    changed = [
        f"{f.name}: {current.field(f.name).type} -> {f.type}"
        for f in schema
        if f.name in held and not same_type(held[f.name], f.type)
    ]
    changed += [
        f"{old} renamed to {new}"
        for new, old in renamed_columns(current.names, schema, renames).items()
    ]
    changed += [
        f"{f.name} is back in the reader after it was removed" for f in schema if f.name in kept
    ]
    changed += [
        f"{path} is back in the reader after it was removed"
        for f in schema if f.name in held
        for path in back_in_reader(current.field(f.name).type, f.type, f.name)
    ]  # fmt: skip
    changed += value_changes
    added = [f for f in schema if f.name not in current.names]
    if added and needs_values and table.file_uris():
        changed += [
            f"{f.name} added ({needs_values[f.name]})" for f in added if f.name in needs_values
        ]
    if changed:
        raise SchemaMigrationRequiredError(uri, changed)
    if added:
        from deltalake import Field as DeltaField

        log.info("adding columns %s to %s", [f.name for f in added], uri)
        if needs_ntz_feature(added):
            ensure_ntz_feature(table)
        table.alter.add_columns([DeltaField.from_arrow(f) for f in added])
    for name in [f.name for f in current if f.name not in schema.names and f.name not in kept]:
        log.info("column %s of %s is not in the reader: kept with its values", name, uri)
        table.alter.set_column_metadata(name, {KEPT_KEY: "not in the reader"})


def recorded_reader(table: DeltaTable) -> int | None:
    """The reader version the table's rows were landed or migrated with (None: not recorded,
    a table made before it was). It is kept in the column metadata of `_source_file`."""
    fields = pa.schema(table.schema().to_arrow())
    if SOURCE_FILE not in fields.names:
        return None
    value = (fields.field(SOURCE_FILE).metadata or {}).get(READER_KEY.encode(), b"")
    return int(value) if value.isdigit() else None


def record_reader(table: DeltaTable, version: int) -> None:
    """Record the table's reader version (a metadata-only commit)."""
    log.info("recording reader version %d as the reader of the table", version)
    table.alter.set_column_metadata(SOURCE_FILE, {READER_KEY: str(version)})


def with_reader(schema: pa.Schema, version: int | None) -> pa.Schema:
    """`schema` recording `version` as the table's reader (unchanged without one)."""
    if version is None or SOURCE_FILE not in schema.names:
        return schema
    index = schema.get_field_index(SOURCE_FILE)
    return schema.set(index, schema.field(index).with_metadata({READER_KEY: str(version)}))


def same_type(old: pa.DataType, new: pa.DataType) -> bool:
    """Equal, ignoring large/small string and binary variants Delta does not distinguish."""
    normal = {
        pa.large_string(): pa.string(),
        pa.large_binary(): pa.binary(),
        pa.string_view(): pa.string(),
    }
    return bool(normal.get(old, old) == normal.get(new, new)) or str(old) == str(new)


def query(table: DeltaTable, sql: str) -> list[dict[str, Any]]:
    """Run SQL over the table as `t` (delta-rs's engine; no pyarrow dataset threads).

    The result is taken over the Arrow C stream: `pa.table(…)` would first import pandas
    (0.2 s) to ask whether it was given a DataFrame.
    """
    result: list[dict[str, Any]] = query_arrow(table, sql).to_pylist()
    return result


def query_arrow(table: DeltaTable, sql: str) -> pa.Table:
    """`query`'s result as an Arrow table (no Python objects made)."""
    from deltalake import QueryBuilder

    stream = QueryBuilder().register("t", table).execute(sql)
    return pa.RecordBatchReader.from_stream(stream).read_all()


def _quarantine_of(commit: Mapping[str, Any]) -> str | None:
    record = RunRecord.from_commit(commit)
    return record.quarantine_table if record is not None else None
