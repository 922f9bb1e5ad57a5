"""Confluent's seven compatibility levels, built from two choices.

Direction: which side must read which (the new version reads the old ones, the old
ones read the new one, or both). Scope: the latest earlier version only, or all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from avrolake.compatibility.rules import Incompatibility, check_compatibility
from avrolake.schema import Schema


class CompatibilityLevel(Enum):
    NONE = ((), False)
    BACKWARD = (("backward",), False)
    BACKWARD_TRANSITIVE = (("backward",), True)
    FORWARD = (("forward",), False)
    FORWARD_TRANSITIVE = (("forward",), True)
    FULL = (("backward", "forward"), False)
    FULL_TRANSITIVE = (("backward", "forward"), True)

    @property
    def directions(self) -> tuple[str, ...]:
        return self.value[0]  # type: ignore[no-any-return]

    @property
    def transitive(self) -> bool:
        return self.value[1]  # type: ignore[no-any-return]

    @classmethod
    def parse(cls, word: str) -> CompatibilityLevel:
        try:
            return cls[word.strip().upper()]
        except KeyError:
            names = ", ".join(level.name for level in cls)
            raise ValueError(
                f"unknown compatibility level {word.strip()!r}; use one of {names}"
            ) from None


@dataclass(frozen=True)
class LevelViolation:
    """The new version breaks the level against one earlier version in one direction."""

    against_version: int
    direction: str
    incompatibility: Incompatibility

    def describe(self, new_version: int) -> str:
        if self.direction == "backward":
            who = f"v{new_version} cannot read data written with v{self.against_version}"
        else:
            who = f"v{self.against_version} cannot read data written with v{new_version}"
        inc = self.incompatibility
        return f"{who}: {inc.kind.value} at {inc.path or '/'}: {inc.message}"


def check_level(
    level: CompatibilityLevel, new: Schema, earlier: Sequence[tuple[int, Schema]]
) -> list[LevelViolation]:
    """Check a new schema against the earlier versions (oldest first) under a level."""
    if not earlier or not level.directions:
        return []
    against = earlier if level.transitive else earlier[-1:]
    violations: list[LevelViolation] = []
    for version, old in against:
        for direction in level.directions:
            writer, reader = (old, new) if direction == "backward" else (new, old)
            violations += [
                LevelViolation(version, direction, inc)
                for inc in check_compatibility(writer, reader)
            ]
    return violations
