"""`avrolake ingest`, `status` and `migrate`: the job, what it landed, a one-time rewrite.

The entry point of the job: it reads the arguments and the environment once, builds the
`IngestConfig`, and hands it to the library. `jobs/ingest_logs.py` (spark-submit) calls the
same `main(["ingest", …])`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from avrolake.config import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_FULL_SWEEP_DAYS,
    DEFAULT_LOOKBACK_HOURS,
    DEFAULT_MASTER,
    DEFAULT_MAX_BLOCK_BYTES,
    DEFAULT_MAX_TASK_BYTES,
    DEFAULT_SETTLE_SECONDS,
    DEFAULT_TARGET_FILE_MB,
    LAKE_ROOT_ENV,
    LOOKBACK_ENV,
    MIN_TASK_BYTES,
    RAW_ROOT_ENV,
    SETTLE_ENV,
    SWEEP_MODES,
    Backfill,
    DeploymentRoots,
    IngestConfig,
    PartitionOverride,
    registry_from_env,
    sweep_mode,
)
from avrolake.errors import SchemaGateError
from avrolake.registry import Registry
from avrolake.storage import S3Options


def _when(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _add_registry_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--registry",
        type=Path,
        default=registry_from_env(os.environ),
        help="registry directory (default: $AVROLAKE_REGISTRY or ./schemas)",
    )
    cmd.add_argument("--subject", help="the subject to land (default: the registry's only one)")
    cmd.add_argument(
        "--partition-field",
        help="timestamp field whose UTC date partitions the table ('' for none; default: the "
        "subject's table.json, else its first timestamp field)",
    )
    cmd.add_argument(
        "--partition-column",
        help="name of the partition column (default: the subject's table.json, else event_date)",
    )


def add_ingest_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--source",
        help="raw Avro: s3://bucket/prefix or a dir (default: the subject's deployment, its "
        f"table.json source.prefix under ${RAW_ROOT_ENV})",
    )
    cmd.add_argument(
        "--table",
        help="Delta table: s3://bucket/path or a dir (default: the subject's deployment, its "
        f"table.json table under ${LAKE_ROOT_ENV})",
    )
    _add_registry_arguments(cmd)
    cmd.add_argument(
        "--quarantine-table",
        help="default: the deployment's quarantine_table when --table is not given, else "
        "<table>_quarantine",
    )
    cmd.add_argument(
        "--master",
        default=DEFAULT_MASTER,
        help=f"local[N] or spark://host:7077 (default {DEFAULT_MASTER}; under spark-submit "
        "its own --master wins)",
    )
    cmd.add_argument("--run-id", help="identifies the run in the table (default: random)")
    cmd.add_argument(
        "--since",
        type=_when,
        help="only dt=/hour= partitions at or after this ISO time, UTC without an offset "
        "(default: no lower bound)",
    )
    cmd.add_argument(
        "--until",
        type=_when,
        help="only dt=/hour= partitions before this ISO time (default: no upper bound)",
    )
    cmd.add_argument(
        "--lookback-hours",
        type=float,
        default=float(os.environ[LOOKBACK_ENV]) if os.environ.get(LOOKBACK_ENV) else None,
        help="with --since: also list this many hours of earlier partitions, for late files "
        f"(default: ${LOOKBACK_ENV}, else the subject's table.json lookback_hours, else "
        f"{DEFAULT_LOOKBACK_HOURS:g})",
    )
    cmd.add_argument(
        "--sweep",
        nargs="?",
        const="full",
        choices=SWEEP_MODES,
        help="land late files older than any lookback, whatever --since/--until say: `full` "
        "(the default) lists the whole source; `new` only the keys after the greatest path "
        "the ledger holds; `auto` is `full` once every --full-sweep-days days, else `new`",
    )
    cmd.add_argument(
        "--full-sweep-days",
        type=int,
        default=DEFAULT_FULL_SWEEP_DAYS,
        help="with --sweep auto: a sweep is full on UTC days whose ordinal is a multiple of "
        f"this (default {DEFAULT_FULL_SWEEP_DAYS}: Sundays; 1: every sweep is full)",
    )
    add_layout_arguments(cmd)
    cmd.add_argument(
        "--modified-after",
        type=_when,
        help="only objects modified at or after this ISO time (default: any)",
    )
    cmd.add_argument(
        "--modified-before",
        type=_when,
        help="only objects modified before this ISO time (default: any)",
    )
    cmd.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"records per Arrow batch (default {DEFAULT_BATCH_SIZE})",
    )
    cmd.add_argument(
        "--settle-seconds",
        type=float,
        default=float(os.environ.get(SETTLE_ENV) or DEFAULT_SETTLE_SECONDS),
        help="files modified less than this many seconds before the run are left for a later "
        f"run, as they may still be being written (default: ${SETTLE_ENV} or "
        f"{DEFAULT_SETTLE_SECONDS}; 0 reads everything)",
    )
    cmd.add_argument(
        "--max-block-mb",
        type=float,
        default=DEFAULT_MAX_BLOCK_BYTES / 2**20,
        help="quarantine a file as too_large when one of its Avro blocks decompresses to more "
        f"than this (default {DEFAULT_MAX_BLOCK_BYTES // 2**20})",
    )
    cmd.add_argument(
        "--split-mb",
        type=float,
        default=DEFAULT_MAX_TASK_BYTES / 2**20,
        help="one Spark task reads about this much: small files are packed together up to it, "
        "larger files are split at sync markers into pieces of it "
        f"(default {DEFAULT_MAX_TASK_BYTES // 2**20})",
    )
    cmd.add_argument(
        "--target-file-mb",
        type=float,
        default=DEFAULT_TARGET_FILE_MB,
        help="a task's small source files share Parquet files of about this size per partition "
        f"(default {DEFAULT_TARGET_FILE_MB})",
    )
    cmd.add_argument(
        "--skip-schema-gate",
        action="store_true",
        help="ingest even when the registry breaks its compatibility level (by default the "
        "run first checks the subject's versions, as the DAG's schema_gate task does, and "
        "exits 1 on a violation before reading any file)",
    )
    cmd.add_argument("--json", action="store_true", help="print the run summary as the last line")


def add_layout_arguments(cmd: argparse.ArgumentParser) -> None:
    """--layout and --files: the source's layout, over the subject's table.json "source"."""
    cmd.add_argument(
        "--layout",
        help="how the producer lays out files under --source: a preset (hive, kafka-connect, "
        "kafka-connect-time, flink, none) or a pattern such as '{year}/{month}/{day}/{hour}' "
        '(default: the subject\'s table.json "source", else hive)',
    )
    cmd.add_argument(
        "--files",
        help="which file names are source files: a glob ('part-*') or a suffix ('.avro') "
        "(default: table.json, else the layout's: *.avro; everything for flink)",
    )


def _partitioning(args: argparse.Namespace) -> PartitionOverride:
    return PartitionOverride(args.partition_field, args.partition_column or None)


def config_from_args(args: argparse.Namespace, environ: dict[str, str]) -> IngestConfig:
    """The job's one settings object: arguments first, then the environment, then defaults."""
    under_spark_submit = "PYSPARK_GATEWAY_PORT" in environ  # spark-submit's master wins
    started_at = dt.datetime.now(dt.UTC)
    source, table, quarantine = _targets(args, environ)
    return IngestConfig(
        source=source,
        table=table,
        run_id=args.run_id or uuid.uuid4().hex,
        started_at=started_at,
        registry=args.registry,
        subject=args.subject or None,
        quarantine_table=quarantine,
        master=None if under_spark_submit else args.master,
        backfill=Backfill(args.since, args.until, args.modified_after, args.modified_before),
        partitioning=_partitioning(args),
        batch_size=args.batch_size,
        settle_seconds=args.settle_seconds,
        max_block_bytes=int(args.max_block_mb * 2**20),
        max_task_bytes=max(1, int(args.split_mb * 2**20)),
        target_file_bytes=max(1, int(args.target_file_mb * 2**20)),
        s3=S3Options.from_env(environ),
        lookback=None if args.lookback_hours is None else dt.timedelta(hours=args.lookback_hours),
        sweep=args.sweep is not None,
        sweep_mode=sweep_mode(args.sweep or "full", started_at, args.full_sweep_days),
        layout=args.layout or None,
        files=args.files or None,
    )


