"""Resolve Arrow tables decoded with a file's writer schema to the reader schema, column-wise.

The native decoder gives a file's records as Arrow in the *writer* schema's shape: enums as
dictionaries, `["null", T]` as a nullable `T`, records as structs, logical types as Arrow
temporal types. `ArrowResolver` turns such a table into the table the fastavro path lands for
the same records (`AvroFile` with `decoder="fastavro"`): the reader's fields in the reader's
order and landed types (`arrow_schema(reader, final=True)`), every value resolved by the Avro
specification's rules, without a Python step per record.

The plan is built once per (writer, reader) pair and applied to many tables. Where the fastavro
path lands something other than what the specification says (docs/fastavro-notes.md), or where
its exact result cannot be reproduced column by column, construction raises
`ResolveUnsupported` and the caller reads that writer's files through fastavro: a table the
resolver returns is always the table the fastavro path would have returned.

Errors a record can still raise, as the fastavro path raises them:
- `QuarantineError(CORRUPT_DATA)`: bytes read as a string that are not UTF-8; a date or
  timestamp that fastavro's conversion to Python objects cannot represent (years 1 to 9999);
- `QuarantineError(INCOMPATIBLE_SCHEMA)`: a record uses what the reader cannot read (a writer
  union branch, an enum symbol without a reader default). The fastavro path quarantines such
  files with this kind before reading them (`ReaderPlan.incompatibility`), which checks every
  branch; the resolver, like the specification, fails only on a record that uses it;
- `pyarrow.ArrowInvalid` from the same cast to the landed type (a timestamp-nanos value with
  sub-microsecond digits; a plain long read as a timestamp beyond the microsecond range),
  which the ingest worker quarantines as `conversion_error`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from avrolake.compatibility.rules import (
    PROMOTIONS,
    describe,
    names_match,
    reader_branch,
    writer_field_for,
)
from avrolake.decode.arrow_types import (
    NUMERIC_LOGICAL,
    arrow_schema,
    arrow_type,
    non_null,
)
from avrolake.decode.fastavro_docs import landed_default
from avrolake.errors import QuarantineError, QuarantineKind
from avrolake.schema import (
    Array,
    Enum,
    Field,
    Fixed,
    Map,
    Primitive,
    Record,
    Schema,
    Union,
    member_name,
)

# The writer logical types fastavro turns into Python objects (its LOGICAL_READERS): their
# values land only if the object exists. Others (timestamp-nanos, ...) come back as numbers.
_CONVERTED = frozenset(
    {
        "timestamp-millis", "timestamp-micros", "local-timestamp-millis",
        "local-timestamp-micros", "date",
    }
)  # fmt: skip
# Time of day lands as its number (docs/table.md): the decoder's time type, viewed as it.
_TIME_BASE = {"time-millis": pa.int32(), "time-micros": pa.int64()}
_EPOCH = dt.datetime(1970, 1, 1)
_MICROS = dt.timedelta(microseconds=1)
_MIN_US = (dt.datetime.min - _EPOCH) // _MICROS
_MAX_US = (dt.datetime.max - _EPOCH) // _MICROS
# Inclusive bounds of the values fastavro can turn into datetime / date objects.
_BOUNDS: dict[str, tuple[int, int]] = {
    "millis": (_MIN_US // 1000, _MAX_US // 1000),
    "micros": (_MIN_US, _MAX_US),
    "date": ((dt.date.min - _EPOCH.date()).days, (dt.date.max - _EPOCH.date()).days),
}

Visible = Any  # a BooleanArray: True where every enclosing value is present; None: all rows
Run = Callable[[Any, Visible], Any]


class ResolveUnsupported(Exception):
    """This writer/reader pair is not resolved column-wise: read its files through fastavro."""


class _Unreadable(Exception):
    """The reader cannot read this writer type (the specification's resolution fails)."""


@dataclass(frozen=True)
class _Step:
    """Resolves one value position: writer-shaped array (and which rows are visible, i.e.
    not under a null record or union) in, reader-shaped array out. `checks`: whether a
    record can fail here, so that callers compute visibility only where it matters."""

    run: Run
    checks: bool = False

    def __call__(self, array: Any, visible: Visible) -> Any:
        return self.run(array, visible)


class ArrowResolver:
    """Resolves tables decoded natively with `writer` to `reader`'s landed Arrow schema.

    Raises `ResolveUnsupported` at construction for pairs it does not resolve exactly as the
    fastavro path does, and for pairs the specification cannot resolve at all."""

    def __init__(self, writer: Schema, reader: Record) -> None:
        if not isinstance(writer, Record):
            raise ResolveUnsupported("the writer schema is not a record")
        if not reader.fields:  # the fastavro path lands no rows for it (a table of no columns)
            raise ResolveUnsupported("the reader record has no fields")
        if is_recursive(reader, ()):
            raise ResolveUnsupported("the reader schema is recursive: it has no Arrow type")
        self.schema: pa.Schema = arrow_schema(reader, final=True)
        planner = _Planner()
        try:
            self._root = planner.convert(writer, reader, "")
        except _Unreadable as exc:
            raise ResolveUnsupported(f"the reader cannot read this writer schema: {exc}") from exc

    def __call__(self, table: pa.Table) -> pa.Table:
        batches = [
            pa.RecordBatch.from_struct_array(self._root(batch.to_struct_array(), None))
            for batch in table.to_batches()
        ]
        return pa.Table.from_batches(batches, schema=self.schema)


class _Planner:
    """Builds the steps for a (writer, reader) pair, refusing what fastavro does differently."""

    def slot(self, writer: Schema, reader: Schema, where: str) -> _Step:
        """A value position (a field, array items, map values): null where the reader
        cannot hold it is an error of the record that holds it."""
        step = self.convert(writer, reader, where)
        if _holds_null(writer) and not _holds_null(reader):
            message = f"{where or '/'}: a record holds null, which {describe(reader)} cannot hold"
            step = _Step(_null_checked(step, message), checks=True)
        if isinstance(writer, Union) and len(writer.branches) == 1:
            step = _Step(_single_branch(step), step.checks)  # decoded as a one-child dense union
        return step

    def convert(self, writer: Schema, reader: Schema, where: str) -> _Step:
        if isinstance(writer, Union):
            return self._writer_union(writer, reader, where)
        if isinstance(reader, Union):
            return self._reader_union(writer, reader, where)
        if isinstance(writer, Primitive) and isinstance(reader, Primitive):
            return _primitive(writer, reader, where)
        if isinstance(writer, Array) and isinstance(reader, Array):
            items = self.slot(writer.items, reader.items, f"{where}[]")
            return _Step(_list(items, arrow_type(reader)), items.checks)
        if isinstance(writer, Map) and isinstance(reader, Map):
            values = self.slot(writer.values, reader.values, f"{where}{{}}")
            return _Step(_map(values, arrow_type(reader)), values.checks)
        if (
            isinstance(writer, Record)
            and isinstance(reader, Record)
            and names_match(writer, reader)
        ):
            return self._record(writer, reader, where)
        if isinstance(writer, Enum) and isinstance(reader, Enum) and names_match(writer, reader):
            return _enum(writer, reader, where)
        if isinstance(writer, Fixed) and isinstance(reader, Fixed) and names_match(writer, reader):
            return _fixed(writer, reader, where)
        raise _Unreadable(_mismatch(writer, reader, where))

    def _record(self, writer: Record, reader: Record, where: str) -> _Step:
        mapping = _field_mapping(writer, reader, where)
        position = {id(f): i for i, f in enumerate(writer.fields)}
        parts: list[tuple[int, _Step] | _Constant] = []
        for field in reader.fields:
            path = f"{where}.{field.name}" if where else field.name
            source = mapping.get(field.name)
            if source is not None:
                step = self.slot(source.type, field.type, path)
                parts.append((position[id(source)], step))
            elif field.has_default:
                parts.append(_default(reader, field, path))
            else:
                raise _Unreadable(f"{path}: no writer field and no default")
        checks = any(isinstance(p, tuple) and p[1].checks for p in parts)
        return _Step(_record(parts, arrow_type(reader), checks), checks)

    def _writer_union(self, writer: Union, reader: Schema, where: str) -> _Step:
        """A writer union the native decoder gives: of null and at most one other type.
        A branch the reader cannot read fails the records that use it (specification)."""
        rest = non_null(writer)
        if len(rest) > 1:
            raise ResolveUnsupported(f"{where or '/'}: a writer union of several types")
        branch = rest[0] if rest else writer.branches[0]
        try:
            return self.convert(branch, reader, where)
        except _Unreadable as exc:
            return _Step(_unreadable(str(exc), arrow_type(reader)), checks=True)

    def _reader_union(self, writer: Schema, reader: Union, where: str) -> _Step:
        """The reader branch the writer's type resolves to (`reader_branch`: the same type
        first, then a promotion, as the fastavro path); a reader union of several types
        lands as a struct with that one member set."""
        target = arrow_type(reader)
        if _is_null(writer):
            if not _holds_null(reader):
                raise _Unreadable(f"{where or '/'}: {describe(reader)} cannot read null")
            return _Step(_nulls(target))
        index = reader_branch(writer, reader)
        if index is None:
            raise _Unreadable(_mismatch(writer, reader, where))
        chosen = reader.branches[index]
        members = non_null(reader)
        if len(members) == 1:
            return self.convert(writer, chosen, where)
        step = self.convert(writer, chosen, f"{where}.{member_name(chosen)}")
        return _Step(_member(step, target, members.index(chosen)), step.checks)


def _default(record: Record, field: Field, where: str) -> _Constant:
    """The default column: the value the fastavro path is given (`landed_default`), typed."""
    row = {field.name: landed_default(field.type, field.default)}
    try:
        table = pa.Table.from_pylist([row], schema=arrow_schema(record, final=False))
        column = table.cast(arrow_schema(record, final=True)).column(field.name).chunk(0)
    except (ValueError, TypeError, OverflowError, pa.ArrowException) as exc:
        raise ResolveUnsupported(f"{where}: the default does not convert ({exc})") from exc
    return _Constant(column)


def _field_mapping(writer: Record, reader: Record, where: str) -> dict[str, Field]:
    """Reader field name -> the writer field it reads, by the specification (name first,
    then the reader field's aliases); refused where fastavro's reading differs: it walks the
    writer's fields and takes the first reader field named or aliased so, once each."""
    spec = {f.name: w for f in reader.fields if (w := writer_field_for(writer, f)) is not None}
    by_name = {f.name: f for f in reader.fields}
    by_alias = {a: f for f in reader.fields for a in f.aliases}
    fastavro: dict[str, Field] = {}
    for wfield in writer.fields:
        rfield = by_name.get(wfield.name, by_alias.get(wfield.name))
        if rfield is None:
            continue
        if rfield.name not in by_name:
            fastavro = {}  # fastavro fails on the record (KeyError)
            break
        fastavro[rfield.name] = wfield
        del by_name[rfield.name]
    if fastavro != spec:
        raise ResolveUnsupported(
            f"{where or '/'}: fastavro matches the fields of {reader.fullname} to other writer "
            "fields than the specification (a name that is also another field's alias)"
        )
    return spec


# -- steps ----------------------------------------------------------------------------------


class _Constant:
    """A default as a column of any length (the last length's column is kept: chunks of
    one size follow each other)."""

    def __init__(self, value: Any) -> None:
        self._value = value
        self._last: tuple[int, Any] = (-1, None)

    def __call__(self, length: int) -> Any:
        last_length, column = self._last
        if last_length != length:
            if self._value.null_count:
                column = pa.nulls(length, self._value.type)
            else:
                column = self._value.take(pa.array(np.zeros(length, np.int32)))
            self._last = (length, column)
        return column


def _resolution_error(message: str) -> QuarantineError:
    return QuarantineError(QuarantineKind.INCOMPATIBLE_SCHEMA, message)


def _corrupt(message: str) -> QuarantineError:
    return QuarantineError(QuarantineKind.CORRUPT_DATA, message)


def _visible_values(array: Any, visible: Visible) -> Any:
    return array if visible is None else array.filter(visible)


def _within(array: Any, visible: Visible) -> Visible:
    """The rows of `array`'s children that are visible: its own visible, present rows."""
    if not array.null_count:
        return visible
    present = array.is_valid()
    return present if visible is None else pc.and_(visible, present)


def _nulls(target: Any) -> Run:
    return lambda array, visible: pa.nulls(len(array), target)


def _null_checked(step: _Step, message: str) -> Run:
    def run(array: Any, visible: Visible) -> Any:
        if array.null_count and (
            visible is None or pc.any(pc.and_(array.is_null(), visible)).as_py()
        ):
            raise _resolution_error(message)
        return step(array, visible)

    return run


def _unreadable(message: str, target: Any) -> Run:
    """A writer branch the reader cannot read: fine while no visible record holds it."""

    def run(array: Any, visible: Visible) -> Any:
        if pc.any(_visible_values(array.is_valid(), visible)).as_py():
            raise _resolution_error(f"a record uses a writer union branch: {message}")
        return pa.nulls(len(array), target)

    return run


def _single_branch(step: _Step) -> Run:
    """A writer union of one type: the native decoder gives a dense union; take its child."""

    def run(array: Any, visible: Visible) -> Any:
        if isinstance(array, pa.UnionArray):
            array = array.field(0).take(array.offsets)
        return step(array, visible)

    return run


def _struct(children: list[Any], target: Any, like: Any) -> Any:
    mask = like.is_null() if like.null_count else None
    if children:
        return pa.StructArray.from_arrays(children, fields=list(target), mask=mask)
    validity = None if mask is None else pc.invert(mask).buffers()[1]
    return pa.StructArray.from_buffers(
        target, len(like), [validity], null_count=like.null_count, children=[]
    )


def _record(parts: list[tuple[int, _Step] | _Constant], target: Any, checks: bool) -> Run:
    def run(array: Any, visible: Visible) -> Any:
        inner = _within(array, visible) if checks else None
        children = [
            part(len(array))
            if isinstance(part, _Constant)
            else part[1](array.field(part[0]), inner)
            for part in parts
        ]
        return _struct(children, target, array)

    return run


def _member(step: _Step, target: Any, position: int) -> Run:
    """A reader union of several types: a struct whose `position` member holds the value."""

    def run(array: Any, visible: Visible) -> Any:
        children = [pa.nulls(len(array), f.type) for f in target]
        children[position] = step(array, visible)
        return _struct(children, target, array)

    return run


def _list_parts(array: Any) -> tuple[Any, Any]:
    """Offsets from 0 and the items they index (of a list or a map: its key/value entries).
    Null lists are taken to hold no items, as every Arrow builder leaves them."""
    offsets, values = array.offsets, array.values
    start, end = offsets[0].as_py(), offsets[-1].as_py()
    if start or end != len(values):
        values = values.slice(start, end - start)
        offsets = pc.subtract(offsets, pa.scalar(start, pa.int32()))
    return offsets, values


def _items_visible(offsets: Any, visible: Visible) -> Visible:
    if visible is None:
        return None
    return pa.array(np.repeat(visible.to_numpy(zero_copy_only=False), np.diff(offsets.to_numpy())))


def _list(items: _Step, target: Any) -> Run:
    def run(array: Any, visible: Visible) -> Any:
        offsets, values = _list_parts(array)
        inner = _items_visible(offsets, _within(array, visible)) if items.checks else None
        mask = array.is_null() if array.null_count else None
        return pa.ListArray.from_arrays(offsets, items(values, inner), type=target, mask=mask)

    return run


def _map(values: _Step, target: Any) -> Run:
    def run(array: Any, visible: Visible) -> Any:
        offsets, entries = _list_parts(array)
        inner = _items_visible(offsets, _within(array, visible)) if values.checks else None
        mask = array.is_null() if array.null_count else None
        resolved = values(entries.field(1), inner)
        return pa.MapArray.from_arrays(offsets, entries.field(0), resolved, type=target, mask=mask)

    return run


def _enum(writer: Enum, reader: Enum, where: str) -> _Step:
    """Writer symbols to reader symbols by name; one the reader lacks reads as the reader's
    default, or fails the records that hold it."""
    read_as = {s: s if s in reader.symbols else reader.default for s in writer.symbols}

    def run(array: Any, visible: Visible) -> Any:
        symbols = array.dictionary.to_pylist()
        landed = [read_as.get(s) for s in symbols]
        unreadable = [i for i, s in enumerate(landed) if s is None]
        if unreadable:
            held = pc.is_in(array.indices, pa.array(unreadable, array.indices.type))
            if pc.any(_visible_values(held, visible)).as_py():
                raise _resolution_error(
                    f"{where or '/'}: a record holds a symbol of writer enum {writer.fullname} "
                    f"that reader enum {reader.fullname} lacks and has no default for"
                )
        return pa.array(landed, pa.string()).take(array.indices)

    return _Step(
        run, checks=not set(writer.symbols) <= set(reader.symbols) and reader.default is None
    )


def _fixed(writer: Fixed, reader: Fixed, where: str) -> _Step:
    if writer.size != reader.size:
        raise _Unreadable(_mismatch(writer, reader, where))
    if writer.logical or reader.logical:
        raise ResolveUnsupported(f"{where or '/'}: a fixed with a logical type")
    return _Step(lambda array, visible: array.cast(pa.binary()))


def _primitive(writer: Primitive, reader: Primitive, where: str) -> _Step:
    if writer.type != reader.type and reader.type not in PROMOTIONS.get(writer.type, ()):
        raise _Unreadable(_mismatch(writer, reader, where))
    if writer.logical in ("decimal", "uuid") or reader.logical == "decimal":
        raise ResolveUnsupported(f"{where or '/'}: a {writer.logical or reader.logical} value")
    target = arrow_type(reader)
    if writer.type == "null":
        return _Step(_nulls(target))
    read_as = reader.logical if reader.logical in NUMERIC_LOGICAL else None
    if writer.logical in _CONVERTED:
        if writer.logical != read_as:
            raise ResolveUnsupported(
                f"{where or '/'}: writer {writer.logical} read as {read_as or reader.type}: the "
                "fastavro path converts by the writer's logical type and cannot land it"
            )
        return _logical(writer.logical, target, where)
    if (writer.type, reader.type) == ("bytes", "string"):
        return _Step(lambda array, visible: _utf8(array, visible, where), checks=True)
    steps: list[Callable[[Any], Any]] = []
    if writer.logical:  # timestamp-nanos, time of day: the fastavro path reads the number
        base = _TIME_BASE.get(writer.logical, pa.int64())
        steps.append(lambda a: a.view(base))
    steps += _promotion(writer.type, reader.type)
    if read_as:  # fastavro reads the number; Arrow types it in its unit, then lands it
        raw = arrow_type(reader, final=False)
        steps += [lambda a: a.cast(raw), lambda a: a.cast(target)]
    return _Step(_chain(steps))


def _chain(steps: list[Callable[[Any], Any]]) -> Run:
    def run(array: Any, visible: Visible) -> Any:
        for step in steps:
            array = step(array)
        return array

    return run


def _promotion(written: str, read: str) -> list[Callable[[Any], Any]]:
    """The specification's promotions, value for value as Avro Java's: a number read as a
    float is rounded once, to the nearest float32 (`(float) long`), never through float64."""
    if written == read:
        return []
    if read == "long":
        return [lambda a: a.cast(pa.int64())]
    if read == "bytes":
        return [lambda a: a.cast(pa.binary())]
    if read == "float":
        return [lambda a: a.cast(pa.float32(), safe=False)]
    return [lambda a: a.cast(pa.float64(), safe=False)]


def _utf8(array: Any, visible: Visible, where: str) -> Any:
    """Bytes read as a string: fastavro decodes them strictly; Arrow's UTF-8 check rejects
    the same sequences (surrogates, overlong forms, beyond U+10FFFF). Bytes under a null
    record are no record's value."""
    try:
        return array.cast(pa.string())
    except pa.ArrowInvalid:
        if visible is not None:
            try:
                return pc.if_else(visible, array, None).cast(pa.string())
            except pa.ArrowInvalid:
                pass
    raise _corrupt(f"{where or '/'}: bytes read as a string are not valid UTF-8")


def _logical(logical: str, target: Any, where: str) -> _Step:
    """A writer logical type read as the same: fastavro makes Python objects of the values
    (failing outside their range), which Arrow turns back into numbers."""
    bounds = _BOUNDS["date" if logical == "date" else logical.rsplit("-", 1)[1]]
    width = pa.int32() if logical == "date" else pa.int64()

    def run(array: Any, visible: Visible) -> Any:
        _check_range(array.view(width), visible, bounds, f"{where or '/'}: {logical}")
        return array.cast(target)

    return _Step(run, checks=True)


def _check_range(values: Any, visible: Visible, bounds: tuple[int, int], what: str) -> None:
    low, high = bounds
    extremes = pc.min_max(values)
    if extremes["min"].is_valid and (
        extremes["min"].as_py() < low or extremes["max"].as_py() > high
    ):
        shown = _visible_values(values, visible)
        outside = pc.or_(pc.less(shown, low), pc.greater(shown, high))
        if pc.any(outside).as_py():
            value = shown.filter(outside)[0].as_py()
            raise _corrupt(f"{what} value {value} is outside the years 1 to 9999")


def is_recursive(schema: Schema, enclosing: tuple[int, ...] = ()) -> bool:
    """Whether a record holds itself (at any depth)."""
    if isinstance(schema, Union):
        return any(is_recursive(b, enclosing) for b in schema.branches)
    if isinstance(schema, Array):
        return is_recursive(schema.items, enclosing)
    if isinstance(schema, Map):
        return is_recursive(schema.values, enclosing)
    if not isinstance(schema, Record):
        return False
    if id(schema) in enclosing:
        return True
    return any(is_recursive(f.type, (*enclosing, id(schema))) for f in schema.fields)


def _mismatch(writer: Schema, reader: Schema, where: str) -> str:
    return f"{where or '/'}: {describe(reader)} cannot read {describe(writer)}"


def _is_null(schema: Schema) -> bool:
    return isinstance(schema, Primitive) and schema.type == "null"


def _holds_null(schema: Schema) -> bool:
    if isinstance(schema, Union):
        return any(_is_null(b) for b in schema.branches)
    return _is_null(schema)
