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

from avrolake.config import (
    DEFAULT_LOOKBACK_HOURS,
    MIN_TASK_BYTES,
    IngestConfig,
    PartitionOverride,
)
from avrolake.decode import ReaderPlan, reader_plan
from avrolake.errors import ConfigError, QuarantineKind
from avrolake.ingest import finish
from avrolake.ingest.evolve import needs_values, value_changes
from avrolake.ingest.plan import SourceFile, list_source, log_outside, plan_groups
from avrolake.ingest.progress import piece_bytes
from avrolake.ingest.summary import OUTSIDE_SHOWN, RunSummary
from avrolake.ingest.work import Window, Work, plan_work, requeue_copies
from avrolake.ingest.worker import (
    Deferred,
    Landed,
    Outcome,
    Quarantined,
    WorkerContext,
    run_group,
)
from avrolake.lake import TableRef, table_schema
from avrolake.lake.guards import check_targets
from avrolake.lake.ledger import Ledger
from avrolake.registry import Registry, SourceLayout, TableSettings
from avrolake.storage import PROBLEMS, S3Options, resolve

log = logging.getLogger(__name__)
_RUN_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:+-]{0,254}$")


class TaskRunner(Protocol):
    """Runs groups of source files through `run_group` somewhere, returns every outcome."""

    def prepare(self, work_bytes: int) -> None:
        """The run has work (`work_bytes` of source to read): start what `run` needs (in the
        background) while planning ends. Never called for a run with nothing to read."""

    def parallelism(self) -> int: ...

    def run(self, groups: list[list[SourceFile]], ctx: WorkerContext) -> list[Outcome]: ...


class SerialRunner:
    """Every group in this process, one after another (tests, debugging, tiny inputs)."""

    def prepare(self, work_bytes: int) -> None:
        return None

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
    ledger: Any = field(default=None, compare=False, repr=False)  # the ledger table, loaded

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
    at = TableRef.at(table, s3)
    loaded, ledger = at.load(), Ledger(at).load()
    ref = TableRef.find(
        table,
        s3,
        quarantine=quarantine or None,
        settings=settings,
        loaded=loaded,
        ledger=ledger,
    )
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
        ledger,
    )


def reader_fingerprint(doc: Any) -> str:
    """Identifies a reader schema for healing (docs/ledger.md): a digest of its whole JSON.

    Not the registry's fingerprint: Parsing Canonical Form drops defaults and aliases, and a
    fix that adds a default is exactly what makes a quarantined file readable.
    """
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
    layout = Registry(config.registry).source_layout(target.subject, config.layout, config.files)
    window = run_window(config, target.settings, layout)
    ledger = Ledger(target.table, target.ledger)
    listed, mark = window.listed_from(source, ledger)
    listing = list_source(listed, window.listing(), window.layout)
    files = listing.files
    summary = RunSummary(config.run_id, files_seen=len(files))
    if window.sweep:
        summary.sweep = {"mode": window.mode, "after": mark}
    _outside(summary, listing.outside, window.layout)
    work = _plan(files, target, ledger, window, config)
    if work.todo:
        runner.prepare(sum(piece_bytes(f) for f in work.todo))  # Spark starts meanwhile
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
    summary.files_skipped = work.skipped
    summary.planning_seconds = round(time.monotonic() - planning_started, 3)
    summary.files_deferred = len(work.deferred)
    summary.deferred = [f.uri for f in work.deferred]
    _log_plan(files, work, config.settle_seconds)
    outcomes: list[Outcome] = [_unreadable(f) for f in work.unreadable]
    orphans: dict[str, tuple[Any, ...]] = {}
    if work.todo:
        decoded, orphans = merge_splits(
            runner.run(_groups(work, runner, config), _ctx(target, config))
        )
        outcomes += decoded
    if outcomes:
        late = {f.uri for f in work.todo if window.late(f, config.started_at)}
        _finish(target, table, base_version, ledger, work, outcomes, orphans, late, config, summary)
    return summary