def _targets(args: argparse.Namespace, environ: dict[str, str]) -> tuple[str, str, str | None]:
    """--source, --table and --quarantine-table; what is not given comes from the subject's
    deployment (table.json + the roots in the environment; docs/registry.md#deployment)."""
    if args.source and args.table:
        return args.source, args.table, args.quarantine_table or None
    from avrolake.registry.deployment import stored_deployment

    registry = Registry(args.registry)
    subject = registry.resolve_subject(args.subject or None)
    deployed = stored_deployment(args.registry, subject).resolve(DeploymentRoots.from_env(environ))
    quarantine = args.quarantine_table or (None if args.table else deployed.quarantine_table)
    return args.source or deployed.source, args.table or deployed.table, quarantine


def register(commands: Any) -> None:
    cmd = commands.add_parser(
        "ingest",
        help="land new Avro files in the Delta table (the job)",
        description="Resolve every new Avro file to the latest reader schema and land it in Delta.",
    )
    add_ingest_arguments(cmd)
    cmd.set_defaults(run=run)
    status = commands.add_parser(
        "status",
        help="what a landed table holds",
        description="What a landed table holds: its version, rows by writer schema version, "
        "the last runs, source files by state, the files quarantined now, writers the "
        "registry lacked, and rows deleted by other writers. Read from the Delta log and the "
        "source ledger.",
    )
    status.add_argument("--table", required=True, help="the Delta table: s3://bucket/path or a dir")
    status.add_argument("--quarantine-table", help="default: <table>_quarantine")
    status.add_argument(
        "--json", action="store_true", help="print the status as one JSON object (docs/cli.md)"
    )
    status.set_defaults(run=run_status)
    migrate = commands.add_parser(
        "migrate",
        help="rewrite a table once so that it equals a fresh read with the latest reader",
        description="Rewrite a Delta table once so that every row equals a fresh read of its "
        "source with the latest reader schema (renames, promotions, defaults at any depth). "
        "Ingest refuses to run until this is done; nothing is cast silently.",
    )
    migrate.add_argument(
        "--table", required=True, help="the Delta table: s3://bucket/path or a dir"
    )
    _add_registry_arguments(migrate)
    migrate.add_argument(
        "--drop-removed-columns",
        action="store_true",
        help="drop the columns and nested record fields the reader no longer has (default: "
        "keep them and their values)",
    )
    migrate.set_defaults(run=run_migrate)


