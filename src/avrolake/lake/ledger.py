"""The source ledger: what became of every source file, a small Delta table beside the table.

One row per decision about a source file: landed (with its size, modification time, ETag,
Avro sync marker, record count and the data files that hold its rows), quarantined (kind,
reason, the reader schema it was tried with), a duplicate (a byte-identical copy of a landed
file) or released (`avrolake quarantine retry`). The newest row per path is the file's state.

The main table's commit is the truth: each run's audit record (docs/table.md) carries every
field of its ledger rows, and the ledger is written right after that commit from the same
record. A run that died in between is repaired by the next one (`sync`), which rebuilds the
missing rows from the commit history. Reruns, reconcile, status and healing read the ledger,
never the data. docs/ledger.md is its contract.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import logging
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from dataclasses import fields as dataclasses_fields
from enum import StrEnum
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from avrolake.lake.quarantine import read_quarantine
from avrolake.lake.queries import landed_sources
from avrolake.lake.record import RunRecord
from avrolake.lake.table import RUN_NOTE_KEY, TableRef, query_arrow

log = logging.getLogger(__name__)
MESSAGE_LIMIT = 2000  # characters of a quarantine reason kept in the audit record and ledger

LEDGER_SCHEMA = pa.schema(
    [
        pa.field("path", pa.string()),
        pa.field("status", pa.string()),
        pa.field("size", pa.int64()),
        pa.field("mtime_ms", pa.int64()),
        pa.field("etag", pa.string()),
        pa.field("sync_marker", pa.string()),
        pa.field("digest", pa.string()),
        pa.field("records", pa.int64()),
        pa.field("error_kind", pa.string()),
        pa.field("message", pa.string()),
        pa.field("copy_of", pa.string()),
        pa.field("run_id", pa.string()),
        pa.field("table_version", pa.int64()),
        pa.field("writer_fingerprint", pa.string()),
        pa.field("reader_fingerprint", pa.string()),
        pa.field("data_files", pa.list_(pa.string())),
        pa.field("seq", pa.int64()),
        pa.field("recorded_at", pa.timestamp("us", tz="UTC")),
    ]
)


class SourceStatus(StrEnum):
    LANDED = "landed"  # its rows are in the table (0 rows for an empty file)
    QUARANTINED = "quarantined"  # see error_kind and message; the quarantine table has more
    DUPLICATE = "duplicate"  # byte-identical to copy_of, which is landed: not landed twice
    RELEASED = "released"  # `avrolake quarantine retry`: the next run reads it again


@dataclass(frozen=True)
class LedgerEntry:
    path: str
    status: SourceStatus
    size: int | None = None
    mtime_ms: int | None = None
    etag: str | None = None
    sync_marker: str | None = None
    digest: str | None = None
    records: int | None = None
    error_kind: str | None = None
    message: str | None = None
    copy_of: str | None = None
    run_id: str | None = None
    table_version: int | None = None
    writer_fingerprint: str | None = None
    reader_fingerprint: str | None = None
    data_files: tuple[str, ...] = field(default=())

    def changed(self, size: int, mtime_ms: int | None) -> bool:
        """Whether a listed file is no longer the one recorded.

        Size, then modification time. An entry without a recorded size (landed before the
        ledger existed) has no identity to compare and counts as unchanged.
        """
        return not unchanged((self.size, self.mtime_ms), size, mtime_ms)


ENTRY_COLUMNS = tuple(f.name for f in dataclasses_fields(LedgerEntry))


def newest_per_path(rows: pa.Table) -> pa.Table:
    """The newest row (highest seq, then recorded_at) of every path, in ENTRY_COLUMNS.

    Done in Arrow: most ledgers hold one row per path (checked first), and a window function
    over the whole ledger costs several times the read.
    """
    # delta-rs's engine returns string views; Arrow's sort and distinct kernels want strings
    rows = rows.cast(pa.schema([LEDGER_SCHEMA.field(name) for name in rows.column_names]))
    if rows.num_rows and pc.count_distinct(rows["path"]).as_py() != rows.num_rows:
        rows = rows.sort_by(
            [("path", "ascending"), ("seq", "descending"), ("recorded_at", "descending")]
        )
        paths = rows["path"]
        first = pc.not_equal(paths.slice(1), paths.slice(0, rows.num_rows - 1))
        rows = pa.concat_tables([rows.slice(0, 1), rows.slice(1).filter(first)])
    return rows.select(list(ENTRY_COLUMNS))


def unchanged(recorded: tuple[int | None, int | None], size: int, mtime_ms: int | None) -> bool:
    """Whether a listed file (size, mtime_ms) is still the one recorded as (size, mtime_ms):
    the rule behind `LedgerEntry.changed` and `LedgerState.settled`."""
    recorded_size, recorded_mtime = recorded
    return recorded_size is None or (
        recorded_size == size
        and (recorded_mtime is None or mtime_ms is None or recorded_mtime == mtime_ms)
    )


_SETTLED = frozenset({SourceStatus.LANDED.value, SourceStatus.DUPLICATE.value})
_DUPLICATE = SourceStatus.DUPLICATE.value


class LedgerState(Mapping[str, LedgerEntry]):
    """The ledger's newest entry per path, held as Arrow columns (`Ledger.state`).

    A Mapping of path -> LedgerEntry that builds entries on demand, plus the few questions a
    run asks of every listed file, answered from plain columns: `settled` (landed or
    duplicate and unchanged: skip it), `landed_keys` (copy detection) and `holders` (how many
    landed sources share each data file).
    """

    def __init__(self, rows: pa.Table | None) -> None:
        self._rows = rows
        self._columns: dict[str, list[Any]] = {}
        self._index: dict[str, int] | None = None
        self._entries: dict[str, LedgerEntry] = {}
        self._all = rows is None
        self._identity: dict[str, tuple[int | None, int | None]] | None = None
        self._duplicates: set[str] | None = None

    def _column(self, name: str) -> list[Any]:
        if name not in self._columns:
            assert self._rows is not None
            self._columns[name] = self._rows.column(name).to_pylist()
        return self._columns[name]

    def _positions(self) -> dict[str, int]:
        if self._index is None:
            paths = self._column("path") if self._rows is not None else []
            self._index = {path: i for i, path in enumerate(paths)}
        return self._index

    def __getitem__(self, path: str) -> LedgerEntry:
        entry = self._entries.get(path)
        if entry is None:
            i = self._positions()[path]
            assert self._rows is not None
            entry = self._entries[path] = _entry(self._rows.slice(i, 1).to_pylist()[0])
        return entry

    def __contains__(self, path: object) -> bool:
        return path in self._positions()

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions())

    def __len__(self) -> int:
        return len(self._positions())

    def items(self) -> Any:
        if not self._all:
            assert self._rows is not None
            self._entries = {r["path"]: _entry(r) for r in self._rows.to_pylist()}
            self._all = True
        return self._entries.items()

    def values(self) -> Any:
        self.items()
        return self._entries.values()

    def settled(self, path: str, size: int, mtime_ms: int | None) -> bool:
        """Landed (or a duplicate) and unchanged: `LedgerEntry.changed` is False."""
        if self._identity is None:
            self._identity = (
                {
                    p: (n, mtime)
                    for p, status, n, mtime in zip(
                        *(self._column(c) for c in ("path", "status", "size", "mtime_ms")),
                        strict=True,
                    )
                    if status in _SETTLED
                }
                if self._rows is not None
                else {}
            )
        recorded = self._identity.get(path)
        return recorded is not None and unchanged(recorded, size, mtime_ms)

    def is_duplicate(self, path: str) -> bool:
        """Whether the path's newest entry is a duplicate (its original decides its fate)."""
        if self._duplicates is None:
            self._duplicates = (
                {
                    p
                    for p, status in zip(self._column("path"), self._column("status"), strict=True)
                    if status == _DUPLICATE
                }
                if self._rows is not None
                else set()
            )
        return path in self._duplicates

    @property
    def exists(self) -> bool:
        """Whether the ledger table existed when read."""
        return self._rows is not None

    def last_table_version(self) -> int:
        """The highest main-table version the ledger records (-1: none)."""
        if self._rows is None or not self._rows.num_rows:
            return -1
        value = pc.max(self._rows["table_version"]).as_py()
        return -1 if value is None else int(value)

    def landed_keys(self) -> dict[tuple[str | None, int | None, str | None], str]:
        """{(sync marker, size, digest): path} of landed sources that have all three."""
        if self._rows is None:
            return {}
        columns = [self._column(c) for c in ("path", "status", "sync_marker", "size", "digest")]
        return {
            (marker, size, digest): path
            for path, status, marker, size, digest in zip(*columns, strict=True)
            if status == SourceStatus.LANDED.value and marker and digest
        }

    def holders(self) -> dict[str, int]:
        """{data file: how many landed sources' rows it holds}."""
        counts: dict[str, int] = {}
        if self._rows is None:
            return counts
        for status, files in zip(self._column("status"), self._column("data_files"), strict=True):
            if status == SourceStatus.LANDED.value:
                for f in files or ():
                    counts[f] = counts.get(f, 0) + 1
        return counts


