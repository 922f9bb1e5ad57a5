"""Kept nested fields: children of a struct column that the reader no longer has, kept with
their values by `migrate` and marked with `KEPT_KEY` in their field metadata (docs/table.md).

A value position is named by its path as the migrate plan names it: `r.a` (a record's
field or a union's member), `r[]` (an array's items), `r{}` (a map's values). Rows landed
since under a reader without the field hold NULL there: their Parquet files lack the child,
which Delta reads as NULL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyarrow as pa

from avrolake.lake.columns import KEPT_KEY

KEPT_NOTE = "not in the reader"


def is_kept(field: pa.Field) -> bool:
    return KEPT_KEY.encode() in (field.metadata or {})


def with_kept(kind: pa.DataType, where: str, keep: Mapping[str, Sequence[pa.Field]]) -> pa.DataType:
    """`kind` (the value at path `where`) with the kept children `keep` names for each struct
    in it appended, marked kept."""
    if not keep:
        return kind
    if pa.types.is_struct(kind):
        children = [f.with_type(with_kept(f.type, f"{where}.{f.name}", keep)) for f in kind]
        extra = [f.with_metadata({KEPT_KEY: KEPT_NOTE}) for f in keep.get(where, ())]
        return pa.struct(children + extra)
    if pa.types.is_list(kind):
        items = kind.value_field
        return pa.list_(items.with_type(with_kept(items.type, f"{where}[]", keep)))
    if pa.types.is_map(kind):
        values = kind.item_field
        return pa.map_(
            kind.key_field, values.with_type(with_kept(values.type, f"{where}{{}}", keep))
        )
    return kind


def kept_paths(kind: pa.DataType, where: str) -> list[str]:
    """The paths of the kept children inside a column of type `kind`, named from `where`."""
    found: list[str] = []
    if pa.types.is_struct(kind):
        for f in kind:
            path = f"{where}.{f.name}"
            found += [path] if is_kept(f) else kept_paths(f.type, path)
    elif pa.types.is_list(kind):
        found = kept_paths(kind.value_type, f"{where}[]")
    elif pa.types.is_map(kind):
        found = kept_paths(kind.item_type, f"{where}{{}}")
    return found


def without_kept(old: pa.DataType, new: pa.DataType) -> pa.DataType:
    """The stored type `old` without its kept children that `new` (the reader's type) lacks:
    what the reader's type must equal for rows to land beside them (NULL there)."""
    if pa.types.is_struct(old) and pa.types.is_struct(new):
        names = {f.name for f in new}
        children = []
        for f in old:
            if f.name in names:
                children.append(f.with_type(without_kept(f.type, new.field(f.name).type)))
            elif not is_kept(f):
                children.append(f)
        return pa.struct(children)
    if pa.types.is_list(old) and pa.types.is_list(new):
        items = old.value_field
        return pa.list_(items.with_type(without_kept(items.type, new.value_type)))
    if pa.types.is_map(old) and pa.types.is_map(new):
        values = old.item_field
        return pa.map_(old.key_field, values.with_type(without_kept(values.type, new.item_type)))
    return old


def back_in_reader(old: pa.DataType, new: pa.DataType, where: str) -> list[str]:
    """The kept children of `old` that the reader's type `new` has again (their rows landed
    since must read the reader's default, which only `migrate` gives them)."""
    if pa.types.is_struct(old) and pa.types.is_struct(new):
        found: list[str] = []
        for f in old:
            if new.get_field_index(f.name) < 0:
                continue
            path = f"{where}.{f.name}"
            found += [path] if is_kept(f) else back_in_reader(f.type, new.field(f.name).type, path)
        return found
    if pa.types.is_list(old) and pa.types.is_list(new):
        return back_in_reader(old.value_type, new.value_type, f"{where}[]")
    if pa.types.is_map(old) and pa.types.is_map(new):
        return back_in_reader(old.item_type, new.item_type, f"{where}{{}}")
    return []


def fill_kept(array: pa.Array, kind: pa.DataType) -> pa.Array:
    """`array` (a fresh read, without kept children) as `kind`: each kept child NULL."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_struct(kind) and pa.types.is_struct(array.type):
        names = {f.name for f in array.type}
        children = [
            fill_kept(array.field(f.name), f.type)
            if f.name in names
            else pa.nulls(len(array), f.type)
            for f in kind
        ]
        mask = array.is_null() if array.null_count else None
        return pa.StructArray.from_arrays(children, fields=list(kind), mask=mask)
    if pa.types.is_list(kind) and pa.types.is_list(array.type):
        items = fill_kept(array.values, kind.value_type)
        offsets = array.offsets
        mask = array.is_null() if array.null_count else None
        return pa.ListArray.from_arrays(offsets, items, type=kind, mask=mask)
    if pa.types.is_map(kind) and pa.types.is_map(array.type):
        items = fill_kept(array.items, kind.item_type)
        mask = array.is_null() if array.null_count else None
        return pa.MapArray.from_arrays(array.offsets, array.keys, items, type=kind, mask=mask)
    return array.cast(kind)


def reader_values(array: pa.Array, kind: pa.DataType) -> pa.Array:
    """`array` (of type `kind`) without its kept children, at any depth: the values a fresh
    read and the stored rows can both hold, to match one to the other by."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_struct(kind):
        fields = [f for f in kind if not is_kept(f)]
        flat = dict(zip([f.name for f in kind], array.flatten(), strict=True))
        children = [reader_values(flat[f.name], f.type) for f in fields]
        if not children:
            return pa.nulls(len(array), pa.null())
        mask = array.is_null() if array.null_count else None
        kept = [pa.field(f.name, c.type) for f, c in zip(fields, children, strict=True)]
        return pa.StructArray.from_arrays(children, fields=kept, mask=mask)
    if pa.types.is_list(kind):
        items = reader_values(array.values, kind.value_type)
        mask = array.is_null() if array.null_count else None
        return pa.ListArray.from_arrays(array.offsets, items, type=pa.list_(items.type), mask=mask)
    if pa.types.is_map(kind):
        items = reader_values(array.items, kind.item_type)
        mask = array.is_null() if array.null_count else None
        return pa.MapArray.from_arrays(array.offsets, array.keys, items, mask=mask)
    return array


def holds_kept_values(array: pa.Array, kind: pa.DataType) -> bool:
    """Whether a stored column holds a non-NULL value where the table's type `kind` has a
    kept child (the stored type need not mark it yet)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_struct(kind) and pa.types.is_struct(array.type):
        valid = array.is_valid()
        for f in kind:
            if array.type.get_field_index(f.name) < 0:
                continue
            child = array.field(f.name).filter(valid)
            if child.null_count != len(child) if is_kept(f) else holds_kept_values(child, f.type):
                return True
        return False
    if pa.types.is_list(kind) and pa.types.is_list(array.type):
        return holds_kept_values(array.flatten(), kind.value_type)
    if pa.types.is_map(kind) and pa.types.is_map(array.type):
        return holds_kept_values(array.items, kind.item_type)
    return False


def graft_kept(kind: pa.DataType, stored: pa.DataType) -> pa.DataType:
    """The reader's type `kind` with the kept children the table's type `stored` holds
    beside it appended (what ingest writes, NULL there, so that every Delta reader reads the
    files as the table's type: delta-rs cannot read a map whose values lack a child)."""
    if pa.types.is_struct(kind) and pa.types.is_struct(stored):
        names = {f.name for f in kind}
        children = [
            f.with_type(graft_kept(f.type, stored.field(f.name).type))
            if stored.get_field_index(f.name) >= 0 else f
            for f in kind
        ]  # fmt: skip
        return pa.struct(children + [f for f in stored if is_kept(f) and f.name not in names])
    if pa.types.is_list(kind) and pa.types.is_list(stored):
        items = kind.value_field
        return pa.list_(items.with_type(graft_kept(items.type, stored.value_type)))
    if pa.types.is_map(kind) and pa.types.is_map(stored):
        values = kind.item_field
        return pa.map_(kind.key_field, values.with_type(graft_kept(values.type, stored.item_type)))
    return kind


def with_table_kept(schema: pa.Schema, table: pa.Schema | None) -> pa.Schema:
    """`schema` (the Parquet files' schema) with the table's kept nested children."""
    if table is None:
        return schema
    fields = [
        f.with_type(graft_kept(f.type, table.field(f.name).type)) if f.name in table.names else f
        for f in schema
    ]
    return pa.schema(fields, metadata=schema.metadata)


def conform(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    """`rows` (the reader's columns) as `schema`: kept nested children NULL."""
    for i, f in enumerate(schema):
        if not rows.schema.field(i).type.equals(f.type) and kept_paths(f.type, f.name):
            rows = rows.set_column(i, f, pa.chunked_array([fill_kept(rows.column(i), f.type)]))
    return rows
