"""Column plans: how one writer's stored rows become the rows of a new table schema.

A plan is data, built above this layer from the registry's schemas (`avrolake.ingest.evolve`),
and applied here to Arrow column by column. Nothing here knows Avro: a node says which stored
child to read, how to convert a leaf, which constant a missing value takes. Applying a node to
the stored array at its position gives the array of the new type at that position.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from avrolake.errors import QuarantineError
from avrolake.lake.writer import check_times


class ValueProblem(Exception):
    """A stored value cannot be converted exactly (`migrate` turns it into MigrationError)."""

    def __init__(self, column: str, why: str) -> None:
        super().__init__(f"{column}: {why}")
        self.column = column
        self.why = why


@dataclass(frozen=True)
class Cast:
    """The stored leaf cast to `target`. `exact_below`: the stored floating-point values hold
    integers that a narrower float may have rounded; they are exact only while |v| is below
    this (2**24 for float32, 2**53 for float64), and a larger one refuses the conversion.
    `via`: types cast through first, in order (a stored long read as timestamp-millis: int64,
    then timestamp[ms], then the target's unit; a lossy or overflowing step refuses, and so
    does a timestamp or date outside the years 1 to 9999, whose file a fresh read quarantines)."""

    target: pa.DataType
    exact_below: float | None = None
    via: tuple[pa.DataType, ...] = ()


@dataclass(frozen=True)
class Unscaled:
    """Stored bytes read as a decimal: each value the big-endian two's-complement unscaled
    integer of the target's scale (Avro's decimal on bytes/fixed). A value of no bytes, or
    one beyond the target's precision, refuses the conversion."""

    target: pa.DataType  # decimal128 / decimal256


@dataclass(frozen=True)
class Symbols:
    """Stored enum symbols (strings) read by the new enum: kept when it has them, else
    `default`; with no default, a symbol it lacks refuses the conversion. `ambiguous`: a
    stored symbol that may stand for another written one (an older reader's default), which
    refuses the conversion (the rows are read again from their sources)."""

    symbols: frozenset[str]
    default: str | None = None
    ambiguous: str | None = None


@dataclass(frozen=True)
class Constant:
    """The same value on every row: a default the stored rows' writer never wrote (one-row
    array of the target type)."""

    value: pa.Array


@dataclass(frozen=True)
class Nulls:
    target: pa.DataType


@dataclass(frozen=True)
class Lost:
    """The table does not hold what the writer wrote here (`why`): any stored row refuses the
    conversion (`migrate` reads such rows again from their sources)."""

    target: pa.DataType
    why: str
    path: str = ""  # the value's path, where the node is applied to its parent


@dataclass(frozen=True)
class Take:
    """Read the stored child `source` (None: the stored value itself) through `node`."""

    source: str | None
    node: Node


@dataclass(frozen=True)
class Fields:
    """A struct: one part per target field; NULL where the stored struct is NULL."""

    target: pa.StructType
    parts: tuple[Take | Constant | Nulls | Lost, ...]


@dataclass(frozen=True)
class Members:
    """A union struct: each target member from the stored members that land in it (at most
    one of them holds a value per row); NULL where the stored value is NULL."""

    target: pa.StructType
    members: tuple[tuple[Take, ...], ...]


@dataclass(frozen=True)
class Pick:
    """A plain value from the stored union members that hold its branches."""

    target: pa.DataType
    sources: tuple[Take, ...]


@dataclass(frozen=True)
class Items:
    target: pa.DataType  # list<...>
    items: Node


@dataclass(frozen=True)
class Entries:
    target: pa.DataType  # map<string, ...>
    values: Node


Node: TypeAlias = (
    Cast | Unscaled | Symbols | Constant | Nulls | Lost | Fields | Members | Pick | Items | Entries
)


def apply(node: Node, array: pa.Array, where: str = "") -> pa.Array:
    """The array of `node`'s target type for the stored `array` (same length)."""
    if isinstance(node, Cast):
        return _cast(node, array, where)
    if isinstance(node, Unscaled):
        return _unscaled(node, array, where)
    if isinstance(node, Symbols):
        return _symbols(node, array, where)
    if isinstance(node, Constant | Nulls):
        return _fill(node, len(array))
    if isinstance(node, Lost):
        if len(array):
            raise ValueProblem(node.path or where, node.why)
        return pa.nulls(0, node.target)
    if isinstance(node, Fields):
        parts = [_part(p, array, where) for p in node.parts]
        return _struct(parts, node.target, array)
    if isinstance(node, Members):
        members = [
            _coalesce([_take(t, array, where) for t in takes], field.type, len(array))
            for field, takes in zip(node.target, node.members, strict=True)
        ]
        return _struct(members, node.target, array)
    if isinstance(node, Pick):
        return _coalesce([_take(t, array, where) for t in node.sources], node.target, len(array))
    if isinstance(node, Items):
        offsets, values = _list_parts(array)
        items = apply(node.items, values, f"{where}[]")
        mask = array.is_null() if array.null_count else None
        return pa.ListArray.from_arrays(offsets, items, type=node.target, mask=mask)
    offsets, entries = _list_parts(array)
    values = apply(node.values, entries.field(1), f"{where}{{}}")
    mask = array.is_null() if array.null_count else None
    return pa.MapArray.from_arrays(offsets, entries.field(0), values, type=node.target, mask=mask)


