"""The data behind `avrolake report`: registry, compatibility, runs, lineage and table health.

Everything comes from the registry, the table's Delta log (commit info and add actions) and
the source ledger. No data rows are read: a table of a billion rows costs what a small one
does. The contract is docs/report.md.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable

from avrolake.compatibility import check_compatibility
from avrolake.lake import Ledger, SourceStatus, TableRef
from avrolake.lake.columns import version_key
from avrolake.lake.record import RunRecord
from avrolake.registry import Registry
from avrolake.registry.diff import diff_records
from avrolake.schema import Record

MAX_RUNS = 200  # the newest runs shown; older ones are counted, not drawn
MIB = 2**20
# Upper bounds of the file-size buckets of the health section (the last one is open).
SIZE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("< 1 MiB", MIB),
    ("1-16 MiB", 16 * MIB),
    ("16-64 MiB", 64 * MIB),
    ("64-256 MiB", 256 * MIB),
    (">= 256 MiB", None),
)


@dataclass(frozen=True)
class VersionInfo:
    version: int
    fingerprint: str
    fields: int
    changes: list[dict[str, str]]  # vs the version before: kind, field, detail


@dataclass(frozen=True)
class MatrixCell:
    reader: int
    writer: int
    compatible: bool
    failures: list[dict[str, str]]  # kind, path, message (Avro resolution rules)


@dataclass(frozen=True)
class SourceLine:
    path: str
    writer_version: str  # "3" or "unregistered"
    records: int
    replaced: bool


@dataclass(frozen=True)
class QuarantineLine:
    path: str
    error_kind: str
    message: str


@dataclass(frozen=True)
class RunInfo:
    table_version: int
    committed_at: str  # ISO 8601, UTC
    run_id: str
    reader_version: int | None
    rows_by_writer_version: dict[str, int]
    sources: list[SourceLine]
    quarantined: list[QuarantineLine]
    duplicates: int
    late: int = 0  # of the sources: landed after their own interval's run

    @property
    def records(self) -> int:
        return sum(self.rows_by_writer_version.values())


@dataclass(frozen=True)
class Maintenance:
    operation: str  # OPTIMIZE or VACUUM
    table_version: int
    at: str
    detail: str


@dataclass(frozen=True)
class Health:
    table_version: int
    rows: int
    files: int
    bytes: int
    smallest_file: int
    median_file: int
    largest_file: int
    size_buckets: list[tuple[str, int]]
    last_optimize: Maintenance | None
    last_vacuum: Maintenance | None
    sources_by_state: dict[str, int]
    quarantined_now: list[QuarantineLine]
    # Writer schemas the registry lacked when their rows landed: fingerprint, first_seen,
    # files, rows, extra_fields (the fields kept in `_rescued_data`; docs/table.md).
    unregistered_writers: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ReportData:
    table: str
    generated_at: str
    subject: str | None
    registry: str | None
    level: str | None
    reader_version: int | None
    versions: list[VersionInfo]
    matrix: list[MatrixCell]
    runs: list[RunInfo]
    runs_not_shown: int
    health: Health
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_report(
    ref: TableRef,
    registry: Registry | None,
    subject: str | None = None,
    now: dt.datetime | None = None,
) -> ReportData:
    """The report of the table at `ref`, with the schema sections of `subject` in `registry`.

    `subject` defaults to the one the table's newest run landed, then to the registry's only
    subject. Without a registry the schema sections are empty and a note says so.
    """
    table = ref.require()
    history = sorted(table.history(), key=lambda c: int(c["version"]))
    runs = [run for c in history if (run := run_of(c)) is not None]
    notes: list[str] = []
    landed_subject = next(
        (r.subject for c in reversed(history) if (r := RunRecord.from_commit(c)) is not None),
        None,
    )
    versions: list[VersionInfo] = []
    matrix: list[MatrixCell] = []
    level: str | None = None
    reader_version: int | None = None
    chosen = subject or landed_subject
    if registry is None:
        notes.append(
            "no schema registry given (--registry, or $AVROLAKE_REGISTRY): the subject, "
            "version and compatibility sections are empty"
        )
    else:
        chosen = registry.resolve_subject(chosen)
        if landed_subject and chosen != landed_subject:
            notes.append(
                f"the table's runs landed subject {landed_subject!r}; this report shows the "
                f"registry's subject {chosen!r}"
            )
        versions, matrix = subject_sections(registry, chosen)
        level = registry.level(chosen).name
        reader_version = registry.latest(chosen).version
    return ReportData(
        table=ref.uri,
        generated_at=(now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        subject=chosen,
        registry=str(registry.root) if registry is not None else None,
        level=level,
        reader_version=reader_version,
        versions=versions,
        matrix=matrix,
        runs=runs[-MAX_RUNS:],
        runs_not_shown=max(0, len(runs) - MAX_RUNS),
        health=table_health(ref, table, history),
        notes=notes,
    )


def subject_sections(
    registry: Registry, subject: str
) -> tuple[list[VersionInfo], list[MatrixCell]]:
    """Every version with its changes from the one before, and the N x N matrix: can version
    `reader` read data written with version `writer`, and by which rule not."""
    registered = registry.versions(subject)
    versions = []
    for i, v in enumerate(registered):
        changes = diff_records(registered[i - 1].schema, v.schema) if i else []
        versions.append(
            VersionInfo(
                version=v.version,
                fingerprint=v.fingerprint,
                fields=len(v.schema.fields) if isinstance(v.schema, Record) else 0,
                changes=[{"kind": c.kind, "field": c.field, "detail": c.detail} for c in changes],
            )
        )
    matrix = []
    for reader in registered:
        for writer in registered:
            failures = check_compatibility(writer.schema, reader.schema)
            matrix.append(
                MatrixCell(
                    reader=reader.version,
                    writer=writer.version,
                    compatible=not failures,
                    failures=[f.as_dict() for f in failures],
                )
            )
    return versions, matrix


def table_health(ref: TableRef, table: DeltaTable, history: list[dict[str, Any]]) -> Health:
    """Rows and files from the add actions' statistics, maintenance from the log, sources by
    state from the ledger (read as it is; `avrolake status` repairs it)."""
    actions = pa.table(table.get_add_actions(flatten=True))
    sizes = sorted(int(s) for s in actions.column("size_bytes").to_pylist()) if actions else []
    records = actions.column("num_records").to_pylist() if actions.num_rows else []
    state = Ledger(ref).current()
    quarantined = sorted(
        (
            QuarantineLine(e.path, e.error_kind or "", e.message or "")
            for e in state.values()
            if e.status is SourceStatus.QUARANTINED
        ),
        key=lambda q: q.path,
    )
    return Health(
        table_version=table.version(),
        rows=sum(int(n or 0) for n in records),
        files=len(sizes),
        bytes=sum(sizes),
        smallest_file=sizes[0] if sizes else 0,
        median_file=int(statistics.median_low(sizes)) if sizes else 0,
        largest_file=sizes[-1] if sizes else 0,
        size_buckets=size_buckets(sizes),
        last_optimize=_last(history, "OPTIMIZE"),
        last_vacuum=_last(history, "VACUUM END"),
        sources_by_state=dict(sorted(Counter(e.status.value for e in state.values()).items())),
        quarantined_now=quarantined,
        unregistered_writers=unregistered_writers(history),
    )


def size_buckets(sizes: list[int]) -> list[tuple[str, int]]:
    counts = []
    low = 0
    for label, high in SIZE_BUCKETS:
        counts.append((label, sum(1 for s in sizes if s >= low and (high is None or s < high))))
        low = high or 0
    return counts


def unregistered_writers(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The writer schemas the registry lacked when runs landed their files, from the run
    records: fingerprint, first seen (the first such run's commit), files, rows, and the
    fields those files keep in `_rescued_data`."""
    found: dict[str, dict[str, Any]] = {}
    for commit in sorted(history, key=lambda c: c["version"]):
        record = RunRecord.from_commit(commit)
        for f in record.landed if record is not None else ():
            if f.writer_version is not None or f.writer_fingerprint is None:
                continue
            w = found.setdefault(
                f.writer_fingerprint,
                {"fingerprint": f.writer_fingerprint, "first_seen": _iso(commit["timestamp"]),
                 "files": 0, "rows": 0, "extra_fields": []},
            )  # fmt: skip
            w["files"] += 1
            w["rows"] += f.records
            w["extra_fields"] = sorted({*w["extra_fields"], *f.rescued})
    return list(found.values())


