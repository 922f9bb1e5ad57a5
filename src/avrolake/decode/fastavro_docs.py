"""The schemas fastavro is given: union branches that keep the branch written, and defaults
already in their landed form.

fastavro gives a union's value without saying which branch was written, so a value that fits
two branches (0.1 as float or double, 2**40 as int or long, a record shaped like another) would
land in whichever member its Python value fits first. Instead, every branch of a reader union
of several types becomes a one-field record `{"member_<type>": <branch>}`, and the writer's
schema (the header's, for fastavro only) wraps each branch, or the type, that the reader
resolves into such a union in the record of the reader branch it resolves to
(`compatibility.rules.reader_branch`). A record of one field is encoded exactly as that field,
so the bytes read the same; fastavro now resolves the writer's branch by its index to the
reader record of the same name and returns `{"member_<type>": value}`, the landed struct.

Defaults are given to fastavro converted (`landed_default`): bytes and fixed as bytes, decimals
as Decimal, records completed with their fields' defaults at any depth, union defaults in their
member; fastavro returns them as they are. The resolver (native path) builds its default
columns from the same values.

A writer `long` read as a reader `float` is rounded once, to the nearest float32, as Avro Java's
`(float) long` does: fastavro would make a Python float (float64) of it first and Arrow round
that again (2**60 + 2**36 + 1 would become 2**60, not 2**60 + 2**37). The writer document marks
such a `long` with the logical type `avrolake-float32`, whose reader rounds the int itself.

Resolution ignores logical types (Avro Java): a `bytes` or `fixed` a reader decimal reads is
its unscaled two's-complement integer at the reader's scale, whatever logical type the writer
gave it. fastavro converts by the writer's logical type, so the writer document marks such a
type `avrolake-decimal` with the reader's precision and scale, whose reader also refuses what
no decimal column holds: no bytes (Avro Java cannot read them either) and more digits than
the precision (fastavro would round them to it).
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass
from typing import Any

import fastavro.read

from avrolake.compatibility.rules import reader_branch, writer_field_for
from avrolake.decode.arrow_types import NUMERIC_LOGICAL, non_null
from avrolake.errors import QuarantineError, QuarantineKind
from avrolake.schema import (
    Array,
    Decimal,
    Enum,
    Fixed,
    Map,
    Primitive,
    Record,
    Schema,
    Union,
    member_name,
)

WRAPPER_PREFIX = "avrolake_branch"
FLOAT32_LOGICAL = "avrolake-float32"  # a writer long a reader float reads (rounded once)
DECIMAL_LOGICAL = "avrolake-decimal"  # writer bytes or fixed a reader decimal reads (checked)
DECIMAL_WHERE = "avrolake-field"  # its field path in the reader, for the quarantine reason
# Time of day lands as its base number (docs/table.md): fastavro is not asked to convert it.
_TIME_LOGICAL = frozenset({"time-millis", "time-micros"})
Slot = tuple[int, int]  # (id of the field, array, map or union holding a type, its position)


@dataclass(frozen=True)
class FastavroSchemas:
    """What fastavro reads one writer schema's files with."""

    reader: Any  # the reader document (not yet parsed)
    writer: Any | None  # the writer document for the header; None: the header's own


def fastavro_schemas(writer: Schema, reader: Record) -> FastavroSchemas:
    """The reader document, and the writer's where it changes: each writer branch or type
    that lands in a reader union of several types wrapped in a record named after its slot,
    which the reader branch it resolves to lists as an alias (so two writer branches may
    land in one member); time of day kept a number, and so is a written logical type the
    reader's type lacks (the reader reads the number written, as Avro Java does)."""
    unions = _multi_unions(reader)
    pairing = _Pairing({id(u): number for number, u in enumerate(unions)})
    pairing.pair(writer, reader, (0, 0))
    wraps = {
        (id(union), i): (name, member_name(branch))
        for number, union in enumerate(unions)
        for i, branch in enumerate(union.branches)
        if (name := _wrapper(number, branch)) is not None
    }
    reader_doc = _Emitter(wraps, NUMERIC_LOGICAL, pairing.aliases, defaults=True).emit(reader)
    changed = pairing.wraps or pairing.float32 or pairing.raw or pairing.decimal
    if not (changed or _has_time(writer, set())):
        return FastavroSchemas(reader_doc, None)
    writer_emitter = _Emitter(pairing.wraps, _TIME_LOGICAL, {}, defaults=False)
    writer_emitter.float32, writer_emitter.raw = pairing.float32, pairing.raw
    writer_emitter.decimal = pairing.decimal
    writer_doc = writer_emitter.emit(writer)
    return FastavroSchemas(reader_doc, writer_doc)


