"""Realistic mixed-version Avro log files, and broken ones, for demos, tests and benchmarks."""

from avrolake.generate.corrupt import CorruptionKind, corrupt
from avrolake.generate.logs import CODECS, GeneratedFile, GenerateReport, GenerateSpec, generate

__all__ = [
    "CODECS",
    "CorruptionKind",
    "GenerateReport",
    "GenerateSpec",
    "GeneratedFile",
    "corrupt",
    "generate",
]
