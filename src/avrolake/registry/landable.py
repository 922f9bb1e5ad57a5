"""Whether a reader schema can be a Delta table's columns: the gate's checks beyond Avro.

Avro allows what a Delta table cannot hold:
- a recursive type (a linked list, a tree): its Arrow and Delta type would be infinitely deep;
- a record with no fields (`{"type": "record", "name": "Q", "fields": []}`), at any depth or
  as the reader itself: Parquet cannot store a struct with no child field, and a table with no
  data column cannot hold the rows Avro reads (each would be an empty row);
- field names that differ only in case (`id` and `ID`) in one record, at any depth: Delta
  column names are case-insensitive; the same for the member names of a union of several
  types (`member_<name>`), which become struct fields;
- a top-level field named like one of the table's metadata columns (`_source_file`,
  `_RUN_ID`, …: docs/table.md), in any case;
- a field default that is a decimal no decimal column holds (no bytes, which Avro Java cannot
  read either, or more digits than its precision), at any depth, in a record default too:
  every row of a writer without the field would take it.

`landing_problems` finds every such place, with the field path (`user.address.ID`), so that
`avrolake schemas check`, the DAG's schema gate and ingest refuse the subject before any
data is read, instead of a run dying on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from avrolake.config import METADATA_COLUMNS
from avrolake.schema import Array, Fixed, Map, Primitive, Record, Schema, Union, member_name


class LandingProblemKind(StrEnum):
    RECURSIVE_TYPE = "RECURSIVE_TYPE"
    CASE_INSENSITIVE_DUPLICATE = "CASE_INSENSITIVE_DUPLICATE"
    EMPTY_RECORD = "EMPTY_RECORD"
    METADATA_COLUMN_NAME = "METADATA_COLUMN_NAME"
    DECIMAL_DEFAULT = "DECIMAL_DEFAULT"


@dataclass(frozen=True)
class LandingProblem:
    kind: LandingProblemKind
    path: str  # the field path, dotted from the top-level field ("" for the record itself)
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind.value, "path": self.path, "message": self.message}


def landing_problems(reader: Record) -> list[LandingProblem]:
    """Every place where the reader schema cannot be a Delta table's columns."""
    problems: list[LandingProblem] = []
    reserved = {name.lower(): name for name in METADATA_COLUMNS}
    for field in reader.fields:
        if field.name.lower() in reserved:
            problems.append(
                LandingProblem(
                    LandingProblemKind.METADATA_COLUMN_NAME,
                    field.name,
                    f"field {field.name} takes the name of the table's metadata column "
                    f"{reserved[field.name.lower()]} (Delta column names are "
                    "case-insensitive; docs/table.md); rename the field (an alias keeps "
                    "reading the old name)",
                )
            )
    _walk(reader, "", (), problems)
    unique = {(p.kind, p.path, p.message): p for p in problems}  # a default seen twice
    return list(unique.values())


def _walk(schema: Schema, path: str, enclosing: tuple[int, ...], out: list[LandingProblem]) -> None:
    if isinstance(schema, Record):
        if id(schema) in enclosing:
            out.append(
                LandingProblem(
                    LandingProblemKind.RECURSIVE_TYPE,
                    path,
                    f"record {schema.fullname} holds itself at {path or '/'}: a recursive type "
                    "has no Delta column type (it would be infinitely nested); remove the "
                    "recursion from the reader schema, e.g. store the nested part as a string",
                )
            )
            return
        if not schema.fields:
            out.append(_empty(schema, path))
        names = [f.name for f in schema.fields]
        _duplicates(names, f"fields of record {schema.fullname}", path, out)
        for field in schema.fields:
            inner = f"{path}.{field.name}" if path else field.name
            if field.has_default:
                _default(field.type, field.default, inner, out, set())
            _walk(field.type, inner, (*enclosing, id(schema)), out)
    elif isinstance(schema, Union):
        members = [member_name(b) for b in schema.branches if not _is_null(b)]
        if len(members) > 1:
            _duplicates(members, "members of a union of several types", path, out)
        for branch in schema.branches:
            _walk(branch, path, enclosing, out)
    elif isinstance(schema, Array):
        _walk(schema.items, f"{path}[]", enclosing, out)
    elif isinstance(schema, Map):
        _walk(schema.values, f"{path}{{}}", enclosing, out)


def _default(schema: Schema, value: Any, path: str, out: list[LandingProblem],
             seen: set[int]) -> None:  # fmt: skip
    """The decimals a default (its JSON value) holds, checked as they would land."""
    if isinstance(schema, Union):
        _default(schema.branches[0], value, path, out, seen)  # a union's default: its first
    elif isinstance(schema, Record) and isinstance(value, dict) and id(schema) not in seen:
        for f in schema.fields:
            if f.name in value or f.has_default:
                inner = value.get(f.name, f.default)
                _default(f.type, inner, f"{path}.{f.name}", out, {*seen, id(schema)})
    elif isinstance(schema, Array) and isinstance(value, list):
        for item in value:
            _default(schema.items, item, f"{path}[]", out, seen)
    elif isinstance(schema, Map) and isinstance(value, dict):
        for item in value.values():
            _default(schema.values, item, f"{path}{{}}", out, seen)
    elif isinstance(schema, Primitive | Fixed) and schema.decimal and isinstance(value, str):
        data = value.encode("latin-1", errors="replace")
        digits = len(str(abs(int.from_bytes(data, "big", signed=True))))
        if data and digits <= schema.decimal.precision:
            return
        held = "has no bytes" if not data else f"has {digits} digits"
        kind = f"decimal({schema.decimal.precision},{schema.decimal.scale})"
        out.append(
            LandingProblem(
                LandingProblemKind.DECIMAL_DEFAULT,
                path,
                f"the default of {path} {held}, which no {kind} holds (an Avro decimal is at "
                "least one byte and at most its precision in digits; Avro Java cannot read "
                "a default of no bytes): every row of a writer without the field would take "
                "it. Register a version whose default fits the decimal",
            )
        )


def _empty(schema: Record, path: str) -> LandingProblem:
    return LandingProblem(
        LandingProblemKind.EMPTY_RECORD,
        path,
        f"record {schema.fullname} at {path or '/'} has no fields: Parquet cannot store a "
        "struct with no child field, and a row with no columns cannot be landed; give the "
        "record a field (e.g. keep one with a default) or remove the record from the reader",
    )


def _duplicates(names: list[str], what: str, path: str, out: list[LandingProblem]) -> None:
    seen: dict[str, str] = {}
    for name in names:
        first = seen.setdefault(name.lower(), name)
        if first is name:
            continue
        out.append(
            LandingProblem(
                LandingProblemKind.CASE_INSENSITIVE_DUPLICATE,
                f"{path}.{name}" if path else name,
                f"{what} {first!r} and {name!r} at {path or '/'} are one name to Delta, whose "
                "column names are case-insensitive; rename one of them",
            )
        )


def _is_null(schema: Schema) -> bool:
    return isinstance(schema, Primitive) and schema.type == "null"