def float32_of(value: int) -> float:
    """An integer rounded once to the nearest float32 (ties to even), as Java's `(float) long`
    and Arrow's int64 -> float32 cast do; a Python float that float32 holds exactly."""
    magnitude = abs(value)
    shift = magnitude.bit_length() - 24
    if shift <= 0:
        return float(value)
    kept, rest = divmod(magnitude, 1 << shift)
    half = 1 << (shift - 1)
    if rest > half or (rest == half and kept & 1):
        kept += 1
    return math.copysign(float(kept << shift), value)


def decimal_of(data: bytes, precision: int, scale: int, where: str = "/") -> decimal.Decimal:
    """Avro's decimal on bytes or fixed: the big-endian two's-complement unscaled integer at
    `scale`, exactly; a value of no bytes or of more than `precision` digits is refused
    (QuarantineError, conversion_error) naming `where`, the field path."""
    what = f"{where}: a value read as decimal({precision},{scale})"
    if not data:
        raise QuarantineError(
            QuarantineKind.CONVERSION_ERROR,
            f"{what} has no bytes; an Avro decimal needs at least one (Avro Java cannot read "
            "it either). Fix the producer",
        )
    unscaled = int.from_bytes(data, "big", signed=True)
    if abs(unscaled) >= 10**precision:
        raise QuarantineError(
            QuarantineKind.CONVERSION_ERROR,
            f"{what} has {len(str(abs(unscaled)))} digits, more than its precision holds. Widen "
            "the precision in a new schema version, or fix the producer",
        )
    return decimal.Decimal(f"{unscaled}E-{scale}")


def _read_decimal(
    data: bytes | str, writer: dict[Any, Any] | None, reader: dict[Any, Any] | None
) -> decimal.Decimal:
    assert writer is not None  # fastavro gives the writer's type, which holds the logical type
    raw = data.encode() if isinstance(data, str) else data  # a string's UTF-8 bytes (promoted)
    where = writer.get(DECIMAL_WHERE, "/")
    return decimal_of(raw, writer["precision"], writer.get("scale", 0), where)


fastavro.read.LOGICAL_READERS[f"long-{FLOAT32_LOGICAL}"] = lambda data, *_: float32_of(data)
fastavro.read.LOGICAL_READERS[f"bytes-{DECIMAL_LOGICAL}"] = _read_decimal
fastavro.read.LOGICAL_READERS[f"fixed-{DECIMAL_LOGICAL}"] = _read_decimal
fastavro.read.LOGICAL_READERS[f"string-{DECIMAL_LOGICAL}"] = _read_decimal


def landed_default(schema: Schema, value: Any) -> Any:
    """A field default (its JSON value) as the value it lands as, before Arrow types it:
    the specification's reading of the JSON, with unions of several types as their member."""
    if isinstance(schema, Union):
        first = schema.branches[0]
        inner = landed_default(first, value)
        if len(non_null(schema)) < 2 or _is_null(first):
            return inner
        return {member_name(first): inner}
    if isinstance(schema, Record):
        given = value if isinstance(value, dict) else {}
        return {
            f.name: landed_default(f.type, given.get(f.name, f.default))
            for f in schema.fields
            if f.name in given or f.has_default
        }
    if isinstance(schema, Array):
        return [landed_default(schema.items, v) for v in value]
    if isinstance(schema, Map):
        return {k: landed_default(schema.values, v) for k, v in value.items()}
    if isinstance(schema, Fixed) or (isinstance(schema, Primitive) and schema.type == "bytes"):
        raw = value.encode("latin-1")
        if schema.decimal is None:
            return raw
        unscaled = int.from_bytes(raw, "big", signed=True)
        return decimal.Decimal(f"{unscaled}E-{schema.decimal.scale}")  # exact: no context
    if isinstance(schema, Primitive) and schema.type in ("float", "double"):
        return float(value)
    return value


