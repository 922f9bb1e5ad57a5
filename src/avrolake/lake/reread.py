"""Rows `migrate` cannot convert from what the table stores are read again from their sources.

The table holds what the reader of the moment read. Where that lost what a writer wrote (an
integer rounded into a float that the new reader reads exactly, an enum symbol an older
reader replaced by its default, bytes read as a string), no conversion of the stored value
gives a fresh read's value. `migrate` then reads the sources of those rows again with the new
reader (`MigrationPlan.reread`, built above this layer) and lands their fresh rows in the
same overwrite commit; a source the new reader would quarantine leaves the table and is
recorded as quarantined. A source that cannot be read again (gone, or no longer the records
that landed) refuses the migration, naming it: nothing is ever guessed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import NoReturn

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

from avrolake.config import RESCUED_DATA
from avrolake.errors import MigrationError
from avrolake.lake.columns import KEPT_KEY, SOURCE_FILE, WRITER_FINGERPRINT, WRITER_VERSION
from avrolake.lake.kept import fill_kept, holds_kept_values, is_kept, kept_paths, reader_values
from avrolake.lake.reshape import (
    Cast,
    Entries,
    Fields,
    Items,
    Members,
    Node,
    Pick,
    Take,
    ValueProblem,
    apply,
)
from avrolake.lake.table import query_arrow

RELAND = (
    "Land the sources of these rows again into a new table with the new reader (avrolake "
    "cannot rebuild values the table does not hold)"
)


@dataclass(frozen=True)
class FreshRead:
    """A source read again with the new reader: `rows` (every column of the new table but
    `_source_file`, `_ingested_at` and `_run_id`; a kept column as the reader that last had
    it reads it, where that read succeeded, only to place the stored values), or why a fresh
    read quarantines it (`kind`, `message`), or why it cannot be read (`unavailable`)."""

    source: str
    rows: pa.Table | None = None
    kind: str | None = None
    message: str = ""
    size: int | None = None
    mtime_ms: int | None = None
    writer_fingerprint: str | None = None
    writer_schema: str | None = None
    unavailable: str | None = None


@dataclass(frozen=True)
class Problem:
    """Why the stored rows of a source do not convert (the first value found)."""

    column: str
    version: int | None
    why: str


def writer_parts(
    rows: pa.StructArray, writers: Mapping[int | None, Fields], uri: str
) -> Iterator[tuple[int | None, pa.StructArray]]:
    """The rows of each writer version (None: unregistered writers)."""
    versions = rows.field(WRITER_VERSION)
    found: list[int | None] = list(pc.unique(versions.drop_null()).to_pylist())
    for version in found + ([None] if versions.null_count else []):
        chosen = versions.is_null() if version is None else pc.equal(versions, version)
        if version not in writers:
            raise MigrationError(
                uri, WRITER_VERSION, version, "the plan has no entry for these rows "
                "(they landed while the migration was planned)", "Run `avrolake migrate` again",
            )  # fmt: skip
        yield version, rows.filter(pc.fill_null(chosen, False))


def unconvertible(
    rows: pa.StructArray, writers: Mapping[int | None, Fields], uri: str
) -> dict[str, Problem]:
    """The sources among `rows` whose stored values do not convert, with the first reason."""
    found: dict[str, Problem] = {}
    for version, part in writer_parts(rows, writers, uri):
        try:
            apply(writers[version], part)
            continue
        except ValueProblem:
            pass
        sources = part.field(SOURCE_FILE)
        for source in pc.unique(sources).to_pylist():
            try:
                apply(writers[version], part.filter(pc.equal(sources, source)))
            except ValueProblem as exc:
                found.setdefault(source, Problem(exc.column, version, exc.why))
    return found


def stored_counts(table: DeltaTable, sources: list[str]) -> dict[str, int]:
    """How many rows the table holds of each of `sources`."""
    listed = ", ".join("'" + s.replace("'", "''") + "'" for s in sources)
    counts = query_arrow(
        table,
        f'SELECT "{SOURCE_FILE}" AS s, count(*) AS n FROM t '
        f'WHERE "{SOURCE_FILE}" IN ({listed}) GROUP BY "{SOURCE_FILE}"',
    ).to_pylist()
    return {r["s"]: r["n"] for r in counts}


def refuse(uri: str, problems: Mapping[str, Problem], why: str, sources: list[str]) -> NoReturn:
    """Raise the MigrationError of the first problem among `sources`, naming them."""
    first = problems[sources[0]]
    named = ", ".join(sources[:5]) + (f" and {len(sources) - 5} more" if len(sources) > 5 else "")
    raise MigrationError(uri, first.column, first.version, first.why + why, f"{RELAND}: {named}")


def fresh_batch(fresh: FreshRead, held: pa.StructArray, plan: Fields, schema: pa.Schema,
                kept: tuple[str, ...], uri: str) -> pa.RecordBatch:  # fmt: skip
    """The new table's rows of a source read again: the fresh columns; the columns that stay
    the same on every row of a source (`_source_file`, `_ingested_at`, `_run_id`) from its
    stored rows; kept columns from the stored rows they belong to (`_kept_order`)."""
    rows = fresh.rows
    assert rows is not None, "only sources that landed again have rows"
    valued = tuple(k for k in kept if held.field(k).null_count != len(held))
    order = _kept_order(fresh, held, plan, schema, valued, uri) if valued else None
    columns = []
    for field, part in zip(schema, plan.parts, strict=True):
        if field.name in kept:
            column = held.field(field.name) if order is None else held.field(field.name).take(order)
            columns.append(column.cast(field.type))
        elif field.name in rows.column_names:
            columns.append(_fresh_column(fresh, held, field, Fields(pa.struct([field]), (part,)),
                                         uri))  # fmt: skip
        else:
            columns.append(pa.repeat(held.field(field.name)[0], rows.num_rows).cast(field.type))
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _fresh_column(fresh: FreshRead, held: pa.StructArray, field: pa.Field, read: Fields,
                  uri: str) -> pa.Array:  # fmt: skip
    """A fresh read's column as the table's: its kept nested children (lake/kept.py) NULL,
    which refuses where the stored rows hold values there (a fresh read's rows cannot be
    matched to the stored rows inside a record); `read` reads the column from the stored
    rows (the stored names, renamed since at any depth)."""
    assert fresh.rows is not None
    column = fresh.rows.column(field.name)
    paths = kept_paths(field.type, field.name)
    if paths and _holds_kept(read, held):
        version = held.field(WRITER_VERSION)[0].as_py()
        raise MigrationError(
            uri, ", ".join(paths), version, f"its source {fresh.source} is read again with the "
            "new reader, and the stored values of these kept nested fields cannot be placed on "
            "its fresh rows", f"Run migrate with --drop-removed-columns, or "
            f"{RELAND[0].lower()}{RELAND[1:]}: {fresh.source}",
        )  # fmt: skip
    return fill_kept(column, field.type) if paths else column.combine_chunks().cast(field.type)


def _holds_kept(node: Node, array: pa.Array) -> bool:
    """Whether the stored values `array`, read by the plan's `node`, hold a non-NULL value
    where the table's type has a kept child: followed through the stored names the plan
    reads, then by name where the plan reads the stored value as it is (a `Cast`)."""
    if isinstance(node, Fields) and pa.types.is_struct(array.type):
        valid = array.is_valid()
        for target, part in zip(node.target, node.parts, strict=True):
            if not isinstance(part, Take) or part.source is None:
                continue
            if array.type.get_field_index(part.source) < 0:
                continue
            child = array.field(part.source).filter(valid)
            if child.null_count != len(child) if is_kept(target) else _holds_kept(part.node, child):
                return True
        return False
    if isinstance(node, Items) and pa.types.is_list(array.type):
        return _holds_kept(node.items, array.flatten())
    if isinstance(node, Entries) and pa.types.is_map(array.type):
        return _holds_kept(node.values, array.items)
    if isinstance(node, Members | Pick):
        takes = [t for m in node.members for t in m] if isinstance(node, Members) else node.sources
        return any(_member_holds_kept(take, array) for take in takes)
    return isinstance(node, Cast) and holds_kept_values(array, node.target)


def _member_holds_kept(take: Take, array: pa.Array) -> bool:
    if take.source is None:
        return _holds_kept(take.node, array)
    if pa.types.is_struct(array.type) and array.type.get_field_index(take.source) >= 0:
        return _holds_kept(take.node, array.field(take.source))
    return False


_NOT_KEYS = frozenset({WRITER_VERSION, WRITER_FINGERPRINT, RESCUED_DATA})


def _kept_order(fresh: FreshRead, held: pa.StructArray, plan: Fields, schema: pa.Schema,
                kept: tuple[str, ...], uri: str) -> pa.Array:  # fmt: skip
    """For each fresh row, the stored row whose kept columns it takes: the rows are matched
    by the values of every column whose stored values convert (equal to the fresh read's)
    and by the kept columns as the fresh read read them again from the source (the reader
    that last had them: ingest/reread.py), so that rows equal in every converted column are
    still told apart by their kept values. Refuses where a fresh row equals no stored row,
    or where that leaves a choice between stored rows whose kept values differ."""
    rows = fresh.rows
    assert rows is not None
    stored_keys: list[list[str]] = [[] for _ in range(len(held))]
    fresh_keys: list[list[str]] = [[] for _ in range(rows.num_rows)]
    for field, part in zip(schema, plan.parts, strict=True):
        if field.name not in rows.column_names or field.name in _NOT_KEYS:
            continue
        if _is_kept(field) and field.name not in kept:
            continue  # a kept column the table holds no values of for this source
        try:
            converted = apply(Fields(pa.struct([field]), (part,)), held).field(0)
            stored = reader_values(converted, field.type).to_pylist()
            fresh_values = reader_values(
                fill_kept(rows.column(field.name), field.type), field.type
            ).to_pylist()
        except (ValueProblem, pa.ArrowException):
            continue  # the column the table lost: no key
        for key, value in zip(stored_keys, stored, strict=True):
            key.append(repr(value))
        for key, value in zip(fresh_keys, fresh_values, strict=True):
            key.append(repr(value))
    values = list(zip(*(held.field(k).to_pylist() for k in kept), strict=True))
    candidates: dict[tuple[str, ...], list[int]] = {}
    for i, key in enumerate(stored_keys):
        candidates.setdefault(tuple(key), []).append(i)
    order = []
    for key in fresh_keys:
        group = candidates.get(tuple(key), [])
        if not group or len({repr(values[i]) for i in group}) > 1:
            version = held.field(WRITER_VERSION)[0].as_py()
            raise MigrationError(
                uri, ", ".join(kept), version, f"its source {fresh.source} is read again with "
                "the new reader, and the stored values of these kept columns cannot be placed "
                "on its fresh rows: no stored row, or more than one with other kept values, "
                "equals a fresh row in every column whose stored values convert and in the "
                "kept values the source holds", f"Run migrate with --drop-removed-columns, or "
                f"{RELAND[0].lower()}{RELAND[1:]}: {fresh.source}",
            )  # fmt: skip
        order.append(group.pop())
    return pa.array(order, pa.int64())


def _is_kept(field: pa.Field) -> bool:
    return KEPT_KEY.encode() in (field.metadata or {})
