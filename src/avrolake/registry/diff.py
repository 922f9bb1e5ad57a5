"""What changed between two versions of a subject, field by field, for people."""

from __future__ import annotations

import json
from dataclasses import dataclass

from avrolake.compatibility.rules import describe, writer_field_for
from avrolake.schema import Enum, Field, Record, Schema, Union


@dataclass(frozen=True)
class Change:
    # added, removed, renamed, type_changed, symbols_added, symbols_removed, default_changed
    kind: str
    field: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind:<16} {self.field}: {self.detail}"


def diff_records(old: Schema, new: Schema) -> list[Change]:
    if not isinstance(old, Record) or not isinstance(new, Record):
        if describe(old) == describe(new):
            return []
        return [Change("type_changed", "/", f"{describe(old)} -> {describe(new)}")]
    return _diff_fields(old, new, "")


def _diff_fields(old: Record, new: Record, prefix: str) -> list[Change]:
    changes: list[Change] = []
    matched: set[str] = set()
    for nfield in new.fields:
        name = prefix + nfield.name
        ofield = writer_field_for(old, nfield)
        if ofield is None:
            default = (
                f" (default {json.dumps(nfield.default)})"
                if nfield.has_default
                else " (no default)"
            )
            changes.append(Change("added", name, describe(nfield.type) + default))
            continue
        matched.add(ofield.name)
        if ofield.name != nfield.name:
            changes.append(Change("renamed", name, f"was {prefix}{ofield.name} (alias)"))
        changes += _diff_field(ofield, nfield, name)
    changes += [
        Change("removed", prefix + f.name, describe(f.type))
        for f in old.fields
        if f.name not in matched
    ]
    return changes


def _diff_field(old: Field, new: Field, name: str) -> list[Change]:
    changes: list[Change] = []
    otype, ntype = _non_null(old.type), _non_null(new.type)
    if isinstance(otype, Record) and isinstance(ntype, Record):
        changes += _diff_fields(otype, ntype, name + ".")
    elif isinstance(otype, Enum) and isinstance(ntype, Enum):
        added = [s for s in ntype.symbols if s not in otype.symbols]
        removed = [s for s in otype.symbols if s not in ntype.symbols]
        if added:
            changes.append(Change("symbols_added", name, ", ".join(added)))
        if removed:
            changes.append(Change("symbols_removed", name, ", ".join(removed)))
        if otype.default != ntype.default:
            changes.append(
                Change(
                    "default_changed",
                    name,
                    f"enum default {json.dumps(otype.default)} -> {json.dumps(ntype.default)}",
                )
            )
    elif describe(old.type) != describe(new.type):
        changes.append(
            Change("type_changed", name, f"{describe(old.type)} -> {describe(new.type)}")
        )
    if (old.has_default, old.default) != (new.has_default, new.default):
        before = json.dumps(old.default) if old.has_default else "none"
        after = json.dumps(new.default) if new.has_default else "none"
        changes.append(Change("default_changed", name, f"{before} -> {after}"))
    return changes


def _non_null(schema: Schema) -> Schema:
    if isinstance(schema, Union):
        rest = [b for b in schema.branches if b.type != "null"]
        if len(rest) == 1:
            return rest[0]
    return schema