def _wrapper(number: int, branch: Schema) -> str | None:
    return None if _is_null(branch) else f"{WRAPPER_PREFIX}{number}_{member_name(branch)}"


def _multi_unions(reader: Record) -> list[Union]:
    """Every union of several non-null types in the reader, in schema order."""
    found: list[Union] = []
    seen: set[int] = set()

    def visit(schema: Schema) -> None:
        if id(schema) in seen:
            return
        seen.add(id(schema))
        if isinstance(schema, Union) and len(non_null(schema)) > 1:
            found.append(schema)
        for child in _children(schema):
            visit(child)

    visit(reader)
    return found


def _children(schema: Schema) -> list[Schema]:
    if isinstance(schema, Record):
        return [f.type for f in schema.fields]
    if isinstance(schema, Union):
        return list(schema.branches)
    if isinstance(schema, Array):
        return [schema.items]
    if isinstance(schema, Map):
        return [schema.values]
    return []


def _has_time(schema: Schema, seen: set[int]) -> bool:
    if id(schema) in seen:
        return False
    seen.add(id(schema))
    if isinstance(schema, Primitive):
        return schema.logical in _TIME_LOGICAL
    return any(_has_time(c, seen) for c in _children(schema))


class _Pairing:
    """Walks a writer schema beside the reader schema, as resolution pairs them, and marks
    the writer slots that land in a reader union of several types."""

    def __init__(self, unions: dict[int, int]) -> None:
        self.unions = unions
        self.wraps: dict[Slot, tuple[str, str]] = {}
        self.aliases: dict[str, list[str]] = {}  # reader wrapper -> the writer wrappers
        self.done: set[tuple[int, int]] = set()
        self.float32: set[int] = set()  # writer longs that a reader float reads
        self.raw: set[int] = set()  # writer types whose logical type the reader lacks
        self.decimal: dict[int, tuple[Decimal, str]] = {}  # writer types a reader decimal
        # reads, with the reader's decimal and the field paths that read them

    def pair(self, writer: Schema, reader: Schema, slot: Slot, where: str = "") -> None:
        if isinstance(writer, Union):
            for i, branch in enumerate(writer.branches):
                self.pair(branch, reader, (id(writer), i), where)
            return
        if isinstance(reader, Union):
            index = reader_branch(writer, reader)
            if index is None:
                return  # unreadable: the file is quarantined before fastavro reads it
            chosen = reader.branches[index]
            if id(reader) in self.unions and not _is_null(chosen):
                name = _wrapper(self.unions[id(reader)], chosen)
                assert name is not None
                written = f"{name}_w{len(self.wraps)}"
                self.wraps[slot] = (written, member_name(chosen))
                self.aliases.setdefault(name, []).append(written)
            self.pair(writer, chosen, slot, where)
            return
        self.inside(writer, reader, where)

    def inside(self, writer: Schema, reader: Schema, where: str) -> None:
        if isinstance(writer, Primitive | Fixed) and isinstance(reader, Primitive | Fixed):
            if writer.type == "long" and reader.type == "float":
                self.float32.add(id(writer))
            if writer.logical is not None and writer.logical != reader.logical:
                # Resolution ignores logical types: the reader reads the written number
                # (or bytes) and gives it its own logical type, if any (Avro Java).
                self.raw.add(id(writer))
            if reader.decimal is not None:  # its bytes, at the reader's scale
                known = self.decimal.get(id(writer))
                places = f"{known[1]}, {where or '/'}" if known else where or "/"
                self.decimal[id(writer)] = (reader.decimal, places)
        elif isinstance(writer, Array) and isinstance(reader, Array):
            self.pair(writer.items, reader.items, (id(writer), 0), f"{where}[]")
        elif isinstance(writer, Map) and isinstance(reader, Map):
            self.pair(writer.values, reader.values, (id(writer), 0), f"{where}{{}}")
        elif isinstance(writer, Record) and isinstance(reader, Record):
            if (id(writer), id(reader)) in self.done:
                return
            self.done.add((id(writer), id(reader)))
            for rfield in reader.fields:
                wfield = writer_field_for(writer, rfield)
                if wfield is not None:
                    path = f"{where}/{rfield.name}"
                    self.pair(wfield.type, rfield.type, (id(wfield), 0), path)


