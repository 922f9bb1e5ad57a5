"""One writer's stored values -> the new reader's values: the column plan's nodes, by the rules.

`StoredValue.node(writer, reader, stored)` is the plan for one value position: the writer's
Avro type there (None: unknown, an unregistered writer), the new reader's type, and the Arrow
type the table stores there. See `avrolake.ingest.evolve` for the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from avrolake.compatibility.rules import (
    branch_matches,
    names_match,
    writer_field_for,
)
from avrolake.decode import arrow_type, member_name
from avrolake.errors import MigrationError
from avrolake.ingest.defaults import default_array
from avrolake.ingest.enums import lost_default
from avrolake.ingest.logical import logical_leaf
from avrolake.ingest.members import AMBIGUOUS, stored_member
from avrolake.lake.columns import KEPT_KEY
from avrolake.lake.kept import with_kept
from avrolake.lake.reshape import (
    Cast,
    Constant,
    Entries,
    Fields,
    Items,
    Lost,
    Members,
    Node,
    Nulls,
    Pick,
    Symbols,
    Take,
)
from avrolake.registry.table_settings import TIMESTAMP_LOGICAL
from avrolake.schema import Array, Enum, Field, Fixed, Map, Primitive, Record, Schema, Union

READABLE = "Register a reader that reads every landed writer (BACKWARD_TRANSITIVE)"


def stamps_of(schema: Schema | None) -> dict[str, str]:
    """A reader's timestamp logical types by field path through records, array items (`[]`)
    and map values (`{}`); a nullable union of one type counts as that type, a union of
    several types is not entered."""
    found: dict[str, str] = {}

    def walk(node: Schema, path: str, seen: frozenset[int]) -> None:
        if isinstance(node, Union):
            rest = _rest(node)
            if len(rest) == 1:
                walk(rest[0], path, seen)
        elif isinstance(node, Record) and id(node) not in seen:
            for f in node.fields:
                walk(f.type, f"{path}.{f.name}" if path else f.name, seen | {id(node)})
        elif isinstance(node, Array):
            walk(node.items, f"{path}[]", seen)
        elif isinstance(node, Map):
            walk(node.values, f"{path}{{}}", seen)
        elif isinstance(node, Primitive) and node.logical in TIMESTAMP_LOGICAL:
            found[path] = node.logical

    if schema is not None:
        walk(schema, "", frozenset())
    return found


_INTEGRAL = frozenset({"int", "long"})
_EXACT_BELOW = {pa.float32(): 2.0**24, pa.float64(): 2.0**53}


@dataclass
class StoredValue:
    """The plan's context: the table, the writer version, what the plan fills with defaults."""

    uri: str
    version: int | None
    root: pa.DataType  # the stored table as a struct
    filled: set[str] = field(default_factory=set)  # value paths given the reader's default
    renamed: dict[str, str] = field(default_factory=dict)  # value path -> stored name it read
    # The enums of the reader the table's rows were read with (its recorded reader): where
    # that reader replaced a written symbol by its default, the stored default is ambiguous.
    older: tuple[Enum, ...] = ()
    # Nested records' stored children the reader lacks, kept (docs/table.md): by the path
    # of the record, the stored fields appended to its value. `removed` and `used` are what
    # planning found: per record path, the stored children no reader field names, and those
    # read as a reader field (an older name).
    keep: Mapping[str, tuple[pa.Field, ...]] = field(default_factory=dict)
    removed: dict[str, dict[str, pa.Field]] = field(default_factory=dict)
    used: dict[str, set[str]] = field(default_factory=dict)
    # The timestamp logical types of the recorded reader, by stored path through records
    # ("f5", "rec.ts"): a stored timestamp is the written number in that reader's unit.
    stamps: Mapping[str, str] = field(default_factory=dict)
    _stored_paths: dict[str, str] = field(default_factory=dict)  # value path -> stored path

    def fail(self, where: str, why: str, fix: str = READABLE) -> MigrationError:
        return MigrationError(self.uri, where, self.version, why, fix)

    def record_parts(
        self, writer: Record | None, reader: Record, stored: pa.DataType | None = None,
        where: str = "",
    ) -> list[Take | Constant | Nulls | Lost]:  # fmt: skip
        """One part per reader field (then, in a nested record, one per kept child): read
        from the stored child holding what the writer wrote, or the reader's default where
        the writer wrote nothing; `Lost` where the table never stored what the writer wrote
        (its rows are read again from their sources)."""
        struct = stored if stored is not None else self.root
        names = {struct.field(i).name for i in range(struct.num_fields)}
        kept = {
            struct.field(i).name for i in range(struct.num_fields)
            if KEPT_KEY.encode() in (struct.field(i).metadata or {})
        }  # fmt: skip
        parts: list[Take | Constant | Nulls | Lost] = []
        for rfield in reader.fields:
            path = f"{where}.{rfield.name}" if where else rfield.name
            wfield = writer_field_for(writer, rfield) if writer is not None else None
            source = _source(rfield, wfield, names, kept)
            if (wfield is not None) if writer is not None else (source is not None):
                if source is None:
                    why = (
                        f"the writer wrote field {wfield.name if wfield else rfield.name!r}, "
                        "but the table holds no column for it (it was dropped, or added after "
                        "these rows landed)"
                    )
                    parts.append(Take(None, Lost(self._type(rfield.type, path), why, path)))
                    continue
                wtype = wfield.type if wfield is not None else None
                if source != rfield.name:
                    self.renamed[path] = f"{where}.{source}" if where else source
                parent = self._stored_paths.get(where, "") if where else ""
                self._stored_paths[path] = f"{parent}.{source}" if parent else source
                parts.append(
                    Take(source, self.node(wtype, rfield.type, struct.field(source).type, path))
                )
            else:
                parts.append(self._default(rfield, path))
        if where:
            parts += self._nested_kept(reader, struct, parts, where)
        return parts

    def _nested_kept(
        self, reader: Record, struct: pa.DataType, parts: Sequence[object], where: str
    ) -> list[Take | Nulls]:
        """Note the stored children of the record at `where` the reader lacks; the parts of
        those kept there (NULL where this writer's stored record has none)."""
        readers = {f.name for f in reader.fields}
        self.used.setdefault(where, set()).update(
            p.source for p in parts if isinstance(p, Take) and p.source is not None
        )
        removed = self.removed.setdefault(where, {})
        for i in range(struct.num_fields):
            child = struct.field(i)
            if child.name not in readers:
                removed.setdefault(child.name, child)
        have = {struct.field(i).name for i in range(struct.num_fields)}
        return [
            Take(f.name, Cast(f.type)) if f.name in have else Nulls(f.type)
            for f in self.keep.get(where, ())
        ]

    def _type(self, schema: Schema, where: str) -> pa.DataType:
        """The table's type at `where`: the reader's, with the kept nested children."""
        return with_kept(arrow_type(schema), where, self.keep)

    def _default(self, rfield: Field, path: str) -> Constant:
        if not rfield.has_default:
            raise self.fail(path, "the writer did not write this field and it has no default",
                            "Give the field a default in the new reader")  # fmt: skip
        try:
            value = default_array(rfield.type, rfield.default)
        except (ValueError, TypeError, OverflowError, pa.ArrowException) as exc:
            raise self.fail(path, f"its default {rfield.default!r} does not convert ({exc})",
                            "Fix the default in the new reader") from exc  # fmt: skip
        self.filled.add(path)
        return Constant(value)

    def node(self, writer: Schema | None, reader: Schema, stored: pa.DataType, where: str) -> Node:
        target = self._type(reader, where)
        if isinstance(reader, Union) and len(_rest(reader)) > 1:
            return self._members(writer, reader, stored, where)
        if isinstance(reader, Union):
            rest = _rest(reader)
            if not rest:
                return Nulls(target)
            reader = rest[0]
        if _is_members(stored) and not _is_members(target):
            return self._pick(writer, reader, stored, where)
        writer = _single(writer, reader)
        if isinstance(reader, Record):
            if not pa.types.is_struct(stored):
                return Lost(target, f"the table stores {stored}, not a record")
            record = writer if isinstance(writer, Record) else None
            parts = tuple(self.record_parts(record, reader, stored, where))
            return _shortcut(Fields(target, parts), stored)
        if isinstance(reader, Array) and pa.types.is_list(stored):
            items = writer.items if isinstance(writer, Array) else None
            self._inside(where, "[]")
            node = self.node(items, reader.items, stored.value_type, f"{where}[]")
            return _shortcut(Items(target, node), stored)
        if isinstance(reader, Map) and pa.types.is_map(stored):
            values = writer.values if isinstance(writer, Map) else None
            self._inside(where, "{}")
            node = self.node(values, reader.values, stored.item_type, f"{where}{{}}")
            return _shortcut(Entries(target, node), stored)
        if isinstance(reader, Enum) and pa.types.is_string(stored):
            lost = lost_default(self.older, writer, reader)
            every = isinstance(writer, Enum) and set(writer.symbols) <= set(reader.symbols)
            if every and lost is None:
                return Cast(target)  # every written symbol reads as itself
            return Symbols(frozenset(reader.symbols), reader.default, lost)
        unit = self._unit_changed(reader, stored, target, where)
        if unit is not None:
            return unit
        return logical_leaf(reader, stored, target) or self._leaf(writer, stored, target, where)

    def _inside(self, where: str, step: str) -> None:
        """The stored path of an array's items or a map's values."""
        if where in self._stored_paths:
            self._stored_paths[f"{where}{step}"] = f"{self._stored_paths[where]}{step}"

    def _unit_changed(self, reader: Schema, stored: pa.DataType, target: pa.DataType,
                      where: str) -> Lost | None:  # fmt: skip
        """A stored timestamp the new reader reads in another unit (millis and micros land
        as one Arrow type): the written number, read again from the source."""
        if stored != target or not isinstance(reader, Primitive):
            return None
        recorded = self.stamps.get(self._stored_paths.get(where, ""))
        if not recorded or reader.logical not in TIMESTAMP_LOGICAL or recorded == reader.logical:
            return None
        why = (f"the table stores {recorded} values, which the new reader reads as "
               f"{reader.logical}: the number written, in the new unit")  # fmt: skip
        return Lost(target, why, where)  # its sources are read again

    def _leaf(self, writer: Schema | None, stored: pa.DataType, target: pa.DataType,
              where: str) -> Cast | Lost:  # fmt: skip
        if stored == target:
            return Cast(target)
        numbers = (pa.types.is_integer, pa.types.is_floating)
        if any(t(stored) for t in numbers) and any(t(target) for t in numbers):
            integral = bool(_written_types(writer) & _INTEGRAL)
            rounded = pa.types.is_floating(stored) and integral
            return Cast(target, _EXACT_BELOW[stored] if rounded else None)
        texts = (pa.string(), pa.binary())
        if stored in texts and target in texts:
            return Cast(target)
        return Lost(target, f"the table stores {stored}, which does not become {target} by any "
                    "Avro promotion")  # fmt: skip

    def _members(self, writer: Schema | None, reader: Union, stored: pa.DataType,
                 where: str) -> Members | Lost:  # fmt: skip
        """A reader union of several types: each written branch into the member the
        specification resolves it to (an exact match first, then a promotion)."""
        target = self._type(reader, where)
        members = _rest(reader)
        takes: list[list[Take]] = [[] for _ in members]
        if writer is None and _is_members(stored):  # unregistered: stored members by name
            for i, member in enumerate(members):
                name = member_name(member)
                if stored.get_field_index(name) >= 0:
                    node = self.node(None, member, stored.field(name).type, f"{where}.{name}")
                    takes[i].append(Take(name, node))
            return Members(target, tuple(tuple(t) for t in takes))
        branches = _branches(writer, stored, members)
        if not branches:
            return Lost(target, f"the table stores {stored}, which no branch of the new union "
                        "holds, and the writer is not registered")  # fmt: skip
        for branch in branches:
            chosen = _resolve_branch(branch, members)
            if chosen is None:
                raise self.fail(where, f"no branch of the new union reads {branch.type}")
            path = f"{where}.{member_name(members[chosen])}"
            takes[chosen].append(self._branch_take(branch, members[chosen], stored, path))
        return Members(target, tuple(tuple(t) for t in takes))

    def _pick(self, writer: Schema | None, reader: Schema, stored: pa.DataType,
              where: str) -> Pick:  # fmt: skip
        """The table stores a union struct where the new reader has one type."""
        sources = []
        for branch in _branches(writer, stored, [reader]):
            sources.append(self._branch_take(branch, reader, stored, where))
        return Pick(self._type(reader, where), tuple(sources))

    def _branch_take(self, branch: Schema, chosen: Schema, stored: pa.DataType,
                     where: str) -> Take:  # fmt: skip
        """The written branch's values, read as the reader's `chosen` branch."""
        slot, slot_type = self._slot(branch, chosen, stored)
        if slot == AMBIGUOUS:
            why = (f"the table's union members do not tell which of them holds the writer's "
                   f"{branch.type} values")  # fmt: skip
            return Take(None, Lost(self._type(chosen, where), why, where))
        if slot_type == pa.null():  # no stored member holds them
            why = f"the table stores no union member for the writer's {branch.type} values"
            return Take(None, Lost(self._type(chosen, where), why, where))
        return Take(slot, self.node(branch, chosen, slot_type, where))

    def _slot(self, branch: Schema, chosen: Schema,
              stored: pa.DataType) -> tuple[str | None, pa.DataType]:  # fmt: skip
        """Where the table stores the values of a written branch: its union member (named
        by the written type; for a named type also by the type the new reader reads it as
        or one of its aliases, the name an older reader gave it; for a primitive the member
        the stored union resolved it to, ingest/members.py), or the value; (None, null)
        where no member does, (AMBIGUOUS, null) where the members do not tell."""
        if not _is_members(stored):
            return None, stored
        names = [member_name(branch)]
        if not isinstance(branch, Primitive):
            aliases = chosen.aliases if isinstance(chosen, Record | Enum | Fixed) else ()
            older = [f"member_{alias.rsplit('.', 1)[-1]}" for alias in aliases]  # renamed since
            names += [member_name(chosen), *older]
        for name in names:
            if stored.get_field_index(name) >= 0:
                return name, stored.field(name).type
        found = stored_member(branch, stored) if isinstance(branch, Primitive) else None
        if found == AMBIGUOUS:
            return AMBIGUOUS, pa.null()
        if isinstance(found, pa.Field):
            return found.name, found.type
        return None, pa.null()


