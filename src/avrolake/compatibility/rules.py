"""Can a reader schema read data written with a writer schema?

One small function per rule of the Avro specification's "Schema Resolution" section.
Each returns findings (kind, path, message) instead of raising, so a caller can show
every problem at once. Paths are JSON-pointer-like locations in the *reader* schema
(`/fields/2/type/1`), the schema a user is changing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from avrolake.schema import (
    Array,
    Enum,
    Field,
    Fixed,
    Map,
    Named,
    Primitive,
    Record,
    Schema,
    Union,
)

PROMOTIONS: dict[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}


class IncompatibilityKind(StrEnum):
    TYPE_MISMATCH = "TYPE_MISMATCH"
    NAME_MISMATCH = "NAME_MISMATCH"
    FIXED_SIZE_MISMATCH = "FIXED_SIZE_MISMATCH"
    DECIMAL_MISMATCH = "DECIMAL_MISMATCH"
    MISSING_ENUM_SYMBOLS = "MISSING_ENUM_SYMBOLS"
    MISSING_UNION_BRANCH = "MISSING_UNION_BRANCH"
    READER_FIELD_MISSING_DEFAULT_VALUE = "READER_FIELD_MISSING_DEFAULT_VALUE"


@dataclass(frozen=True)
class Incompatibility:
    kind: IncompatibilityKind
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind.value, "path": self.path, "message": self.message}


def check_compatibility(writer: Schema, reader: Schema) -> list[Incompatibility]:
    """Every reason the reader cannot read the writer's data; empty when it can."""
    return _Checker().check(writer, reader, "")


def describe(schema: Schema) -> str:
    if isinstance(schema, Record | Enum | Fixed):
        return f"{schema.type} {schema.fullname}"
    if isinstance(schema, Union):
        return "union [" + ", ".join(describe(b) for b in schema.branches) + "]"
    if isinstance(schema, Array):
        return f"array<{describe(schema.items)}>"
    if isinstance(schema, Map):
        return f"map<{describe(schema.values)}>"
    return schema.type


def names_match(writer: Named, reader: Named) -> bool:
    """Named types match by unqualified name, or by the writer's full name in reader aliases."""
    return writer.name == reader.name or writer.fullname in reader.aliases


def branch_matches(writer: Schema, reader: Schema) -> bool:
    """The specification's "match" used to pick a reader union branch (not a full check)."""
    if isinstance(writer, Union) or isinstance(reader, Union):
        return True
    if isinstance(writer, Primitive) and isinstance(reader, Primitive):
        return writer.type == reader.type or reader.type in PROMOTIONS.get(writer.type, ())
    if isinstance(writer, Array) and isinstance(reader, Array):
        return branch_matches(writer.items, reader.items)
    if isinstance(writer, Map) and isinstance(reader, Map):
        return branch_matches(writer.values, reader.values)
    if isinstance(writer, Fixed) and isinstance(reader, Fixed):
        return names_match(writer, reader) and writer.size == reader.size
    if isinstance(writer, Record) and isinstance(reader, Record):
        return names_match(writer, reader)
    if isinstance(writer, Enum) and isinstance(reader, Enum):
        return names_match(writer, reader)
    return False


# Promotions Avro Java takes for a union branch, preferred to the others (int or long
# read as float), which only the specification allows.
def reader_branch(writer: Schema, reader: Union) -> int | None:
    """The reader union branch a (non-union) writer type resolves to: the first branch of
    the same type (named types: the same kind, matched by name or alias), else the first
    branch, in the union's order, that a promotion reaches (int to long, float or double;
    long to float or double; float to double; string and bytes to each other), as Avro
    Java 1.12's `Resolver.ReaderUnion.firstMatchingBranch` does: an int read by
    `["float", "long"]` lands in float. None: no branch can read it. The written branch,
    never the value, decides."""
    for rank in (_exact_branch, _any_promotion):
        for index, branch in enumerate(reader.branches):
            if rank(writer, branch):
                return index
    return None


def _exact_branch(writer: Schema, reader: Schema) -> bool:
    if isinstance(writer, Record | Enum | Fixed):
        return type(writer) is type(reader) and branch_matches(writer, reader)
    return not isinstance(reader, Record | Enum | Fixed) and writer.type == reader.type


def _any_promotion(writer: Schema, reader: Schema) -> bool:
    return isinstance(reader, Primitive) and reader.type in PROMOTIONS.get(writer.type, ())


