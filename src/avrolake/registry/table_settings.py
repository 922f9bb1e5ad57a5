"""A subject's table settings: which event-time field partitions its Delta table.

They live beside the schemas, in `<registry>/<subject>/table.json` (docs/registry.md):

    {"partition_field": "ts", "partition_column": "event_date", "lookback_hours": 24}

Without the file (or without `partition_field` in it), the partition field is derived from
the reader schema: its first top-level timestamp field, or no partitioning when it has none.
`"partition_field": ""` (or null) asks for an unpartitioned table. The command line may
override both. `lookback_hours`: how far back an interval run lists earlier partitions for
late files (docs/configuration.md; absent: the default). Everything is checked here, before
a table is created or Spark starts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from avrolake.config import DEFAULT_PARTITION_COLUMN, NO_OVERRIDE, PartitionOverride
from avrolake.errors import RegistryError, TableSettingsError
from avrolake.schema import Primitive, Record, Schema, Union

TABLE_SETTINGS_FILE = "table.json"
TIMESTAMP_LOGICAL = frozenset(
    {
        "timestamp-millis", "timestamp-micros", "timestamp-nanos",
        "local-timestamp-millis", "local-timestamp-micros", "local-timestamp-nanos",
    }
)  # fmt: skip
_KEYS = frozenset(
    {"partition_field", "partition_column", "lookback_hours", "source"}
    | {"table", "quarantine_table", "schedule"}  # the deployment: registry/deployment.py
)
_COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
Origin = Literal["command line", "table.json", "derived from the reader schema"]


@dataclass(frozen=True)
class TableSettings:
    """Partition by the UTC date of `partition_field` into `partition_column` (or not at all)."""

    partition_field: str | None
    partition_column: str = DEFAULT_PARTITION_COLUMN
    origin: Origin = "derived from the reader schema"
    lookback_hours: float | None = None  # table.json's; None: not set there

    @property
    def partition_columns(self) -> list[str]:
        return [self.partition_column] if self.partition_field else []

    def describe(self) -> str:
        if not self.partition_field:
            return f"unpartitioned ({self.origin})"
        return (
            f"partitioned by {self.partition_column} = UTC date of {self.partition_field} "
            f"({self.origin})"
        )


def timestamp_fields(reader: Record) -> list[str]:
    """Top-level fields of timestamp logical type (alone or in a union with null), in order."""
    return [f.name for f in reader.fields if _is_timestamp(f.type)]


def _is_timestamp(schema: Schema) -> bool:
    if isinstance(schema, Union):
        rest = [b for b in schema.branches if not (isinstance(b, Primitive) and b.type == "null")]
        return len(rest) == 1 and _is_timestamp(rest[0])
    return isinstance(schema, Primitive) and schema.logical in TIMESTAMP_LOGICAL


def read_settings_file(directory: Path) -> dict[str, Any]:
    path = directory / TABLE_SETTINGS_FILE
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RegistryError(f"{path}: not a JSON object of table settings ({exc})") from exc
    if not isinstance(doc, dict) or not set(doc) <= _KEYS:
        raise RegistryError(
            f"{path}: table settings must be a JSON object with the keys "
            f"{sorted(_KEYS)}; found {doc if not isinstance(doc, dict) else sorted(doc)}"
        )
    return doc


def resolve_table_settings(
    subject: str,
    reader: Record,
    stored: dict[str, Any],
    override: PartitionOverride = NO_OVERRIDE,
) -> TableSettings:
    """The subject's settings: the command line over table.json over the schema's default."""
    candidates = timestamp_fields(reader)
    origin: Origin
    if override.field is not None:
        field, origin = override.field or None, "command line"
    elif "partition_field" in stored:
        field, origin = stored["partition_field"] or None, "table.json"
    else:
        field, origin = (candidates[0] if candidates else None), "derived from the reader schema"
    column = override.column or stored.get("partition_column") or DEFAULT_PARTITION_COLUMN
    if field is not None:
        names = [f.name for f in reader.fields]
        if not isinstance(field, str) or field not in names:
            raise TableSettingsError(subject, str(field), candidates, "is not a field")
        if field not in candidates:
            raise TableSettingsError(subject, field, candidates, "is not a timestamp field")
        if not isinstance(column, str) or not _COLUMN_NAME.match(column):
            raise RegistryError(
                f"partition column {column!r} of subject {subject!r} is not a plain column "
                "name (letters, digits and _; not starting with a digit)"
            )
        if column.startswith("_") or column.lower() in {n.lower() for n in names}:
            raise RegistryError(
                f"partition column {column!r} of subject {subject!r} clashes with a field of its "
                "reader schema (names compare case-insensitively) or with avrolake's metadata "
                "columns (names starting with '_'); choose another partition_column"
            )
    lookback = stored.get("lookback_hours")
    if lookback is not None and (
        isinstance(lookback, bool) or not isinstance(lookback, int | float) or lookback < 0
    ):
        raise RegistryError(
            f"lookback_hours of subject {subject!r} must be a number of hours >= 0, "
            f"not {lookback!r}"
        )
    return TableSettings(field, column, origin, None if lookback is None else float(lookback))