def _iso(millis: Any) -> str:
    return dt.datetime.fromtimestamp(int(millis) / 1000, dt.UTC).isoformat(timespec="seconds")


def run_of(commit: dict[str, Any]) -> RunInfo | None:
    """The run a commit records (None: not an avrolake ingest commit)."""
    record = RunRecord.from_commit(commit)
    if record is None:
        return None
    sources = [
        SourceLine(
            path=f.path,
            writer_version=version_key(f.writer_version),
            records=f.records,
            replaced=f.replaced,
        )
        for f in record.landed
    ]
    rows: Counter[str] = Counter()
    for s in sources:
        rows[s.writer_version] += s.records
    quarantined = [
        QuarantineLine(q.path, q.error_kind or "", q.message or "") for q in record.quarantined
    ]
    return RunInfo(
        table_version=int(commit["version"]),
        committed_at=_iso(commit["timestamp"]),
        run_id=record.run_id or "",
        reader_version=record.reader_version,
        rows_by_writer_version=dict(sorted(rows.items(), key=lambda kv: _version_order(kv[0]))),
        sources=sorted(sources, key=lambda s: s.path),
        quarantined=sorted(quarantined, key=lambda q: q.path),
        duplicates=len(record.duplicates),
        late=sum(1 for f in record.landed if f.late),
    )


def _version_order(key: str) -> tuple[int, int]:
    """Writer versions in number order, "unregistered" last."""
    return (0, int(key)) if key.isdigit() else (1, 0)


def _last(history: list[dict[str, Any]], operation: str) -> Maintenance | None:
    for commit in reversed(history):
        if commit.get("operation") == operation:
            metrics = commit.get("operationMetrics") or {}
            if operation == "OPTIMIZE":
                detail = (
                    f"{metrics.get('numFilesRemoved', 0)} file(s) compacted into "
                    f"{metrics.get('numFilesAdded', 0)}"
                )
            else:
                detail = f"{metrics.get('numDeletedFiles', 0)} file(s) deleted"
            return Maintenance(
                operation=operation.split()[0],
                table_version=int(commit["version"]),
                at=_iso(commit["timestamp"]),
                detail=detail,
            )
    return None
