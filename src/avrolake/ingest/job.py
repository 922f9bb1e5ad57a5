"""The ingestion job: discover -> plan -> decode and write on Spark -> ONE Delta commit."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from avrolake.decode import ReaderPlan
from avrolake.delta import (
    QuarantineRow,
    append_quarantine,
    commit_run,
    landed_sources,
    open_table,
    quarantine_uri,
    quarantined_sources,
    table_schema,
)
from avrolake.ingest.discover import discover, plan_groups
from avrolake.ingest.settings import IngestSettings
from avrolake.ingest.summary import RunSummary
from avrolake.ingest.task import FileResult, TaskContext
from avrolake.registry import Registry
from avrolake.spark.session import progress_logger
from avrolake.spark.tasks import run_file_groups
from avrolake.storage import resolve

log = logging.getLogger(__name__)


def run_ingest(settings: IngestSettings, spark_factory: Callable[[], Any]) -> RunSummary:
    """Land every new file of the source once; Spark starts only when there is work."""
    registry = Registry(settings.registry)
    versions = registry.versions(settings.subject)
    reader = versions[-1]
    plan = ReaderPlan(
        settings.subject,
        reader.doc,
        {v.fingerprint: v.version for v in versions},
        batch_size=settings.batch_size,
    )
    source = resolve(settings.source, settings.s3)
    table_loc = resolve(settings.table, settings.s3)
    options = settings.s3.delta_storage_options() if table_loc.is_s3 else {}
    q_uri = settings.quarantine_table or quarantine_uri(table_loc.delta_uri())
    schema = table_schema(plan.data_schema, settings.partitioning)
    partition_by = settings.partitioning.columns
    log.info(
        "reader schema: %s v%d; source %s; table %s",
        settings.subject,
        reader.version,
        settings.source,
        settings.table,
    )

    files = discover(source, settings.filters)
    summary = RunSummary(settings.run_id, files_seen=len(files))
    table = open_table(table_loc.delta_uri(), schema, partition_by, options)
    done = landed_sources(table, [f.uri for f in files]) | quarantined_sources(q_uri, options)
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

    spark = spark_factory()
    groups = plan_groups(new, spark.sparkContext.defaultParallelism, settings.max_task_bytes)
    ctx = TaskContext(
        plan,
        settings.source,
        settings.table,
        settings.s3,
        settings.run_id,
        settings.started_at,
        settings.partitioning,
        schema.remove(schema.get_field_index(partition_by[0])) if partition_by else schema,
    )
    log.info("decoding %d file(s) in %d task(s)", len(new), len(groups))
    with progress_logger(spark, "ingest"):
        results = run_file_groups(spark, groups, ctx)
    _commit(settings, table, schema, partition_by, results, summary)
    _quarantine(settings, q_uri, options, results, summary)
    return summary


def _commit(
    settings: IngestSettings,
    table: Any,
    schema: Any,
    partition_by: list[str],
    results: list[FileResult],
    summary: RunSummary,
) -> None:
    landed = {r.source: r for r in results if r.status == "ingested"}

    def metadata(sources: list[str]) -> dict[str, Any]:
        return {
            "run_id": settings.run_id,
            "subject": settings.subject,
            "source_files": [
                {
                    "path": s,
                    "writer_version": landed[s].writer_version,
                    "writer_fingerprint": landed[s].writer_fingerprint,
                    "records": landed[s].records,
                }
                for s in sources
            ],
            "quarantined_files": [r.source for r in results if r.status == "quarantined"],
        }

    version, dropped = commit_run(
        table, {s: r.adds for s, r in landed.items()}, schema, partition_by, metadata
    )
    for source in dropped:
        log.warning("%s was landed by a concurrent run; not committed again", source)
        landed.pop(source)
    counts: Counter[str] = Counter()
    for r in landed.values():
        counts[str(r.writer_version) if r.writer_version is not None else "unregistered"] += (
            r.records
        )
    summary.files_ingested = len(landed)
    summary.files_skipped += len(dropped)
    summary.records_written = sum(counts.values())
    summary.records_by_writer_version = dict(sorted(counts.items()))
    if version is not None:
        summary.table_version = version
        log.info(
            "committed table version %d: %d records from %d file(s)",
            version,
            summary.records_written,
            len(landed),
        )


def _quarantine(
    settings: IngestSettings,
    uri: str,
    options: dict[str, str],
    results: list[FileResult],
    summary: RunSummary,
) -> None:
    bad = [r for r in results if r.status == "quarantined"]
    rows = [
        QuarantineRow(
            r.source,
            r.size,
            r.error_kind or "unknown",
            r.message or "",
            r.writer_fingerprint,
            r.writer_schema,
            settings.run_id,
            settings.started_at,
        )
        for r in bad
    ]
    append_quarantine(uri, rows, options)
    summary.files_quarantined = len(bad)
    summary.quarantined = [{"path": r.source, "error_kind": r.error_kind or ""} for r in bad]
