"""`avrolake ingest` and `avrolake status`: the job and what it landed."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

from avrolake.delta.columns import Partitioning
from avrolake.ingest import IngestSettings, SourceFilter, run_ingest, table_status
from avrolake.storage import S3Options, resolve


def _when(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def add_ingest_arguments(cmd: argparse.ArgumentParser, default_registry: str) -> None:
    cmd.add_argument("--source", required=True, help="raw Avro: s3://bucket/prefix or a dir")
    cmd.add_argument("--table", required=True, help="Delta table: s3://bucket/path or a dir")
    cmd.add_argument("--registry", type=Path, default=Path(default_registry))
    cmd.add_argument("--subject", default="log_event")
    cmd.add_argument("--quarantine-table", help="default: <table>_quarantine")
    cmd.add_argument("--master", default="local[2]", help="local[N] or spark://host:7077")
    cmd.add_argument("--run-id", help="identifies the run in the table (default: random)")
    cmd.add_argument("--since", type=_when, help="only dt=/hour= partitions at or after (ISO)")
    cmd.add_argument("--until", type=_when, help="only dt=/hour= partitions before (ISO)")
    cmd.add_argument("--modified-after", type=_when, help="only objects modified at or after")
    cmd.add_argument("--modified-before", type=_when, help="only objects modified before")
    cmd.add_argument(
        "--partition-field",
        default="timestamp",
        help="timestamp field whose UTC date partitions the table ('' for none)",
    )
    cmd.add_argument("--partition-column", default="event_date")
    cmd.add_argument("--batch-size", type=int, default=8192, help="records per Arrow batch")
    cmd.add_argument("--json", action="store_true", help="print the run summary as the last line")


def settings_from_args(args: argparse.Namespace) -> IngestSettings:
    return IngestSettings(
        source=args.source,
        table=args.table,
        registry=args.registry,
        subject=args.subject,
        quarantine_table=args.quarantine_table,
        master=args.master,
        run_id=args.run_id or uuid.uuid4().hex,
        filters=SourceFilter(args.since, args.until, args.modified_after, args.modified_before),
        partitioning=Partitioning(args.partition_field or None, args.partition_column),
        batch_size=args.batch_size,
        s3=S3Options.from_env(),
        started_at=dt.datetime.now(dt.UTC),
    )


def register(commands: Any) -> None:
    from avrolake.cli import default_registry

    cmd = commands.add_parser(
        "ingest",
        help="land new Avro files in the Delta table (the job)",
        description="Resolve every new Avro file to the latest reader schema and land it in Delta.",
    )
    add_ingest_arguments(cmd, default_registry())
    cmd.set_defaults(run=run)
    status = commands.add_parser("status", help="what a landed table holds")
    status.add_argument("--table", required=True)
    status.add_argument("--json", action="store_true")
    status.set_defaults(run=run_status)


def run(args: argparse.Namespace) -> int:
    from avrolake.spark.session import SessionHolder

    settings = settings_from_args(args)
    spark = SessionHolder(settings.master)
    try:
        summary = run_ingest(settings, spark)
    finally:
        spark.stop()
    print_summary(summary.as_dict(), as_json=args.json)
    return 0


def print_summary(summary: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary))
        return
    print(
        f"run {summary['run_id']}: {summary['files_seen']} file(s) seen, "
        f"{summary['files_ingested']} ingested, {summary['files_skipped']} skipped, "
        f"{summary['files_quarantined']} quarantined"
    )
    print(
        f"records written: {summary['records_written']} "
        f"by writer version {summary['records_by_writer_version']}; "
        f"table version {summary['table_version']}"
    )
    for q in summary["quarantined"]:
        print(f"  quarantined ({q['error_kind']}): {q['path']}")


def run_status(args: argparse.Namespace) -> int:
    s3 = S3Options.from_env()
    location = resolve(args.table, s3)
    status = table_status(
        location.delta_uri(), s3.delta_storage_options() if location.is_s3 else {}
    )
    if args.json:
        print(json.dumps(status, default=str))
        return 0
    print(f"table {status['table']}: version {status['table_version']}, {status['rows']} rows")
    print(f"rows by writer schema version: {status['rows_by_writer_version']}")
    for run_info in status["last_runs"]:
        print(
            f"  run {run_info['run_id']} -> version {run_info['table_version']}: "
            f"{run_info['files']} file(s), {run_info['records']} records, "
            f"{run_info['quarantined']} quarantined"
        )
    print(f"quarantined files: {len(status['quarantined_files'])}")
    for q in status["quarantined_files"]:
        print(f"  {q['error_kind']}: {q['path']}")
    return 0


def register_migrate(commands: Any) -> None:
    from avrolake.cli import default_registry

    cmd = commands.add_parser(
        "migrate",
        help="rewrite a table once to the reader schema's column types",
        description="Rewrite a Delta table with the latest reader schema's types (e.g. after an "
        "int->long promotion). Ingest refuses to run until this is done; nothing is cast silently.",
    )
    cmd.add_argument("--table", required=True)
    cmd.add_argument("--registry", type=Path, default=Path(default_registry()))
    cmd.add_argument("--subject", default="log_event")
    cmd.add_argument("--partition-field", default="timestamp")
    cmd.add_argument("--partition-column", default="event_date")
    cmd.set_defaults(run=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    from avrolake.decode import ReaderPlan
    from avrolake.delta import table_schema
    from avrolake.delta.migrate import migrate_table
    from avrolake.registry import Registry

    latest = Registry(args.registry).latest(args.subject)
    plan = ReaderPlan(args.subject, latest.doc, {})
    partitioning = Partitioning(args.partition_field or None, args.partition_column)
    s3 = S3Options.from_env()
    location = resolve(args.table, s3)
    version = migrate_table(
        location.delta_uri(),
        table_schema(plan.data_schema, partitioning),
        partitioning.columns,
        s3.delta_storage_options() if location.is_s3 else {},
    )
    print(f"migrated {args.table} to {args.subject} v{latest.version}: table version {version}")
    return 0