def run(args: argparse.Namespace) -> int:
    from avrolake.ingest import run_ingest
    from avrolake.spark.lean import skip_pandas_probe
    from avrolake.spark.runner import PROGRESS_SECONDS, SparkRunner
    from avrolake.spark.session import SessionHolder, spark_environment, worker_python

    skip_pandas_probe()  # this process runs avrolake alone (avrolake.spark.lean)
    if not args.skip_schema_gate:
        schema_gate(args.registry, args.subject or None)
    config = config_from_args(args, dict(os.environ))
    python = worker_python(os.environ, None, sys.executable)  # the user's choice, else ours
    spark_environment(os.environ, config.master, python)
    session = SessionHolder(config.master, python)
    try:
        progress = None if args.json else PROGRESS_SECONDS  # --json: no progress lines
        runner = SparkRunner(session, progress, in_driver_bytes=MIN_TASK_BYTES)
        summary = run_ingest(config, runner)
    finally:
        session.stop()  # before the summary: spark-submit merges stderr into stdout
    print_summary(summary.as_dict(), as_json=args.json)
    return 0


def schema_gate(registry_dir: Path, subject: str | None) -> None:
    """The registry's compatibility gate, as the DAG runs it before ingesting."""
    registry = Registry(registry_dir)
    problems = registry.gate(registry.resolve_subject(subject))
    if problems:
        raise SchemaGateError(
            f"schema registry {registry_dir} breaks its compatibility level, so no file was "
            "read (every file would be quarantined or resolved wrongly). Fix or remove the "
            "offending version, or pass --skip-schema-gate to ingest anyway:\n  "
            + "\n  ".join(problems)
        )