class _Emitter:
    """A schema model written out as the JSON-shaped document fastavro parses: named types
    once, by full name afterwards; `wraps` puts a slot's type inside a one-field record."""

    def __init__(
        self,
        wraps: dict[Slot, tuple[str, str]],
        strip: frozenset[str],
        aliases: dict[str, list[str]],
        *,
        defaults: bool,
    ) -> None:
        self.wraps = wraps
        self.strip = strip
        self.aliases = aliases
        self.defaults = defaults
        self.defined: set[int] = set()
        self.float32: set[int] = set()  # writer longs emitted as `avrolake-float32`
        self.raw: set[int] = set()  # types emitted without their logical type
        self.decimal: dict[int, tuple[Decimal, str]] = {}  # types emitted as this decimal

    def slot(self, schema: Schema, key: Slot) -> Any:
        doc = self.emit(schema)
        wrap = self.wraps.get(key)
        if wrap is None:
            return doc
        name, member = wrap
        fields = [{"name": member, "type": doc}]
        aliases = self.aliases.get(name, [])
        return {"type": "record", "name": name, "aliases": aliases, "fields": fields}

    def emit(self, schema: Schema) -> Any:
        if isinstance(schema, Record | Enum | Fixed):
            if id(schema) in self.defined:
                return schema.fullname
            self.defined.add(id(schema))
        if isinstance(schema, Record):
            return {
                "type": "record",
                "name": schema.fullname,
                "aliases": list(schema.aliases),
                "fields": [self.field(f) for f in schema.fields],
            }
        if isinstance(schema, Enum):
            doc: dict[str, Any] = {"type": "enum", "name": schema.fullname}
            doc.update(symbols=list(schema.symbols), aliases=list(schema.aliases))
            return doc if schema.default is None else {**doc, "default": schema.default}
        if isinstance(schema, Fixed):
            doc = {"type": "fixed", "name": schema.fullname, "size": schema.size}
            return {**doc, "aliases": list(schema.aliases), **self.logical(schema)}
        if isinstance(schema, Array):
            return {"type": "array", "items": self.slot(schema.items, (id(schema), 0))}
        if isinstance(schema, Map):
            return {"type": "map", "values": self.slot(schema.values, (id(schema), 0))}
        if isinstance(schema, Union):
            return [self.slot(b, (id(schema), i)) for i, b in enumerate(schema.branches)]
        if id(schema) in self.float32:
            return {"type": "long", "logicalType": FLOAT32_LOGICAL}
        logical = self.logical(schema)
        return {"type": schema.type, **logical} if logical else schema.type

    def logical(self, schema: Primitive | Fixed) -> dict[str, Any]:
        if id(schema) in self.decimal:
            read_as, where = self.decimal[id(schema)]
            return {"logicalType": DECIMAL_LOGICAL, "precision": read_as.precision,
                    "scale": read_as.scale, DECIMAL_WHERE: where}  # fmt: skip
        if schema.logical is None or schema.logical in self.strip or id(schema) in self.raw:
            return {}
        doc: dict[str, Any] = {"logicalType": schema.logical}
        if schema.decimal is not None:
            doc.update(precision=schema.decimal.precision, scale=schema.decimal.scale)
        return doc

    def field(self, field: Any) -> dict[str, Any]:
        doc = {"name": field.name, "type": self.slot(field.type, (id(field), 0))}
        doc["aliases"] = list(field.aliases)
        if self.defaults and field.has_default:
            doc["default"] = landed_default(field.type, field.default)
        return doc


def _is_null(schema: Schema) -> bool:
    return isinstance(schema, Primitive) and schema.type == "null"
