"""Reader/writer compatibility by the Avro specification, and Confluent's seven levels."""

from avrolake.compatibility.levels import CompatibilityLevel, LevelViolation, check_level
from avrolake.compatibility.rules import Incompatibility, IncompatibilityKind, check_compatibility

__all__ = [
    "CompatibilityLevel",
    "Incompatibility",
    "IncompatibilityKind",
    "LevelViolation",
    "check_compatibility",
    "check_level",
]
