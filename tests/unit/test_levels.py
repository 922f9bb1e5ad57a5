"""Confluent's seven levels: which earlier versions, which direction."""

from __future__ import annotations

from typing import Any

import pytest

from avrolake.compatibility import CompatibilityLevel, check_level
from avrolake.schema import parse_schema

pytestmark = pytest.mark.unit


def rec(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": "R", "fields": list(fields)}


A = {"name": "a", "type": "int"}
B_REQUIRED = {"name": "b", "type": "string"}
B_DEFAULT = {"name": "b", "type": "string", "default": ""}
C_REQUIRED = {"name": "c", "type": "string"}

# v1 {a}; v2 {a, b required}; v3 {a, b required} - only v1 -> v3 breaks backward (no b in v1).
V1, V2 = rec(A), rec(A, B_REQUIRED)


def violations(level: str, new: dict[str, Any], *earlier: dict[str, Any]) -> list[tuple[int, str]]:
    found = check_level(
        CompatibilityLevel.parse(level),
        parse_schema(new),
        [(i + 1, parse_schema(s)) for i, s in enumerate(earlier)],
    )
    return [(v.against_version, v.direction) for v in found]


@pytest.mark.parametrize(
    ("level", "new", "earlier", "expected"),
    [
        pytest.param("NONE", rec(C_REQUIRED), [V1], [], id="none_accepts_anything"),
        pytest.param("BACKWARD", V2, [V1], [(1, "backward")], id="backward_new_must_read_latest"),
        pytest.param("BACKWARD", V2, [V1, V2], [], id="backward_checks_latest_only"),
        pytest.param(
            "BACKWARD_TRANSITIVE",
            V2,
            [V1, V2],
            [(1, "backward")],
            id="backward_transitive_checks_all_earlier",
        ),
        pytest.param("FORWARD", V1, [V2], [(1, "forward")], id="forward_latest_must_read_new"),
        pytest.param("FORWARD", rec(A, B_DEFAULT), [V1], [], id="forward_allows_added_field"),
        pytest.param(
            "FORWARD_TRANSITIVE",
            V1,
            [V2, V1],
            [(1, "forward")],
            id="forward_transitive_checks_all_earlier",
        ),
        pytest.param("FULL", V2, [V1], [(1, "backward")], id="full_needs_backward"),
        pytest.param("FULL", V1, [V2], [(1, "forward")], id="full_needs_forward"),
        pytest.param("FULL", rec(A, B_DEFAULT), [V1], [], id="full_allows_field_with_default"),
        pytest.param(
            "FULL_TRANSITIVE",
            V1,
            [V2, rec(A, B_DEFAULT)],
            [(1, "forward")],
            id="full_transitive_checks_all_earlier",
        ),
        pytest.param("BACKWARD", V1, [], [], id="first_version_is_always_compatible"),
    ],
)
def test_level_checks_the_right_versions_and_directions(
    level: str, new: dict[str, Any], earlier: list[dict[str, Any]], expected: list[tuple[int, str]]
) -> None:
    assert violations(level, new, *earlier) == expected


def test_level_names_are_case_insensitive() -> None:
    assert CompatibilityLevel.parse(" full_transitive\n") is CompatibilityLevel.FULL_TRANSITIVE


def test_unknown_level_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown compatibility level 'SIDEWAYS'; use one of NONE"):
        CompatibilityLevel.parse("SIDEWAYS")


def test_violation_sentence_names_versions_rule_and_field() -> None:
    (found,) = check_level(CompatibilityLevel.BACKWARD, parse_schema(V2), [(1, parse_schema(V1))])
    assert found.describe(2) == (
        "v2 cannot read data written with v1: READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1: "
        "reader field 'b' of R has no default, and writer R has no field 'b'"
    )
