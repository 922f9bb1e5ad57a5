"""`avrolake migrate` as the library runs it: plan from the registry, then one rewrite."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from avrolake.config import PartitionOverride
from avrolake.ingest.evolve import plan_migration
from avrolake.ingest.job import resolve_target
from avrolake.ingest.rescued import rescued_rows
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
    versions = registry.versions(target.subject)
    writers = {v.version: v.schema for v in versions}
    stored, present = stored_schema(loaded), landed_writer_versions(loaded)
    rescued = rescued_rows(loaded, stored, versions, target.plan.reader)
    if rescued is not None:  # rows of writers registered since: filled from rescued data
        stored = rescued.stored
        more = {v for v, _ in rescued.writers.values()} - set(present)
        present = sorted(v for v in [*present, *more] if v is not None) + [None] * (None in present)
    plan = plan_migration(
        target.table.uri,
        target.plan.reader,
        writers,
        present,
        stored,
        target.schema,
        drop_removed=drop_removed,
    )
    done = migrate_table(
        target.table, replace(plan, reader_version=target.reader_version, prepare=rescued)
    )
    return MigrationRun(target.subject, target.reader_version, plan, done)
