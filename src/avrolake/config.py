"""Every default avrolake has, and the one frozen settings object of the ingest job.

Entry points (the CLI, `jobs/ingest_logs.py`, the DAGs, the `avrolake` data source) build an
`IngestConfig` once, from their arguments and the environment they pass in explicitly;
nothing below them reads the environment. docs/configuration.md lists every setting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from avrolake.storage import S3Options

# The jar cache `make setup` fills from jars.lock (scripts/fetch_jars.py): <dir>/delta/*.jar are
# the Delta jars avrolake's own Spark sessions load. The default is the checkout's .jars/ (an
# editable install); the images carry their jars in spark-defaults.conf instead.
DEFAULT_JARS_DIR = Path(__file__).resolve().parents[2] / ".jars"
# Where the registry is, when neither --registry nor $AVROLAKE_REGISTRY says.
DEFAULT_REGISTRY = Path("schemas")
REGISTRY_ENV = "AVROLAKE_REGISTRY"
# The Spark master of the CLI (spark-submit's own --master wins under spark-submit).
DEFAULT_MASTER = "local[2]"
# Records per Arrow batch while decoding.
DEFAULT_BATCH_SIZE = 8192
# The table column holding an unregistered writer's extra fields as JSON (docs/table.md).
RESCUED_DATA = "_rescued_data"
# The table's metadata columns (docs/table.md), after the reader's fields: no reader field may
# take one of these names, in any case (Delta column names are case-insensitive).
SOURCE_FILE = "_source_file"
WRITER_VERSION = "_writer_schema_version"
WRITER_FINGERPRINT = "_writer_schema_fingerprint"
INGESTED_AT = "_ingested_at"
RUN_ID = "_run_id"
METADATA_COLUMNS = (
    SOURCE_FILE,
    WRITER_VERSION,
    WRITER_FINGERPRINT,
    INGESTED_AT,
    RUN_ID,
    RESCUED_DATA,
)
# A block that decompresses to more than this quarantines its file as `too_large`.
DEFAULT_MAX_BLOCK_BYTES = 64 * 1024 * 1024
# A file modified less than this many seconds before the run is deferred to a later run
# (it may still be being written).
DEFAULT_SETTLE_SECONDS = 60
SETTLE_ENV = "AVROLAKE_SETTLE_SECONDS"
# An interval run also lists this many hours of earlier partitions, for late files: Kafka
# Connect's S3 sink with a record-time partitioner and buffering mobile/edge clients write
# into past hours; a day covers a producer that was down or offline overnight
# (docs/configuration.md). Per subject: table.json "lookback_hours"; --lookback-hours;
# $AVROLAKE_LOOKBACK_HOURS. Older late files are the sweep's (`avrolake ingest --sweep`).
DEFAULT_LOOKBACK_HOURS = 24.0
LOOKBACK_ENV = "AVROLAKE_LOOKBACK_HOURS"
# The sweep (docs/ledger.md#the-sweep): `full` lists the whole source; `new` only the keys
# after the greatest path the ledger holds (S3 ListObjectsV2 StartAfter), so its listing costs
# the new keys. `auto` (the maintenance DAG's) is `full` once every DEFAULT_FULL_SWEEP_DAYS
# days (UTC days whose ordinal is a multiple: Sundays for 7), else `new`; a full sweep finds
# the late files whose keys sort before the mark (late files of old partitions).
SweepMode = Literal["full", "new"]
SWEEP_MODES = ("full", "new", "auto")
DEFAULT_FULL_SWEEP_DAYS = 7
# Small source files are packed into one Spark task up to this many bytes; a larger file is
# split at sync markers into pieces of about this size, read by several tasks.
DEFAULT_MAX_TASK_BYTES = 128 * 1024 * 1024
# A task is worth its Python worker's start (imports, its plan: ~0.7 CPU-s) from about this
# much input on: a smaller run has fewer tasks than cores (bench/results/fixed_cost.md).
MIN_TASK_BYTES = 16 * 1024 * 1024
# Input partitions the `avrolake` data source plans for (it has no SparkContext to ask).
DEFAULT_READ_PARALLELISM = 8
# The partition column holding the UTC date of the subject's event-time field.
DEFAULT_PARTITION_COLUMN = "event_date"
# The quarantine table is <table><suffix> unless --quarantine-table names another.
QUARANTINE_SUFFIX = "_quarantine"
# The source ledger (docs/ledger.md) is always <table><suffix>.
LEDGER_SUFFIX = "_ledger"
# reconcile fails above this many quarantined files per interval (warns at or below).
DEFAULT_MAX_QUARANTINED = 5
# Maintenance: vacuum keeps files at least this long (Delta's default; shorter is refused).
MIN_RETENTION_HOURS = 168
DEFAULT_TARGET_FILE_MB = 128
# A task holds a source file's decoded rows in memory up to this, to share Parquet files
# with the task's other small sources; a larger one gets files of its own.
DEFAULT_SOURCE_BUFFER_BYTES = 64 * 1024 * 1024


def registry_from_env(environ: Mapping[str, str]) -> Path:
    return Path(environ.get(REGISTRY_ENV) or DEFAULT_REGISTRY)


# A deployment's roots (docs/registry.md#deployment): a subject's relative source prefix is
# under the raw root, its relative table under the lake root.
RAW_ROOT_ENV = "AVROLAKE_RAW_ROOT"
LAKE_ROOT_ENV = "AVROLAKE_LAKE_ROOT"
# A deployed subject's defaults (table.json without the key).
DEFAULT_SCHEDULE = "@hourly"


@dataclass(frozen=True)
class DeploymentRoots:
    """Where relative source prefixes and tables live; None: not set (then only absolute
    ones resolve)."""

    raw: str | None = None
    lake: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DeploymentRoots:
        return cls(environ.get(RAW_ROOT_ENV) or None, environ.get(LAKE_ROOT_ENV) or None)


def default_quarantine_uri(table_uri: str) -> str:
    return f"{table_uri.rstrip('/')}{QUARANTINE_SUFFIX}"


def ledger_uri(table_uri: str) -> str:
    return f"{table_uri.rstrip('/')}{LEDGER_SUFFIX}"


@dataclass(frozen=True)
class Backfill:
    """Which source files a run looks at; ranges are half-open, like Airflow's intervals."""

    since: dt.datetime | None = None  # the time the source layout reads from the path
    until: dt.datetime | None = None
    modified_after: dt.datetime | None = None  # the object's modification time
    modified_before: dt.datetime | None = None


