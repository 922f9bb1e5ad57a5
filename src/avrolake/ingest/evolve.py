"""Plan `migrate` by the Avro specification's resolution rules, applied to stored columns.

For every writer version whose rows the table holds, the plan says how each value of the new
reader is made from what the table stores, as a fresh read of that writer's files with the new
reader would make it (docs/table.md, "Migrating a table"):
- a reader field the writer wrote (by name or a reader alias, at any depth: records, array
  items, map values, union members) is read from the stored column or child that holds it,
  whatever earlier name the table gave it;
- promotions convert the stored value as Avro Java converts the written one: int/long to
  float/double round to nearest (ties to even) from the exact integer, float to double widens
  the float exactly, string and bytes are the same UTF-8 bytes. A stored float that may have
  rounded an integer the writer wrote is refused unless every value is below 2**24 (float)
  or 2**53 (double), where no rounding happened;
- a reader field the writer did not write takes the reader's default (never NULL), at any
  depth: whatever the table stored there came from an older reader;
- a stored column the reader lacks is kept with its values, or dropped when asked; so is a
  stored child of a nested record (a struct column, array items, map values, union members)
  the reader's record lacks: kept in the record's struct, marked kept, NULL for rows landed
  under readers without it.
Where the table never stored what the writer wrote (a column dropped earlier, or added
after those rows landed), or the reader cannot read a writer at all, planning raises
`MigrationError` before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from avrolake.compatibility import check_compatibility
from avrolake.compatibility.rules import writer_field_for
from avrolake.decode import arrow_schema, arrow_type
from avrolake.errors import MigrationError, RegistryError
from avrolake.ingest.convert import StoredValue, stamps_of
from avrolake.ingest.defaults import python_value
from avrolake.ingest.enums import enums_of
from avrolake.lake.kept import with_kept
from avrolake.lake.migrate import (
    KEPT_KEY,
    MigrationPlan,
    unregistered_fingerprints,
    writer_versions,
)
from avrolake.lake.reshape import Cast, Constant, Fields, Lost, Nulls, Take
from avrolake.lake.table import recorded_reader
from avrolake.registry import Registry, SchemaVersion
from avrolake.schema import Record, Schema


@dataclass
class _Notes:
    """What the plan does to the table's columns, for the summary."""

    renamed: dict[str, str] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    filled: set[str] = field(default_factory=set)
    nested_used: dict[str, set[str]] = field(default_factory=dict)  # record path -> children
    nested_removed: dict[str, dict[str, pa.Field]] = field(default_factory=dict)

    def keep(self) -> dict[str, tuple[pa.Field, ...]]:
        """Per nested record path, the stored children the reader lacks and no writer's
        field was read from (a rename's old name is read, not kept)."""
        found = {
            path: tuple(f for n, f in children.items() if n not in self.nested_used.get(path, ()))
            for path, children in self.nested_removed.items()
        }
        return {path: fields for path, fields in found.items() if fields}


def plan_migration(
    uri: str,
    reader: Record,
    writers: Mapping[int, Schema],
    present: Sequence[int | None],
    stored: pa.Schema,
    target: pa.Schema,
    *,
    drop_removed: bool = False,
    recorded: Schema | None = None,
) -> MigrationPlan:
    """The plan that turns the `stored` table into the `target` table (the new reader's
    columns, then the metadata and partition columns), for the writer versions `present`.

    `writers`: the registered writer schemas by version; a present version the registry
    lacks is read like an unregistered writer (None): the stored columns are taken to hold
    exactly what it wrote. `recorded`: the reader the table's rows were read with (its
    recorded reader), whose losses (an enum symbol replaced by its default) the stored
    values cannot undo: such rows are read again from their sources."""
    readers = {f.name for f in reader.fields}
    trailing = [f for f in target if f.name not in readers]
    notes = _Notes()
    plans = _plans(uri, reader, writers, present, stored, notes, recorded, {})
    nested = notes.keep()
    if nested and not drop_removed:  # again, appending the kept children to their records
        notes = _Notes()
        plans = _plans(uri, reader, writers, present, stored, notes, recorded, nested)
    removed = [
        f for f in stored if f.name not in readers and f.name not in {t.name for t in trailing}
    ]
    removed = [f for f in removed if f.name not in notes.used]
    kept = [] if drop_removed else removed
    keep = {} if drop_removed else nested
    fields = [pa.field(f.name, with_kept(arrow_type(f.type), f.name, keep)) for f in reader.fields]
    fields += [f.with_metadata({KEPT_KEY: "not in the reader"}) for f in kept]
    fields += [f.remove_metadata() for f in trailing]
    schema = pa.schema(fields)
    extra = [Take(f.name, Cast(f.type)) for f in kept]
    extra += [Take(f.name, Cast(f.type)) for f in trailing]
    struct = pa.struct(list(schema))
    return MigrationPlan(
        schema,
        {v: Fields(struct, (*parts, *extra)) for v, parts in plans.items()},
        notes.renamed,
        tuple(f.name for f in kept),
        tuple(f.name for f in removed if drop_removed),
        tuple(sorted(notes.filled)),
        kept_nested=() if drop_removed else _paths(nested),
        dropped_nested=_paths(nested) if drop_removed else (),
    )


def _paths(keep: dict[str, tuple[pa.Field, ...]]) -> tuple[str, ...]:
    return tuple(sorted(f"{path}.{f.name}" for path, fields in keep.items() for f in fields))