def _source(rfield: Field, wfield: Field | None, names: set[str], kept: set[str]) -> str | None:
    """The stored child holding a field: the writer's name, the reader's, then its aliases;
    never first a column `kept` (not in the table's reader: rows landed since hold NULL
    there), e.g. `f1` kept beside `f3` (aliases `f1`) when f1 was renamed while the table
    held no rows, and rows written as f1 then landed in f3."""
    order = [rfield.name, *rfield.aliases]
    if wfield is not None:
        order = [*order, wfield.name] if wfield.name in kept else [wfield.name, *order]
    return next((n for n in order if n in names), None)


def _rest(union: Union) -> list[Schema]:
    return [b for b in union.branches if not (isinstance(b, Primitive) and b.type == "null")]


def _single(writer: Schema | None, reader: Schema) -> Schema | None:
    """A writer union read by a single type: the branch that type reads (or the union, for
    leaves, whose branches all promote into one stored value)."""
    if not isinstance(writer, Union):
        return writer
    rest = _rest(writer)
    if isinstance(reader, Record | Array | Map | Enum):
        return next((b for b in rest if branch_matches(b, reader)), None)
    return writer


def _branches(writer: Schema | None, stored: pa.DataType, members: list[Schema]) -> list[Schema]:
    if writer is None:
        found = [m for m in members if arrow_type(m) == stored]
        return found[:1]
    return _rest(writer) if isinstance(writer, Union) else [writer]