@dataclass(frozen=True)
class PartitionOverride:
    """The partitioning asked for on the command line; None fields keep the registry's."""

    field: str | None = None  # '' = no partitioning
    column: str | None = None


NO_OVERRIDE = PartitionOverride()


@dataclass(frozen=True)
class IngestConfig:
    """One ingest run's settings, resolved once by its entry point."""

    source: str
    table: str
    run_id: str
    started_at: dt.datetime
    registry: Path = DEFAULT_REGISTRY
    subject: str | None = None  # None: the registry's only subject
    quarantine_table: str | None = None  # None: <table>_quarantine
    master: str | None = DEFAULT_MASTER  # None: the one spark-submit was given
    backfill: Backfill = field(default_factory=Backfill)
    partitioning: PartitionOverride = field(default_factory=PartitionOverride)
    batch_size: int = DEFAULT_BATCH_SIZE
    settle_seconds: float = DEFAULT_SETTLE_SECONDS
    max_block_bytes: int = DEFAULT_MAX_BLOCK_BYTES
    max_task_bytes: int = DEFAULT_MAX_TASK_BYTES  # also the split size of large files
    target_file_bytes: int = DEFAULT_TARGET_FILE_MB * 1024 * 1024
    s3: S3Options = field(default_factory=S3Options)
    # earlier partitions an interval run (--since) lists too; None: the subject's table.json,
    # else DEFAULT_LOOKBACK_HOURS
    lookback: dt.timedelta | None = None
    sweep: bool = False  # list the whole source, whatever --since/--until say
    sweep_mode: SweepMode = "full"  # `new`: only the keys after the ledger's mark
    # the source's layout and file filter (docs/registry.md "source"); None: the subject's
    # table.json, else the `hive` preset and its filter
    layout: str | None = None
    files: str | None = None


def sweep_mode(asked: str, started_at: dt.datetime, full_every_days: int) -> SweepMode:
    """`full` or `new` for a sweep asked as `full`, `new` or `auto` (config above)."""
    if asked == "auto":
        due = full_every_days <= 1 or started_at.date().toordinal() % full_every_days == 0
        return "full" if due else "new"
    return "new" if asked == "new" else "full"