def _plans(
    uri: str,
    reader: Record,
    writers: Mapping[int, Schema],
    present: Sequence[int | None],
    stored: pa.Schema,
    notes: _Notes,
    recorded: Schema | None,
    keep: dict[str, tuple[pa.Field, ...]],
) -> dict[int | None, list[Take | Constant | Nulls | Lost]]:
    """Per writer version present, the parts of the new reader's columns."""
    plans: dict[int | None, list[Take | Constant | Nulls | Lost]] = {}
    for version in present:
        writer = writers.get(version) if version is not None else None
        if writer is not None and version is not None:
            _check_readable(uri, version, writer, reader)
        known = version if writer is not None else None
        plans[version] = _top_level(uri, known, writer, reader, stored, notes, recorded, keep)
    return plans


def _check_readable(uri: str, version: int, writer: Schema, reader: Record) -> None:
    findings = check_compatibility(writer, reader)
    if findings:
        first = findings[0]
        raise MigrationError(
            uri,
            first.path,
            version,
            f"the new reader cannot read this writer ({first.message}), so a fresh read "
            "would quarantine its files",
            "Register a reader that reads every landed writer (the subject's level should be "
            "BACKWARD_TRANSITIVE)",
        )


def _top_level(
    uri: str,
    version: int | None,
    writer: Schema | None,
    reader: Record,
    stored: pa.Schema,
    notes: _Notes,
    recorded: Schema | None,
    keep: dict[str, tuple[pa.Field, ...]],
) -> list[Take | Constant | Nulls | Lost]:
    record = writer if isinstance(writer, Record) else None
    value = StoredValue(uri, version, pa.struct(list(stored)), older=enums_of(recorded),
                        keep=keep, stamps=stamps_of(recorded))  # fmt: skip
    parts = value.record_parts(record, reader)
    notes.used |= {p.source for p in parts if isinstance(p, Take) and p.source is not None}
    notes.renamed.update(value.renamed)
    notes.filled |= value.filled
    for path, names in value.used.items():
        notes.nested_used.setdefault(path, set()).update(names)
    for path, children in value.removed.items():
        for name, child in children.items():
            notes.nested_removed.setdefault(path, {}).setdefault(name, child)
    return parts


def needs_values(
    reader: Record, writers: Mapping[int, Schema], reader_version: int
) -> dict[str, str]:
    """Reader fields that rows already landed must not read as NULL once their column is
    added, with the reason: a default that is not null (a fresh read gives it to every writer
    without the field), or a field another registered version wrote (its rows may have landed
    under a reader without it; `migrate` checks which)."""
    found: dict[str, str] = {}
    for rfield in reader.fields:
        if rfield.has_default and python_value(rfield.type, rfield.default) is not None:
            found[rfield.name] = f"rows landed before read its default {rfield.default!r}"
            continue
        for version, writer in sorted(writers.items()):
            if (
                version != reader_version
                and isinstance(writer, Record)
                and writer_field_for(writer, rfield) is not None
            ):
                found[rfield.name] = f"writer v{version} wrote it"
                break
    return found


def value_changes(
    loaded: Any, registry: Registry, subject: str, reader: Record, version: int
) -> tuple[str, ...]:
    """What `reader` reads differently, in columns the table holds under the same type, from
    the reader the table's rows were landed or migrated with (its recorded version): another
    default for a field a writer lacks, an enum symbol read differently. Every registered
    writer the table holds rows of and both readers read is compared; rows of such writers
    need `migrate`. Nothing for a new table, or one whose reader was not recorded."""
    previous_version = recorded_reader(loaded) if loaded is not None else None
    if previous_version is None or previous_version == version:
        return ()
    try:
        previous = registry.version(subject, previous_version).schema
    except RegistryError:
        return ()
    if not isinstance(previous, Record):
        return ()
    writers = registry.versions(subject)
    found = _changed(writers, previous, reader, version, previous_version)
    if not found:
        return ()
    # Only the writers the table holds rows of: a registered version, or an unregistered
    # writer's fingerprint that a version now has (its rows are that version's).
    held: set[int | None] = set(writer_versions(loaded))
    if None in held:
        landed = unregistered_fingerprints(loaded)
        held |= {w.version for w in writers if w.fingerprint in landed}
    return _changed([w for w in writers if w.version in held], previous, reader, version,
                    previous_version)  # fmt: skip


def _changed(writers: list[SchemaVersion], previous: Record, reader: Record, version: int,
             previous_version: int) -> tuple[str, ...]:  # fmt: skip
    stored = pa.struct(list(arrow_schema(previous)))
    old_types = {f.name: arrow_type(f.type) for f in previous.fields}
    common = {f.name for f in reader.fields if old_types.get(f.name) == arrow_type(f.type)}
    found: dict[str, str] = {}
    for writer in writers:
        before = _parts(writer.version, writer.schema, previous, stored)
        after = _parts(writer.version, writer.schema, reader, stored)
        if before is None or after is None:
            continue
        for name in sorted(common - set(found)):
            if before[name] != after[name]:
                found[name] = (
                    f"{name}: rows of writer v{writer.version} read other values under reader "
                    f"v{version} than under v{previous_version}, which landed them"
                )
    return tuple(found.values())


def _parts(
    version: int, writer: Schema, reader: Record, stored: pa.StructType
) -> dict[str, Any] | None:
    """The plan's part per reader field for this writer (None: the reader cannot read it)."""
    if not isinstance(writer, Record) or check_compatibility(writer, reader):
        return None
    try:
        parts = StoredValue("", version, stored).record_parts(writer, reader)
    except MigrationError:
        return None
    return {f.name: p for f, p in zip(reader.fields, parts, strict=True)}