def print_summary(summary: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary))
        return
    print(
        f"run {summary['run_id']}: {summary['files_seen']} file(s) seen, "
        f"{summary['files_ingested']} ingested ({summary['files_replaced']} replaced), "
        f"{summary['files_skipped']} skipped, {summary['files_quarantined']} quarantined, "
        f"{summary['files_deferred']} deferred, {summary['files_duplicate']} duplicate, "
        f"{summary.get('files_late', 0)} late"
    )
    if summary.get("files_outside_layout"):
        print(
            f"{summary['files_outside_layout']} file(s) under the source do not match its "
            "layout and were not read (see --layout / --files)"
        )
    for path in summary.get("outside_layout", []):
        print(f"  outside the layout: {path}")
    print(
        f"records written: {summary['records_written']} "
        f"by writer version {summary['records_by_writer_version']}; "
        f"table version {summary['table_version']}"
    )
    for q in summary["quarantined"]:
        print(f"  quarantined ({q['error_kind']}): {q['path']}")
    for d in summary["duplicates"]:
        print(f"  duplicate of {d['copy_of']}: {d['path']}")
    for path in summary["deferred"]:
        print(f"  deferred (still being written?): {path}")
    if summary["deferred"]:
        print(
            "  (deferred: changed within the last --settle-seconds, default "
            f"{DEFAULT_SETTLE_SECONDS:g}; a later run reads them once they stop changing)"
        )

    if summary["files_decided_concurrently"]:
        print(
            f"a concurrent run committed first: {summary['files_decided_concurrently']} "
            "file(s) it had already decided were left to it (counted as skipped); nothing is "
            "missing or doubled, and no re-run is needed"
        )


def run_status(args: argparse.Namespace) -> int:
    from avrolake.lake import TableRef, table_status

    s3 = S3Options.from_env(os.environ)
    status = table_status(TableRef.find(args.table, s3, quarantine=args.quarantine_table))
    if args.json:
        print(json.dumps(status, default=str))
        return 0
    print(f"table {status['table']}: version {status['table_version']}, {status['rows']} rows")
    print(f"rows by writer schema version: {status['rows_by_writer_version']}")
    for run_info in status["last_runs"]:
        print(
            f"  run {run_info['run_id']} -> version {run_info['table_version']}: "
            f"{run_info['files']} file(s), {run_info['records']} records, "
            f"{run_info['quarantined']} quarantined, {run_info.get('late', 0)} late"
        )
    print(f"source files by state: {status['source_files']}")
    print(
        f"quarantined files: {len(status['quarantined_files'])} "
        f"by kind {status['quarantined_by_kind']}"
    )
    for q in status["quarantined_files"]:
        print(f"  {q['error_kind']}: {q['path']}")
    for m in status["rows_missing"]:  # deleted by another writer (docs/interop.md)
        print(f"rows deleted since landed: {m['path']}: {m['table_rows']} of {m['ledger_records']}")
    for w in status["unregistered_writers"]:  # register it, then migrate (docs/table.md)
        print(
            f"unregistered writer schema {w['fingerprint']}: first seen {w['first_seen']}, "
            f"{w['files']} file(s), {w['rows']} rows, extra fields {w['extra_fields']}"
        )
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    from avrolake.ingest.migration import run_migration

    s3 = S3Options.from_env(os.environ)
    run = run_migration(
        args.registry,
        args.subject or None,
        _partitioning(args),
        args.table,
        s3,
        drop_removed=args.drop_removed_columns,
    )
    plan, done = run.plan, run.done
    renamed = ", ".join(f"{old} -> {new}" for new, old in plan.renamed.items()) or "none"
    print(
        f"migrated {args.table} to {run.subject} v{run.reader_version}: "
        f"{done.rows} rows rewritten in one commit (table version {done.version_before} -> "
        f"{done.version_after}); renamed columns: {renamed}"
    )
    kept = ", ".join([*plan.kept, *plan.kept_nested]) or "none"
    print(f"kept columns (not in the reader, values kept): {kept}")
    print(f"dropped columns: {', '.join([*plan.dropped, *plan.dropped_nested]) or 'none'}")
    print(
        f"defaults filled for rows of writers without the field: {', '.join(plan.filled) or 'none'}"
    )
    again = len(done.reread) + len(done.quarantined)
    print(f"sources read again with the new reader: {again}")
    gone = ", ".join(f"{q.source} ({q.kind})" for q in done.quarantined) or "none"
    print(f"sources quarantined by the new reader (rows removed): {gone}")
    return 0