def entries_of(record: RunRecord, version: int) -> list[LedgerEntry]:
    """The ledger rows of one run, from the run record its main commit carries."""
    run_id, reader = record.run_id, record.reader_fingerprint
    entries = [
        LedgerEntry(
            path=s.path,
            status=SourceStatus.LANDED,
            size=s.size,
            mtime_ms=s.mtime_ms,
            etag=s.etag,
            sync_marker=s.sync_marker,
            digest=s.digest,
            records=s.records,
            run_id=run_id,
            table_version=version,
            writer_fingerprint=s.writer_fingerprint,
            reader_fingerprint=reader,
            data_files=s.data_files,
        )
        for s in record.landed
    ]
    entries += [
        LedgerEntry(
            path=q.path,
            status=SourceStatus.QUARANTINED,
            size=q.size,
            mtime_ms=q.mtime_ms,
            error_kind=q.error_kind,
            message=q.message,
            run_id=run_id,
            table_version=version,
            writer_fingerprint=q.writer_fingerprint,
            reader_fingerprint=reader,
        )
        for q in record.quarantined
    ]
    entries += [
        LedgerEntry(
            path=d.path,
            status=SourceStatus.DUPLICATE,
            size=d.size,
            mtime_ms=d.mtime_ms,
            sync_marker=d.sync_marker,
            digest=d.digest,
            copy_of=d.copy_of,
            run_id=run_id,
            table_version=version,
            reader_fingerprint=reader,
        )
        for d in record.duplicates
    ]
    return entries


