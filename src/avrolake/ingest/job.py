"""The ingestion job on the driver: plan -> run the workers -> ONE Delta commit -> summary.

The job does not know Spark: it is handed a `TaskRunner` (the Spark runner in production,
`SerialRunner` in-process) and gets typed outcomes back. Nothing here reads the environment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from avrolake.config import IngestConfig, PartitionOverride
from avrolake.decode import ReaderPlan, reader_plan
from avrolake.errors import ConfigError, QuarantineKind
from avrolake.ingest.evolve import needs_values, value_changes
from avrolake.ingest.plan import SourceFile, discover, plan_groups
from avrolake.ingest.summary import RunSummary
from avrolake.ingest.worker import (
    Deferred,
    Landed,
    Outcome,
    Quarantined,
    WorkerContext,
    run_group,
)
from avrolake.lake import (
    QuarantineRow,
    TableRef,
    append_quarantine,
    commit_run,
    count_by_version,
    file_schema,
    table_schema,
)
from avrolake.lake.guards import check_targets
from avrolake.lake.ledger import (
    MESSAGE_LIMIT,
    Ledger,
    LedgerEntry,
    LedgerState,
    SourceStatus,
    entries_from_audit,
)
from avrolake.lake.replace import old_files_of
from avrolake.lake.rewrite import without_sources
from avrolake.registry import Registry, TableSettings
from avrolake.storage import PROBLEMS, S3Options, resolve

log = logging.getLogger(__name__)
_RUN_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:+-]{0,254}$")


class TaskRunner(Protocol):
    """Runs groups of source files through `run_group` somewhere, returns every outcome."""

    def parallelism(self) -> int: ...

    def run(self, groups: list[list[SourceFile]], ctx: WorkerContext) -> list[Outcome]: ...


class SerialRunner:
    """Every group in this process, one after another (tests, debugging, tiny inputs)."""

    def parallelism(self) -> int:
        return 1

    def run(self, groups: list[list[SourceFile]], ctx: WorkerContext) -> list[Outcome]:
        return [outcome for group in groups for outcome in run_group(group, ctx)]


@dataclass(frozen=True)
class Target:
    """A subject's reader plan and the table it lands in, checked before anything is written."""

    subject: str
    reader_version: int
    plan: ReaderPlan
    table: TableRef
    settings: TableSettings
    schema: pa.Schema  # the Delta table's schema
    reader_fingerprint: str = ""
    # reader columns that landed rows must not read as NULL when added: {column: why}
    needs_values: dict[str, str] = field(default_factory=dict)
    # what the reader reads differently in rows the table holds (they need `migrate`)
    value_changes: tuple[str, ...] = ()
    # the table as loaded while resolving (None: it did not exist yet); never shipped to tasks
    loaded: Any = field(default=None, compare=False, repr=False)

    @property
    def renames(self) -> dict[str, tuple[str, ...]]:
        """Reader fields with aliases: their earlier names, as columns may still hold them."""
        return {f.name: f.aliases for f in self.plan.reader.fields if f.aliases}


def resolve_target(
    registry_dir: Path,
    subject: str | None,
    partitioning: PartitionOverride,
    table: str,
    s3: S3Options,
    *,
    quarantine: str | None = None,
    batch_size: int | None = None,
    max_block_bytes: int | None = None,
) -> Target:
    """Subject, table settings, reader plan and table handle, validated before any write."""
    registry = Registry(registry_dir)
    name = registry.resolve_subject(subject)
    settings = registry.table_settings(name, partitioning)
    plan = reader_plan(registry, name)
    if batch_size:
        plan = replace(plan, batch_size=batch_size)
    if max_block_bytes:
        plan = replace(plan, max_block_bytes=max_block_bytes)
    loaded = TableRef.at(table, s3).load()
    ref = TableRef.find(table, s3, quarantine=quarantine or None, settings=settings, loaded=loaded)
    check_targets(ref, loaded)  # the three tables are distinct, of their roles, in their places
    reader = registry.reader(name)
    writers = {v.version: v.schema for v in registry.versions(name)}
    log.info("subject %s: reader v%d; table %s", name, reader.version, settings.describe())
    return Target(
        name,
        reader.version,
        plan,
        ref,
        settings,
        table_schema(plan.data_schema, settings),
        reader_fingerprint(reader.doc),
        needs_values(plan.reader, writers, reader.version),
        value_changes(loaded, registry, name, plan.reader, reader.version),
        loaded,
    )


