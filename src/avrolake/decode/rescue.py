"""Rescued data: writer fields that the reader lacks and no registered version explains,
kept with the row as JSON in `_rescued_data` (docs/table.md).

A writer field is *explained* when some registered version of the subject has a field at
its path, by name or alias: dropping it is then the registry's decision (the field was
removed). Only an unregistered writer has unexplained fields. Fields are rescued at any
depth through records (a path key "host.region"); a writer field the reader also has as a
record is searched inside.

The values are read a second time by fastavro with the writer schema alone, with logical
types removed (every value is its Avro base type) and every branch of a union wrapped in a
one-field record `{"b<index>": value}` (encoded exactly as the branch, so the bytes read the
same): the branch written is known, and the JSON is the Avro JSON encoding of the writer's
field type (`to_json`), which `from_json` reverses exactly.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from avrolake.compatibility.rules import writer_field_for
from avrolake.schema import Array, Enum, Fixed, Map, Primitive, Record, Schema, Union

_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


@dataclass(frozen=True)
class Rescue:
    """What one unregistered writer schema rescues: the field paths, each with its writer
    type, and the header schema fastavro reads the values with."""

    fields: tuple[tuple[str, Schema], ...]
    header: bytes

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(path for path, _ in self.fields)

    def values(self, records: Iterable[Any]) -> Iterator[str]:
        """The `_rescued_data` JSON of each raw record (read with `header`)."""
        for record in records:
            found = {path: to_json(schema, _at(record, path)) for path, schema in self.fields}
            yield json.dumps(found, separators=(",", ":"), allow_nan=False)


def known_paths(schemas: Iterable[Schema]) -> frozenset[str]:
    """Every field path (by name and by alias) of the registered versions, through records."""
    found: set[str] = set()
    for schema in schemas:
        if isinstance(schema, Record):
            _collect(schema, "", found, set())
    return frozenset(found)


def _collect(record: Record, prefix: str, found: set[str], seen: set[str]) -> None:
    if record.fullname in seen:  # a recursive type
        return
    seen = seen | {record.fullname}
    for f in record.fields:
        for name in (f.name, *f.aliases):
            found.add(prefix + name)
            if isinstance(f.type, Record):
                _collect(f.type, f"{prefix}{name}.", found, seen)


def rescue_for(
    writer: Schema, writer_json: str, reader: Record, known: frozenset[str]
) -> Rescue | None:
    """The rescue of one unregistered writer schema; None when it has nothing to rescue."""
    if not isinstance(writer, Record):
        return None
    fields = rescue_fields(writer, reader, known)
    if not fields:
        return None
    return Rescue(tuple(fields), json.dumps(rescue_doc(json.loads(writer_json))).encode())


def rescue_fields(
    writer: Record, reader: Record, known: frozenset[str]
) -> list[tuple[str, Schema]]:
    """The writer fields to rescue: those the reader lacks and no registered version has."""
    rescued: list[tuple[str, Schema]] = []
    _walk(writer, reader, "", known, rescued, set())
    return rescued


def _walk(
    writer: Record,
    reader: Record,
    prefix: str,
    known: frozenset[str],
    out: list[Any],
    seen: set[tuple[int, int]],
) -> None:
    if (id(writer), id(reader)) in seen:  # recursive types: each pair searched once
        return
    seen = seen | {(id(writer), id(reader))}
    for w in writer.fields:
        # the reader field that reads it, by the specification (its name or its aliases)
        r = next((f for f in reader.fields if writer_field_for(writer, f) is w), None)
        if r is not None:
            if isinstance(w.type, Record) and isinstance(r.type, Record):
                _walk(w.type, r.type, f"{prefix}{w.name}.", known, out, seen)
            continue
        if not any(prefix + name in known for name in (w.name, *w.aliases)):
            out.append((prefix + w.name, w.type))


def rescue_doc(doc: Any) -> Any:
    """The writer schema document fastavro reads rescued values with: no logical types, no
    field defaults, every union branch but null wrapped in a one-field record."""
    return _Plain(itertools.count()).emit(doc)


class _Plain:
    def __init__(self, numbers: Iterator[int]) -> None:
        self.numbers = numbers

    def emit(self, doc: Any) -> Any:
        if isinstance(doc, list):
            return [self._branch(i, b) for i, b in enumerate(doc)]
        if not isinstance(doc, dict):
            return doc
        out = {k: v for k, v in doc.items() if k not in ("logicalType", "default")}
        kind = out.get("type")
        if not isinstance(kind, str):
            return self.emit(kind)
        if kind in ("record", "error"):
            out["fields"] = [
                {k: (self.emit(v) if k == "type" else v) for k, v in f.items() if k != "default"}
                for f in out["fields"]
            ]
        elif kind == "array":
            out["items"] = self.emit(out["items"])
        elif kind == "map":
            out["values"] = self.emit(out["values"])
        elif kind not in ("enum", "fixed"):
            return kind  # a primitive with attributes
        return out

    def _branch(self, index: int, branch: Any) -> Any:
        if branch == "null":
            return branch
        name = f"avrolake_rescue_{next(self.numbers)}"
        return {
            "type": "record",
            "name": name,
            "fields": [{"name": f"b{index}", "type": self.emit(branch)}],
        }


def _at(record: Any, path: str) -> Any:
    value = record
    for name in path.split("."):
        value = value[name]
    return value


def to_json(schema: Schema, value: Any) -> Any:
    """A raw value (base types, unions wrapped) in the Avro JSON encoding: bytes and fixed as
    a string of code points U+0000-U+00FF, a union as null or {"<branch type>": value},
    non-finite floats as the strings "NaN", "Infinity", "-Infinity"."""
    if isinstance(schema, Union):
        if value is None:
            return None
        ((key, inner),) = value.items()
        branch = schema.branches[int(key[1:])]
        return {_type_name(branch): to_json(branch, inner)}
    if isinstance(schema, Record):
        return {f.name: to_json(f.type, value[f.name]) for f in schema.fields}
    if isinstance(schema, Array):
        return [to_json(schema.items, v) for v in value]
    if isinstance(schema, Map):
        return {k: to_json(schema.values, v) for k, v in value.items()}
    if isinstance(schema, Fixed) or (isinstance(schema, Primitive) and schema.type == "bytes"):
        return bytes(value).decode("latin-1")
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value  # null, boolean, int, long, float, double, string, enum


def from_json(schema: Schema, value: Any, *, wrapped: bool = False) -> Any:
    """`to_json` reversed: the Avro base value; a union's value is its branch's value, or
    with `wrapped` the `{"b<index>": value}` that `rescue_doc`'s schema writes."""
    if isinstance(schema, Union):
        if value is None:
            return None
        ((name, inner),) = value.items()
        index = next(i for i, b in enumerate(schema.branches) if _type_name(b) == name)
        found = from_json(schema.branches[index], inner, wrapped=wrapped)
        return {f"b{index}": found} if wrapped else found
    if isinstance(schema, Record):
        return {f.name: from_json(f.type, value[f.name], wrapped=wrapped) for f in schema.fields}
    if isinstance(schema, Array):
        return [from_json(schema.items, v, wrapped=wrapped) for v in value]
    if isinstance(schema, Map):
        return {k: from_json(schema.values, v, wrapped=wrapped) for k, v in value.items()}
    if isinstance(schema, Fixed) or (isinstance(schema, Primitive) and schema.type == "bytes"):
        return value.encode("latin-1")
    if isinstance(schema, Primitive) and schema.type in ("float", "double"):
        return _NON_FINITE[value] if isinstance(value, str) else float(value)
    return value


def _type_name(schema: Schema) -> str:
    """A union branch's name in the Avro JSON encoding: the full name of a named type, else
    the type ("int", "array", "map")."""
    if isinstance(schema, Record | Enum | Fixed):
        return schema.fullname
    return schema.type