def _part(part: Take | Constant | Nulls | Lost, array: pa.Array, where: str) -> pa.Array:
    if isinstance(part, Take):
        return _take(part, array, where)
    return apply(part, array, where)


def _take(take: Take, array: pa.Array, where: str) -> pa.Array:
    if take.source is None:
        return apply(take.node, array, where)
    # the child with the struct's own NULLs: values under a NULL struct are not values
    child = pc.struct_field(array, [array.type.get_field_index(take.source)])
    return apply(take.node, child, f"{where}.{take.source}" if where else take.source)


def _fill(node: Constant | Nulls, length: int) -> pa.Array:
    if isinstance(node, Nulls):
        return pa.nulls(length, node.target)
    if node.value.null_count:
        return pa.nulls(length, node.value.type)
    return node.value.take(pa.array(np.zeros(length, np.int32)))


def _cast(node: Cast, array: pa.Array, where: str) -> pa.Array:
    if node.exact_below is not None and array.type != node.target:
        largest = pc.max(pc.abs(array))
        if largest.is_valid and largest.as_py() >= node.exact_below:
            raise ValueProblem(
                where,
                f"a stored value ({largest.as_py()!r}) is an integer the table holds only "
                f"rounded to {array.type}, while the new type {node.target} takes the "
                "writer's exact value",
            )
    if array.type == node.target:
        return array
    try:
        for step in node.via:
            array = array.cast(step)
        array = array.cast(node.target, safe=not pa.types.is_floating(node.target))
    except pa.ArrowInvalid as exc:
        raise ValueProblem(
            where, f"a stored value does not convert to {node.target}: {exc}"
        ) from exc
    if node.via:  # numbers read as a timestamp or date: a fresh read checks their years
        try:
            check_times(pa.table({where or "value": array}))
        except QuarantineError as exc:
            first = exc.message.split(". ", 1)[0]
            raise ValueProblem(
                where, f"a stored value read as {node.target} is outside the years 1 to 9999, "
                f"and a fresh read quarantines its file ({first})",
            ) from exc  # fmt: skip
    return array


def _unscaled(node: Unscaled, array: pa.Array, where: str) -> pa.Array:
    scale = node.target.scale
    values = []
    for raw in array.to_pylist():
        if raw is not None and not raw:
            raise ValueProblem(where, "a stored value of no bytes is no decimal")
        unscaled = None if raw is None else int.from_bytes(raw, "big", signed=True)
        values.append(None if unscaled is None else decimal.Decimal(f"{unscaled}E-{scale}"))
    try:
        return pa.array(values, node.target)
    except (pa.ArrowInvalid, decimal.InvalidOperation) as exc:
        raise ValueProblem(
            where, f"a stored value does not convert to {node.target}: {exc}"
        ) from exc


def _symbols(node: Symbols, array: pa.Array, where: str) -> pa.Array:
    array = array.cast(pa.string())
    if node.ambiguous is not None and pc.any(pc.equal(array, node.ambiguous)).as_py():
        raise ValueProblem(
            where,
            f"a stored symbol {node.ambiguous!r} is the default an older reader gave to symbols "
            "it lacked, which the new enum has again",
        )
    known = pc.is_in(array, pa.array(sorted(node.symbols), pa.string()))
    unknown = pc.and_(pc.invert(known), array.is_valid())
    if not pc.any(unknown).as_py():
        return array
    if node.default is None:
        symbol = array.filter(unknown)[0].as_py()
        raise ValueProblem(where, f"symbol {symbol!r} is not in the new enum, which has no default")
    return pc.if_else(unknown, pa.scalar(node.default, pa.string()), array)


def _coalesce(arrays: list[pa.Array], target: pa.DataType, length: int) -> pa.Array:
    if not arrays:
        return pa.nulls(length, target)
    if len(arrays) == 1:
        return arrays[0]
    return pc.coalesce(*arrays)


def _struct(children: list[pa.Array], target: pa.StructType, like: pa.Array) -> pa.Array:
    mask = like.is_null() if like.null_count else None
    if children:
        return pa.StructArray.from_arrays(children, fields=list(target), mask=mask)
    validity = None if mask is None else pc.invert(mask).buffers()[1]
    return pa.StructArray.from_buffers(
        target, len(like), [validity], null_count=like.null_count, children=[]
    )


def _list_parts(array: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Offsets from 0 and the items they index (a map's: its key/value entries)."""
    offsets, values = array.offsets, array.values
    start, end = offsets[0].as_py(), offsets[-1].as_py()
    if start or end != len(values):
        values = values.slice(start, end - start)
        offsets = pc.subtract(offsets, pa.scalar(start, pa.int32()))
    return offsets, values