def reader_fingerprint(doc: Any) -> str:
    """Identifies a reader schema for healing (docs/ledger.md): a digest of its whole JSON.

    Not the registry's fingerprint: Parsing Canonical Form drops defaults and aliases, and a
    fix that adds a default is exactly what makes a quarantined file readable.
    """
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Work:
    """What a run does with the files it listed (every one lands in exactly one list)."""

    todo: list[SourceFile] = field(default_factory=list)
    replacing: dict[str, LedgerEntry] = field(default_factory=dict)  # changed after landing
    unreadable: list[SourceFile] = field(default_factory=list)  # bad_name, dangling_link
    deferred: list[SourceFile] = field(default_factory=list)  # younger than the settle time
    skipped: int = 0


def plan_work(
    files: list[SourceFile],
    state: LedgerState,
    reader_fingerprint: str,
    started_at: dt.datetime,
    settle_seconds: float,
) -> Work:
    """Decide, from the ledger, what each listed file needs (docs/ledger.md):

    new -> read; landed and unchanged -> skip; landed but changed (size or mtime) -> read and
    replace its rows; quarantined -> skip, unless it changed, was released by `avrolake
    quarantine retry`, or was `incompatible_schema` under a reader schema that has changed
    since; a duplicate -> skip unless it changed. A file to read that was modified less than
    `settle_seconds` before the run is deferred to a later run.
    """
    work = Work()
    settled_ms = (started_at.timestamp() - settle_seconds) * 1000
    for f in files:
        if not f.problem and state.settled(f.uri, f.size, f.mtime_ms):
            work.skipped += 1  # landed and unchanged: the common case, without an entry
            continue
        entry = state.get(f.uri)
        if f.problem:
            if entry and entry.status is SourceStatus.QUARANTINED and entry.error_kind == f.problem:
                work.skipped += 1
            else:
                work.unreadable.append(f)
            continue
        if entry is None or entry.status is SourceStatus.RELEASED:
            needed = True
        elif entry.changed(f.size, f.mtime_ms):
            needed = True
            if entry.status is SourceStatus.LANDED:
                work.replacing[f.uri] = entry
        elif entry.status is SourceStatus.QUARANTINED:
            needed = entry.error_kind == QuarantineKind.DANGLING_LINK.value or (
                entry.error_kind == QuarantineKind.INCOMPATIBLE_SCHEMA.value
                and entry.reader_fingerprint != reader_fingerprint
            )
        else:
            needed = False
        if not needed:
            work.skipped += 1
        elif settle_seconds > 0 and f.mtime_ms is not None and f.mtime_ms > settled_ms:
            work.replacing.pop(f.uri, None)
            work.deferred.append(f)
        else:
            work.todo.append(f)
    return work


def run_ingest(config: IngestConfig, runner: TaskRunner) -> RunSummary:
    """Land every new or changed file of the source once; Spark starts only when there is work."""
    if not _RUN_ID.match(config.run_id) or ".." in config.run_id:
        raise ConfigError(
            f"run id {config.run_id!r} may hold only letters, digits and _ . : + - "
            "(it becomes part of data file names)"
        )
    planning_started = time.monotonic()
    target = resolve_target(
        config.registry,
        config.subject,
        config.partitioning,
        config.table,
        config.s3,
        quarantine=config.quarantine_table,
        batch_size=config.batch_size,
        max_block_bytes=config.max_block_bytes,
    )
    source = resolve(config.source, config.s3)
    if not source.exists():
        raise ConfigError(
            f"source {config.source} does not exist (no such directory or bucket); check "
            "--source and, for S3, the endpoint and credentials. Nothing was created."
        )
    files = discover(source, config.backfill)
    summary = RunSummary(config.run_id, files_seen=len(files))
    table = target.table.open_or_create(
        target.schema,
        target.renames,
        target.loaded,
        target.needs_values,
        reader_version=target.reader_version,
        value_changes=target.value_changes,
    )
    base_version = table.version()
    summary.table_version = base_version
    ledger = Ledger(target.table)
    state = ledger.state()
    if ledger.sync(table, state):
        state = ledger.state()
    work = plan_work(
        files,
        state,
        target.reader_fingerprint,
        config.started_at,
        config.settle_seconds,
    )
    summary.files_skipped = work.skipped
    summary.planning_seconds = round(time.monotonic() - planning_started, 3)
    summary.files_deferred = len(work.deferred)
    summary.deferred = [f.uri for f in work.deferred]
    log.info(
        "%d file(s) seen: %d to read (%d changed since they landed), %d already done, "
        "%d deferred (modified less than %gs ago), %d unreadable names or links",
        len(files),
        len(work.todo),
        len(work.replacing),
        work.skipped,
        len(work.deferred),
        config.settle_seconds,
        len(work.unreadable),
    )
    outcomes: list[Outcome] = [_unreadable(f) for f in work.unreadable]
    orphans: dict[str, tuple[Any, ...]] = {}
    if work.todo:
        groups = plan_groups(work.todo, runner.parallelism(), config.max_task_bytes)
        ctx = WorkerContext(
            target.plan,
            config.source,
            target.table,
            config.run_id,
            config.started_at,
            file_schema(target.schema, target.settings),
            target_file_bytes=config.target_file_bytes,
        )
        pieces = sum(len(g) for g in groups)
        log.info(
            "decoding %d file(s)%s in %d task(s)",
            len(work.todo),
            f" ({pieces} splits and files)" if pieces != len(work.todo) else "",
            len(groups),
        )
        decoded, orphans = merge_splits(runner.run(groups, ctx))
        outcomes += decoded
    if not outcomes:
        return summary
    _finish(target, table, base_version, ledger, state, work, outcomes, orphans, config, summary)
    return summary


