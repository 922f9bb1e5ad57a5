"""`avrolake migrate` as the library runs it: plan from the registry, then one rewrite."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from avrolake.config import PartitionOverride
from avrolake.ingest.evolve import plan_migration
from avrolake.ingest.job import resolve_target
from avrolake.lake.migrate import Migration, MigrationPlan, migrate_table, stored_schema
from avrolake.lake.migrate import writer_versions as landed_writer_versions
from avrolake.registry import Registry
from avrolake.storage import S3Options


@dataclass(frozen=True)
class MigrationRun:
    subject: str
    reader_version: int
    plan: MigrationPlan
    done: Migration


def run_migration(
    registry_dir: Path,
    subject: str | None,
    partitioning: PartitionOverride,
    table: str,
    s3: S3Options,
    *,
    drop_removed: bool = False,
) -> MigrationRun:
    """Rewrite the table so that it equals a fresh read of its rows' sources with the
    subject's latest reader (docs/table.md, "Migrating a table"); refuse before writing
    anything where it cannot (`MigrationError`)."""
    target = resolve_target(registry_dir, subject, partitioning, table, s3)
    loaded = target.table.require()
    registry = Registry(registry_dir)
    writers = {v.version: v.schema for v in registry.versions(target.subject)}
    plan = plan_migration(
        target.table.uri,
        target.plan.reader,
        writers,
        landed_writer_versions(loaded),
        stored_schema(loaded),
        target.schema,
        drop_removed=drop_removed,
    )
    done = migrate_table(target.table, replace(plan, reader_version=target.reader_version))
    return MigrationRun(target.subject, target.reader_version, plan, done)
