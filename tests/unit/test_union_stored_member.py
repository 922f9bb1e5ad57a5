"""The stored union member a written primitive branch sits in is the one the union that
stored it resolved it to (ingest/members.py): the same Avro type first (a logical type on it
included), then the first promotion in the stored order; AMBIGUOUS where the stored names
and types leave it open."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from avrolake.decode import arrow_type
from avrolake.ingest.members import AMBIGUOUS, stored_member
from avrolake.schema import Primitive, parse_schema

pytestmark = pytest.mark.unit

E = {"type": "enum", "name": "E", "symbols": ["A", "B"]}
UUID = {"type": "string", "logicalType": "uuid"}
DECIMAL = {"type": "bytes", "logicalType": "decimal", "precision": 8, "scale": 2}
MILLIS = {"type": "long", "logicalType": "timestamp-millis"}


def stored(*branches: Any) -> pa.StructType:
    found = arrow_type(parse_schema(["null", *branches]))
    assert isinstance(found, pa.StructType)
    return found


@pytest.mark.parametrize(
    ("written", "union", "member"),
    [
        pytest.param("long", ["long", "double"], "member_long", id="same-type-first"),
        pytest.param(
            "long",
            ["string", "float", "double"],
            "member_float",
            id="first-promotion-in-stored-order",
        ),
        pytest.param(
            "long",
            ["string", "double", "float"],
            "member_double",
            id="first-promotion-double-before-float",
        ),
        pytest.param(
            "int", [MILLIS, "double"], "member_timestamp_millis", id="promotion-to-a-logical-long"
        ),
        pytest.param(
            "long",
            [MILLIS, "double"],
            "member_timestamp_millis",
            id="same-type-with-a-logical-type",
        ),
        pytest.param("string", [E, "bytes"], "member_bytes", id="an-enum-is-no-string"),
        pytest.param("boolean", ["int", "string"], None, id="no-member-reads-it"),
        pytest.param("string", [UUID, "bytes"], AMBIGUOUS, id="uuid-or-an-enum-named-uuid"),
        pytest.param(
            "string", [DECIMAL, "int"], AMBIGUOUS, id="decimal-on-bytes-or-a-fixed-named-decimal"
        ),
        pytest.param(
            "string",
            ["string", {**E, "name": "uuid"}],
            "member_string",
            id="a-known-member-before-an-unclear-one",
        ),
    ],
)
def test_the_stored_member_of_a_written_primitive_is_the_one_its_union_resolved_it_to(
    written: str, union: list[Any], member: str | None
) -> None:
    branch = parse_schema(written)
    assert isinstance(branch, Primitive)
    found = stored_member(branch, stored(*union))
    assert (found.name if isinstance(found, pa.Field) else found) == member