def _unreadable(f: SourceFile) -> Quarantined:
    kind = QuarantineKind(f.problem or QuarantineKind.BAD_NAME)
    return Quarantined(f.uri, f.size, kind, PROBLEMS[kind], None, None, f.mtime_ms)


def _duplicates(
    landed: list[Landed], state: LedgerState, replacing: dict[str, LedgerEntry]
) -> dict[str, str]:
    """{copy: original} for landed outcomes byte-identical to a file landed before, or to an
    earlier path of this run: the same sync marker and size (the cheap key), and the same
    content digest (so a writer that reuses sync markers loses nothing)."""
    if not landed:
        return {}
    known = {key: path for key, path in state.landed_keys().items() if path not in replacing}
    copies = {}
    for o in sorted(landed, key=lambda o: o.source):
        key = (o.sync_marker, o.size, o.digest)
        original = known.get(key)
        if original is not None and original != o.source:
            copies[o.source] = original
        else:
            known[key] = o.source
    return copies


def _finish(
    target: Target,
    table: Any,
    base_version: int,
    ledger: Ledger,
    state: LedgerState,
    work: Work,
    outcomes: list[Outcome],
    orphans: dict[str, tuple[Any, ...]],
    config: IngestConfig,
    summary: RunSummary,
) -> None:
    """Duplicates out, ONE commit, then the ledger and the quarantine table."""
    deferred = [o for o in outcomes if isinstance(o, Deferred)]
    summary.files_deferred += len(deferred)
    summary.deferred += [o.source for o in deferred]
    landed = [o for o in outcomes if isinstance(o, Landed)]
    quarantined = [o for o in outcomes if isinstance(o, Quarantined)]
    copies = _duplicates(landed, state, work.replacing)
    sizes = {o.source: o for o in landed}
    adds = {o.source: tuple(o.adds) for o in landed} | orphans

    def without(drop: set[str]) -> dict[str, tuple[Any, ...]]:
        kept = without_sources(
            target.table.location(),
            target.settings,
            file_schema(target.schema, target.settings),
            config.run_id,
            adds,
            drop,
        )
        adds.clear()
        adds.update(kept)
        return kept

    if copies or orphans:
        without(set(copies) | set(orphans))
    landed = [o for o in landed if o.source not in copies]
    replacing = {o.source: work.replacing[o.source] for o in landed if o.source in work.replacing}
    removes = old_files_of(table, replacing, state)
    by_source = {o.source: o for o in landed}
    q_by_source = {o.source: o for o in quarantined}

    def audit(kept: set[str]) -> dict[str, Any]:
        return {
            "run_id": config.run_id,
            "subject": target.subject,
            "reader_version": target.reader_version,
            "reader_fingerprint": target.reader_fingerprint,
            "quarantine_table": target.table.quarantine_uri,
            "source_files": [
                {
                    "path": o.source,
                    "writer_version": o.writer_version,
                    "writer_fingerprint": o.writer_fingerprint,
                    "records": o.records,
                    "size": o.size,
                    "mtime_ms": o.mtime_ms,
                    "etag": o.etag,
                    "sync_marker": o.sync_marker,
                    "digest": o.digest,
                    "data_files": [a.path for a in adds.get(s, ())],
                    "records_by_path": dict(o.records_by_path),
                    "replaced": o.source in replacing,
                }
                for s, o in sorted(by_source.items())
                if s in kept
            ],
            "quarantined_files": sorted(s for s in q_by_source if s in kept),
            "quarantined": [
                {
                    "path": q.source,
                    "error_kind": q.kind.value,
                    "message": q.reason[:MESSAGE_LIMIT],
                    "size": q.size,
                    "mtime_ms": q.mtime_ms,
                    "writer_fingerprint": q.writer_fingerprint,
                }
                for s, q in sorted(q_by_source.items())
                if s in kept
            ],
            "duplicates": [
                {
                    "path": copy,
                    "copy_of": original,
                    "size": sizes[copy].size,
                    "mtime_ms": sizes[copy].mtime_ms,
                    "sync_marker": sizes[copy].sync_marker,
                    "digest": sizes[copy].digest,
                }
                for copy, original in sorted(copies.items())
                if copy in kept
            ],
        }

    version, dropped, record = commit_run(
        table,
        base_version,
        set(by_source) | set(q_by_source) | set(copies),
        adds,
        removes,
        target.schema,
        target.settings.partition_columns,
        audit,
        without=lambda drop: without(drop & set(adds)),
    )
    if version is None and dropped:
        without(dropped & set(adds))  # nothing committed: no file of this run stays
    for source in dropped:
        by_source.pop(source, None)
        q_by_source.pop(source, None)
        copies.pop(source, None)
    summary.files_skipped += len(dropped)
    summary.files_decided_concurrently = len(dropped)  # issue 18 point 6: the CLI says so
    summary.table_version = table.version() if version is None else version
    summary.files_ingested = len(by_source)
    summary.files_replaced = sum(1 for s in by_source if s in replacing)
    summary.records_by_writer_version = count_by_version(
        (o.writer_version, o.records) for o in by_source.values()
    )
    summary.records_written = sum(summary.records_by_writer_version.values())
    for o in by_source.values():
        for path, n in o.records_by_path:
            summary.records_by_decode_path[path] = summary.records_by_decode_path.get(path, 0) + n
    summary.files_duplicate = len(copies)
    summary.duplicates = [{"path": c, "copy_of": o} for c, o in sorted(copies.items())]
    if version is None or record is None:
        return
    log.info(
        "committed table version %d: %d records from %d file(s), %d quarantined, %d duplicate(s)",
        version,
        summary.records_written,
        len(by_source),
        len(q_by_source),
        len(copies),
    )
    ledger.append(
        entries_from_audit(record, version),
        {"table_version": version, "quarantine_table": record.get("quarantine_table")},
    )
    _quarantine(
        target,
        list(q_by_source.values()),
        config.run_id,
        config.started_at,
        summary,
    )