def _plan(
    files: list[SourceFile], target: Target, ledger: Ledger, window: Window, config: IngestConfig
) -> Work:
    """What the run reads, from the listing and the ledger, before the table is opened, so
    that a run with work can start its runner while the table is created or evolved.

    The ledger first takes in the rows of main-table commits it lacks (a run that died
    after its commit); a table that does not exist yet has none.
    """
    if target.loaded is not None:
        ledger.sync(target.loaded)
    # a run reads the ledger rows of the folders it listed only; a full sweep all
    state = ledger.state(None if window.reads_whole_ledger else [f.uri for f in files])
    work = plan_work(
        files, state, target.reader_fingerprint, config.started_at, config.settle_seconds
    )
    if work.copies:
        originals = ledger.entries({e.copy_of for _, e in work.copies if e.copy_of})
        requeue_copies(work, originals, config.started_at, config.settle_seconds)
    return work


def run_window(config: IngestConfig, settings: TableSettings, layout: SourceLayout) -> Window:
    """The partitions the run lists: the lookback is the run's (--lookback-hours), else the
    subject's table.json, else DEFAULT_LOOKBACK_HOURS."""
    lookback = config.lookback
    if lookback is None:
        hours = settings.lookback_hours
        lookback = dt.timedelta(hours=DEFAULT_LOOKBACK_HOURS if hours is None else hours)
    return Window(config.backfill, lookback, config.sweep, config.sweep_mode, layout)


def _outside(summary: RunSummary, outside: list[str], layout: SourceLayout) -> None:
    """Files under the prefix outside the layout: counted and shown, never read."""
    summary.files_outside_layout = len(outside)
    summary.outside_layout = outside[:OUTSIDE_SHOWN]
    log_outside(outside, layout)


def _log_plan(files: list[SourceFile], work: Work, settle_seconds: float) -> None:
    log.info(
        "%d file(s) seen: %d to read (%d changed since they landed), %d already done, "
        "%d deferred (modified less than %gs ago), %d unreadable names or links",
        len(files),
        len(work.todo),
        len(work.replacing),
        work.skipped,
        len(work.deferred),
        settle_seconds,
        len(work.unreadable),
    )


def _groups(work: Work, runner: TaskRunner, config: IngestConfig) -> list[list[SourceFile]]:
    groups = plan_groups(
        work.todo, runner.parallelism(), config.max_task_bytes, min_bytes=MIN_TASK_BYTES
    )
    pieces = sum(len(g) for g in groups)
    log.info(
        "decoding %d file(s)%s in %d task(s)",
        len(work.todo),
        f" ({pieces} splits and files)" if pieces != len(work.todo) else "",
        len(groups),
    )
    return groups


def _ctx(target: Target, config: IngestConfig) -> WorkerContext:
    return WorkerContext(
        target.plan,
        config.source,
        target.table,
        config.run_id,
        config.started_at,
        finish.data_file_schema(target),
        target_file_bytes=config.target_file_bytes,
    )


def _finish(
    target: Target,
    table: Any,
    base_version: int,
    ledger: Ledger,
    work: Work,
    outcomes: list[Outcome],
    orphans: dict[str, tuple[Any, ...]],
    late: set[str],
    config: IngestConfig,
    summary: RunSummary,
) -> None:
    """decide -> record -> ONE commit -> ledger and quarantine -> summary (ingest/finish.py)."""
    decisions = finish.decide(outcomes, orphans, ledger, work.replacing, target, config.run_id)
    run = finish.record(target, config.run_id, decisions, set(work.replacing), late)
    version, run, dropped = finish.commit(
        table, base_version, run, decisions, work.replacing, ledger, target
    )
    if version is None:
        run = run.without(run.decided())
        summary.table_version = table.version()
    else:
        log.info(
            "committed table version %d: %d file(s) landed (%d late, %d replaced), "
            "%d quarantined, %d duplicate(s)",
            version,
            len(run.landed),
            sum(1 for f in run.landed if f.late),
            len(run.replaced()),
            len(run.quarantined),
            len(run.duplicates),
        )
        finish.publish(ledger, target, run, version, decisions, config.started_at)
    finish.summarize(summary, run, decisions, dropped, version)


def _unreadable(f: SourceFile) -> Quarantined:
    kind = QuarantineKind(f.problem or QuarantineKind.BAD_NAME)
    return Quarantined(f.uri, f.size, kind, PROBLEMS[kind], None, None, f.mtime_ms)


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
