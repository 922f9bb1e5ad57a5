"""The ingestion job on the driver: plan -> run the workers -> ONE Delta commit -> summary.

The job does not know Spark: it is handed a `TaskRunner` (the Spark runner in production,
`SerialRunner` in-process) and gets typed outcomes back. Nothing here reads the environment.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from avrolake.config import IngestConfig, PartitionOverride
from avrolake.decode import ReaderPlan, reader_plan
from avrolake.errors import ConfigError
from avrolake.ingest.plan import SourceFile, discover, plan_groups
from avrolake.ingest.summary import RunSummary
from avrolake.ingest.worker import Landed, Outcome, Quarantined, WorkerContext, run_group
from avrolake.lake import (
    QuarantineRow,
    TableRef,
    append_quarantine,
    commit_run,
    count_by_version,
    file_schema,
    landed_sources,
    quarantined_sources,
    table_schema,
)
from avrolake.registry import Registry, TableSettings
from avrolake.storage import S3Options, resolve

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
) -> Target:
    """Subject, table settings, reader plan and table handle, validated before any write."""
    registry = Registry(registry_dir)
    name = registry.resolve_subject(subject)
    settings = registry.table_settings(name, partitioning)
    plan = reader_plan(registry, name, batch_size) if batch_size else reader_plan(registry, name)
    ref = TableRef.find(table, s3, quarantine=quarantine or None, settings=settings)
    version = registry.reader(name).version
    log.info("subject %s: reader v%d; table %s", name, version, settings.describe())
    return Target(name, version, plan, ref, settings, table_schema(plan.data_schema, settings))


def run_ingest(config: IngestConfig, runner: TaskRunner) -> RunSummary:
    """Land every new file of the source once; the runner starts only when there is work."""
    if not _RUN_ID.match(config.run_id) or ".." in config.run_id:
        raise ConfigError(
            f"run id {config.run_id!r} may hold only letters, digits and _ . : + - "
            "(it becomes part of data file names)"
        )
    target = resolve_target(
        config.registry,
        config.subject,
        config.partitioning,
        config.table,
        config.s3,
        quarantine=config.quarantine_table,
        batch_size=config.batch_size,
    )
    source = resolve(config.source, config.s3)
    if not source.exists():
        raise ConfigError(
            f"source {config.source} does not exist (no such directory or bucket); check "
            "--source and, for S3, the endpoint and credentials. Nothing was created."
        )
    files = discover(source, config.backfill)
    summary = RunSummary(config.run_id, files_seen=len(files))
    table = target.table.open_or_create(target.schema, target.renames)
    done = landed_sources(table, [f.uri for f in files]) | quarantined_sources(target.table)
    new = [f for f in files if f.uri not in done]
    summary.files_skipped = len(files) - len(new)
    summary.table_version = table.version()
    log.info(
        "%d file(s) seen, %d already landed or quarantined, %d new",
        len(files),
        summary.files_skipped,
        len(new),
    )
    if not new:
        return summary
    groups = plan_groups(new, runner.parallelism(), config.max_task_bytes)
    ctx = WorkerContext(
        target.plan,
        config.source,
        target.table,
        config.run_id,
        config.started_at,
        file_schema(target.schema, target.settings),
    )
    log.info("decoding %d file(s) in %d task(s)", len(new), len(groups))
    outcomes = runner.run(groups, ctx)
    landed = [o for o in outcomes if isinstance(o, Landed)]
    quarantined = [o for o in outcomes if isinstance(o, Quarantined)]
    _commit(target, table, landed, quarantined, config.run_id, summary)
    _quarantine(target.table, quarantined, config.run_id, config.started_at, summary)
    return summary


def _commit(
    target: Target,
    table: Any,
    landed: list[Landed],
    quarantined: list[Quarantined],
    run_id: str,
    summary: RunSummary,
) -> None:
    by_source = {o.source: o for o in landed}

    def audit(sources: list[str]) -> dict[str, Any]:
        return {
            "run_id": run_id,
            "subject": target.subject,
            "reader_version": target.reader_version,
            "quarantine_table": target.table.quarantine_uri,
            "source_files": [
                {
                    "path": s,
                    "writer_version": by_source[s].writer_version,
                    "writer_fingerprint": by_source[s].writer_fingerprint,
                    "records": by_source[s].records,
                }
                for s in sources
            ],
            "quarantined_files": [q.source for q in quarantined],
        }

    version, dropped = commit_run(
        table,
        {o.source: o.adds for o in landed},
        target.schema,
        target.settings.partition_columns,
        audit,
    )
    for source in dropped:
        log.warning("%s was landed by a concurrent run; not committed again", source)
        by_source.pop(source)
    summary.files_ingested = len(by_source)
    summary.files_skipped += len(dropped)
    summary.records_by_writer_version = count_by_version(
        (o.writer_version, o.records) for o in by_source.values()
    )
    summary.records_written = sum(summary.records_by_writer_version.values())
    if version is not None:
        summary.table_version = version
        log.info(
            "committed table version %d: %d records from %d file(s)",
            version,
            summary.records_written,
            len(by_source),
        )


def _quarantine(
    table: TableRef,
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
        )
        for q in bad
    ]
    append_quarantine(table, rows)
    summary.files_quarantined = len(bad)
    summary.quarantined = [{"path": q.source, "error_kind": q.kind.value} for q in bad]