def merge_splits(outcomes: list[Outcome]) -> tuple[list[Outcome], dict[str, tuple[Any, ...]]]:
    """One outcome per source file: the outcomes of a split file's splits joined, and the
    data files of split files that do not land ({source: files}, their rows to take out).

    Every split landed: one `Landed` with the splits' records and data files, and a digest
    of the splits' digests. One split deferred or quarantined: the whole file is, and the
    rows its other splits wrote are taken out of the (uncommitted) data files.
    """
    orphans: dict[str, tuple[Any, ...]] = {}
    by_source: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_source.setdefault(o.source, []).append(o)
    merged: list[Outcome] = []
    for source, parts in by_source.items():
        if len(parts) == 1:
            merged.append(parts[0])
            continue
        landed = sorted((o for o in parts if isinstance(o, Landed)), key=lambda o: o.part)
        failed = [o for o in parts if not isinstance(o, Landed)]
        if failed:
            first = next((o for o in failed if isinstance(o, Deferred)), failed[0])
            merged.append(first)
            orphans[source] = tuple({a.path: a for o in landed for a in o.adds}.values())
            continue
        merged.append(_joined(landed))
    return merged, orphans


def _joined(parts: list[Landed]) -> Landed:
    digest = hashlib.blake2b(digest_size=16)
    paths: dict[str, int] = {}
    for part in parts:
        digest.update(bytes.fromhex(part.digest or ""))
        for path, n in part.records_by_path:
            paths[path] = paths.get(path, 0) + n
    first = parts[0]
    return first._replace(
        records=sum(p.records for p in parts),
        adds=tuple({a.path: a for p in parts for a in p.adds}.values()),
        digest=f"{len(parts)}x{digest.hexdigest()}",
        records_by_path=tuple(sorted(paths.items())),
        part=0,
    )


def _quarantine(
    target: Target,
    bad: list[Quarantined],
    run_id: str,
    started_at: dt.datetime,
    summary: RunSummary,
) -> None:
    rows = [
        QuarantineRow(
            q.source,
            q.size,
            q.kind,
            q.reason,
            q.writer_fingerprint,
            q.writer_schema,
            run_id,
            started_at,
            target.reader_fingerprint,
        )
        for q in sorted(bad)
    ]
    append_quarantine(target.table, rows)
    summary.files_quarantined = len(bad)
    summary.quarantined = [{"path": q.source, "error_kind": q.kind.value} for q in sorted(bad)]
