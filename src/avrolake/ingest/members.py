"""Which stored union member holds a written primitive branch, as the table's union chose it.

A union of several types is stored as a struct of one member per non-null branch, in the
branch order of the union that read the rows (docs/table.md), and each written value sits
in the member that union resolved its branch to: by the specification (as Avro Java reads),
the first branch of the same type (a logical type on it included), else the first branch it
promotes to. The stored members' types are known from their names and Arrow types, so that
choice is made again here; where a name and type leave it open (`member_uuid` may be a
string or an enum named `uuid`, `member_decimal` a bytes decimal or a fixed named `decimal`)
and it matters, the answer is `AMBIGUOUS`, and `migrate` reads such rows again from their
sources rather than guess.
"""

from __future__ import annotations

from typing import Final, Literal

import pyarrow as pa

from avrolake.compatibility.rules import PROMOTIONS
from avrolake.schema import Primitive

AMBIGUOUS: Final = "ambiguous"
_OTHER = "other"  # a named type or a container: never a primitive branch's member
_PLAIN = {
    pa.bool_(): "boolean",
    pa.int32(): "int",  # int, time-millis
    pa.int64(): "long",  # long, time-micros
    pa.float32(): "float",
    pa.float64(): "double",
}


def member_kinds(member: pa.Field) -> frozenset[str]:
    """The Avro types a stored member may be of, as a primitive branch resolves to it: one
    where its name and Arrow type tell; two where they leave a choice."""
    kind, name = member.type, member.name.removeprefix("member_")
    if kind in _PLAIN:
        return frozenset({_PLAIN[kind]})
    if pa.types.is_date32(kind):
        return frozenset({"int"})
    if pa.types.is_timestamp(kind):
        return frozenset({"long"})
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):  # string, uuid or an enum
        return frozenset({"string", _OTHER} if name == "uuid" else {_text(name, "string")})
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):  # bytes or a fixed
        return frozenset({_text(name, "bytes")})
    if pa.types.is_decimal(kind):  # on bytes (member_decimal) or a fixed (its name)
        return frozenset({"bytes", _OTHER} if name == "decimal" else {_OTHER})
    return frozenset({_OTHER})


def _text(name: str, primitive: str) -> str:
    return primitive if name == primitive else _OTHER


def stored_member(
    branch: Primitive, stored: pa.StructType
) -> pa.Field | Literal["ambiguous"] | None:
    """The member of `stored` the union that stored it read `branch`'s values into: the
    first of the same type, else the first the type promotes to (None: no member reads it);
    AMBIGUOUS where a member that may or may not be of a wanted type comes first."""
    members = [stored.field(i) for i in range(stored.num_fields)]
    for wanted in (frozenset({branch.type}), PROMOTIONS.get(branch.type, frozenset())):
        for member in members:
            kinds = member_kinds(member)
            if kinds <= wanted:
                return member
            if kinds & wanted:
                return AMBIGUOUS
    return None
