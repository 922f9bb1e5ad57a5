"""A subject's deployment: where its raw files are, which table it lands in, and when.

It lives in `<registry>/<subject>/table.json` beside the table settings (docs/registry.md):

    {"table": "logs", "quarantine_table": null, "schedule": "@hourly",
     "source": {"prefix": "logs", "layout": "hive"}}

`table`, `quarantine_table` and `source.prefix` are absolute (`s3://…`, `file://…`, `/…`) or
relative to the deployment roots: the lake root for tables, the raw root for the prefix
(`AVROLAKE_LAKE_ROOT`, `AVROLAKE_RAW_ROOT`; the entry point reads them). Defaults: the table
and the prefix are the subject's name, the quarantine table is `<table>_quarantine`, the
schedule is hourly. A subject is *deployed* (gets its own ingest DAG) when it has a
table.json. Reading a deployment parses no schema: the DAG files call it at parse time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avrolake.config import DEFAULT_SCHEDULE, LAKE_ROOT_ENV, RAW_ROOT_ENV, DeploymentRoots
from avrolake.errors import DeploymentError
from avrolake.registry.table_settings import TABLE_SETTINGS_FILE, read_settings_file

# Airflow's cron presets, as the cron expressions of their data intervals.
PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,\-?LW#]+$")
_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://|/)")


@dataclass(frozen=True)
class StoredDeployment:
    """table.json's deployment keys, checked but not resolved against any root."""

    subject: str
    table: str
    source_prefix: str
    quarantine_table: str | None
    schedule: str | None  # a cron expression (presets expanded); None: not scheduled

    def resolve(self, roots: DeploymentRoots) -> Deployment:
        """Absolute locations, or a DeploymentError naming the root to set."""
        table, quarantine = self.tables(roots.lake)
        source = _under(self.subject, "source.prefix", self.source_prefix, roots.raw, RAW_ROOT_ENV)
        return Deployment(self.subject, source, table, quarantine, self.schedule)

    def tables(self, lake_root: str | None) -> tuple[str, str | None]:
        """The table and the quarantine table (None: <table>_quarantine) under the lake root."""
        table = _under(self.subject, "table", self.table, lake_root, LAKE_ROOT_ENV)
        if self.quarantine_table is None:
            return table, None
        q = _under(
            self.subject, "quarantine_table", self.quarantine_table, lake_root, LAKE_ROOT_ENV
        )
        return table, q


@dataclass(frozen=True)
class Deployment:
    """A subject's deployment with every location resolved."""

    subject: str
    source: str
    table: str
    quarantine_table: str | None  # None: <table>_quarantine
    schedule: str | None


def deployed_subjects(registry_root: Path) -> list[str]:
    """The subjects with a table.json (and at least one version), sorted; each gets a DAG."""
    return sorted(
        p.name
        for p in registry_root.iterdir()
        if (p / TABLE_SETTINGS_FILE).is_file() and any(p.glob("v*.avsc"))
    )


def stored_deployment(registry_root: Path, subject: str) -> StoredDeployment:
    """The subject's deployment as its table.json says (defaults for what it leaves out)."""
    return deployment_from(subject, read_settings_file(registry_root / subject))


def deployment_from(subject: str, stored: dict[str, Any]) -> StoredDeployment:
    source = stored.get("source") or {}
    if not isinstance(source, dict):
        raise DeploymentError(subject, "source", f"must be a JSON object, not {source!r}")
    return StoredDeployment(
        subject=subject,
        table=_location(subject, "table", stored.get("table"), subject),
        source_prefix=_location(subject, "source.prefix", source.get("prefix"), subject),
        quarantine_table=None
        if stored.get("quarantine_table") is None
        else _location(subject, "quarantine_table", stored["quarantine_table"], subject),
        schedule=_schedule(subject, stored.get("schedule", DEFAULT_SCHEDULE)),
    )


def is_absolute(location: str) -> bool:
    return bool(_ABSOLUTE.match(location))


def _location(subject: str, key: str, value: Any, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip("/ "):
        raise DeploymentError(subject, key, f"must be a non-empty path or URI, not {value!r}")
    if not is_absolute(value) and ".." in value.split("/"):
        raise DeploymentError(subject, key, f"{value!r}: a relative location may not use '..'")
    return value


def _schedule(subject: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value in PRESETS:
        return PRESETS[value]
    fields = value.split() if isinstance(value, str) else []
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        raise DeploymentError(
            subject,
            "schedule",
            f"{value!r} is not a cron expression of 5 fields, one of "
            f"{', '.join(PRESETS)}, or null (not scheduled)",
        )
    return " ".join(fields)


def _under(subject: str, key: str, value: str, root: str | None, env: str) -> str:
    if is_absolute(value):
        return value
    if not root:
        raise DeploymentError(
            subject,
            key,
            f"{value!r} is relative, and no root is set to resolve it against: set {env} "
            f"(in Airflow: the Variable {env.lower()}), make it absolute in table.json, or "
            "pass --source and --table",
        )
    return f"{root.rstrip('/')}/{value.strip('/')}"
