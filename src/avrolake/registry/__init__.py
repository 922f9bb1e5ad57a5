"""The schema registry: parsed schemas, canonical forms, fingerprints, versions on disk."""

from avrolake.registry.source_layout import SourceLayout, parse_layout
from avrolake.registry.store import (
    Registry,
    SchemaVersion,
    SubjectViolation,
    canonical_form,
    schema_fingerprint,
)
from avrolake.registry.table_settings import TableSettings, timestamp_fields
from avrolake.schema import Schema, load_schema, parse_schema

__all__ = [
    "Registry",
    "Schema",
    "SchemaVersion",
    "SourceLayout",
    "SubjectViolation",
    "TableSettings",
    "canonical_form",
    "load_schema",
    "parse_layout",
    "parse_schema",
    "schema_fingerprint",
    "timestamp_fields",
]