class Ledger:
    """The ledger of one table, at <table>_ledger."""

    def __init__(self, ref: TableRef, loaded: DeltaTable | None = None) -> None:
        """`loaded`: the ledger table as the caller just loaded it (None: load it here)."""
        self.ref = ref
        self.uri = ref.ledger_uri
        self._loaded = loaded  # as last loaded; `append` forgets it

    def load(self, *, fresh: bool = False) -> DeltaTable | None:
        """The ledger table (None: none yet), loaded once until this handle appends."""
        if self._loaded is None or fresh:
            try:
                self._loaded = DeltaTable(self.uri, storage_options=self.ref.storage_options)
            except TableNotFoundError:
                return None
        return self._loaded

    def current(self, paths: Iterable[str] | None = None) -> dict[str, LedgerEntry]:
        """The newest entry of every path (of `paths` only, when given)."""
        state = self.state()
        if paths is None:
            return dict(state.items())
        return {path: state[path] for path in paths if path in state}

    def state(self, paths: Collection[str] | None = None) -> LedgerState:
        """The newest entry of every path, read as Arrow: entries become Python objects only
        when asked for, so a run's planning costs little per landed source.

        `paths`: only the rows of those files are needed (an interval run's listing). The
        read is filtered to the range of their folders (`path` from the first folder to the
        last), which the `path` statistics of the ledger's files (one file per run's append)
        and of their Parquet row groups prune: a run's planning reads the ledger rows of the
        partitions it listed, not the whole ledger (docs/ledger.md).
        """
        table = self.load()
        if table is None:
            return LedgerState(None)
        if paths is None:
            return LedgerState(self._newest(table, None))
        folders = sorted({p.rsplit("/", 1)[0] + "/" for p in paths})
        if not folders:
            return LedgerState(self._newest(table, "FALSE"))
        # one range over every folder: a dt=/hour= window is contiguous in path order, and one
        # range plans and prunes several times faster than an OR of many. A folder's files sort
        # below the folder with its "/" raised to "0"; the highest such bound is not always the
        # last folder's ("raw/x.avro" sorts after "raw/dt=…/"), so take the maximum.
        low = _literal(folders[0])
        high = _literal(max(folder[:-1] + "0" for folder in folders))
        return LedgerState(self._newest(table, f"path >= {low} AND path < {high}"))

    def entries(self, paths: Collection[str]) -> LedgerState:
        """The newest entry of exactly `paths` (the originals of duplicates, say)."""
        table = self.load()
        if table is None:
            return LedgerState(None)
        listed = ", ".join(_literal(p) for p in sorted(paths)) or "NULL"
        return LedgerState(self._newest(table, f"path IN ({listed})"))

    def landed_keys(self, markers: Collection[str]) -> dict[tuple[Any, Any, Any], str]:
        """{(sync marker, size, digest): path} of the sources landed now whose sync marker is
        one of `markers`: copy detection across the whole ledger, for this run's files."""
        table = self.load()
        if table is None or not markers:
            return {}
        listed = ", ".join(_literal(m) for m in sorted(markers))
        rows = self._newest(table, f"path IN (SELECT path FROM t WHERE sync_marker IN ({listed}))")
        return LedgerState(rows).landed_keys()

    def holders(self, files: Collection[str]) -> dict[str, int]:
        """{data file: how many sources landed now hold rows in it}, for `files`."""
        table = self.load()
        if table is None or not files:
            return {}
        listed = ", ".join(_literal(f) for f in sorted(files))
        rows = self._newest(
            table, f"path IN (SELECT path FROM t WHERE array_has_any(data_files, [{listed}]))"
        )
        return LedgerState(rows).holders()

    def _newest(self, table: DeltaTable, where: str | None) -> pa.Table:
        columns = ", ".join(f'"{name}"' for name in (*ENTRY_COLUMNS, "seq", "recorded_at"))
        condition = f" WHERE {where}" if where else ""
        return newest_per_path(query_arrow(table, f"SELECT {columns} FROM t{condition}"))

    def quarantined(self, kind: str | None = None, pattern: str | None = None) -> list[LedgerEntry]:
        """Files quarantined now, of one kind and/or whose path matches a glob pattern."""
        return sorted(
            (
                e
                for e in self.current().values()
                if e.status is SourceStatus.QUARANTINED
                and (kind is None or e.error_kind == kind)
                and (pattern is None or fnmatch.fnmatchcase(e.path, pattern))
            ),
            key=lambda e: e.path,
        )

    def release(self, entries: Sequence[LedgerEntry], table_version: int | None) -> None:
        """Mark quarantined files for the next run to read again (`avrolake quarantine retry`)."""
        self.append(
            [
                LedgerEntry(
                    e.path,
                    SourceStatus.RELEASED,
                    size=e.size,
                    mtime_ms=e.mtime_ms,
                    error_kind=e.error_kind,
                    message=f"released for retry (was {e.error_kind})",
                    table_version=table_version,
                )
                for e in entries
            ]
        )

    def append(
        self, entries: Sequence[LedgerEntry], run_note: Mapping[str, Any] | None = None
    ) -> None:
        """Add rows; `run_note` (a run's table version and quarantine table) goes in the
        commit's info under RUN_NOTE_KEY (`TableRef.recorded_quarantine` reads it)."""
        if not entries:
            return
        table = self.load(fresh=True)
        seq = (table.version() + 1) if table is not None else 0
        now = dt.datetime.now(dt.UTC)
        records = [
            {
                **asdict(e),
                "status": e.status.value,
                "data_files": list(e.data_files),
                "seq": seq,
                "recorded_at": now,
            }
            for e in entries
        ]
        data = pa.Table.from_pylist(records, schema=LEDGER_SCHEMA)
        write_deltalake(
            self.uri,
            data,
            mode="append",
            storage_options=self.ref.storage_options,
            commit_properties=CommitProperties(
                custom_metadata={RUN_NOTE_KEY: json.dumps(dict(run_note))}
            )
            if run_note
            else None,
        )
        self._loaded = None

    def sync(self, table: DeltaTable) -> int:
        """Add the rows of main-table commits the ledger lacks (a run that died after its
        commit), or build the ledger of a table landed before it existed. Returns rows added.

        Reads only the ledger's log (the highest `table_version` from its files' statistics)
        and the main commits after that version, so it costs nothing per landed source.
        """
        ledger = self.load()
        last = last_table_version(ledger)
        if table.version() <= last:
            return 0
        entries: list[LedgerEntry] = []
        for commit in sorted(table.history(limit=table.version() - last), key=_version):
            record = RunRecord.from_commit(commit)
            if _version(commit) > last and record is not None:
                entries += entries_of(record, _version(commit))
        if ledger is None:
            entries = self._seed(table, entries)
        if entries:
            log.info(
                "ledger %s: recording %d row(s) from the table's commits", self.uri, len(entries)
            )
            self.append(entries)
        return len(entries)

    def _seed(self, table: DeltaTable, entries: list[LedgerEntry]) -> list[LedgerEntry]:
        """A table landed before the ledger: its data and quarantine table fill the gaps."""
        quarantined = {q["path"]: q for q in read_quarantine(self.ref)}
        entries = [
            replace(
                e,
                error_kind=quarantined[e.path]["error_kind"],
                message=quarantined[e.path]["message"],
            )
            if e.status is SourceStatus.QUARANTINED
            and e.error_kind is None
            and e.path in quarantined
            else e
            for e in entries
        ]
        seen = {e.path for e in entries}
        version = table.version()
        entries += [
            LedgerEntry(path, SourceStatus.LANDED, table_version=version)
            # a table with no data files (a new one) holds no sources: skip the query
            for path in sorted((landed_sources(table) if table.file_uris() else set()) - seen)
        ]
        entries += [
            LedgerEntry(
                path,
                SourceStatus.QUARANTINED,
                size=q.get("size"),
                error_kind=q["error_kind"],
                message=q["message"],
                run_id=q["run_id"],
                table_version=version,
                writer_fingerprint=q.get("writer_fingerprint"),
                reader_fingerprint=q.get("reader_fingerprint"),
            )
            for path, q in sorted(quarantined.items())
            if path not in seen
        ]
        return entries