def _resolve_branch(branch: Schema, members: list[Schema]) -> int | None:
    """The specification's choice of reader branch: the same type first, then a promotion."""
    for i, member in enumerate(members):
        if _same_kind(branch, member):
            return i
    return next((i for i, m in enumerate(members) if branch_matches(branch, m)), None)


def _same_kind(writer: Schema, reader: Schema) -> bool:
    if isinstance(writer, Record | Enum) and type(writer) is type(reader):
        return names_match(writer, reader)
    if isinstance(writer, Primitive) and isinstance(reader, Primitive):
        return writer.type == reader.type
    return writer.type == reader.type and branch_matches(writer, reader)


def _written_types(writer: Schema | None) -> set[str]:
    if isinstance(writer, Union):
        return {b.type for b in writer.branches}
    return {writer.type} if writer is not None else set()


def _is_members(stored: pa.DataType) -> bool:
    return (
        pa.types.is_struct(stored)
        and stored.num_fields > 0
        and all(stored.field(i).name.startswith("member_") for i in range(stored.num_fields))
    )


def _shortcut(node: Fields | Items | Entries, stored: pa.DataType) -> Node:
    """The node itself, or a plain cast where it changes nothing."""
    return Cast(node.target) if node.target == stored and _identity(node) else node


def _identity(node: Node) -> bool:
    if isinstance(node, Cast):
        return node.exact_below is None
    if isinstance(node, Fields):
        return all(
            isinstance(p, Take) and p.source == f.name and _identity(p.node)
            for p, f in zip(node.parts, node.target, strict=True)
        )
    if isinstance(node, Items):
        return _identity(node.items)
    if isinstance(node, Entries):
        return _identity(node.values)
    return False