class _Checker:
    def __init__(self) -> None:
        # Pairs of named types under check: a recursive reference back to one of them
        # is compatible if the rest of the check finds nothing (coinduction).
        self.in_progress: set[tuple[int, int]] = set()

    def check(self, writer: Schema, reader: Schema, path: str) -> list[Incompatibility]:
        if isinstance(writer, Union):
            return self.writer_union(writer, reader, path)
        if isinstance(reader, Union):
            return self.reader_union(writer, reader, path)
        if isinstance(writer, Record | Enum | Fixed) and isinstance(reader, Record | Enum | Fixed):
            key = (id(writer), id(reader))
            if key in self.in_progress:
                return []
            self.in_progress.add(key)
            try:
                return self.named(writer, reader, path)
            finally:
                self.in_progress.discard(key)
        if isinstance(writer, Primitive) and isinstance(reader, Primitive):
            return check_primitive(writer, reader, path)
        if isinstance(writer, Array) and isinstance(reader, Array):
            return self.check(writer.items, reader.items, f"{path}/items")
        if isinstance(writer, Map) and isinstance(reader, Map):
            return self.check(writer.values, reader.values, f"{path}/values")
        return [type_mismatch(writer, reader, path)]

    def named(self, writer: Named, reader: Named, path: str) -> list[Incompatibility]:
        if writer.type != reader.type:
            return [type_mismatch(writer, reader, path)]
        if not names_match(writer, reader):
            return [
                Incompatibility(
                    IncompatibilityKind.NAME_MISMATCH,
                    f"{path}/name",
                    f"reader {reader.type} {reader.fullname} cannot read writer "
                    f"{writer.type} {writer.fullname}: names differ and no reader alias "
                    f"names {writer.fullname}",
                )
            ]
        if isinstance(writer, Record) and isinstance(reader, Record):
            return self.record(writer, reader, path)
        if isinstance(writer, Enum) and isinstance(reader, Enum):
            return check_enum(writer, reader, path)
        assert isinstance(writer, Fixed)
        assert isinstance(reader, Fixed)
        return check_fixed(writer, reader, path)

    def record(self, writer: Record, reader: Record, path: str) -> list[Incompatibility]:
        findings: list[Incompatibility] = []
        for index, rfield in enumerate(reader.fields):
            fpath = f"{path}/fields/{index}"
            wfield = writer_field_for(writer, rfield)
            if wfield is not None:
                findings += self.check(wfield.type, rfield.type, f"{fpath}/type")
            elif not rfield.has_default:
                findings.append(
                    Incompatibility(
                        IncompatibilityKind.READER_FIELD_MISSING_DEFAULT_VALUE,
                        fpath,
                        f"reader field {rfield.name!r} of {reader.fullname} has no default, "
                        f"and writer {writer.fullname} has no field {rfield.name!r}"
                        + (f" or {', '.join(rfield.aliases)}" if rfield.aliases else ""),
                    )
                )
        return findings

    def writer_union(self, writer: Union, reader: Schema, path: str) -> list[Incompatibility]:
        findings: list[Incompatibility] = []
        for branch in writer.branches:
            findings += self.check(branch, reader, path)
        return findings

    def reader_union(self, writer: Schema, reader: Union, path: str) -> list[Incompatibility]:
        index = reader_branch(writer, reader)
        if index is not None:
            return self.check(writer, reader.branches[index], f"{path}/{index}")
        return [
            Incompatibility(
                IncompatibilityKind.MISSING_UNION_BRANCH,
                path,
                f"reader {describe(reader)} has no branch that can read writer {describe(writer)}",
            )
        ]


def writer_field_for(writer: Record, rfield: Field) -> Field | None:
    """The writer field a reader field reads: same name first, then the reader's aliases."""
    by_name = {f.name: f for f in writer.fields}
    if rfield.name in by_name:
        return by_name[rfield.name]
    for alias in rfield.aliases:
        if alias in by_name:
            return by_name[alias]
    return None


def type_mismatch(writer: Schema, reader: Schema, path: str) -> Incompatibility:
    return Incompatibility(
        IncompatibilityKind.TYPE_MISMATCH,
        path,
        f"reader type {describe(reader)} cannot read writer type {describe(writer)}",
    )


def check_primitive(writer: Primitive, reader: Primitive, path: str) -> list[Incompatibility]:
    if writer.type != reader.type and reader.type not in PROMOTIONS.get(writer.type, ()):
        return [type_mismatch(writer, reader, path)]
    if writer.type == reader.type == "bytes":
        return check_decimal(writer.decimal, reader.decimal, path)
    return []


def check_enum(writer: Enum, reader: Enum, path: str) -> list[Incompatibility]:
    missing = [s for s in writer.symbols if s not in reader.symbols]
    if not missing or reader.default is not None:
        return []
    return [
        Incompatibility(
            IncompatibilityKind.MISSING_ENUM_SYMBOLS,
            f"{path}/symbols",
            f"reader enum {reader.fullname} lacks writer symbols {missing} and has no default",
        )
    ]


def check_fixed(writer: Fixed, reader: Fixed, path: str) -> list[Incompatibility]:
    if writer.size != reader.size:
        return [
            Incompatibility(
                IncompatibilityKind.FIXED_SIZE_MISMATCH,
                f"{path}/size",
                f"reader fixed {reader.fullname} has size {reader.size}, "
                f"writer fixed {writer.fullname} has size {writer.size}",
            )
        ]
    return check_decimal(writer.decimal, reader.decimal, path)


def check_decimal(writer: object, reader: object, path: str) -> list[Incompatibility]:
    """Two decimal logical types match only with equal precision and scale (specification)."""
    if writer is None or reader is None or writer == reader:
        return []
    return [
        Incompatibility(
            IncompatibilityKind.DECIMAL_MISMATCH,
            path,
            f"reader decimal {reader} cannot read writer decimal {writer}: "
            "precision and scale must be equal",
        )
    ]