def last_table_version(ledger: DeltaTable | None) -> int:
    """The highest main-table version a ledger records (-1: none), from the statistics of
    its files in the Delta log: no data file is read."""
    if ledger is None:
        return -1
    actions = pa.table(ledger.get_add_actions(flatten=True))
    if not actions.num_rows or "max.table_version" not in actions.column_names:
        return -1 if not actions.num_rows else _max_version_read(ledger)
    value = pc.max(actions["max.table_version"]).as_py()
    return -1 if value is None else int(value)


def _max_version_read(ledger: DeltaTable) -> int:
    """Files without statistics: the column read."""
    rows = query_arrow(ledger, "SELECT MAX(table_version) AS v FROM t").to_pylist()
    return -1 if not rows or rows[0]["v"] is None else int(rows[0]["v"])


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _version(commit: Mapping[str, Any]) -> int:
    return int(commit.get("version", -1))


def _entry(row: Mapping[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        path=row["path"],
        status=SourceStatus(row["status"]),
        size=row["size"],
        mtime_ms=row["mtime_ms"],
        etag=row["etag"],
        sync_marker=row["sync_marker"],
        digest=row["digest"],
        records=row["records"],
        error_kind=row["error_kind"],
        message=row["message"],
        copy_of=row["copy_of"],
        run_id=row["run_id"],
        table_version=row["table_version"],
        writer_fingerprint=row["writer_fingerprint"],
        reader_fingerprint=row["reader_fingerprint"],
        data_files=tuple(row["data_files"] or ()),
    )
