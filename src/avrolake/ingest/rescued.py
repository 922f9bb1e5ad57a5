"""`migrate` fills columns from rescued data (docs/table.md#rescued-data).

Rows an unregistered writer landed carry NULL as their writer version and its extra fields in
`_rescued_data`. Once that writer schema is registered (its fingerprint is a version's), the
migration first turns those rows into rows of that version: the reader columns its rescued
top-level fields fill (decode/rescue_fill.py), the version, and `_rescued_data` without the
keys now filled. The version's plan then makes them the rows a fresh read makes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from avrolake.config import RESCUED_DATA
from avrolake.decode import arrow_schema
from avrolake.decode.rescue import known_paths
from avrolake.decode.rescue_fill import fill, reader_path
from avrolake.lake.columns import SOURCE_FILE, WRITER_FINGERPRINT, WRITER_VERSION
from avrolake.lake.table import query
from avrolake.registry import SchemaVersion
from avrolake.schema import Array, Map, Record, Schema, Union


@dataclass(frozen=True)
class RescuedRows:
    """Fills the rows of now-registered writers from their rescued data, batch by batch."""

    writers: Mapping[str, tuple[int, Record]]  # fingerprint -> (version, writer schema)
    reader: Record
    stored: pa.Schema  # the table's columns, with the reader fields the fill adds

    def __call__(self, rows: pa.StructArray) -> pa.StructArray:
        names = {rows.type.field(i).name for i in range(rows.type.num_fields)}
        n = len(rows)
        columns = {
            f.name: _conform(rows.field(f.name), f.type) if f.name in names else pa.nulls(n, f.type)
            for f in self.stored
        }
        for fingerprint, (version, writer) in self.writers.items():
            chosen = pc.and_(
                pc.is_null(columns[WRITER_VERSION]),
                pc.equal(columns[WRITER_FINGERPRINT], fingerprint),
            )
            where = pc.indices_nonzero(pc.fill_null(chosen, False))
            if not len(where):
                continue
            done = fill(writer, self.reader, pc.take(columns[RESCUED_DATA], where).to_pylist())
            for (top, *rest), values in done.columns.items():
                flags = done.rescued[(top, *rest)]
                columns[top] = _put(columns[top], rest, where, values, flags)
            every = pa.array(np.ones(len(where), bool))
            nulls = pa.nulls(len(where), pa.string())
            columns[RESCUED_DATA] = _scatter(columns[RESCUED_DATA], where, nulls, every)
            versions = pa.repeat(pa.scalar(version, pa.int32()), len(where))
            columns[WRITER_VERSION] = _scatter(columns[WRITER_VERSION], where, versions, every)
        return pa.StructArray.from_arrays(list(columns.values()), fields=list(self.stored))


def _put(
    base: pa.Array, rest: list[str], where: pa.Array, values: pa.Array, chosen: pa.Array
) -> pa.Array:
    """`base` with the rescued values scattered in at the child path `rest` (a struct's)."""
    if not rest:
        return _scatter(base, where, values, chosen)
    assert isinstance(base, pa.StructArray)
    fields = list(base.type)
    children = [
        _put(base.field(f.name), rest[1:], where, values, chosen)
        if f.name == rest[0]
        else base.field(f.name)
        for f in fields
    ]
    return pa.StructArray.from_arrays(children, names=[f.name for f in fields], mask=base.is_null())


def _scatter(base: pa.Array, where: pa.Array, values: pa.Array, chosen: pa.Array) -> pa.Array:
    """`base` with `values[i]` at position `where[i]` wherever `chosen[i]`."""
    n = len(base)
    index = np.arange(n)
    picked = np.asarray(chosen.to_numpy(zero_copy_only=False), bool)
    index[where.to_numpy()[picked]] = n + np.nonzero(picked)[0]
    return pc.take(pa.concat_arrays([base, values.cast(base.type)]), pa.array(index))


def _conform(array: pa.Array, target: pa.DataType) -> pa.Array:
    """`array` in the `target` type: structs gain the children they lack, as NULL."""
    if array.type == target:
        return array
    if isinstance(array, pa.StructArray) and pa.types.is_struct(target):
        have = {array.type.field(i).name for i in range(array.type.num_fields)}
        children = [
            _conform(array.field(f.name), f.type)
            if f.name in have
            else pa.nulls(len(array), f.type)
            for f in target
        ]
        return pa.StructArray.from_arrays(children, fields=list(target), mask=array.is_null())
    return array.cast(target)


def _with_child(stored: pa.DataType, wanted: pa.DataType, path: list[str]) -> pa.DataType:
    """The stored struct type with the field at `path` (typed as in `wanted`) added."""
    name, rest = path[0], path[1:]
    fields = list(stored)
    index = stored.get_field_index(name)
    want = wanted.field(name).type
    if index < 0:
        return pa.struct([*fields, pa.field(name, want)])
    if rest:
        fields[index] = pa.field(name, _with_child(fields[index].type, want, rest))
    return pa.struct(fields)


def rescued_rows(
    table: object, stored: pa.Schema, versions: list[SchemaVersion], reader: Record
) -> RescuedRows | None:
    """What a migration fills from rescued data: the unregistered writers whose schema a
    version now is, with rescued data or without (their rows become rows of that version
    either way, so that the version's plan reads them again where the reader that landed
    them lost what they wrote: an enum symbol it lacked and read as its default); None:
    nothing."""
    if RESCUED_DATA not in stored.names:
        return None
    found = query(
        table,  # type: ignore[arg-type]
        f'SELECT DISTINCT "{WRITER_FINGERPRINT}" AS fp FROM t WHERE "{WRITER_VERSION}" IS NULL',
    )
    by_fingerprint = {v.fingerprint: v for v in versions}
    writers: dict[str, tuple[int, Record]] = {}
    for r in found:
        version = by_fingerprint.get(r["fp"])
        if version is not None and isinstance(version.schema, Record):
            writers[r["fp"]] = (version.version, version.schema)
    if not writers:
        return None
    wanted = arrow_schema(reader)
    columns = {f.name: f for f in stored}
    for _, writer in writers.values():
        for path in _fill_paths(writer, reader):
            top = wanted.field(path[0])
            if path[0] not in columns:
                columns[path[0]] = top
            elif len(path) > 1 and pa.types.is_struct(columns[path[0]].type):
                grown = _with_child(columns[path[0]].type, top.type, list(path[1:]))
                columns[path[0]] = columns[path[0]].with_type(grown)
    return RescuedRows(writers, reader, pa.schema(list(columns.values())))


def _fill_paths(writer: Record, reader: Record) -> list[tuple[str, ...]]:
    """The reader paths a writer's fields could fill (its fields at any depth through records
    that the reader has)."""
    found: list[tuple[str, ...]] = []
    for key in sorted(known_paths([writer])):
        resolved = reader_path(writer, reader, key)
        if resolved is not None:
            found.append(resolved[0])
    return found


def unrescued_sources(table: object, versions: list[SchemaVersion]) -> tuple[str, ...]:
    """Sources an unregistered writer landed whose schema a version now is, and which may
    hold fields `_rescued_data` could not keep (docs/table.md#rescued-data, "Depth": fields
    inside a union, an array or a map, a nullable record among them): `migrate` reads them
    again with the new reader rather than give those rows defaults the writer never meant."""
    deep = {v.fingerprint for v in versions if isinstance(v.schema, Record) and _deep(v.schema)}
    if not deep:
        return ()
    listed = ", ".join(f"'{fp}'" for fp in sorted(deep))
    found = query(
        table,  # type: ignore[arg-type]
        f'SELECT DISTINCT "{SOURCE_FILE}" AS s FROM t WHERE "{WRITER_VERSION}" IS NULL '
        f'AND "{WRITER_FINGERPRINT}" IN ({listed})',
    )
    return tuple(sorted(r["s"] for r in found))


def _deep(schema: Record) -> bool:
    """Whether a record has a record inside a union, an array or a map, at any depth."""
    seen: set[int] = set()

    def inside(kind: Schema, under: bool) -> bool:
        if isinstance(kind, Record):
            if under:
                return True
            if id(kind) in seen:
                return False
            seen.add(id(kind))
            return any(inside(f.type, under) for f in kind.fields)
        if isinstance(kind, Union):
            return any(inside(b, True) for b in kind.branches)
        if isinstance(kind, Array):
            return inside(kind.items, True)
        if isinstance(kind, Map):
            return inside(kind.values, True)
        return False

    return inside(schema, False)
