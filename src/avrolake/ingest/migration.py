"""`avrolake migrate` as the library runs it: plan from the registry, then one rewrite."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from avrolake.config import PartitionOverride
from avrolake.errors import QuarantineKind, RegistryError
from avrolake.ingest.evolve import plan_migration
from avrolake.ingest.job import Target, resolve_target
from avrolake.ingest.reread import fresh_read, kept_readers
from avrolake.ingest.rescued import rescued_rows, unrescued_sources
from avrolake.lake.ledger import Ledger, entries_of
from avrolake.lake.migrate import Migration, MigrationPlan, migrate_table, stored_schema
from avrolake.lake.migrate import writer_versions as landed_writer_versions
from avrolake.lake.quarantine import QuarantineRow, append_quarantine
from avrolake.lake.record import RunRecord
from avrolake.lake.table import recorded_reader
from avrolake.registry import Registry
from avrolake.schema import Schema
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
    subject's latest reader (docs/table.md, "Migrating a table"): from the stored values
    where they hold what the writer wrote, else from the sources read again; refuse before
    writing anything where it cannot (`MigrationError`)."""
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
        recorded=_recorded(registry, target.subject, loaded),
    )
    run_id = f"migrate-{loaded.version() + 1}"
    kept = kept_readers(plan.kept, versions, recorded_reader(loaded), target.plan, stored)
    plan = replace(
        plan,
        reader_version=target.reader_version,
        prepare=rescued,
        read_again=unrescued_sources(loaded, versions),
        reread=partial(fresh_read, plan=target.plan, settings=target.settings, s3=s3, kept=kept),
        run=RunRecord(run_id, target.subject, target.reader_version,
                      target.reader_fingerprint, target.table.quarantine_uri),
    )  # fmt: skip
    done = migrate_table(target.table, plan)
    _publish(target, done)
    return MigrationRun(target.subject, target.reader_version, plan, done)


def _recorded(registry: Registry, subject: str, loaded: object) -> Schema | None:
    """The reader the table's rows were read with (its recorded version), if registered."""
    version = recorded_reader(loaded)  # type: ignore[arg-type]
    try:
        return None if version is None else registry.version(subject, version).schema
    except RegistryError:
        return None


def _publish(target: Target, done: Migration) -> None:
    """The ledger and quarantine rows of the sources a fresh read quarantined (their rows
    left the table in the migration's commit, whose record names them)."""
    if done.run is None:
        return
    note = {"table_version": done.version_after, "quarantine_table": done.run.quarantine_table}
    Ledger(target.table, target.ledger).append(entries_of(done.run, done.version_after), note)
    now = dt.datetime.now(dt.UTC)
    append_quarantine(target.table, [
        QuarantineRow(q.source, q.size or 0, QuarantineKind(q.kind or "corrupt_data"), q.message,
                      q.writer_fingerprint, q.writer_schema, done.run.run_id or "", now,
                      target.reader_fingerprint)
        for q in done.quarantined
    ])  # fmt: skip
